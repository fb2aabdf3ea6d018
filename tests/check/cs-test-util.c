/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-util.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  CsMediaInfo *info;
  gboolean video;
} ReadCtx;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * pinfo, gpointer data)
{
  ReadCtx *ctx = data;
  CsMediaInfo *info = ctx->info;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (pinfo);

  if (!ctx->video)
    info->audio_frames++;
  else if (info->video_frames++ == 0)
    info->first_video_is_keyframe =
        !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return GST_PAD_PROBE_OK;
}

static void
on_demux_pad (GstElement * demux, GstPad * pad, GstBin * bin)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));
  gboolean video = g_str_has_prefix (name, "video/");
  CsMediaInfo *info = g_object_get_data (G_OBJECT (bin), "info");
  GstElement *q = gst_element_factory_make ("queue", NULL);
  GstElement *parse = gst_element_factory_make (video ?
      (g_str_equal (name, "video/x-h265") ? "h265parse" : "h264parse") :
      "aacparse", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  ReadCtx *ctx = g_new0 (ReadCtx, 1);
  GstPad *sinkpad;

  if (video) {
    g_free (info->video_codec);
    info->video_codec = g_strdup (name);
  }
  ctx->info = info;
  ctx->video = video;
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (bin, q, parse, sink, NULL);
  gst_element_link_many (q, parse, sink, NULL);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, ctx,
      g_free);
  gst_object_unref (sinkpad);
  sinkpad = gst_element_get_static_pad (q, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (parse);
  gst_element_sync_state_with_parent (q);
  gst_caps_unref (caps);
}

gboolean
cs_test_read_ts (GBytes * ts, CsMediaInfo * info)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  gsize size;
  const guint8 *bytes = g_bytes_get_data (ts, &size);
  /* A fragmented MP4 segment (cssink container=fmp4) starts with ftyp. */
  gboolean mp4 = size >= 8 && memcmp (bytes + 4, "ftyp", 4) == 0;
  GstElement *demux = gst_element_factory_make (mp4 ? "qtdemux" : "tsdemux",
      NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok;

  memset (info, 0, sizeof *info);
  g_object_set_data (G_OBJECT (pipeline), "info", info);
  gst_bin_add_many (GST_BIN (pipeline), src, demux, NULL);
  gst_element_link (src, demux);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_demux_pad), pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_new_wrapped_bytes
      (ts));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg && !ok) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    GST_WARNING ("reading a segment failed: %s", err->message);
    g_error_free (err);
  }
  g_clear_pointer (&msg, gst_message_unref);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok;
}

void
cs_media_info_clear (CsMediaInfo * info)
{
  g_clear_pointer (&info->video_codec, g_free);
}

static gchar *
run_ffprobe (const gchar * path, const gchar * stream, const gchar * entries,
    gboolean count)
{
  /* A local playlist may name http segments (presigned S3 URLs). */
  const gchar *argv[] = { "ffprobe", "-v", "error", "-protocol_whitelist",
    "file,http,https,tcp,tls,crypto", "-select_streams", stream,
    "-show_entries", entries, "-of", "csv=p=0", path,
    count ? "-count_frames" : NULL, NULL
  };
  gchar *out = NULL;
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    g_clear_pointer (&out, g_free);
  return out;
}

gboolean
cs_test_ffprobe (const gchar * path, const gchar * stream, CsProbe * probe)
{
  g_autofree gchar *frames = run_ffprobe (path, stream,
      "stream=nb_read_frames", TRUE);
  g_autofree gchar *packets = run_ffprobe (path, stream,
      "packet=pts_time,duration_time", FALSE);
  g_auto (GStrv) lines = NULL;

  probe->frames = 0;
  probe->first = G_MAXDOUBLE;
  probe->end = -1;
  if (frames == NULL || packets == NULL)
    return FALSE;
  probe->frames = atoi (frames);
  lines = g_strsplit (packets, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar *comma = strchr (lines[i], ',');
    gdouble pts;

    if (comma == NULL)
      continue;
    pts = g_ascii_strtod (lines[i], NULL);
    probe->first = MIN (probe->first, pts);
    probe->end = MAX (probe->end, pts + g_ascii_strtod (comma + 1, NULL));
  }
  return probe->end >= 0;
}

GstPadProbeReturn
cs_test_count_buffers (GstPad * pad, GstPadProbeInfo * info,
    gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static void
count_pad (GstElement * sink, const gchar * name, guint * counter)
{
  GstPad *pad = gst_element_get_static_pad (sink, name);
  if (pad) {
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cs_test_count_buffers,
        counter, NULL);
    gst_object_unref (pad);
  }
}

void
cs_test_run (const gchar * description, gdouble eos_after_s,
    gdouble timeout_s, CsRunTick tick, gpointer tick_data, CsRun * run)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstElement *sink;
  GstBus *bus;
  gint64 t0 = g_get_monotonic_time ();
  gboolean eos_sent = FALSE, timed_out = FALSE;

  memset (run, 0, sizeof *run);
  run->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  run->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_error_free);
  fail_unless (pipeline != NULL, "bad pipeline: %s",
      error ? error->message : "?");
  g_clear_error (&error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  fail_unless (sink != NULL);
  count_pad (sink, "video", &run->video_in);
  count_pad (sink, "audio", &run->audio_in);

  bus = gst_element_get_bus (pipeline);
  if (tick)
    tick (pipeline, -1, tick_data);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, &run->error, &run->error_debug);
      gst_message_unref (msg);
    }
  }
  while (run->error == NULL && !run->eos) {
    gdouble elapsed = (g_get_monotonic_time () - t0) / 1e6;
    GstMessage *msg;

    if (elapsed > timeout_s) {
      timed_out = TRUE;
      break;
    }
    if (eos_after_s > 0 && elapsed >= eos_after_s && !eos_sent) {
      gst_element_send_event (pipeline, gst_event_new_eos ());
      eos_sent = TRUE;
    }
    if (tick)
      tick (pipeline, elapsed, tick_data);
    while ((msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND)) != NULL) {
      const GstStructure *s = gst_message_get_structure (msg);
      switch (GST_MESSAGE_TYPE (msg)) {
        case GST_MESSAGE_EOS:
          run->eos = TRUE;
          break;
        case GST_MESSAGE_ERROR:
          gst_message_parse_error (msg, &run->error, &run->error_debug);
          break;
        case GST_MESSAGE_WARNING:{
          GError *w = NULL;
          gst_message_parse_warning (msg, &w, NULL);
          g_ptr_array_add (run->warnings, w);
          break;
        }
        case GST_MESSAGE_ELEMENT:
          if (s && g_str_has_prefix (gst_structure_get_name (s), "cs-"))
            g_ptr_array_add (run->messages, gst_structure_copy (s));
          break;
        default:
          break;
      }
      gst_message_unref (msg);
      if (run->eos || run->error)
        break;
    }
  }
  g_object_get (sink, "stats", &run->stats, NULL);
  if (timed_out) {
    /* All a rare timeout leaves to go on: how far the stream came, what
     * cssink said last and what it holds. */
    const GstStructure *last = run->messages->len ?
        g_ptr_array_index (run->messages, run->messages->len - 1) : NULL;
    g_autofree gchar *last_text = last ? gst_structure_to_string (last) :
        g_strdup ("none");
    g_autofree gchar *stats = run->stats ?
        gst_structure_to_string (run->stats) : g_strdup ("no stats");

    g_set_error (&run->error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "test pipeline timed out after %.0f s (no EOS, no error): %u video "
        "and %u audio buffers into cssink, %u warnings, last cs-* message: "
        "%s and %s", timeout_s, run->video_in, run->audio_in,
        run->warnings->len, last_text, stats);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

void
cs_test_wait_eos (GstElement * pipeline, gdouble timeout_s,
    const gchar * what_format, ...)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      (GstClockTime) (timeout_s * GST_SECOND),
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, what_format);
  what = g_strdup_vprintf (what_format, args);
  va_end (args);
  fail_unless (msg != NULL, "%s: no EOS in %.0f s (the pipeline hangs)", what,
      timeout_s);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    fail ("%s: %s (%s)", what, error->message, debug ? debug : "");
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

void
cs_run_clear (CsRun * run)
{
  g_clear_pointer (&run->messages, g_ptr_array_unref);
  g_clear_pointer (&run->warnings, g_ptr_array_unref);
  g_clear_error (&run->error);
  g_clear_pointer (&run->error_debug, g_free);
  g_clear_pointer (&run->stats, gst_structure_free);
}

guint
cs_run_count (CsRun * run, const gchar * name)
{
  guint n = 0;
  for (guint i = 0; i < run->messages->len; i++)
    n += gst_structure_has_name (g_ptr_array_index (run->messages, i), name);
  return n;
}

const gchar *
cs_test_env (const gchar * name)
{
  const gchar *v = g_getenv (name);
  return v && *v ? v : NULL;
}

gint
cs_test_s3_pid (void)
{
  g_autofree gchar *text = NULL;
  const gchar *path = cs_test_env ("CS_TEST_S3_PID_FILE");

  fail_unless (path && g_file_get_contents (path, &text, NULL, NULL),
      "no pid file of the S3 server");
  return atoi (text);
}

#include "cs-key.h"
#include "cs-store.h"

guint
cs_test_read_segments (CsStore * store, const gchar * prefix, guint * video,
    guint * audio)
{
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, NULL);
  guint n = 0;

  fail_unless (objects != NULL, "listing %s failed", prefix);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects,
            i))->key;
    g_autoptr (GBytes) data = NULL;
    CsMediaInfo info = { 0 };

    if (!cs_key_is_segment (key))
      continue;
    data = cs_store_get (store, key, NULL, NULL);
    fail_unless (cs_test_read_ts (data, &info), "%s", key);
    fail_unless (info.first_video_is_keyframe, "%s", key);
    *video += info.video_frames;
    if (audio)
      *audio += info.audio_frames;
    cs_media_info_clear (&info);
    n++;
  }
  return n;
}

guint
cs_test_check_recording (CsStore * store, const gchar * device, CsRun * run,
    gint64 segment_ms, gint64 tolerance_ms, const gchar * video_codec,
    gboolean with_audio)
{
  g_autofree gchar *prefix = g_strdup_printf ("%s/rec/", device);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, &error);
  g_autofree gchar *tmpdir = g_dir_make_tmp ("cs-check-XXXXXX", NULL);
  guint video = 0, audio = 0, ff_video = 0, ff_audio = 0;
  gint64 prev_end_ms = -1;
  gdouble prev_video_end = -1;
  /* One AAC frame at 44.1 kHz, and a millisecond of rounding. */
  const gdouble audio_frame = 1024.0 / 44100 + 0.001;

  fail_unless (objects != NULL, "listing failed: %s",
      error ? error->message : "");
  fail_unless (objects->len > 0, "nothing was stored");
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *obj = g_ptr_array_index (objects, i);
    gboolean last = i + 1 == objects->len;
    g_autoptr (GBytes) data = cs_store_get (store, obj->key, NULL, &error);
    g_autofree gchar *path = g_build_filename (tmpdir,
        g_str_has_suffix (obj->key, ".mp4") ? "seg.mp4" : "seg.ts", NULL);
    CsMediaInfo info;
    CsProbe v, a = { 0 };
    gint64 start_ms, dur_ms;

    fail_unless (data != NULL, "cannot read %s back", obj->key);
    fail_unless (cs_key_parse_segment (obj->key, &start_ms, &dur_ms),
        "bad segment name %s", obj->key);
    fail_unless (cs_test_read_ts (data, &info), "%s is not readable",
        obj->key);
    fail_unless_equals_string (info.video_codec, video_codec);
    fail_unless (info.first_video_is_keyframe, "%s starts without keyframe",
        obj->key);
    video += info.video_frames;
    audio += info.audio_frames;
    cs_media_info_clear (&info);

    /* An independent reader that decodes each segment on its own. */
    fail_unless (g_file_set_contents (path, g_bytes_get_data (data, NULL),
            g_bytes_get_size (data), NULL));
    fail_unless (cs_test_ffprobe (path, "v:0", &v), "ffprobe %s", obj->key);
    ff_video += v.frames;
    if (with_audio) {
      fail_unless (cs_test_ffprobe (path, "a:0", &a), "no audio in %s",
          obj->key);
      ff_audio += a.frames;
    }
    g_unlink (path);

    /* Names: back to back. Media: the same. */
    if (prev_end_ms >= 0)
      fail_unless_equals_int64 (start_ms, prev_end_ms);
    prev_end_ms = start_ms + dur_ms;
    if (prev_video_end >= 0)
      fail_unless (fabs (v.first - prev_video_end) <= 0.001,
          "%s: video starts at %.3f, the previous segment ended at %.3f",
          obj->key, v.first, prev_video_end);
    prev_video_end = v.end;
    fail_unless (fabs ((v.end - v.first) * 1000 - dur_ms) <= 1.5,
        "%s: named %" G_GINT64_FORMAT " ms but holds %.3f s", obj->key,
        dur_ms, v.end - v.first);
    if (!last)
      fail_unless (ABS (dur_ms - segment_ms) <= tolerance_ms,
          "%s: %" G_GINT64_FORMAT " ms, wanted %" G_GINT64_FORMAT " +- %"
          G_GINT64_FORMAT, obj->key, dur_ms, segment_ms, tolerance_ms);

    if (with_audio) {
      fail_unless (a.frames > 0, "%s has no audio", obj->key);
      fail_unless (fabs (a.first - v.first) <= audio_frame,
          "%s: audio starts %.3f s from video", obj->key, a.first - v.first);
      if (!last)
        fail_unless (fabs (a.end - v.end) <= audio_frame,
            "%s: audio ends %.3f s from video", obj->key, a.end - v.end);
    }
  }
  g_rmdir (tmpdir);

  fail_unless_equals_int (video, run->video_in);
  fail_unless_equals_int (ff_video, run->video_in);
  if (with_audio) {
    fail_unless_equals_int (audio, run->audio_in);
    fail_unless_equals_int (ff_audio, run->audio_in);
  }
  return objects->len;
}

void
cs_test_require_env (const gchar * const *names)
{
  for (guint i = 0; names[i]; i++) {
    if (cs_test_env (names[i]) != NULL)
      continue;
    if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0) {
      g_printerr ("%s is not set: run the suite with tests/run-tests.sh\n",
          names[i]);
      exit (1);
    }
    g_print ("SKIP: %s is not set (tests/run-tests.sh starts the servers)\n",
        names[i]);
    exit (77);
  }
}

static GstPadProbeReturn
add_unix_meta (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  gint64 base_ms = *(gint64 *) data;
  GstCaps *caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment;

  gst_event_parse_segment (ev, &segment);
  gst_buffer_add_reference_timestamp_meta (buf, caps,
      base_ms * GST_MSECOND + gst_segment_to_running_time (segment,
          GST_FORMAT_TIME, GST_BUFFER_PTS (buf)), GST_CLOCK_TIME_NONE);
  gst_event_unref (ev);
  gst_caps_unref (caps);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

void
cs_test_stamp_unix_time (GstElement * pipeline, gdouble elapsed_s,
    gpointer base_ms)
{
  GstElement *parse;
  GstPad *pad;

  if (elapsed_s >= 0)
    return;
  parse = gst_bin_get_by_name (GST_BIN (pipeline), "p");
  fail_unless (parse != NULL, "no element named p");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, add_unix_meta, base_ms,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);
}

gint
cs_test_hls_video_frames (const gchar * playlist)
{
  g_autofree gchar *text = NULL;
  /* Fragmented MP4 segments come with their init part (#EXT-X-MAP). */
  gboolean mp4 = g_file_get_contents (playlist, &text, NULL, NULL)
      && strstr (text, "#EXT-X-MAP:") != NULL;
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! hlsdemux "
      "! %s ! h264parse ! fakesink name=sink", playlist,
      mp4 ? "qtdemux" : "tsdemux");
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstMessage *msg;
  guint frames = 0;
  gboolean eos;

  count_pad (sink, "sink", &frames);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  eos = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  g_clear_pointer (&msg, gst_message_unref);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return eos ? (gint) frames : -1;
}

void
cs_test_remove_tree (const gchar * path)
{
  GStatBuf st;

  /* lstat: a symbolic link is removed, never followed (a test's link to /
   * would have the whole system removed). */
  if (g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode)) {
    g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d)) != NULL) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      cs_test_remove_tree (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* Where cs_test_add_tmp_dir_fixture puts the directory and its URI: set
 * when the suite is made, before Check forks a test's process. */
static gchar **tmp_dir_fixture_dir, **tmp_dir_fixture_uri;

static void
tmp_dir_fixture_setup (void)
{
  g_autofree gchar *template = g_strdup_printf ("%s-XXXXXX",
      g_get_prgname () ? g_get_prgname () : "cs-test");

  *tmp_dir_fixture_dir = g_dir_make_tmp (template, NULL);
  fail_unless (*tmp_dir_fixture_dir != NULL, "no temporary directory");
  if (tmp_dir_fixture_uri)
    *tmp_dir_fixture_uri = g_strdup_printf ("file://%s",
        *tmp_dir_fixture_dir);
}

static void
tmp_dir_fixture_teardown (void)
{
  cs_test_remove_tree (*tmp_dir_fixture_dir);
  g_clear_pointer (tmp_dir_fixture_dir, g_free);
  if (tmp_dir_fixture_uri)
    g_clear_pointer (tmp_dir_fixture_uri, g_free);
}

void
cs_test_add_tmp_dir_fixture (TCase * tc, gchar ** dir, gchar ** file_uri)
{
  g_assert (tmp_dir_fixture_dir == NULL || tmp_dir_fixture_dir == dir);
  tmp_dir_fixture_dir = dir;
  tmp_dir_fixture_uri = file_uri;
  tcase_add_checked_fixture (tc, tmp_dir_fixture_setup,
      tmp_dir_fixture_teardown);
}

gint
cs_test_occurrences (const gchar * text, const gchar * needle)
{
  gint n = 0;

  for (const gchar * p = text; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

guint64
cs_test_rss_bytes (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "VmRSS:");
  fail_unless (line != NULL);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10) * 1024;
}

gboolean
cs_test_is_mapped (const gchar * what)
{
  g_autofree gchar *maps = NULL;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, what) != NULL;
}

guint
cs_test_unlinked_files_open (const gchar * dir)
{
  g_autoptr (GDir) fds = g_dir_open ("/proc/self/fd", 0, NULL);
  g_autofree gchar *prefix = g_strconcat (dir, "/", NULL);
  const gchar *name;
  guint n = 0;

  while ((name = g_dir_read_name (fds)) != NULL) {
    g_autofree gchar *link = g_strconcat ("/proc/self/fd/", name, NULL);
    g_autofree gchar *target = g_file_read_link (link, NULL);

    n += target != NULL && g_str_has_prefix (target, prefix)
        && g_str_has_suffix (target, " (deleted)");
  }
  return n;
}

static GstPadProbeReturn
trigger_before_first_frame (GstPad * pad, GstPadProbeInfo * info,
    gpointer data)
{
  CsTestTimeline *tl = data;
  GstElement *gate = GST_ELEMENT (gst_object_get_parent (GST_OBJECT
          (GST_PAD_PEER (pad))));

  for (guint i = 0; i < tl->n; i++) {
    gint result = 99;
    g_signal_emit_by_name (gate, "trigger", tl->triggers[i].trigger,
        (guint64) (tl->base_ms + llround (tl->triggers[i].at_s * 1000)),
        &result);
    fail_unless_equals_int (result, 0);
  }
  gst_object_unref (gate);
  return GST_PAD_PROBE_REMOVE;
}

void
cs_test_timeline_tick (GstElement * pipeline, gdouble elapsed_s,
    gpointer timeline)
{
  CsTestTimeline *tl = timeline;
  GstElement *p;
  GstPad *pad;

  if (elapsed_s >= 0)
    return;
  cs_test_stamp_unix_time (pipeline, elapsed_s, &tl->base_ms);
  p = gst_bin_get_by_name (GST_BIN (pipeline), "p");
  pad = gst_element_get_static_pad (p, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      trigger_before_first_frame, tl, NULL);
  gst_object_unref (pad);
  gst_object_unref (p);
}

guint64
cs_run_stat (CsRun * run, const gchar * field)
{
  guint64 v = G_MAXUINT64;

  fail_unless (run->stats != NULL, "no stats");
  fail_unless (gst_structure_get_uint64 (run->stats, field, &v), field);
  return v;
}

CsStore *
cs_test_open_dir_store (const gchar * dir)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", dir);
  CsStore *store = cs_store_new (uri, NULL, NULL);

  fail_unless (store != NULL, "cannot open %s", uri);
  return store;
}

CsEventRecord *
cs_test_get_event_record (CsStore * store, const gchar * key)
{
  g_autoptr (GBytes) json = cs_store_get (store, key, NULL, NULL);

  return json ? cs_event_record_parse (g_bytes_get_data (json, NULL),
      g_bytes_get_size (json), NULL) : NULL;
}

void
cs_test_check_stored_exactly (CsStore * store, const gchar * prefix,
    GHashTable * uploaded)
{
  cs_test_check_stored (store, prefix, uploaded, NULL);
}

void
cs_test_check_stored (CsStore * store, const gchar * prefix,
    GHashTable * uploaded, GHashTable * maybe)
{
  g_autoptr (GPtrArray) stored = cs_store_list (store, prefix, NULL, NULL);
  guint others = 0;

  fail_unless (stored != NULL);
  for (guint i = 0; i < stored->len; i++) {
    const gchar *key = ((CsStoreObject *) stored->pdata[i])->key;
    if (!g_hash_table_contains (uploaded, key)) {
      fail_unless (maybe && g_hash_table_contains (maybe, key),
          "%s is stored, not reported uploaded", key);
      others++;
    }
  }
  fail_unless_equals_int (stored->len - others, g_hash_table_size (uploaded));
}
