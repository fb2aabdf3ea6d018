/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's stream side: restarts, codec changes, streams that end early or
 * carry no audio, events closed while the camera goes on, recordings from
 * files. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"

#define BASE_MS G_GINT64_CONSTANT (1700000000000)
#define H264 "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse"
#define H265 "x265enc key-int-max=15 speed-preset=ultrafast ! h265parse"
#define RAW "video/x-raw,width=320,height=240,framerate=30/1"

static gchar *store_dir;

/* The live tests measure what happens in real time; under a sanitizer
 * (tests/sanitize.sh) everything runs several times slower, and they only
 * say so. */
static gboolean
live_timing_skipped (void)
{
  if (g_getenv ("ASAN_OPTIONS") == NULL && g_getenv ("UBSAN_OPTIONS") == NULL)
    return FALSE;
  g_print ("skipped: a real-time test, under a sanitizer\n");
  return TRUE;
}

static gboolean
warned (CsRun * run, const gchar * text)
{
  for (guint i = 0; i < run->warnings->len; i++)
    if (strstr (((GError *) g_ptr_array_index (run->warnings, i))->message,
            text))
      return TRUE;
  return FALSE;
}

/* Plays @pipeline to EOS; FALSE on an error or after @timeout_s. */
static gboolean
play_to_eos (GstElement * pipeline, gdouble timeout_s, gchar ** error_text)
{
  GstMessage *msg;
  gboolean eos = FALSE;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      timeout_s * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    eos = TRUE;
  } else if (msg && error_text) {
    GError *e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    *error_text = g_strdup (e->message);
    g_error_free (e);
  } else if (error_text) {
    *error_text = g_strdup ("timed out");
  }
  gst_clear_message (&msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return eos;
}

/* Reads every segment under @prefix back (tsdemux): each starts on a
 * keyframe.  Returns the video frames; @segments and @with_audio: how many
 * segments, how many of them hold audio. */
static guint
read_segments (CsStore * store, const gchar * prefix, guint * segments,
    guint * with_audio)
{
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, NULL);
  guint frames = 0;

  fail_unless (objects != NULL && objects->len > 0, "nothing stored");
  *segments = objects->len;
  *with_audio = 0;
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) objects->pdata[i])->key;
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    CsMediaInfo info = { 0 };

    fail_unless (cs_test_read_ts (data, &info), "%s", key);
    fail_unless (info.first_video_is_keyframe, "%s", key);
    frames += info.video_frames;
    *with_audio += info.audio_frames > 0;
    cs_media_info_clear (&info);
  }
  return frames;
}

/* The same cssink, PLAYING -> NULL -> PLAYING: H.264, H.264 again, then
 * H.265; each round is recorded whole. */
GST_START_TEST (test_restart_same_and_other_codec)
{
  const gchar *rounds[][2] = {
    {H264, "video/x-h264"}, {H264, "video/x-h264"}, {H265, "video/x-h265"},
  };
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  GstElement *sink = gst_element_factory_make ("cssink", NULL);
  GstPad *video = gst_element_get_static_pad (sink, "video");
  gint frames = 0;

  gst_object_ref_sink (sink);
  g_object_set (sink, "location", uri, "segment-duration", GST_SECOND, NULL);
  gst_pad_add_probe (video, GST_PAD_PROBE_TYPE_BUFFER, cs_test_count_buffers,
      &frames, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (rounds); i++) {
    g_autofree gchar *src_desc = g_strdup_printf ("videotestsrc "
        "num-buffers=60 ! " RAW " ! %s", rounds[i][0]);
    g_autofree gchar *device = g_strdup_printf ("round%u", i);
    g_autofree gchar *error = NULL;
    GstElement *pipeline = gst_pipeline_new (NULL);
    GstElement *src = gst_parse_bin_from_description (src_desc, TRUE, NULL);
    CsRun run = { 0 };

    frames = 0;
    g_object_set (sink, "device-id", device, NULL);
    gst_bin_add_many (GST_BIN (pipeline), src, gst_object_ref (sink), NULL);
    fail_unless (gst_element_link (src, sink));
    fail_unless (play_to_eos (pipeline, 60, &error), "round %u: %s", i,
        error);
    fail_unless_equals_int (frames, 60);
    run.video_in = frames;
    fail_unless_equals_int (cs_test_check_recording (store, device, &run,
            1000, 500, rounds[i][1], FALSE), 2);
    gst_bin_remove (GST_BIN (pipeline), sink);
    gst_object_unref (pipeline);
  }
  gst_object_unref (video);
  gst_object_unref (sink);
}

GST_END_TEST;

/* H.264, then H.265 into the same recording: an error that says so. */
GST_START_TEST (test_codec_change_is_named)
{
  g_autofree gchar *desc = g_strdup_printf ("concat name=c ! cssink name=s "
      "location=file://%s device-id=cam videotestsrc num-buffers=30 ! " RAW
      " ! " H264 " ! c. videotestsrc num-buffers=30 ! " RAW " ! " H265
      " ! c.", store_dir);
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error != NULL, "no error");
  fail_unless (strstr (run.error->message, "codec cannot change") != NULL,
      "error: %s", run.error->message);
  cs_run_clear (&run);
}

GST_END_TEST;

/* EOS before any video frame ends the pipeline at once, with a warning. */
GST_START_TEST (test_eos_without_video)
{
  const gchar *sources[] = {
    "filesrc location=/dev/null ! h264parse",
    "videotestsrc num-buffers=30 ! " RAW " ! " H264
        " ! identity drop-probability=1.0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
    g_autofree gchar *desc = g_strdup_printf ("%s ! cssink name=s "
        "location=file://%s device-id=cam", sources[i], store_dir);
    CsRun run;

    cs_test_run (desc, 0, 20, NULL, NULL, &run);
    fail_unless (run.error == NULL, "%s: %s", sources[i], run.error->message);
    fail_unless (run.eos, "%s: no EOS", sources[i]);
    fail_unless (warned (&run, "No video"), "%s: no warning", sources[i]);
    cs_run_clear (&run);
  }
}

GST_END_TEST;

/* @frames of 25 fps H.264 with a keyframe every second (and AAC when
 * @audio) through cseventgate with @gate_props into cssink (1 s segments);
 * the triggers are given on the stream's timeline. */
static void
record_gated (guint frames, gboolean audio, const gchar * gate_props,
    const CsTestTrigger * triggers, guint n, CsRun * run)
{
  static CsTestTimeline tl;
  g_autofree gchar *audio_desc = audio ? g_strdup_printf ("audiotestsrc "
      "num-buffers=%u ! audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! "
      "g.audio_sink_0 g.audio_src_0 ! s.audio",
      frames * 48000 / 25 / 1024 + 1) : g_strdup ("");
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "key-int-max=25 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g %s ! cssink name=s location=file://%s "
      "device-id=cam segment-duration=1000000000 %s", frames, gate_props,
      store_dir, audio_desc);

  tl.triggers = triggers;
  tl.n = n;
  tl.base_ms = BASE_MS;
  cs_test_run (desc, 0, 60, cs_test_timeline_tick, &tl, run);
  fail_unless (run->eos && run->error == NULL, "%s",
      run->error ? run->error->message : "no EOS");
}

/* Full-time recording marking events, EOS while an event is open: the event
 * ends with the recording and names every segment it overlaps. */
GST_START_TEST (test_mark_mode_eos_during_event)
{
  const CsTestTrigger triggers[] = { {1, 5.0} };
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  g_autoptr (GPtrArray) objects = NULL;
  g_autoptr (CsEventRecord) e = NULL;
  g_autoptr (GBytes) json = NULL;
  CsRun run;

  record_gated (200, FALSE, "mode=mark min-record-time=4 event-interval=10",
      triggers, G_N_ELEMENTS (triggers), &run);
  objects = cs_store_list (store, "cam/ev/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) objects->pdata[i])->key;
    if (g_str_has_suffix (key, "/event.json"))
      json = cs_store_get (store, key, NULL, NULL);
  }
  fail_unless (json != NULL);
  e = cs_event_record_parse (g_bytes_get_data (json, NULL),
      g_bytes_get_size (json), NULL);
  fail_unless (e != NULL);
  fail_unless (e->ended);
  /* 5 s to the end of the stream at 8 s: the segments 5-6, 6-7, 7-8. */
  fail_unless_equals_int64 (e->end_ms, BASE_MS + 8000);
  fail_unless_equals_int (e->segments->len, 3);
  cs_run_clear (&run);
}

GST_END_TEST;

/* Two events, the second restarting at the very keyframe that closed the
 * first (within a GOP of the close), and the stream ending right after the
 * second closes: every frame from the first event's start to the end is
 * stored once, in one event or the other, and both are whole. */
GST_START_TEST (test_events_back_to_back_then_eos)
{
  const CsTestTrigger triggers[] = { {1, 3.0}, {1, 7.5} };
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  g_autoptr (GPtrArray) objects = NULL;
  guint frames = 0, events = 0, stored = 0;
  gint64 first_ms = -1, end_ms = -1;
  CsRun run;

  record_gated (301, TRUE, "pre-roll=0 min-record-time=4 event-interval=4",
      triggers, G_N_ELEMENTS (triggers), &run);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-ended"), 2);
  for (guint i = 0; i < run.messages->len; i++) {
    gboolean complete = FALSE;
    if (!gst_structure_has_name (run.messages->pdata[i], "cs-event-stored"))
      continue;
    fail_unless (gst_structure_get_boolean (run.messages->pdata[i],
            "complete", &complete) && complete);
    stored++;
  }
  fail_unless_equals_int (stored, 2);
  objects = cs_store_list (store, "cam/ev/", NULL, NULL);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) objects->pdata[i])->key;
    g_autoptr (CsEventRecord) e = NULL;

    if (!g_str_has_suffix (key, "/event.json"))
      continue;
    e = cs_test_get_event_record (store, key);
    fail_unless (e != NULL && e->ended);
    events++;
    for (guint j = 0; j < e->segments->len; j++) {
      g_autofree gchar *path = g_build_filename (store_dir,
          e->segments->pdata[j], NULL);
      CsProbe v, a;
      gint64 start, dur;

      fail_unless (cs_key_parse_segment (e->segments->pdata[j], &start,
              &dur));
      /* Back to back, across the two events too (listed in time order). */
      fail_unless (end_ms < 0 || start == end_ms, "%s", e->segments->pdata[j]);
      if (first_ms < 0)
        first_ms = start;
      end_ms = start + dur;
      /* ffprobe decodes each segment on its own: a segment that does not
       * start on a keyframe loses frames. */
      fail_unless (cs_test_ffprobe (path, "v:0", &v), "%s", path);
      fail_unless (cs_test_ffprobe (path, "a:0", &a) && a.frames > 0,
          "%s has no audio", path);
      frames += v.frames;
    }
  }
  fail_unless_equals_int (events, 2);
  /* Every frame from the first event's start to the last close (12 s, the
   * stream's last frame, a keyframe, is held back by the gate). */
  fail_unless_equals_int64 (end_ms, BASE_MS + 12000);
  fail_unless_equals_int (frames, (end_ms - first_ms) * 25 / 1000);
  cs_run_clear (&run);
}

GST_END_TEST;

typedef struct
{
  CsTestTimeline tl;
  gchar *uri;
  gdouble whole_at;             /* when event.json said ended, with segments */
} LiveEvent;

/* Every 100 ms: is the event whole in the store yet? */
static void
live_event_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  LiveEvent *le = data;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;

  cs_test_timeline_tick (pipeline, elapsed_s, &le->tl);
  if (elapsed_s < 0 || le->whole_at >= 0)
    return;
  store = cs_store_new (le->uri, NULL, NULL);
  objects = cs_store_list (store, "cam/ev/", NULL, NULL);
  for (guint i = 0; objects && i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) objects->pdata[i])->key;
    g_autoptr (CsEventRecord) e = NULL;
    gboolean whole;

    if (!g_str_has_suffix (key, "/event.json"))
      continue;
    e = cs_test_get_event_record (store, key);
    whole = e && e->ended && e->segments->len > 0;
    for (guint j = 0; whole && j < e->segments->len; j++) {
      g_autoptr (GBytes) seg = cs_store_get (store, e->segments->pdata[j],
          NULL, NULL);
      whole = seg != NULL;
    }
    if (whole)
      le->whole_at = elapsed_s;
  }
}

/* A live camera goes on after the gate closed: the event is whole in the
 * store (event.json ended, its segments there) soon after the close, not at
 * the next keyframe of a later event or at EOS. */
GST_START_TEST (test_live_event_whole_after_close)
{
  const CsTestTrigger triggers[] = { {1, 1.0} };
  static LiveEvent le;
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "tune=zerolatency key-int-max=25 bframes=0 speed-preset=ultrafast ! "
      "h264parse ! identity name=p ! cseventgate name=g min-record-time=4 "
      "event-interval=4 "
      "pre-roll=1000000000 ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000 audiotestsrc is-live=true ! "
      "audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! g.audio_sink_0 "
      "g.audio_src_0 ! s.audio", store_dir);
  CsRun run;
  guint stored = 0;

  if (live_timing_skipped ())
    return;

  le.tl.triggers = triggers;
  le.tl.n = G_N_ELEMENTS (triggers);
  le.tl.base_ms = BASE_MS;
  le.uri = g_strdup_printf ("file://%s", store_dir);
  le.whole_at = -1;
  /* The gate closes at 5 s of stream time; EOS at 14 s. */
  cs_test_run (desc, 14, 60, live_event_tick, &le, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "no EOS");
  for (guint i = 0; i < run.messages->len; i++)
    stored += gst_structure_has_name (run.messages->pdata[i],
        "cs-event-stored");
  fail_unless_equals_int (stored, 1);
  fail_unless (le.whole_at >= 0 && le.whole_at < 5 + 5,
      "the event was whole in the store at %.1f s", le.whole_at);
  g_free (le.uri);
  cs_run_clear (&run);
}

GST_END_TEST;

typedef struct
{
  gchar *uri;
  gint paused;                  /* atomic: the camera sends nothing */
  gint waiting_key;             /* atomic: after a pause, up to a keyframe */
  gdouble first_stored_at;
} IdleCamera;

static GstPadProbeReturn
idle_camera_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  IdleCamera *ic = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean video = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad),
          "video"));

  if (g_atomic_int_get (&ic->paused))
    return GST_PAD_PROBE_DROP;
  if (video && g_atomic_int_get (&ic->waiting_key)) {
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      return GST_PAD_PROBE_DROP;
    g_atomic_int_set (&ic->waiting_key, FALSE);
  }
  return GST_PAD_PROBE_OK;
}

static void
idle_camera_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  IdleCamera *ic = data;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;

  if (elapsed_s < 0) {
    const gchar *names[] = { "v", "a" };
    for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
      GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), names[i]);
      GstPad *pad = gst_element_get_static_pad (e, "src");
      g_object_set_data (G_OBJECT (pad), "video", GINT_TO_POINTER (i == 0));
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, idle_camera_probe,
          ic, NULL);
      gst_object_unref (pad);
      gst_object_unref (e);
    }
    return;
  }
  /* Frames stop at 2.5 s and come back at 7 s. */
  if (elapsed_s >= 2.5 && elapsed_s < 7)
    g_atomic_int_set (&ic->paused, TRUE);
  else if (elapsed_s >= 7 && g_atomic_int_get (&ic->paused)) {
    g_atomic_int_set (&ic->waiting_key, TRUE);
    g_atomic_int_set (&ic->paused, FALSE);
  }
  if (ic->first_stored_at >= 0)
    return;
  store = cs_store_new (ic->uri, NULL, NULL);
  objects = cs_store_list (store, "cam/rec/", NULL, NULL);
  if (objects && objects->len > 0)
    ic->first_stored_at = elapsed_s;
}

/* A camera that stops sending (the firmware's stop callback, a stalled
 * encoder): its open segment is stored after segment-idle-timeout, not when
 * frames come back; when they do, recording goes on, nothing lost. */
GST_START_TEST (test_idle_timeout_closes_segment)
{
  static IdleCamera ic;
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "tune=zerolatency key-int-max=25 bframes=0 speed-preset=ultrafast ! "
      "h264parse name=v ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=10000000000 segment-idle-timeout=1000000000 "
      "audiotestsrc is-live=true ! avenc_aac ! aacparse name=a ! s.audio",
      store_dir);
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  guint frames, segments, with_audio;
  CsRun run;

  if (live_timing_skipped ())
    return;

  ic.uri = g_strdup_printf ("file://%s", store_dir);
  ic.first_stored_at = -1;
  cs_test_run (desc, 10, 60, idle_camera_tick, &ic, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "no EOS");
  /* Frames stopped at 2.5 s: stored by 2.5 + 1 s and a margin, not at 7 s
   * when they came back. */
  fail_unless (ic.first_stored_at >= 0 && ic.first_stored_at < 5.5,
      "the first segment was stored at %.1f s", ic.first_stored_at);
  frames = read_segments (store, "cam/rec/", &segments, &with_audio);
  fail_unless_equals_int (segments, 2);
  fail_unless_equals_int (with_audio, 2);
  fail_unless_equals_int (frames, run.video_in);
  fail_unless_equals_int (cs_run_stat (&run, "frames-dropped"), 0);
  g_free (ic.uri);
  cs_run_clear (&run);
}

GST_END_TEST;

/* A camera without a microphone: the audio pad is requested but never gets
 * a frame.  Video is recorded all the same. */
GST_START_TEST (test_requested_audio_without_data)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      RAW " ! x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast "
      "! h264parse ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000 audiotestsrc is-live=true ! avenc_aac ! "
      "aacparse ! identity drop-probability=1.0 ! s.audio", store_dir);
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  guint segments, with_audio;
  CsRun run;

  if (live_timing_skipped ())
    return;

  cs_test_run (desc, 5, 30, NULL, NULL, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "no EOS");
  fail_unless_equals_int (read_segments (store, "cam/rec/", &segments,
          &with_audio), run.video_in);
  fail_unless_equals_int (with_audio, 0);
  fail_unless (run.video_in >= 3 * 30, "%u frames", run.video_in);
  cs_run_clear (&run);
}

GST_END_TEST;

static gint audio_on;           /* atomic */
static gint stored_before_audio_back;

static GstPadProbeReturn
audio_switch_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return g_atomic_int_get (&audio_on) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* No audio for 2 s, then 2 s of it, none for 4 s, and again. */
static void
audio_switch_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  if (elapsed_s < 0) {
    GstElement *a = gst_bin_get_by_name (GST_BIN (pipeline), "a");
    GstPad *pad = gst_element_get_static_pad (a, "src");

    g_atomic_int_set (&audio_on, FALSE);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_switch_probe,
        NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (a);
    return;
  }
  g_atomic_int_set (&audio_on, (elapsed_s >= 2 && elapsed_s < 4)
      || elapsed_s >= 8);
  if (elapsed_s >= 7.5 && stored_before_audio_back < 0) {
    g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
    g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
    g_autoptr (GPtrArray) objects = cs_store_list (store, "cam/rec/", NULL,
        NULL);
    stored_before_audio_back = objects ? objects->len : 0;
  }
}

/* Audio that comes late and goes away for a while: video is recorded and
 * stored all along (segments do not wait for the audio to come back), and
 * the audio there is with it. */
GST_START_TEST (test_audio_comes_and_goes)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      RAW " ! x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast "
      "! h264parse ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000 audiotestsrc is-live=true ! avenc_aac ! "
      "aacparse name=a ! s.audio", store_dir);
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  guint frames, segments, with_audio;
  CsRun run;

  if (live_timing_skipped ())
    return;

  stored_before_audio_back = -1;
  cs_test_run (desc, 10, 40, audio_switch_tick, NULL, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "no EOS");
  /* Audio stopped at 4 s: the segments up to 4 s are stored before it comes
   * back at 8 s (the muxer lets it go after 1 s; a loaded machine may start
   * the stream late). */
  fail_unless (stored_before_audio_back >= 4, "%d segments at 7.5 s",
      stored_before_audio_back);
  frames = read_segments (store, "cam/rec/", &segments, &with_audio);
  fail_unless (segments >= 8);
  fail_unless_equals_int (frames, run.video_in);
  fail_unless (run.video_in >= 8 * 30, "%u frames", run.video_in);
  fail_unless (with_audio >= 2, "%u segments with audio", with_audio);
  cs_run_clear (&run);
}

GST_END_TEST;

/* Gate closes with audio: the stored audio is complete, and nothing says
 * its timestamps went backwards. */
GST_START_TEST (test_gate_close_no_false_warning)
{
  const CsTestTrigger triggers[] = { {1, 3.0}, {1, 12.0} };
  CsRun run;

  record_gated (500, TRUE, "min-record-time=4 event-interval=4", triggers,
      G_N_ELEMENTS (triggers), &run);
  fail_unless_equals_int (cs_run_count (&run, "cs-event-ended"), 2);
  fail_if (warned (&run, "backwards"), "a false warning");
  fail_unless_equals_int (cs_run_stat (&run, "frames-dropped"), 0);
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
cssink_stream_suite (void)
{
  Suite *s = suite_create ("cssink-stream");
  TCase *tc = tcase_create ("stream");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_restart_same_and_other_codec);
  tcase_add_test (tc, test_codec_change_is_named);
  tcase_add_test (tc, test_eos_without_video);
  tcase_add_test (tc, test_mark_mode_eos_during_event);
  tcase_add_test (tc, test_events_back_to_back_then_eos);
  tcase_add_test (tc, test_live_event_whole_after_close);
  tcase_add_test (tc, test_idle_timeout_closes_segment);
  tcase_add_test (tc, test_requested_audio_without_data);
  tcase_add_test (tc, test_audio_comes_and_goes);
  tcase_add_test (tc, test_gate_close_no_false_warning);
  return s;
}

GST_CHECK_MAIN (cssink_stream);
