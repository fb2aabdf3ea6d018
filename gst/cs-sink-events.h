/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's side of the events cseventgate announces: which event a segment
 * belongs to, and each event's event.json and index.m3u8 in the store.
 * Not thread-safe: cssink calls it under its streaming-state lock. */
#pragma once

#include <gst/gst.h>
#include "cs-uploader.h"

G_BEGIN_DECLS

typedef struct _CsSinkEvents CsSinkEvents;

/* Segments are named with @key_id (CS_KEY_NO_KEY_ID: none, plaintext). */
CsSinkEvents *cs_sink_events_new (const gchar * device_id, gint64 key_id);
void cs_sink_events_free (CsSinkEvents * ev);

/* An event's last segment ends this long before the gate's close: the
 * close's running time is that of the first frame held back. */
#define CS_SINK_CLOSER_LEAD (2 * GST_USECOND)

/* A cs-* custom event from the gate, as it reaches the muxer; objects to
 * upload are added to @uploads (CsUploadItem).  TRUE when a new segment must
 * start at the next keyframe. */
gboolean cs_sink_events_handle (CsSinkEvents * ev, const GstStructure * s,
    GPtrArray * uploads);
/* Where a segment starting at @start_rt goes: the key for it (its name
 * ending in @ext, "ts" or "mp4"), or NULL when it holds only what the gate
 * let through after closing (discarded). */
gchar *cs_sink_events_segment_key (CsSinkEvents * ev, GstClockTime start_rt,
    gint64 start_ms, gint64 duration_ms, const gchar * ext);
/* A segment of @size bytes was stored: added to the events it holds; events
 * it completes are finished (uploads added). */
void cs_sink_events_segment_stored (CsSinkEvents * ev, const gchar * key,
    guint64 size, gint64 start_ms, gint64 end_ms, GstClockTime end_rt,
    GPtrArray * uploads);
/* Records where the snapshot of @event_id is; FALSE for an unknown event. */
gboolean cs_sink_events_set_snapshot (CsSinkEvents * ev, const gchar * event_id,
    GPtrArray * uploads);
/* The snapshot key of @event_id, or NULL. */
gchar *cs_sink_events_snapshot_key (CsSinkEvents * ev, const gchar * event_id);
/* An event that finished: every object it consists of (segments,
 * index.m3u8, event.json). */
typedef struct
{
  gchar *event_id;
  gchar *json_key;
  GStrv keys;
} CsSinkEventDone;

void cs_sink_event_done_free (CsSinkEventDone * d);
/* The events finished since the last call (CsSinkEventDone). */
GPtrArray *cs_sink_events_take_done (CsSinkEvents * ev);
/* At EOS or stop: every event still open is finished. */
void cs_sink_events_finish (CsSinkEvents * ev, GPtrArray * uploads);

G_END_DECLS
