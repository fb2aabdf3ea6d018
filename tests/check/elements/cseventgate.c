/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cseventgate ! cssink into a file:// store, on a timeline fixed by
 * timestamp/x-unix metas: triggers are given before the first frame with
 * their UTC times, so what is recorded does not depend on thread timing.
 * What is stored is read back with tsdemux, ffprobe and hlsdemux. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <math.h>

#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"

#define BASE_MS G_GINT64_CONSTANT (1700000000000)
#define MD (1u << 0)
#define PD (1u << 1)
#define FPS 25

static gchar *store_dir;

/* A second tick for the test that needs one. */
static CsRunTick pictures_timeline_tick;
static gpointer pictures_timeline_data;

static void
timeline_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  if (pictures_timeline_tick)
    pictures_timeline_tick (pipeline, elapsed_s, pictures_timeline_data);
  cs_test_timeline_tick (pipeline, elapsed_s, data);
}

/* @seconds of 25 fps H.264 with a keyframe every second, and AAC, through
 * a gate with @gate_props into cssink. */
static void
record_to (const gchar * sink, gdouble seconds, const gchar * gate_props,
    const CsTestTrigger * triggers, guint n, CsRun * run)
{
  static CsTestTimeline tl;
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=%d/1 ! x264enc "
      "key-int-max=%d bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g %s ! cssink name=s %s device-id=cam "
      "audiotestsrc num-buffers=%d ! audio/x-raw,rate=48000 ! avenc_aac ! "
      "aacparse ! g.audio_sink_0 g.audio_src_0 ! s.audio",
      (gint) (seconds * FPS), FPS, FPS, gate_props, sink,
      (gint) (seconds * 48000 / 1024) + 1);

  tl.triggers = triggers;
  tl.n = n;
  tl.base_ms = BASE_MS;
  cs_test_run (desc, 0, 120, timeline_tick, &tl, run);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message :
      "");
  fail_unless (run->eos);
}

static void
record (gdouble seconds, const gchar * gate_props, const CsTestTrigger * triggers,
    guint n, CsRun * run)
{
  g_autofree gchar *sink = g_strdup_printf ("location=file://%s", store_dir);

  record_to (sink, seconds, gate_props, triggers, n, run);
}

static CsEventRecord *
read_event (CsStore * store, const gchar * json_key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = cs_store_get (store, json_key, NULL, &error);
  CsEventRecord *r;

  fail_unless (data != NULL, "%s", error ? error->message : "");
  r = cs_event_record_parse (g_bytes_get_data (data, NULL),
      g_bytes_get_size (data), &error);
  fail_unless (r != NULL, "%s", error ? error->message : "");
  return r;
}

/* The event.json keys of the store, in time order. */
static GPtrArray *
list_events (CsStore * store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) objects = cs_store_list (store, "cam/ev/", NULL,
      &error);
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);

  fail_unless (objects != NULL, "%s", error ? error->message : "");
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);
    if (g_str_has_suffix (o->key, "/event.json"))
      g_ptr_array_add (events, g_strdup (o->key));
  }
  return events;
}

typedef struct
{
  gint64 start_ms, end_ms;      /* from the segment names */
  guint frames;
} Clip;

/* Reads an event's segments back: each starts on a keyframe, follows the
 * one before it, and has audio within a frame of its video at both ends. */
static Clip
check_clip (CsStore * store, CsEventRecord * r)
{
  Clip c = { -1, -1, 0 };

  fail_unless (r->segments->len > 0);
  for (guint i = 0; i < r->segments->len; i++) {
    const gchar *key = g_ptr_array_index (r->segments, i);
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    g_autofree gchar *path = g_build_filename (store_dir, "readback.ts",
        NULL);
    CsMediaInfo info = { 0 };
    CsProbe v, a;
    gint64 start, dur;

    fail_unless (data != NULL, "%s missing", key);
    fail_unless (cs_key_parse_segment (key, &start, &dur));
    fail_unless (c.end_ms < 0 || start == c.end_ms, "%s does not follow %"
        G_GINT64_FORMAT, key, c.end_ms);
    if (c.start_ms < 0)
      c.start_ms = start;
    c.end_ms = start + dur;
    fail_unless (g_file_set_contents (path, g_bytes_get_data (data, NULL),
            g_bytes_get_size (data), NULL));
    fail_unless (cs_test_read_ts (data, &info));
    fail_unless (info.first_video_is_keyframe, "%s", key);
    c.frames += info.video_frames;
    fail_unless (info.audio_frames > 0, "%s has no audio", key);
    cs_media_info_clear (&info);
    fail_unless (cs_test_ffprobe (path, "v:0", &v));
    fail_unless (cs_test_ffprobe (path, "a:0", &a));
    /* One AAC frame (21 ms) plus one video frame (40 ms). */
    fail_unless (fabs (a.first - v.first) < 0.062 && fabs (a.end - v.end)
        < 0.062, "%s: audio %.3f-%.3f, video %.3f-%.3f", key, a.first, a.end,
        v.first, v.end);
    g_unlink (path);
  }
  return c;
}

/* No capture-snapshot handler: cssink's own JPEG of the event's first
 * keyframe, read back by ffprobe. */
static void
check_auto_picture (CsStore * store, CsEventRecord * e)
{
  g_autoptr (GBytes) jpeg = NULL;
  g_autofree gchar *path = g_build_filename (store_dir, "readback.jpg",
      NULL);
  const guint8 *d;
  gchar *out = NULL;
  const gchar *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0",
    "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
    path, NULL
  };

  fail_unless (e->snapshot != NULL, "event %s has no picture", e->id);
  jpeg = cs_store_get (store, e->snapshot, NULL, NULL);
  fail_unless (jpeg != NULL);
  d = g_bytes_get_data (jpeg, NULL);
  fail_unless (g_bytes_get_size (jpeg) > 1000 && d[0] == 0xff && d[1] == 0xd8);
  fail_unless (g_file_set_contents (path, (const gchar *) d,
          g_bytes_get_size (jpeg), NULL));
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, NULL, NULL, NULL));
  fail_unless (g_str_has_prefix (out, "mjpeg,320,240"), "%s", out);
  g_free (out);
  g_unlink (path);
}

GST_START_TEST (test_event_clips)
{
  const CsTestTrigger triggers[] = { {MD, 5.0}, {PD, 7.0}, {MD, 30.0} };
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CsEventRecord) e1 = NULL, e2 = NULL;
  g_autofree gchar *playlist = NULL;
  CsRun run;
  Clip c;

  record (40, "pre-roll=2000000000 min-record-time=4 event-interval=10",
      triggers, G_N_ELEMENTS (triggers), &run);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-started"), 2);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-alarm"), 3);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-ended"), 2);

  store = cs_test_open_dir_store (store_dir);
  events = list_events (store);
  fail_unless_equals_int (events->len, 2);
  e1 = read_event (store, g_ptr_array_index (events, 0));
  e2 = read_event (store, g_ptr_array_index (events, 1));

  /* MD at 5 s, PD at 7 s: one event, two alarms, each wanting a picture;
   * from the keyframe at 5 - 2 s to 7 + 4 s. */
  fail_unless_equals_int64 (e1->start_ms, BASE_MS + 5000);
  fail_unless_equals_int (e1->triggers, MD | PD);
  fail_unless_equals_int (e1->alarms->len, 2);
  fail_unless (g_array_index (e1->alarms, CsEventAlarm, 1).snapshot);
  fail_unless (e1->ended);
  fail_unless_equals_int64 (e1->end_ms, BASE_MS + 11000);
  check_auto_picture (store, e1);
  c = check_clip (store, e1);
  fail_unless_equals_int64 (c.start_ms, BASE_MS + 3000);
  fail_unless_equals_int64 (c.end_ms, BASE_MS + 11000);
  fail_unless_equals_int (c.frames, 8 * FPS);

  /* MD at 30 s, after the 10 s interval: a new event, 28 s to 34 s. */
  fail_unless_equals_int64 (e2->start_ms, BASE_MS + 30000);
  fail_unless_equals_int (e2->alarms->len, 1);
  c = check_clip (store, e2);
  fail_unless_equals_int64 (c.start_ms, BASE_MS + 28000);
  fail_unless_equals_int64 (c.end_ms, BASE_MS + 34000);
  fail_unless_equals_int (c.frames, 6 * FPS);

  /* The event's playlist, through GStreamer's HLS demuxer. */
  playlist = g_build_filename (store_dir, e2->segments->pdata[0], NULL);
  *strrchr (playlist, '/') = '\0';
  {
    g_autofree gchar *m3u8 = g_build_filename (playlist, "index.m3u8", NULL);
    fail_unless_equals_int (cs_test_hls_video_frames (m3u8), 6 * FPS);
  }
  cs_run_clear (&run);
}

GST_END_TEST;

/* Triggers every second for 20 s with an 8 s interval: three events, the
 * recording never stops, and every frame is stored once. */
GST_START_TEST (test_consecutive_events_lose_nothing)
{
  CsTestTrigger triggers[21];
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) events = NULL;
  gint64 prev_end = -1;
  guint frames = 0;
  CsRun run;

  for (guint i = 0; i < G_N_ELEMENTS (triggers); i++)
    triggers[i] = (CsTestTrigger) {
    MD, 5.0 + i};
  record (35, "pre-roll=2000000000 min-record-time=4 event-interval=8",
      triggers, G_N_ELEMENTS (triggers), &run);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-started"), 3);

  store = cs_test_open_dir_store (store_dir);
  events = list_events (store);
  fail_unless_equals_int (events->len, 3);
  for (guint i = 0; i < events->len; i++) {
    g_autoptr (CsEventRecord) e = read_event (store,
        g_ptr_array_index (events, i));
    Clip c = check_clip (store, e);

    fail_unless_equals_int64 (e->start_ms, BASE_MS + 5000 + 8000 * i);
    fail_unless (prev_end < 0 || c.start_ms == prev_end);
    prev_end = c.end_ms;
    frames += c.frames;
  }
  /* From the keyframe at 3 s to 25 + 4 s. */
  fail_unless_equals_int64 (prev_end, BASE_MS + 29000);
  fail_unless_equals_int (frames, 26 * FPS);
  cs_run_clear (&run);
}

GST_END_TEST;

/* Full-time recording with events marked: every frame in rec/, the event
 * points at the full-time segments it overlaps. */
GST_START_TEST (test_mark_mode)
{
  const CsTestTrigger triggers[] = { {MD, 6.5} };
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CsEventRecord) e = NULL;
  g_autofree gchar *dir = NULL, *m3u8 = NULL;
  CsRun run;

  record (16, "mode=mark min-record-time=4 event-interval=4", triggers,
      G_N_ELEMENTS (triggers), &run);
  store = cs_test_open_dir_store (store_dir);
  fail_unless_equals_int (cs_test_check_recording (store, "cam", &run, 4000,
          1000, "video/x-h264", TRUE), 4);
  events = list_events (store);
  fail_unless_equals_int (events->len, 1);
  e = read_event (store, g_ptr_array_index (events, 0));
  /* 6.5 s to 10.5 s lies in the segments of 4-8 s and 8-12 s. */
  fail_unless_equals_int64 (e->end_ms, BASE_MS + 10500);
  fail_unless_equals_int (e->segments->len, 2);
  fail_unless (g_str_has_prefix (g_ptr_array_index (e->segments, 0),
          "cam/rec/"));
  dir = g_path_get_dirname (g_ptr_array_index (events, 0));
  m3u8 = g_build_filename (store_dir, dir, "index.m3u8", NULL);
  fail_unless_equals_int (cs_test_hls_video_frames (m3u8), 8 * FPS);
  cs_run_clear (&run);
}

GST_END_TEST;

/* The same through the real S3 server that tests/run-tests.sh starts. */
GST_START_TEST (test_s3_event_clip)
{
  const gchar *endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  const gchar *bucket = cs_test_env ("CS_TEST_S3_BUCKET");
  const CsTestTrigger triggers[] = { {MD, 4.0} };
  g_autofree gchar *prefix = NULL, *sink = NULL, *uri = NULL;
  g_autofree gchar *m3u8_key = NULL, *dir = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CsEventRecord) e = NULL;
  g_autoptr (GBytes) m3u8 = NULL;
  CsStoreConfig config = { 0 };
  CsRun run;
  Clip c;

  if (endpoint == NULL) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "CS_TEST_S3_ENDPOINT is not set");
    return;                     /* run alone, without tests/run-tests.sh */
  }
  prefix = g_strdup_printf ("events-%" G_GINT64_FORMAT, g_get_real_time ());
  sink = g_strdup_printf ("location=s3://%s/%s endpoint=%s", bucket, prefix,
      endpoint);
  g_setenv ("AWS_ACCESS_KEY_ID", cs_test_env ("CS_TEST_S3_ACCESS_KEY"), TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", cs_test_env ("CS_TEST_S3_SECRET_KEY"),
      TRUE);
  record_to (sink, 12, "min-record-time=4 event-interval=4", triggers,
      G_N_ELEMENTS (triggers), &run);

  uri = g_strdup_printf ("s3://%s/%s", bucket, prefix);
  config.endpoint = endpoint;
  config.access_key = g_getenv ("AWS_ACCESS_KEY_ID");
  config.secret_key = g_getenv ("AWS_SECRET_ACCESS_KEY");
  store = cs_store_new (uri, &config, NULL);
  fail_unless (store != NULL);
  events = list_events (store);
  fail_unless_equals_int (events->len, 1);
  e = read_event (store, g_ptr_array_index (events, 0));
  c = check_clip (store, e);
  fail_unless_equals_int64 (c.start_ms, BASE_MS + 2000);
  fail_unless_equals_int64 (c.end_ms, BASE_MS + 8000);
  fail_unless_equals_int (c.frames, 6 * FPS);
  dir = g_path_get_dirname (g_ptr_array_index (events, 0));
  m3u8_key = g_strconcat (dir, "/index.m3u8", NULL);
  m3u8 = cs_store_get (store, m3u8_key, NULL, NULL);
  fail_unless (m3u8 != NULL);
  /* The playlist and its segments as the store serves them, through
   * GStreamer's HLS demuxer. */
  {
    g_autofree gchar *local = g_dir_make_tmp ("cs-event-hls-XXXXXX", NULL);
    g_autofree gchar *path = g_build_filename (local, "index.m3u8", NULL);

    fail_unless (g_file_set_contents (path, g_bytes_get_data (m3u8, NULL),
            g_bytes_get_size (m3u8), NULL));
    for (guint i = 0; i < e->segments->len; i++) {
      const gchar *key = g_ptr_array_index (e->segments, i);
      g_autoptr (GBytes) seg = cs_store_get (store, key, NULL, NULL);
      g_autofree gchar *seg_path = g_build_filename (local,
          strrchr (key, '/') + 1, NULL);
      fail_unless (seg != NULL);
      fail_unless (g_file_set_contents (seg_path, g_bytes_get_data (seg,
                  NULL), g_bytes_get_size (seg), NULL));
    }
    fail_unless_equals_int (cs_test_hls_video_frames (path), 6 * FPS);
    cs_test_remove_tree (local);
  }
  cs_run_clear (&run);
}

GST_END_TEST;

typedef struct
{
  gchar *dir;
  guint calls;
  GHashTable *results;          /* path -> GINT_TO_POINTER (result + 1) */
  guint result_calls;
  GMutex lock;
} Pictures;

/* 1: missing, replaced by 2 before it appears: EXPIRED; 2: a picture: OK;
 * 3: stays small: TIME_OUT; 4: never there: NOT_EXIST. */
static gchar *
on_capture (GstElement * sink, const gchar * event_id, guint trigger,
    Pictures * p)
{
  gchar *path;
  guint n;

  g_mutex_lock (&p->lock);
  n = ++p->calls;
  g_mutex_unlock (&p->lock);
  path = g_strdup_printf ("%s/picture-%u.jpg", p->dir, n);
  if (n == 2 || n == 3) {
    gsize len = n == 2 ? 4096 : 100;
    g_autofree gchar *bytes = g_malloc0 (len);
    fail_unless (g_file_set_contents (path, bytes, len, NULL));
  }
  return path;
}

static void
on_result (GstElement * sink, const gchar * path, gint result, Pictures * p)
{
  g_mutex_lock (&p->lock);
  fail_if (g_hash_table_contains (p->results, path), "two results for %s",
      path);
  g_hash_table_insert (p->results, g_strdup (path),
      GINT_TO_POINTER (result + 1));
  p->result_calls++;
  g_mutex_unlock (&p->lock);
}

static void
pictures_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Pictures *p = data;
  GstElement *sink;

  if (elapsed_s >= 0)
    return;
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  g_signal_connect (sink, "capture-snapshot", G_CALLBACK (on_capture), p);
  g_signal_connect (sink, "snapshot-result", G_CALLBACK (on_result), p);
  gst_object_unref (sink);
}

static gint
picture_result (Pictures * p, guint n)
{
  g_autofree gchar *path = g_strdup_printf ("%s/picture-%u.jpg", p->dir, n);

  return GPOINTER_TO_INT (g_hash_table_lookup (p->results, path)) - 1;
}

GST_START_TEST (test_snapshots)
{
  const CsTestTrigger triggers[] = { {MD, 2.0}, {PD, 3.0}, {MD, 10.0}, {MD, 20.0} };
  Pictures p = { 0 };
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CsEventRecord) e1 = NULL, e2 = NULL;
  g_autoptr (GBytes) jpeg = NULL;
  g_autofree gchar *sink = NULL;
  CsRun run;

  g_mutex_init (&p.lock);
  p.dir = g_dir_make_tmp ("cs-pictures-XXXXXX", NULL);
  p.results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sink = g_strdup_printf ("location=file://%s drain-timeout=30000000000",
      store_dir);
  pictures_timeline_tick = pictures_tick;
  pictures_timeline_data = &p;
  record_to (sink, 24, "min-record-time=4 event-interval=4", triggers,
      G_N_ELEMENTS (triggers), &run);
  pictures_timeline_tick = NULL;

  /* Two alarms of new sources in the first event, one in each later one. */
  fail_unless_equals_int (p.calls, 4);
  fail_unless_equals_int (p.result_calls, 4);
  fail_unless_equals_int (picture_result (&p, 1), 2);   /* EXPIRED */
  fail_unless_equals_int (picture_result (&p, 2), 0);   /* OK */
  fail_unless_equals_int (picture_result (&p, 3), 1);   /* TIME_OUT */
  fail_unless_equals_int (picture_result (&p, 4), 3);   /* NOT_EXIST */

  store = cs_test_open_dir_store (store_dir);
  events = list_events (store);
  fail_unless_equals_int (events->len, 3);
  e1 = read_event (store, g_ptr_array_index (events, 0));
  fail_unless (e1->snapshot != NULL);
  jpeg = cs_store_get (store, e1->snapshot, NULL, NULL);
  fail_unless (jpeg != NULL);
  fail_unless_equals_int (g_bytes_get_size (jpeg), 4096);
  e2 = read_event (store, g_ptr_array_index (events, 1));
  fail_unless (e2->snapshot == NULL);

  cs_run_clear (&run);
  cs_test_remove_tree (p.dir);
  g_free (p.dir);
  g_hash_table_unref (p.results);
  g_mutex_clear (&p.lock);
}

GST_END_TEST;

static gint
trigger (GstElement * gate, guint bits, guint64 utc_ms)
{
  gint result = 99;

  g_signal_emit_by_name (gate, "trigger", bits, utc_ms, &result);
  return result;
}

GST_START_TEST (test_trigger_refusals)
{
  GstElement *gate = gst_element_factory_make ("cseventgate", NULL);
  GstStructure *stats;
  guint64 rejected;

  fail_unless (gate != NULL);
  g_object_set (gate, "max-pending-events", 2, NULL);
  fail_unless_equals_int (trigger (gate, MD, BASE_MS), -3);
  fail_unless_equals_int (gst_element_set_state (gate, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (trigger (gate, 0, BASE_MS), -1);
  fail_unless_equals_int (trigger (gate, MD | PD, BASE_MS), -1);
  /* The depth counts events: sources and repeats within one count once. */
  fail_unless_equals_int (trigger (gate, MD, BASE_MS), 0);
  fail_unless_equals_int (trigger (gate, PD, BASE_MS + 1), 0);
  for (gint i = 0; i < 10; i++)
    fail_unless_equals_int (trigger (gate, MD, BASE_MS + 2 + i), 0);
  fail_unless_equals_int (trigger (gate, MD, BASE_MS + 180 * 1000), 0);
  fail_unless_equals_int (trigger (gate, MD, BASE_MS + 360 * 1000), -2);
  g_object_get (gate, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "triggers-rejected",
          &rejected));
  /* Counted since the start: not the one before it. */
  fail_unless_equals_int (rejected, 3);
  gst_structure_free (stats);
  gst_element_set_state (gate, GST_STATE_NULL);
  gst_object_unref (gate);
}

GST_END_TEST;

GST_START_TEST (test_interval_shorter_than_record_time)
{
  GstElement *gate = gst_element_factory_make ("cseventgate", NULL);

  g_object_set (gate, "min-record-time", 10, "event-interval", 5, NULL);
  fail_unless_equals_int (gst_element_set_state (gate, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (gate, GST_STATE_NULL);
  gst_object_unref (gate);
}

GST_END_TEST;

static Suite *
cseventgate_suite (void)
{
  Suite *s = suite_create ("cseventgate");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_add_test (tc, test_event_clips);
  tcase_add_test (tc, test_consecutive_events_lose_nothing);
  tcase_add_test (tc, test_mark_mode);
  tcase_add_test (tc, test_s3_event_clip);
  tcase_add_test (tc, test_snapshots);
  tcase_add_test (tc, test_trigger_refusals);
  tcase_add_test (tc, test_interval_shorter_than_record_time);
  return s;
}

GST_CHECK_MAIN (cseventgate);
