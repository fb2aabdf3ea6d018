/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event-pic channel on its own ("event pictures / messages"): no video
 * is recorded, but every event gets its event.json and alarm picture, with
 * the rules of iv_cs_event_happen_notify.  Triggers take effect when they
 * are given (there is no stream to wait for); an event ends when its
 * interval has elapsed (ivcs_pictures_tick) or a later trigger starts the
 * next one.
 *
 * Lock order: the caller's lock, then the plan's own, then the outbox's
 * (an event.json is queued with the plan's lock held: cs_outbox_put never
 * waits without a spool); no callback or store call is made with either
 * of the first two held. */
#pragma once

#include "cs-event-rules.h"
#include "cs-keyring.h"
#include "cs-snapshot.h"
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _IvcsPictures IvcsPictures;

/* Takes @store, where pictures and event.json go through one outbox
 * (encrypted with @keyring, when not NULL).  @callbacks' capture and result
 * are the application's; stored and store are the plan's own. */
IvcsPictures *ivcs_pictures_new (CsStore * store, const gchar * device_id,
    CsKeyring * keyring, const CsEventRulesConfig * rules,
    const CsSnapshotCallbacks * callbacks);
/* A trigger of one source (a single bit) at @utc_ms; never blocks. */
void ivcs_pictures_trigger (IvcsPictures * self, guint32 trigger,
    gint64 utc_ms);
/* Ends the current event once its interval has elapsed at @now_ms. */
void ivcs_pictures_tick (IvcsPictures * self, gint64 now_ms);
/* Ends the current event and gives its picture and messages up to
 * @drain_ms to be stored. */
void ivcs_pictures_drain (IvcsPictures * self, gint64 drain_ms);
/* Makes a drain under way (on another thread) return now. */
void ivcs_pictures_interrupt (IvcsPictures * self);
/* Ends the current event, drops what is not stored, frees the plan. */
void ivcs_pictures_free (IvcsPictures * self);

G_END_DECLS
