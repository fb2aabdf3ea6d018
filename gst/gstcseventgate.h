/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CS_EVENT_GATE (gst_cs_event_gate_get_type ())
G_DECLARE_FINAL_TYPE (GstCsEventGate, gst_cs_event_gate, GST, CS_EVENT_GATE,
    GstElement)

typedef enum {
  GST_CS_EVENT_GATE_MODE_GATE,
  GST_CS_EVENT_GATE_MODE_MARK,
} GstCsEventGateMode;

/* What the "trigger" action signal returns. */
typedef enum {
  GST_CS_TRIGGER_OK = 0,
  GST_CS_TRIGGER_NOT_ONE_BIT = -1,      /* zero or several bits set */
  GST_CS_TRIGGER_QUEUE_FULL = -2,       /* max-pending-events triggers wait */
  GST_CS_TRIGGER_NOT_RUNNING = -3,      /* the element is not PAUSED/PLAYING */
} GstCsTriggerResult;

G_END_DECLS
