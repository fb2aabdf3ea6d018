/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A segment is stored as soon as its end is known: when the keyframe after
 * it enters cssink, not a GOP later (splitmuxsink closed a fragment only
 * once the next GOP was complete: a second here). */
#include <gst/check/gstcheck.h>

#include "cs-test-util.h"

/* Generous against the floor (one frame and a write), well under the GOP. */
#define MAX_DELAY_US (500 * 1000)

typedef struct
{
  GMutex lock;
  GArray *key_rt, *key_at;      /* keyframes into cssink: running time, when */
  GArray *seg_ms, *seg_at;      /* segments stored: duration, when */
} Times;

static GstPadProbeReturn
keyframe_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Times *t = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstSegment seg;
  GstClockTime rt;
  gint64 now = g_get_monotonic_time ();

  if (seg_event == NULL
      || GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    gst_clear_event (&seg_event);
    return GST_PAD_PROBE_OK;
  }
  gst_event_copy_segment (seg_event, &seg);
  gst_event_unref (seg_event);
  rt = gst_segment_to_running_time (&seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  g_mutex_lock (&t->lock);
  g_array_append_val (t->key_rt, rt);
  g_array_append_val (t->key_at, now);
  g_mutex_unlock (&t->lock);
  return GST_PAD_PROBE_OK;
}

/* On the posting thread: when the store had it. */
static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  Times *t = data;
  const GstStructure *s = gst_message_get_structure (msg);
  gint64 now = g_get_monotonic_time (), ms = 0;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s
      && gst_structure_has_name (s, "cs-segment-uploaded")
      && gst_structure_get_int64 (s, "duration-ms", &ms)) {
    g_mutex_lock (&t->lock);
    g_array_append_val (t->seg_ms, ms);
    g_array_append_val (t->seg_at, now);
    g_mutex_unlock (&t->lock);
  }
  return GST_BUS_PASS;
}

/* Segments of @container stored at the keyframe after them. */
static void
check_stored_at_next_keyframe (const gchar * container)
{
  g_autofree gchar *dir = g_dir_make_tmp ("cssink-cut-XXXXXX", NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "tune=zerolatency key-int-max=25 bframes=0 speed-preset=ultrafast ! "
      "h264parse ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000 container=%s", dir, container);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  GstPad *pad = gst_element_get_static_pad (sink, "video");
  Times t = { 0 };
  GstClockTime end_rt;
  guint checked = 0;

  if (g_getenv ("ASAN_OPTIONS") || g_getenv ("UBSAN_OPTIONS")) {
    g_print ("skipped: a real-time test, under a sanitizer\n");
    goto out;
  }
  g_mutex_init (&t.lock);
  t.key_rt = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  t.key_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  t.seg_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  t.seg_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keyframe_probe, &t,
      NULL);
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (pipeline), on_message, &t, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_usleep (7 * G_USEC_PER_SEC);
  gst_element_send_event (pipeline, gst_event_new_eos ());
  cs_test_wait_eos (pipeline, 30, "container=%s", container);

  /* Each segment but the last (ended by EOS) ends at a keyframe: the one
   * at the first keyframe's time plus the durations so far. */
  fail_unless (t.key_rt->len > 0);
  end_rt = g_array_index (t.key_rt, GstClockTime, 0);
  for (guint k = 0; k + 1 < t.seg_ms->len; k++) {
    end_rt += g_array_index (t.seg_ms, gint64, k) * GST_MSECOND;
    for (guint i = 0; i < t.key_rt->len; i++) {
      GstClockTime rt = g_array_index (t.key_rt, GstClockTime, i);
      gint64 delay;
      if (rt + GST_MSECOND < end_rt || rt > end_rt + GST_MSECOND)
        continue;
      delay = g_array_index (t.seg_at, gint64, k) -
          g_array_index (t.key_at, gint64, i);
      fail_unless (delay < MAX_DELAY_US, "segment %u stored %" G_GINT64_FORMAT
          " ms after the keyframe that ended it", k, delay / 1000);
      checked++;
      break;
    }
  }
  fail_unless (checked >= 4, "%u segments checked of %u", checked,
      t.seg_ms->len);
  g_array_unref (t.key_rt);
  g_array_unref (t.key_at);
  g_array_unref (t.seg_ms);
  g_array_unref (t.seg_at);
  g_mutex_clear (&t.lock);
out:
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  cs_test_remove_tree (dir);
}

GST_START_TEST (test_segment_stored_at_next_keyframe)
{
  check_stored_at_next_keyframe ("mpegts");
}

GST_END_TEST;

/* container=fmp4 remakes each closed segment before it is stored: still
 * within the bound. */
GST_START_TEST (test_fmp4_segment_stored_at_next_keyframe)
{
  check_stored_at_next_keyframe ("fmp4");
}

GST_END_TEST;

static Suite *
cssink_cut_suite (void)
{
  Suite *s = suite_create ("cssink-cut");
  TCase *tc = tcase_create ("cut");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_segment_stored_at_next_keyframe);
  tcase_add_test (tc, test_fmp4_segment_stored_at_next_keyframe);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_cut);
