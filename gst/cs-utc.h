/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running time to UTC: from a timestamp/x-unix reference meta whenever a
 * buffer carries one, else from the element's clock when the first buffer
 * arrives.  cseventgate stamps the meta on what it lets through, so cssink
 * after it files segments on the same clock as the triggers. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  gboolean valid;
  GstClockTimeDiff offset;      /* UTC ns minus running time */
  /* The offset before the clock last stepped (by over a second), for what
   * came before @step_rt (0: no step). */
  GstClockTimeDiff prev_offset;
  GstClockTime step_rt;
} CsUtcMap;

GstCaps *cs_utc_caps (void);
/* Updates @map from @buf at running time @rt; TRUE when @buf carried a meta. */
gboolean cs_utc_map_update (CsUtcMap * map, GstElement * element,
    GstBuffer * buf, GstClockTime rt);
/* Rounded to the nearest ms, on the clock in effect at @rt. */
gint64 cs_utc_map_to_ms (const CsUtcMap * map, GstClockTime rt);
/* A span's ends, both on the clock in effect at its start: a segment that
 * ends where the clock stepped keeps its length. */
void cs_utc_map_span_to_ms (const CsUtcMap * map, GstClockTime start_rt,
    GstClockTime end_rt, gint64 * start_ms, gint64 * end_ms);
/* The running time of @utc_ms (clamped at 0). */
GstClockTime cs_utc_map_to_running_time (const CsUtcMap * map, gint64 utc_ms);

G_END_DECLS
