/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An event's message, stored as <device>/ev/<day>/<id>/event.json:
 *
 *   { "id": "1700000000123", "device": "cam1", "triggers": 3,
 *     "start_ms": …, "end_ms": … or null while it lasts, "ended": bool,
 *     "alarms": [ { "trigger": 1, "time_ms": …, "snapshot": true } … ],
 *     "snapshot": "<key of snapshot.jpg>" or null,
 *     "segments": [ "<segment key>", … ] }
 *
 * start_ms is the first trigger; end_ms the end of its last recorded frame;
 * segments are the keys of the segments that hold it (event segments, or the
 * full-time segments it overlaps). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint32 trigger;              /* one bit */
  gint64 time_ms;
  gboolean snapshot;            /* a picture was asked for */
} CsEventAlarm;

typedef struct {
  gchar *id;
  gchar *device_id;
  guint32 triggers;
  gint64 start_ms;
  gint64 end_ms;                /* -1 while the event lasts */
  gboolean ended;
  gchar *snapshot;              /* key, or NULL */
  GArray *alarms;               /* CsEventAlarm */
  GPtrArray *segments;          /* gchar * keys */
} CsEventRecord;

CsEventRecord *cs_event_record_new (const gchar * device_id,
    const gchar * id, gint64 start_ms);
void cs_event_record_free (CsEventRecord * record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsEventRecord, cs_event_record_free)

gchar *cs_event_record_to_json (const CsEventRecord * record);
/* Checks what a viewer relies on: valid device, id and keys, times. */
CsEventRecord *cs_event_record_parse (const gchar * json, gsize len,
    GError ** error);

G_END_DECLS
