/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* When is a finished event whole in the store?  Counts the objects handed to
 * the store whose outcome is not known yet, and holds each finished event
 * until every object it consists of (its segments, index.m3u8, event.json)
 * has its outcome.  Not thread-safe: cssink calls it under its lock. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _CsStoredEvents CsStoredEvents;

CsStoredEvents *cs_stored_events_new (void);
void cs_stored_events_free (CsStoredEvents * se);

/* An object is handed to the store (or the spool). */
void cs_stored_events_sent (CsStoredEvents * se, const gchar * key);
/* The store's last word on an object: @stored, or lost (dropped, failed). */
void cs_stored_events_outcome (CsStoredEvents * se, const gchar * key,
    gboolean stored);
/* A finished event, whole once its @keys (taken) are: its event.json is
 * @json_key. */
void cs_stored_events_wait (CsStoredEvents * se, const gchar * event_id,
    const gchar * json_key, GStrv keys);
/* The events whole since the last call, as `cs-event-stored` structures:
 * event-id, key (of event.json), complete (FALSE when one of its objects was
 * lost).  NULL when none. */
GPtrArray *cs_stored_events_take_whole (CsStoredEvents * se);

G_END_DECLS
