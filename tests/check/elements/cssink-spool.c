/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink with a spool-dir: an outage, a restart and a kill -9 lose nothing,
 * event objects and pictures included; a half-written file is never
 * uploaded; past spool-max-bytes, or on a full disk, the oldest is dropped
 * and counted.  The spool touches only what it wrote: a user's directory is
 * refused untouched, and what waits for one store and device never goes to
 * another.  The outages are at the same URI (a real HTTP store that answers
 * 503, then 201), as a spooled object belongs to its store. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cs-store.h"
#include "cs-test-http-store.h"
#include "cs-test-tmpfs.h"
#include "cs-test-util.h"

#define VIDEO "videotestsrc num-buffers=%d ! " \
  "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc key-int-max=25 " \
  "speed-preset=ultrafast ! h264parse ! "
/* Connection refused: the uplink is down. */
#define DEAD_STORE "http://127.0.0.1:9/nowhere"

/* The HTTP store (store_uri) writes to store_dir, which file_uri reads. */
static gchar *dir, *spool, *store_dir, *store_uri, *file_uri;
static CsTestHttpStore *server;
static const gchar *self_path;

static void
setup (void)
{
  dir = g_dir_make_tmp ("cssink-spool-XXXXXX", NULL);
  spool = g_build_filename (dir, "spool", NULL);
  store_dir = g_build_filename (dir, "store", NULL);
  server = cs_test_http_store_start (store_dir);
  store_uri = cs_test_http_store_uri (server);
  file_uri = g_strdup_printf ("file://%s", store_dir);
}

static void
teardown (void)
{
  cs_test_http_store_stop (server);
  cs_test_unmount (spool);
  cs_test_remove_tree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&spool, g_free);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_uri, g_free);
  g_clear_pointer (&file_uri, g_free);
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The keys of what waits in the spool for @device (its file names in the
 * spool's directories "<device>@<store>", '%' for '/') that end in
 * @suffix, sorted. */
static GPtrArray *
spooled_keys_of (const gchar * device, const gchar * suffix)
{
  g_autoptr (GDir) top = g_dir_open (spool, 0, NULL);
  g_autofree gchar *prefix = g_strconcat (device, "@", NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  const gchar *own, *name;

  while (top && (own = g_dir_read_name (top))) {
    g_autofree gchar *path = g_build_filename (spool, own, NULL);
    g_autoptr (GDir) d = NULL;

    if (!g_str_has_prefix (own, prefix))
      continue;
    d = g_dir_open (path, 0, NULL);
    while (d && (name = g_dir_read_name (d))) {
      gchar *key = g_strdelimit (g_strdup (name), "%", '/');
      if (g_str_has_suffix (key, suffix))
        g_ptr_array_add (keys, key);
      else
        g_free (key);
    }
  }
  g_ptr_array_sort (keys, compare_keys);
  return keys;
}

static GPtrArray *
spooled_keys (const gchar * suffix)
{
  return spooled_keys_of ("cam", suffix);
}

static GPtrArray *
spooled_segments (void)
{
  return spooled_keys (".mp4");
}

/* Objects waiting in the spool, of any store or device. */
static guint
files_in_spool (void)
{
  g_autoptr (GDir) top = g_dir_open (spool, 0, NULL);
  const gchar *own, *name;
  guint n = 0;

  while (top && (own = g_dir_read_name (top))) {
    g_autofree gchar *path = g_build_filename (spool, own, NULL);
    g_autoptr (GDir) d = g_dir_open (path, 0, NULL);

    while (d && (name = g_dir_read_name (d)))
      n += !g_str_equal (name, "OWNER");
  }
  return n;
}

/* Each key of @keys is in the store, starts on a keyframe. */
static void
check_stored (GPtrArray * keys)
{
  g_autoptr (CsStore) store = cs_store_new (file_uri, NULL, NULL);

  fail_unless (store != NULL);
  for (guint i = 0; i < keys->len; i++) {
    const gchar *key = g_ptr_array_index (keys, i);
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    CsMediaInfo info = { 0 };

    fail_unless (data != NULL, "%s is not in the store", key);
    fail_unless (cs_test_read_ts (data, &info));
    fail_unless (info.first_video_is_keyframe && info.video_frames > 0, "%s",
        key);
    cs_media_info_clear (&info);
  }
}

/* A restart with the same spool and a working store: what waited is
 * uploaded first, and the spool is left empty. */
static void
restart_and_check_device (const gchar * device, GPtrArray * waiting)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=%s device-id=%s spool-dir=%s", 25, store_uri, device, spool);
  CsRun run;

  cs_test_http_store_set_down (server, 0);
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos, "%s", run.error ?
      run.error->message : "no EOS");
  check_stored (waiting);
  fail_unless_equals_int (files_in_spool (), 0);
  cs_run_clear (&run);
}

static void
restart_and_check (GPtrArray * waiting)
{
  restart_and_check_device ("cam", waiting);
}

GST_START_TEST (test_outage_then_restart)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=%s device-id=cam spool-dir=%s drain-timeout=500000000", 200,
      store_uri, spool);
  g_autofree gchar *half = NULL;
  g_autoptr (GPtrArray) waiting = NULL;
  g_autoptr (GDir) d = NULL;
  const gchar *own;
  CsRun run;

  cs_test_http_store_set_down (server, 503);
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos);
  /* 8 s, 2 segments: nothing dropped, all on disk. */
  fail_unless_equals_int (cs_run_stat (&run, "segments-recorded"), 2);
  fail_unless_equals_int (cs_run_count (&run, "cs-segment-dropped"), 0);
  fail_unless (cs_run_stat (&run, "spool-bytes") > 0);
  cs_run_clear (&run);
  waiting = spooled_segments ();
  fail_unless_equals_int (waiting->len, 2);

  /* What a crash during a write leaves: a temporary name. */
  d = g_dir_open (spool, 0, NULL);
  while ((own = g_dir_read_name (d)) && !g_str_has_prefix (own, "cam@"));
  fail_unless (own != NULL);
  half = g_strdup_printf ("%s/%s/%s.tmp123", spool, own, "cam%rec%x_1_1.ts");
  fail_unless (g_file_set_contents (half, "half", -1, NULL));
  restart_and_check (waiting);
}

GST_END_TEST;

/* A recording process killed with SIGKILL while the uplink is down: every
 * segment it finished is uploaded once after a restart. */
/* The recording process the kill test kills: this program again (so that
 * it is the same build, sanitizers included), recording live until killed. */
static int
record_until_killed (const gchar * spool_dir, const gchar * location)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc "
      "key-int-max=25 speed-preset=ultrafast tune=zerolatency ! h264parse ! "
      "cssink location=%s device-id=cam "
      "segment-duration=1000000000 spool-dir=%s", location, spool_dir);
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  if (pipeline == NULL)
    return 1;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (g_main_loop_new (NULL, FALSE));
  return 0;
}

GST_START_TEST (test_kill_9)
{
  const gchar *argv[] = { self_path, NULL };
  g_auto (GStrv) env = g_environ_setenv (g_environ_setenv (g_get_environ (),
          "CS_TEST_RECORD_INTO_SPOOL", spool, TRUE),
      "CS_TEST_RECORD_LOCATION", store_uri, TRUE);
  g_autoptr (GPtrArray) waiting = NULL;
  GPid pid;

  cs_test_http_store_set_down (server, 503);
  fail_unless (g_spawn_async (NULL, (gchar **) argv, env,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &pid, NULL));
  for (int i = 0; i < 300; i++) {
    g_autoptr (GPtrArray) segments = spooled_segments ();
    if (segments->len >= 3)
      break;
    g_usleep (50 * 1000);
  }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  waiting = spooled_segments ();
  fail_unless (waiting->len >= 3, "%u segments spooled", waiting->len);
  restart_and_check (waiting);
}

GST_END_TEST;

/* An event recorded while the uplink is down: its segments, event.json and
 * alarm picture all wait in the spool, and arrive after a restart. */
GST_START_TEST (test_event_objects_spooled)
{
  static const CsTestTrigger triggers[] = { {1, 1.0} };
  CsTestTimeline timeline = { triggers, 1, G_GINT64_CONSTANT (1700000000000) };
  g_autofree gchar *desc = g_strdup_printf (VIDEO "identity name=p ! "
      "cseventgate name=g min-record-time=4 ! cssink name=s "
      "location=%s device-id=cam spool-dir=%s drain-timeout=500000000", 200,
      store_uri, spool);
  g_autoptr (GPtrArray) pictures = NULL, events = NULL, segments = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GBytes) jpeg = NULL, json = NULL;
  CsRun run;

  cs_test_http_store_set_down (server, 503);
  cs_test_run (desc, 0, 60, cs_test_timeline_tick, &timeline, &run);
  fail_unless (run.error == NULL && run.eos);
  cs_run_clear (&run);
  pictures = spooled_keys ("/snapshot.jpg");
  events = spooled_keys ("/event.json");
  fail_unless_equals_int (pictures->len, 1);
  fail_unless_equals_int (events->len, 1);
  segments = spooled_segments ();
  fail_unless (segments->len >= 1);

  restart_and_check (segments);
  store = cs_store_new (file_uri, NULL, NULL);
  jpeg = cs_store_get (store, g_ptr_array_index (pictures, 0), NULL, NULL);
  fail_unless (jpeg != NULL && g_bytes_get_size (jpeg) > 2
      && ((const guint8 *) g_bytes_get_data (jpeg, NULL))[0] == 0xff
      && ((const guint8 *) g_bytes_get_data (jpeg, NULL))[1] == 0xd8);
  json = cs_store_get (store, g_ptr_array_index (events, 0), NULL, NULL);
  fail_unless (json != NULL && g_strstr_len (g_bytes_get_data (json, NULL),
          g_bytes_get_size (json), "snapshot.jpg") != NULL);
}

GST_END_TEST;

GST_START_TEST (test_spool_limit)
{
  /* Room for about one 1 s segment: each new one pushes the last out. */
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=" DEAD_STORE " device-id=cam spool-dir=%s "
      "segment-duration=1000000000 spool-max-bytes=20000 "
      "drain-timeout=200000000", 150, spool);
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos);
  fail_unless (cs_run_stat (&run, "spool-dropped") >= 3);
  fail_unless_equals_int (cs_run_count (&run, "cs-segment-dropped"),
      cs_run_stat (&run, "spool-dropped"));
  /* The newest stays even when it alone is larger. */
  fail_unless (files_in_spool () <= 1);
  cs_run_clear (&run);
}

GST_END_TEST;

/* spool-dir pointed at a user's directory: cssink refuses to start, and
 * every file is as it was, none of them uploaded.  (It used to delete
 * thesis.txt and run.sh as "half-written" and upload the others.) */
GST_START_TEST (test_user_directory_untouched)
{
  static const gchar *files[][2] = { {"thesis.txt", "chapter 1"},
  {"run.sh", "#!/bin/sh\necho hi\n"}, {"config.json", "{\"a\": 1}"},
  {"holiday.jpg", "\xff\xd8\xff\xe0 not really"}
  };
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=%s device-id=cam spool-dir=%s", 25, file_uri, spool);
  CsRun run;

  fail_unless (g_mkdir (spool, 0700) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (spool, files[i][0], NULL);
    fail_unless (g_file_set_contents (path, files[i][1], -1, NULL));
  }
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error != NULL, "cssink used a user's directory");
  fail_unless (g_error_matches (run.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", run.error->message);
  fail_unless (run.error_debug && strstr (run.error_debug,
          "is not a spool") != NULL, "%s", run.error_debug);
  cs_run_clear (&run);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (spool, files[i][0], NULL);
    g_autofree gchar *contents = NULL;
    fail_unless (g_file_get_contents (path, &contents, NULL, NULL),
        "%s is gone", files[i][0]);
    fail_unless_equals_string (contents, files[i][1]);
  }
  /* Nothing else appeared there, nothing went to the store. */
  fail_unless_equals_int (files_in_spool (), 0);
  {
    g_autoptr (CsStore) store = cs_store_new (file_uri, NULL, NULL);
    g_autoptr (GPtrArray) stored = cs_store_list (store, "", NULL, NULL);
    fail_unless_equals_int (stored->len, 0);
  }
}

GST_END_TEST;

static guint
warnings_with (CsRun * run, const gchar * text)
{
  guint n = 0;

  for (guint i = 0; i < run->warnings->len; i++)
    n += strstr (((GError *) g_ptr_array_index (run->warnings, i))->message,
        text) != NULL;
  return n;
}

/* Records @device to @location with the spool (8 s, two segments). */
static void
record (const gchar * device, const gchar * location, CsRun * run)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=%s device-id=%s spool-dir=%s drain-timeout=500000000", 200,
      location, device, spool);

  cs_test_run (desc, 0, 60, NULL, NULL, run);
  fail_unless (run->error == NULL && run->eos, "%s", run->error ?
      run->error->message : "no EOS");
}

/* One spool for two cameras, and a camera given another store: what camA
 * left for its store is never uploaded by camB, nor into camA's new store;
 * each run says once that it leaves them alone; camA back on its store
 * uploads them.  (camB used to upload camA's segments into its store.) */
GST_START_TEST (test_spool_shared)
{
  g_autofree gchar *other_dir = g_build_filename (dir, "other", NULL);
  g_autofree gchar *other_uri = g_strdup_printf ("file://%s", other_dir);
  g_autoptr (CsStore) store = NULL, other = NULL;
  g_autoptr (GPtrArray) waiting = NULL, in_store = NULL, in_other = NULL;
  CsRun run;

  cs_test_http_store_set_down (server, 503);
  record ("camA", store_uri, &run);
  cs_run_clear (&run);

  /* camB, same spool, same store, which works now. */
  cs_test_http_store_set_down (server, 0);
  record ("camB", store_uri, &run);
  fail_unless_equals_int (warnings_with (&run, "another store or device"), 1);
  cs_run_clear (&run);
  store = cs_store_new (file_uri, NULL, NULL);
  in_store = cs_store_list (store, "camA/", NULL, NULL);
  fail_unless_equals_int (in_store->len, 0);
  g_clear_pointer (&in_store, g_ptr_array_unref);
  in_store = cs_store_list (store, "camB/", NULL, NULL);
  fail_unless_equals_int (in_store->len, 2);
  waiting = spooled_keys_of ("camA", ".mp4");
  fail_unless_equals_int (waiting->len, 2);

  /* camA, reconfigured to another store. */
  record ("camA", other_uri, &run);
  fail_unless_equals_int (warnings_with (&run, "another store or device"), 1);
  cs_run_clear (&run);
  other = cs_store_new (other_uri, NULL, NULL);
  in_other = cs_store_list (other, "camA/", NULL, NULL);
  fail_unless_equals_int (in_other->len, 2);
  for (guint i = 0; i < waiting->len; i++)
    for (guint j = 0; j < in_other->len; j++)
      fail_if (g_str_equal (g_ptr_array_index (waiting, i),
              ((CsStoreObject *) g_ptr_array_index (in_other, j))->key));

  /* camA back on its store: what it left there arrives. */
  restart_and_check_device ("camA", waiting);
}

GST_END_TEST;

/* The spool on a real full disk (a tmpfs of 1 MiB, segments of about
 * 250 KB): the oldest segments make room for the newest, each drop is
 * counted, nothing is lost without a word.  (Every write used to fail
 * with ENOSPC after the victims were removed, keeping the oldest.) */
GST_START_TEST (test_full_disk)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=250 "
      "pattern=snow ! video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 speed-preset=ultrafast bitrate=2000 ! "
      "h264parse ! cssink name=s location=" DEAD_STORE " device-id=cam "
      "spool-dir=%s segment-duration=1000000000 drain-timeout=200000000",
      spool);
  g_autoptr (GPtrArray) kept = NULL;
  guint64 recorded, dropped = 0;
  const gchar *newest_dropped = NULL;
  CsRun run;

  cs_test_mount_tmpfs (spool, "1m", FALSE);
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos, "%s", run.error ?
      run.error->message : "no EOS in 60 s");
  fail_unless (warnings_with (&run, "could not be written") == 0, "%s",
      ((GError *) g_ptr_array_index (run.warnings, 0))->message);
  recorded = cs_run_stat (&run, "segments-recorded");
  fail_unless (recorded >= 9, "%" G_GUINT64_FORMAT " recorded", recorded);
  kept = spooled_segments ();
  for (guint i = 0; i < run.messages->len; i++) {
    GstStructure *s = g_ptr_array_index (run.messages, i);
    if (gst_structure_has_name (s, "cs-segment-dropped")) {
      fail_unless_equals_string (gst_structure_get_string (s, "reason"),
          "spool-full");
      newest_dropped = gst_structure_get_string (s, "key");
      dropped++;
    }
  }
  /* Every segment is either on disk or said dropped; the oldest went. */
  fail_unless (dropped >= 4, "%" G_GUINT64_FORMAT " dropped", dropped);
  fail_unless_equals_int (cs_run_stat (&run, "spool-dropped"), dropped);
  fail_unless_equals_int (kept->len + dropped, recorded);
  fail_unless (strcmp (newest_dropped, g_ptr_array_index (kept, 0)) < 0);
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
cssink_spool_suite (void)
{
  Suite *s = suite_create ("cssink-spool");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_outage_then_restart);
  tcase_add_test (tc, test_kill_9);
  tcase_add_test (tc, test_event_objects_spooled);
  tcase_add_test (tc, test_spool_limit);
  tcase_add_test (tc, test_user_directory_untouched);
  tcase_add_test (tc, test_spool_shared);
  tcase_add_test (tc, test_full_disk);
  return s;
}

int
main (int argc, char **argv)
{
  self_path = argv[0];
  gst_check_init (&argc, &argv);
  if (g_getenv ("CS_TEST_RECORD_INTO_SPOOL"))
    return record_until_killed (g_getenv ("CS_TEST_RECORD_INTO_SPOOL"),
        g_getenv ("CS_TEST_RECORD_LOCATION"));
  return gst_check_run_suite (cssink_spool_suite (), "cssink-spool",
      __FILE__);
}
