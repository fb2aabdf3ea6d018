/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What cseventgate tells downstream (cssink) in custom serialized events,
 * and the application in element messages of the same names and fields:
 *
 * - cs-event-started: event-id, start-ms, trigger, triggers, running-time
 * - cs-event-alarm: event-id, trigger, time-ms, snapshot (a picture wanted)
 * - cs-event-ended: event-id, start-ms, end-ms, triggers, running-time
 * - cs-gate-open, cs-gate-close (events only): running-time of the first
 *   frame let through, of the first frame held back
 *
 * running-time is where, in the video, it takes effect. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CS_EVENT_STARTED "cs-event-started"
#define CS_EVENT_ALARM "cs-event-alarm"
#define CS_EVENT_ENDED "cs-event-ended"
#define CS_GATE_OPEN "cs-gate-open"
#define CS_GATE_CLOSE "cs-gate-close"

/* The structure of a custom downstream event of cseventgate, or NULL. */
static inline const GstStructure *
cs_gate_event_structure (GstEvent * event)
{
  const GstStructure *s;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM)
    return NULL;
  s = gst_event_get_structure (event);
  if (s == NULL || !g_str_has_prefix (gst_structure_get_name (s), "cs-"))
    return NULL;
  return s;
}

G_END_DECLS
