/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad streams through cseventgate and cssink: garbage, empty and truncated
 * frames, timestamps that jump by hours or go back, a long stretch without
 * a keyframe, audio without video.  What users rely on: no crash (the suite
 * also runs under ASan/UBSan), EOS or a clear error, what was good is
 * stored, memory stays bounded. */
#include <gst/check/gstcheck.h>
#include <gst/app/app.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"

static gchar *store_dir;
static GPtrArray *frames;       /* GstBuffer: 10 s of H.264, 25 fps */

static void
encode_frames (void)
{
  GstElement *p = gst_parse_launch ("videotestsrc num-buffers=250 ! "
      "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc "
      "key-int-max=25 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", NULL);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  GstSample *sample;

  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    GstBuffer *b = gst_buffer_copy (gst_sample_get_buffer (sample));
    /* From 0, as a camera's timestamps would be. */
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = frames->len * GST_SECOND / 25;
    g_ptr_array_add (frames, b);
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
}

static void
setup (void)
{
  store_dir = g_dir_make_tmp ("hostile-XXXXXX", NULL);
  if (frames == NULL)
    encode_frames ();
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
}

typedef GstBuffer *(*Mangle) (guint i, GstBuffer * good);

typedef struct
{
  Mangle mangle;
  gint64 base_ms;
} Feed;

/* A CsRunTick: before the start, feeds the (mangled) frames to the appsrc
 * named "src" with UTC metas, then EOS. */
static void
feed_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Feed *feed = data;
  GstElement *src;
  GstCaps *unix_caps = gst_caps_new_empty_simple ("timestamp/x-unix");

  if (elapsed_s >= 0) {
    gst_caps_unref (unix_caps);
    return;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  for (guint i = 0; i < frames->len; i++) {
    GstBuffer *b = feed->mangle (i, g_ptr_array_index (frames, i));
    if (b == NULL)
      continue;
    if (GST_BUFFER_PTS_IS_VALID (b))
      gst_buffer_add_reference_timestamp_meta (b, unix_caps,
          feed->base_ms * GST_MSECOND + GST_BUFFER_PTS (b),
          GST_CLOCK_TIME_NONE);
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  gst_caps_unref (unix_caps);
}

static void
run_through (const gchar * gate, Mangle mangle, CsRun * run)
{
  static Feed feed;
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "caps=video/x-h264,stream-format=byte-stream,alignment=au ! %s "
      "cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000", gate, store_dir);

  feed.mangle = mangle;
  feed.base_ms = G_GINT64_CONSTANT (1700000000000);
  cs_test_run (desc, 0, 60, feed_tick, &feed, run);
}

/* Each stored segment still starts on a keyframe and decodes; the number
 * of segments, and of their video frames in @frames_out. */
static guint
check_segments_frames (guint * frames_out)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);

  return cs_test_read_segments (store, "cam/", frames_out, NULL);
}

static guint
check_segments (void)
{
  guint frames_stored = 0;

  return check_segments_frames (&frames_stored);
}

/* Every fifth frame replaced by garbage, empty or cut in half. */
static GstBuffer *
broken_frames (guint i, GstBuffer * good)
{
  GstBuffer *b;

  switch (i % 15) {
    case 4:{
      guint8 junk[300];
      for (guint j = 0; j < sizeof junk; j++)
        junk[j] = (guint8) (j * 37 + i);
      b = gst_buffer_new_memdup (junk, sizeof junk);
      break;
    }
    case 9:
      b = gst_buffer_new ();
      break;
    case 14:
      b = gst_buffer_copy_region (good, GST_BUFFER_COPY_ALL, 0,
          gst_buffer_get_size (good) / 2);
      break;
    default:
      return gst_buffer_copy (good);
  }
  gst_buffer_copy_into (b, good, GST_BUFFER_COPY_METADATA, 0, -1);
  return b;
}

GST_START_TEST (test_broken_frames)
{
  CsRun run;

  run_through ("", broken_frames, &run);
  /* h264parse drops what it cannot parse; the rest is recorded. */
  fail_unless (run.eos, "%s", run.error ? run.error->message : "no EOS");
  fail_unless (check_segments () >= 5);
  cs_run_clear (&run);
}

GST_END_TEST;


/* After 3 s the clock jumps 2 h ahead. */
static GstBuffer *
jumping_time (guint i, GstBuffer * good)
{
  GstBuffer *b = gst_buffer_copy (good);
  GstClockTime shift = i >= 75 ? 2 * 3600 * GST_SECOND : 0;

  GST_BUFFER_PTS (b) += shift;
  GST_BUFFER_DTS (b) += shift;
  return b;
}

GST_START_TEST (test_timestamp_jumps)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  CsRun run;

  run_through ("cseventgate mode=mark !", jumping_time, &run);
  fail_unless (run.eos, "%s", run.error ? run.error->message : "no EOS");
  /* Every frame, in segments of 1 s: the one before the jump is not
   * stretched over the 2 h without video, none holds both sides. */
  fail_unless_equals_int (check_segments (), 10);
  store = cs_store_new (uri, NULL, NULL);
  objects = cs_store_list (store, "cam/", NULL, NULL);
  for (guint i = 0; i < objects->len; i++) {
    gint64 start, duration;
    fail_unless (cs_key_parse_segment (((CsStoreObject *)
                g_ptr_array_index (objects, i))->key, &start, &duration));
    fail_unless_equals_int64 (duration, 1000);
  }
  cs_run_clear (&run);
}

GST_END_TEST;

/* Frame 60 carries frame 40's time; from frame 100 on, the camera's clock
 * runs 2 s behind (keyframes every 25 frames). */
static GstBuffer *
time_going_back (guint i, GstBuffer * good)
{
  GstBuffer *b = gst_buffer_copy (good);
  GstClockTime back = i == 60 ? 20 * GST_SECOND / 25 :
      i >= 100 ? 2 * GST_SECOND : 0;

  GST_BUFFER_PTS (b) -= back;
  GST_BUFFER_DTS (b) -= back;
  return b;
}

GST_START_TEST (test_timestamps_going_back)
{
  const gchar *gates[] = { "", "cseventgate mode=mark !" };

  for (guint g = 0; g < G_N_ELEMENTS (gates); g++) {
    guint frames_stored = 0;
    CsRun run;

    run_through (gates[g], time_going_back, &run);
    fail_unless (run.eos, "%s", run.error ? run.error->message : "no EOS");
    /* Frame 60 and the rest of its GOP (they need it to decode); frames 100
     * to 149, whose times are before frame 99's; frame 150, a keyframe at
     * 4 s, runs on from there.  Each run of drops is a warning. */
    fail_unless_equals_int (cs_run_stat (&run, "frames-dropped"), 15 + 50);
    fail_unless_equals_int (run.warnings->len, 2);
    fail_unless (strstr (((GError *) g_ptr_array_index (run.warnings,
                    0))->message, "backwards") != NULL);
    fail_unless (check_segments_frames (&frames_stored) >= 5);
    fail_unless_equals_int (frames_stored, frames->len - 65);
    cs_run_clear (&run);
    cs_test_remove_tree (store_dir);
    g_mkdir (store_dir, 0700);
  }
}

GST_END_TEST;

/* Only the first frame is a keyframe: a closed gate's pre-roll stays
 * within pre-roll-max-bytes, whatever comes. */
static GstBuffer *
no_keyframes (guint i, GstBuffer * good)
{
  GstBuffer *b = gst_buffer_copy (good);

  if (i > 0)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
  return b;
}

GST_START_TEST (test_no_keyframe_for_long)
{
  CsRun run;

  run_through ("cseventgate name=g pre-roll-max-bytes=20000 pre-roll="
      "60000000000 !", no_keyframes, &run);
  fail_unless (run.eos, "%s", run.error ? run.error->message : "no EOS");
  /* Never opened: nothing stored. */
  fail_unless_equals_int (check_segments (), 0);
  cs_run_clear (&run);
}

GST_END_TEST;

/* Audio into the gate and no video at all: the audio waits (memory stays
 * bounded) and the gate says why, instead of a silent stall. */
GST_START_TEST (test_audio_without_video)
{
  g_autofree gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=500 ! "
      "avenc_aac ! aacparse ! g.audio_sink_0 cseventgate name=g ! cssink "
      "name=s location=file://%s device-id=cam g.audio_src_0 ! s.audio",
      store_dir);
  gboolean told = FALSE;
  CsRun run;

  cs_test_run (desc, 0, 3, NULL, NULL, &run);
  for (guint i = 0; i < run.warnings->len; i++)
    told |= strstr (((GError *) g_ptr_array_index (run.warnings, i))->message,
        "no video frame") != NULL;
  fail_unless (told, "no warning");
  fail_unless_equals_int (check_segments (), 0);
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
hostile_suite (void)
{
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_broken_frames);
  tcase_add_test (tc, test_timestamp_jumps);
  tcase_add_test (tc, test_timestamps_going_back);
  tcase_add_test (tc, test_no_keyframe_for_long);
  tcase_add_test (tc, test_audio_without_video);
  return s;
}

GST_CHECK_MAIN (hostile);
