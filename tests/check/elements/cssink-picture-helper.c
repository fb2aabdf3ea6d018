/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's own event picture, made by cs-picture-helper in a process of its
 * own: a real keyframe (x264/x265) in, a JPEG of the right size out (read
 * back by jpegdec); libav never loaded into the recording's process; the
 * picture in the store seconds after the trigger, not at EOS; and a helper
 * that hangs, dies, fails, floods or is missing costs only the picture,
 * with the reason on the bus, every segment stored. */
#include <gst/check/gstcheck.h>
#include <gst/app/app.h>
#include <glib/gstdio.h>

#include "cs-picture-process.h"
#include "cs-picture-protocol.h"
#include "cs-store.h"
#include "cs-test-util.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE "cam"
#define H264 "x264enc key-int-max=25 speed-preset=ultrafast tune=zerolatency " \
  "! h264parse"
#define H265 "x265enc key-int-max=25 speed-preset=ultrafast " \
  "option-string=bframes=0 ! h265parse"

static gchar *dir;

static void
setup (void)
{
  dir = g_dir_make_tmp ("cs-picture-helper-XXXXXX", NULL);
  fail_unless (dir != NULL);
  g_setenv ("CS_PICTURE_HELPER", g_getenv ("CS_TEST_PICTURE_HELPER"), TRUE);
}

static void
teardown (void)
{
  cs_test_remove_tree (dir);
  g_clear_pointer (&dir, g_free);
}

/* The first keyframe of @width x @height test video through @encoder. */
static GstSample *
keyframe (const gchar * encoder, gint width, gint height)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 "
      "pattern=ball ! video/x-raw,width=%d,height=%d,framerate=25/1 ! %s ! "
      "appsink name=sink sync=false", width, height, encoder);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (GstElement) sink = NULL;
  GstSample *sample;

  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      60 * GST_SECOND);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (sample != NULL);
  return sample;
}

/* jpegdec's caps of @jpeg: its size. */
static void
jpeg_size (GBytes * jpeg, gint * width, gint * height)
{
  g_autoptr (GstElement) pipeline = gst_parse_launch ("appsrc name=src "
      "caps=image/jpeg ! jpegdec ! appsink name=sink sync=false", NULL);
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline),
      "src");
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      "sink");
  g_autoptr (GstSample) sample = NULL;
  const GstStructure *s;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src),
      gst_buffer_new_wrapped_bytes (jpeg));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      30 * GST_SECOND);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (sample != NULL, "jpegdec read no picture");
  s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  fail_unless (gst_structure_get_int (s, "width", width)
      && gst_structure_get_int (s, "height", height));
}

static void
check_picture (const gchar * encoder, gint width, gint height, gint jpeg_w,
    gint jpeg_h)
{
  g_autoptr (GstSample) frame = keyframe (encoder, width, height);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = cs_picture_process_make (frame, NULL, &error);
  gint w = 0, h = 0;

  fail_unless (jpeg != NULL, "no picture: %s", error ? error->message : "?");
  jpeg_size (jpeg, &w, &h);
  fail_unless_equals_int (w, jpeg_w);
  fail_unless_equals_int (h, jpeg_h);
}

/* Scaled to 640 wide, aspect kept, even sizes; a small one kept as it is. */
GST_START_TEST (test_h264_picture)
{
  check_picture (H264, 1280, 720, 640, 360);
  check_picture (H264, 800, 450, 640, 360);
  check_picture (H264, 320, 240, 320, 240);
}

GST_END_TEST;

GST_START_TEST (test_h265_picture)
{
  check_picture (H265, 1280, 720, 640, 360);
}

GST_END_TEST;

/* A helper of the test's: a shell script in the test's directory. */
static gchar *
fake_helper (const gchar * name, const gchar * body)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *script = g_strdup_printf ("#!/bin/sh\n%s\n", body);

  fail_unless (g_file_set_contents (path, script, -1, NULL));
  fail_unless (g_chmod (path, 0755) == 0);
  return path;
}

static void
check_fails (const gchar * helper, const gchar * reason)
{
  g_autoptr (GstSample) frame = keyframe (H264, 320, 240);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = NULL;

  g_setenv ("CS_PICTURE_HELPER", helper, TRUE);
  jpeg = cs_picture_process_make (frame, NULL, &error);
  fail_unless (jpeg == NULL);
  fail_unless (error != NULL && strstr (error->message, reason) != NULL,
      "reason \"%s\", not \"%s\"", error ? error->message : "", reason);
}

/* Each way a helper can go wrong gives no picture and says why; one that
 * exits without reading its input does not kill this process (SIGPIPE). */
GST_START_TEST (test_helper_failures)
{
  g_autofree gchar *crash = fake_helper ("crash", "kill -SEGV $$");
  g_autofree gchar *fails = fake_helper ("fails",
      "cat >/dev/null; echo 'noise' >&2; "
      "echo 'cs-picture-helper: no decoder today' >&2; exit 2");
  g_autofree gchar *garbage = fake_helper ("garbage",
      "cat >/dev/null; echo 'not a picture'");
  g_autofree gchar *flood = fake_helper ("flood", "exec cat /dev/zero");
  g_autofree gchar *missing = g_build_filename (dir, "missing", NULL);
  g_autofree gchar *real = g_strdup (g_getenv ("CS_TEST_PICTURE_HELPER"));
  g_autoptr (GstSample) big = keyframe (H264, 1920, 1080);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = NULL;

  check_fails (crash, "died of signal 11");
  check_fails (fails, "failed (exit 2): no decoder today");
  check_fails (garbage, "answer is not a JPEG");
  check_fails (flood, "wrote more than");
  check_fails (missing, "is not an executable file");
  check_fails (dir, "is not an executable file");

  /* The real helper refuses what is not H.264/H.265, and a cut frame. */
  g_setenv ("CS_PICTURE_HELPER", real, TRUE);
  gst_sample_set_caps (big, gst_caps_from_string ("video/x-vp8"));
  jpeg = cs_picture_process_make (big, NULL, &error);
  fail_unless (jpeg == NULL && strstr (error->message,
          "failed (exit 2): no picture of video/x-vp8") != NULL,
      "%s", error->message);
}

GST_END_TEST;

/* The helper gets GStreamer's environment, not the application's secrets. */
GST_START_TEST (test_helper_environment)
{
  g_autofree gchar *helper = fake_helper ("env", "cat >/dev/null; "
      "echo \"cs-picture-helper: secrets=$(env | grep -c -e AWS_SECRET "
      "-e CS_TEST_SECRET) registry=$(env | grep -c ^GST_REGISTRY=)\" >&2; "
      "exit 3");

  g_setenv ("AWS_SECRET_ACCESS_KEY", "not-for-the-helper", TRUE);
  g_setenv ("CS_TEST_SECRET", "not-for-the-helper", TRUE);
  g_setenv ("GST_REGISTRY", g_getenv ("GST_REGISTRY") ?
      g_getenv ("GST_REGISTRY") : "/nonexistent", FALSE);
  check_fails (helper, "failed (exit 3): secrets=0 registry=1");
}

GST_END_TEST;

/* Found without CS_PICTURE_HELPER: beside the plugin in the build tree
 * (this test links the elements' code, so "the plugin" is this program,
 * whose directory has no helper: the installed path is named instead). */
GST_START_TEST (test_helper_not_found)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;

  g_unsetenv ("CS_PICTURE_HELPER");
  path = cs_picture_helper_find (&error);
  if (path != NULL) {
    /* Installed on this machine: that is where it must be. */
    fail_unless (g_str_has_suffix (path, "/gst-cloudstorage/"
            CS_PICTURE_HELPER_NAME));
  } else {
    fail_unless (strstr (error->message, "is not installed") != NULL);
    fail_unless (strstr (error->message, "CS_PICTURE_HELPER") != NULL);
  }
}

GST_END_TEST;

/* libavcodec is not mapped into this process. */
static gboolean
libav_loaded (void)
{
  g_autofree gchar *maps = NULL;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, "libavcodec") != NULL;
}

typedef struct
{
  CsTestTimeline timeline;
  gchar *store_dir;
  gdouble stored_at_s;          /* when snapshot.jpg was first seen */
} Watch;

/* A file named @name under @path (links not followed). */
static gboolean
has_file (const gchar * path, const gchar * name)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const gchar *entry;

  while (d && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, entry, NULL);
    GStatBuf st;

    if (g_lstat (child, &st) != 0)
      continue;
    if (S_ISREG (st.st_mode) && g_str_equal (entry, name))
      return TRUE;
    if (S_ISDIR (st.st_mode) && has_file (child, name))
      return TRUE;
  }
  return FALSE;
}

/* Looks for the event's picture every 100 ms while the camera runs. */
static void
watch_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Watch *w = data;

  cs_test_timeline_tick (pipeline, elapsed_s, &w->timeline);
  if (elapsed_s >= 0 && w->stored_at_s < 0
      && has_file (w->store_dir, "snapshot.jpg"))
    w->stored_at_s = elapsed_s;
}

#define SECONDS 6
#define TRIGGER_S 1.0

/* A live camera with one event from TRIGGER_S to its end: every frame
 * from the event's start is stored; returns the store's picture (or NULL)
 * and when it was in the store. */
static GBytes *
record_event (CsRun * run, gdouble * stored_at_s, gboolean * libav)
{
  static const CsTestTrigger triggers[] = { {1, TRIGGER_S} };
  g_autofree gchar *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree gchar *uri = g_filename_to_uri (store_dir, NULL, NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "num-buffers=%d ! video/x-raw,width=800,height=450,framerate=25/1 ! "
      H264 " ! identity name=p ! cseventgate name=g pre-roll=0 "
      "min-record-time=60 event-interval=60 ! cssink name=s location=%s "
      "device-id=" DEVICE " segment-duration=2000000000 "
      "drain-timeout=30000000000", 25 * SECONDS, uri);
  Watch w = { {triggers, 1, G_GINT64_CONSTANT (1700000000000)}, store_dir,
    -1
  };
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *prefix = g_strdup (DEVICE "/ev/");
  guint video = 0;
  GBytes *jpeg = NULL;

  gboolean libav_before = libav_loaded ();

  g_mkdir_with_parents (store_dir, 0755);
  cs_test_run (desc, 0, 120, watch_tick, &w, run);
  /* Loaded before by an in-process registry scan (GST_REGISTRY_FORK=no,
   * tests/sanitize.sh), it says nothing of the picture. */
  if (libav_before)
    g_print ("libavcodec was loaded before the camera started: not checked\n");
  *libav = !libav_before && libav_loaded ();
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message :
      "");
  fail_unless (run->eos);
  store = cs_store_new (uri, NULL, &error);
  fail_unless (store != NULL);
  /* Every frame from the event's first keyframe on is stored. */
  fail_unless (cs_test_read_segments (store, prefix, &video, NULL) >= 2);
  fail_unless (video >= 25 * (SECONDS - TRIGGER_S) - 25 && video > 0,
      "%u frames stored", video);
  fail_unless_equals_int (video, run->video_in);
  keys = cs_store_list (store, prefix, NULL, &error);
  fail_unless (keys != NULL);
  for (guint i = 0; i < keys->len && jpeg == NULL; i++) {
    CsStoreObject *o = g_ptr_array_index (keys, i);
    if (g_str_has_suffix (o->key, "/snapshot.jpg"))
      jpeg = cs_store_get (store, o->key, NULL, NULL);
  }
  *stored_at_s = w.stored_at_s;
  return jpeg;
}

/* The picture made by the real helper: in the store while the camera
 * still runs (seconds after the trigger), of the right size; libav never
 * in this process. */
GST_START_TEST (test_event_picture)
{
  CsRun run;
  gdouble stored_at_s;
  gboolean libav;
  g_autoptr (GBytes) jpeg = record_event (&run, &stored_at_s, &libav);
  gint w = 0, h = 0;

  fail_unless (jpeg != NULL, "no snapshot.jpg stored");
  fail_unless_equals_int (run.warnings->len, 0);
  jpeg_size (g_bytes_ref (jpeg), &w, &h);
  fail_unless_equals_int (w, 640);
  fail_unless_equals_int (h, 360);
  fail_unless (stored_at_s > 0 && stored_at_s < SECONDS,
      "picture stored at %.1f s, the camera ran %d s", stored_at_s, SECONDS);
  g_print ("trigger at %.1f s (stream time), picture in the store at %.1f s "
      "(wall clock, polled every 100 ms)\n", TRIGGER_S, stored_at_s);
  fail_if (libav, "libavcodec was loaded into the camera's process");
  cs_run_clear (&run);
}

GST_END_TEST;

/* The recording with a helper that @body makes: every segment stored, no
 * picture, a warning naming the event and @reason. */
static void
check_event_without_picture (const gchar * body, const gchar * reason)
{
  g_autofree gchar *helper = fake_helper ("helper", body);
  CsRun run;
  gdouble stored_at_s;
  gboolean libav, warned = FALSE;
  g_autoptr (GBytes) jpeg = NULL;

  g_setenv ("CS_PICTURE_HELPER", helper, TRUE);
  jpeg = record_event (&run, &stored_at_s, &libav);
  fail_unless (jpeg == NULL);
  for (guint i = 0; i < run.warnings->len; i++) {
    GError *w = g_ptr_array_index (run.warnings, i);
    warned |= strstr (w->message, "No picture could be made of event") &&
        strstr (w->message, reason);
  }
  fail_unless (warned, "no warning saying \"%s\"", reason);
  cs_run_clear (&run);
}

GST_START_TEST (test_helper_hangs)
{
  check_event_without_picture ("exec sleep 600", "took more than 20 s");
}

GST_END_TEST;

GST_START_TEST (test_helper_crashes)
{
  check_event_without_picture ("kill -SEGV $$", "died of signal 11");
}

GST_END_TEST;

/* A live camera with an event, its picture made by a helper running
 * @body, which makes @file first; returns once @file is there. */
static GstElement *
camera_with_helper (const gchar * body, const gchar * file)
{
  g_autofree gchar *helper = fake_helper ("helper", body);
  g_autofree gchar *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree gchar *uri = g_filename_to_uri (store_dir, NULL, NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! " H264 " ! "
      "cseventgate name=g pre-roll=0 min-record-time=60 ! cssink name=s "
      "location=%s device-id=" DEVICE " drain-timeout=60000000000", uri);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (GstElement) gate = gst_bin_get_by_name (GST_BIN (pipeline),
      "g");
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gboolean result;

  g_setenv ("CS_PICTURE_HELPER", helper, TRUE);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_signal_emit_by_name (gate, "trigger", 1u, (guint64) 0, &result);
  while (!g_file_test (file, G_FILE_TEST_EXISTS)
      && g_get_monotonic_time () < deadline)
    g_usleep (50000);
  fail_unless (g_file_test (file, G_FILE_TEST_EXISTS),
      "the helper never ran");
  return pipeline;
}

/* A camera stopped (no EOS) while its picture's helper hangs stops at
 * once, the helper killed, not after the helper's 20 s. */
GST_START_TEST (test_stop_kills_helper)
{
  g_autofree gchar *pid_file = g_build_filename (dir, "pid", NULL);
  g_autofree gchar *body = g_strdup_printf ("echo $$ > %s.part && "
      "mv %s.part %s && exec sleep 600", pid_file, pid_file, pid_file);
  g_autoptr (GstElement) pipeline = camera_with_helper (body, pid_file);
  g_autofree gchar *pid_text = NULL;
  gint64 t0;
  gboolean gone = FALSE;
  gint pid;

  fail_unless (g_file_get_contents (pid_file, &pid_text, NULL, NULL));
  pid = atoi (pid_text);
  fail_unless (pid > 0 && kill (pid, 0) == 0);

  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC,
      "stopping took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
  /* Killed and reaped (by GLib's worker) within moments. */
  for (gint i = 0; i < 100 && !gone; i++) {
    gone = kill (pid, 0) != 0 && errno == ESRCH;
    if (!gone)
      g_usleep (50000);
  }
  fail_unless (gone, "the helper %d still runs", pid);
}

GST_END_TEST;

/* A camera stopped while its EOS drain waits for a picture whose helper
 * hangs stops at once (the drain's wait interrupted), not after the
 * helper's 20 s. */
GST_START_TEST (test_stop_during_drain)
{
  g_autofree gchar *started = g_build_filename (dir, "started", NULL);
  g_autofree gchar *body = g_strdup_printf ("touch %s && exec sleep 600",
      started);
  g_autoptr (GstElement) pipeline = camera_with_helper (body, started);
  gint64 t0;

  /* The drain starts in the sink's streaming thread and waits for the
   * picture. */
  gst_element_send_event (pipeline, gst_event_new_eos ());
  g_usleep (500000);

  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC,
      "stopping during the drain took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
}

GST_END_TEST;

/* `meson install` into a DESTDIR: the installed plugin finds the installed
 * helper on its own (from its own directory: no CS_PICTURE_HELPER, nothing
 * under the real prefix), and that helper makes a picture. */
GST_START_TEST (test_installed_helper)
{
  g_autofree gchar *out = NULL, *err = NULL, *helper = NULL;
  g_autofree gchar *plugin = g_build_filename (dir,
      g_getenv ("CS_TEST_INSTALLED_PLUGIN"), NULL);
  const gchar *install[] = { g_getenv ("MESON"), "install", "-C",
    g_getenv ("CS_TEST_BUILD_ROOT"), "--no-rebuild", "--quiet", "--destdir",
    dir, NULL
  };
  g_autoptr (GError) error = NULL;
  gchar *(*find) (GError **);
  gpointer module;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) install, NULL, 0, NULL, NULL,
          &out, &err, &status, &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "meson install failed:\n%s\n%s", out, err);
  /* The installed plugin's own copy of the lookup, run from where it is. */
  module = dlopen (plugin, RTLD_NOW | RTLD_LOCAL);
  fail_unless (module != NULL, "%s", dlerror ());
  find = (gchar * (*)(GError **)) dlsym (module, "cs_picture_helper_find");
  fail_unless (find != NULL);
  g_unsetenv ("CS_PICTURE_HELPER");
  helper = find (&error);
  dlclose (module);
  fail_unless (helper != NULL, "%s", error ? error->message : "");
  fail_unless (g_str_has_prefix (helper, dir), "found %s, not the one "
      "installed in %s", helper, dir);
  g_setenv ("CS_PICTURE_HELPER", helper, TRUE);
  check_picture (H264, 320, 240, 320, 240);
}

GST_END_TEST;

static Suite *
picture_helper_suite (void)
{
  Suite *s = suite_create ("cssink-picture-helper");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_h264_picture);
  tcase_add_test (tc, test_h265_picture);
  tcase_add_test (tc, test_helper_failures);
  tcase_add_test (tc, test_helper_environment);
  tcase_add_test (tc, test_helper_not_found);
  tcase_add_test (tc, test_event_picture);
  tcase_add_test (tc, test_helper_hangs);
  tcase_add_test (tc, test_helper_crashes);
  tcase_add_test (tc, test_stop_kills_helper);
  tcase_add_test (tc, test_stop_during_drain);
  tcase_add_test (tc, test_installed_helper);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (picture_helper);
