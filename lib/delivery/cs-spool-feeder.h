/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds what waits in a spool to the uploaders, oldest first, on a thread
 * of its own that waits for room in their caches (so nothing is dropped
 * from memory, and the pipeline never waits): segments (.ts, .mp4),
 * pictures (.jpg) and the other event objects each to their own.  An object
 * leaves the spool once the store has it; an upload that fails leaves it
 * there for the next round. */
#pragma once

#include "cs-spool.h"
#include "cs-uploader.h"

G_BEGIN_DECLS

typedef struct _CsSpoolFeeder CsSpoolFeeder;

CsSpoolFeeder *cs_spool_feeder_new (CsSpool * spool, CsUploader * segments,
    CsUploader * objects, CsUploader * pictures);
/* Starts the thread: the uploaders' reports may reach
 * cs_spool_feeder_done () from then on, so whoever passes them on must know
 * the feeder before. */
void cs_spool_feeder_start (CsSpoolFeeder * self);
/* Something new is in the spool. */
void cs_spool_feeder_wake (CsSpoolFeeder * self);
/* From the uploaders' reports: @key was stored (leaves the spool) or not
 * (stays, tried again).  TRUE when the feeder had handed @key over (it is
 * the spool's), FALSE for an object the spool does not hold. */
gboolean cs_spool_feeder_done (CsSpoolFeeder * self, const gchar * key,
    gboolean stored);
/* Waits until the spool is empty, at most @timeout_ms. */
gboolean cs_spool_feeder_drain (CsSpoolFeeder * self, gint64 timeout_ms);
/* Stops the thread (call before stopping the uploaders' waits). */
void cs_spool_feeder_stop (CsSpoolFeeder * self);
void cs_spool_feeder_free (CsSpoolFeeder * self);

G_END_DECLS
