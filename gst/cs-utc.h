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
} CsUtcMap;

GstCaps *cs_utc_caps (void);
/* Updates @map from @buf at running time @rt; TRUE when @buf carried a meta. */
gboolean cs_utc_map_update (CsUtcMap * map, GstElement * element,
    GstBuffer * buf, GstClockTime rt);
/* Rounded to the nearest ms. */
gint64 cs_utc_map_to_ms (const CsUtcMap * map, GstClockTime rt);
/* The running time of @utc_ms (clamped at 0). */
GstClockTime cs_utc_map_to_running_time (const CsUtcMap * map, gint64 utc_ms);

G_END_DECLS
