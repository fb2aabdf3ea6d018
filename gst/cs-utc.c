/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-utc.h"

GstCaps *
cs_utc_caps (void)
{
  static GstCaps *caps = NULL;

  if (g_once_init_enter (&caps))
    g_once_init_leave (&caps, gst_caps_new_empty_simple ("timestamp/x-unix"));
  return caps;
}

gboolean
cs_utc_map_update (CsUtcMap * map, GstElement * element, GstBuffer * buf,
    GstClockTime rt)
{
  GstReferenceTimestampMeta *meta;
  GstClock *clock;
  GstClockTime now_rt = rt;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  meta = gst_buffer_get_reference_timestamp_meta (buf, cs_utc_caps ());
  if (meta != NULL) {
    GstClockTimeDiff offset = GST_CLOCK_DIFF (rt, meta->timestamp);

    if (map->valid && ABS (offset - map->offset) > GST_SECOND) {
      map->prev_offset = map->offset;
      map->step_rt = rt;
    }
    map->offset = offset;
    map->valid = TRUE;
    return TRUE;
  }
  if (map->valid)
    return FALSE;
  clock = gst_element_get_clock (element);
  if (clock != NULL) {
    now_rt = gst_clock_get_time (clock) - gst_element_get_base_time (element);
    gst_object_unref (clock);
  }
  map->offset = g_get_real_time () * 1000 - (gint64) now_rt;
  map->valid = TRUE;
  return FALSE;
}

static GstClockTimeDiff
offset_at (const CsUtcMap * map, GstClockTime rt)
{
  return rt < map->step_rt ? map->prev_offset : map->offset;
}

/* Frame times like 33333333 ns add up to whole ms only within a few ns. */
static gint64
to_ms (GstClockTimeDiff offset, GstClockTime rt)
{
  return (offset + (gint64) rt + GST_MSECOND / 2) / GST_MSECOND;
}

gint64
cs_utc_map_to_ms (const CsUtcMap * map, GstClockTime rt)
{
  return to_ms (offset_at (map, rt), rt);
}

void
cs_utc_map_span_to_ms (const CsUtcMap * map, GstClockTime start_rt,
    GstClockTime end_rt, gint64 * start_ms, gint64 * end_ms)
{
  GstClockTimeDiff offset = offset_at (map, start_rt);

  *start_ms = to_ms (offset, start_rt);
  *end_ms = to_ms (offset, end_rt);
}

GstClockTime
cs_utc_map_to_running_time (const CsUtcMap * map, gint64 utc_ms)
{
  gint64 rt = utc_ms * GST_MSECOND - map->offset;

  return rt < 0 ? 0 : (GstClockTime) rt;
}
