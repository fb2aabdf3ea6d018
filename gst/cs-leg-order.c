/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-leg-order.h"

void
cs_leg_order_reset (CsLegOrder * order)
{
  order->last_rt = GST_CLOCK_TIME_NONE;
  order->dropping = FALSE;
  order->dropped = 0;
}

CsLegVerdict
cs_leg_order_check (CsLegOrder * order, const GstSegment * segment,
    GstBuffer * buf, gboolean video)
{
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buf);
  GstClockTime rt;
  gboolean behind, keyframe;

  /* Without a time in the segment there is nothing to compare: the muxer
   * judges such frames the same way. */
  if (segment == NULL || !GST_CLOCK_TIME_IS_VALID (ts))
    return CS_LEG_KEEP;
  rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return CS_LEG_KEEP;

  behind = GST_CLOCK_TIME_IS_VALID (order->last_rt) && rt < order->last_rt;
  keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (behind || (video && order->dropping && !keyframe)) {
    CsLegVerdict verdict = order->dropping ? CS_LEG_DROP : CS_LEG_DROP_FIRST;
    order->dropping = TRUE;
    order->dropped++;
    return verdict;
  }
  order->dropping = FALSE;
  order->last_rt = rt;
  return CS_LEG_KEEP;
}
