/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's order check (gst/cs-leg-order.c), called directly: what it drops
 * and why.  A frame whose decoding time goes back cannot be muxed (MPEG-TS
 * needs decoding order; a segment would hold both timelines): it is dropped
 * and counted, and video then waits for a keyframe that runs on from the
 * last kept frame, since the frames after a dropped one cannot be decoded
 * without it.  Audio frames all stand alone. */
#include <gst/check/gstcheck.h>

#include "cs-leg-order.h"

#define FRAME (40 * GST_MSECOND)

static GstSegment segment;

static GstBuffer *
frame (GstClockTime dts, gboolean keyframe)
{
  GstBuffer *buf = gst_buffer_new ();

  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_PTS (buf) = dts;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

/* The verdict on a frame at @n frames (decoding time). */
static CsLegVerdict
check (CsLegOrder * order, gdouble n, gboolean keyframe, gboolean video)
{
  GstBuffer *buf = frame ((GstClockTime) (n * FRAME), keyframe);
  CsLegVerdict v = cs_leg_order_check (order, &segment, buf, video);

  gst_buffer_unref (buf);
  return v;
}

static void
setup (void)
{
  gst_segment_init (&segment, GST_FORMAT_TIME);
}

/* Frames in order, equal times included, are all kept. */
GST_START_TEST (test_in_order_kept)
{
  CsLegOrder order;

  cs_leg_order_reset (&order);
  fail_unless_equals_int (check (&order, 0, TRUE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 1, FALSE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 1, FALSE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 2, FALSE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_uint64 (order.dropped, 0);
}

GST_END_TEST;

/* Video going back: the first frame behind says so once (DROP_FIRST, the
 * warning), then every frame is dropped (DROP) up to a keyframe at or
 * after the last kept one; a delta frame that runs on again is still
 * dropped, as it depends on the dropped ones. */
GST_START_TEST (test_video_back_waits_for_keyframe)
{
  CsLegOrder order;

  cs_leg_order_reset (&order);
  for (guint n = 0; n < 10; n++)
    fail_unless_equals_int (check (&order, n, n == 0, TRUE), CS_LEG_KEEP);
  /* The camera's clock stepped back 5 frames and goes on from there. */
  fail_unless_equals_int (check (&order, 4, FALSE, TRUE), CS_LEG_DROP_FIRST);
  fail_unless_equals_int (check (&order, 5, FALSE, TRUE), CS_LEG_DROP);
  /* A keyframe still behind the last kept frame (9): dropped. */
  fail_unless_equals_int (check (&order, 6, TRUE, TRUE), CS_LEG_DROP);
  /* Past it, but a delta frame: its keyframe was dropped. */
  fail_unless_equals_int (check (&order, 10, FALSE, TRUE), CS_LEG_DROP);
  fail_unless_equals_int (check (&order, 11, FALSE, TRUE), CS_LEG_DROP);
  /* The keyframe that runs on: kept, and the frames after it. */
  fail_unless_equals_int (check (&order, 12, TRUE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 13, FALSE, TRUE), CS_LEG_KEEP);
  fail_unless_equals_uint64 (order.dropped, 5);
  /* Another step back later is a new run: said again. */
  fail_unless_equals_int (check (&order, 1, TRUE, TRUE), CS_LEG_DROP_FIRST);
  fail_unless_equals_uint64 (order.dropped, 6);
}

GST_END_TEST;

/* Audio going back: only the frames behind are dropped; the first in order
 * again is kept, delta flag or not (each audio frame decodes alone). */
GST_START_TEST (test_audio_back_drops_only_behind)
{
  CsLegOrder order;

  cs_leg_order_reset (&order);
  for (guint n = 0; n < 5; n++)
    fail_unless_equals_int (check (&order, n, TRUE, FALSE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 2, TRUE, FALSE), CS_LEG_DROP_FIRST);
  fail_unless_equals_int (check (&order, 3, TRUE, FALSE), CS_LEG_DROP);
  fail_unless_equals_int (check (&order, 4, FALSE, FALSE), CS_LEG_KEEP);
  fail_unless_equals_int (check (&order, 5, FALSE, FALSE), CS_LEG_KEEP);
  fail_unless_equals_uint64 (order.dropped, 2);
}

GST_END_TEST;

/* Nothing to compare, nothing dropped: no segment, no timestamp, or a time
 * outside the segment (the muxer judges those the same way). */
GST_START_TEST (test_untimed_kept)
{
  CsLegOrder order;
  GstBuffer *buf;
  GstSegment later;

  cs_leg_order_reset (&order);
  fail_unless_equals_int (check (&order, 10, TRUE, TRUE), CS_LEG_KEEP);

  buf = frame (GST_CLOCK_TIME_NONE, FALSE);
  fail_unless_equals_int (cs_leg_order_check (&order, &segment, buf, TRUE),
      CS_LEG_KEEP);
  fail_unless_equals_int (cs_leg_order_check (&order, NULL, buf, TRUE),
      CS_LEG_KEEP);
  gst_buffer_unref (buf);

  gst_segment_init (&later, GST_FORMAT_TIME);
  later.start = 100 * FRAME;
  buf = frame (FRAME, FALSE);
  fail_unless_equals_int (cs_leg_order_check (&order, &later, buf, TRUE),
      CS_LEG_KEEP);
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (order.dropped, 0);
}

GST_END_TEST;

/* Order is judged in running time: a new segment (a restarted source) whose
 * timestamps begin again at 0 runs on from the old one. */
GST_START_TEST (test_running_time_not_timestamps)
{
  CsLegOrder order;
  GstBuffer *buf;
  GstSegment next;

  cs_leg_order_reset (&order);
  for (guint n = 0; n < 10; n++)
    fail_unless_equals_int (check (&order, n, n == 0, TRUE), CS_LEG_KEEP);
  gst_segment_init (&next, GST_FORMAT_TIME);
  next.base = 10 * FRAME;
  buf = frame (0, TRUE);
  fail_unless_equals_int (cs_leg_order_check (&order, &next, buf, TRUE),
      CS_LEG_KEEP);
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (order.dropped, 0);
}

GST_END_TEST;

static Suite *
leg_order_suite (void)
{
  Suite *s = suite_create ("cssink-leg-order");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_in_order_kept);
  tcase_add_test (tc, test_video_back_waits_for_keyframe);
  tcase_add_test (tc, test_audio_back_drops_only_behind);
  tcase_add_test (tc, test_untimed_kept);
  tcase_add_test (tc, test_running_time_not_timestamps);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (leg_order);
