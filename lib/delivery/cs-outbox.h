/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything a recording stores goes through one outbox: segments, event
 * objects (event.json, index.m3u8) and alarm pictures, to one store (one
 * HTTP session), each kind from a bounded cache of its own (so segments
 * never push an event's objects or pictures out), with the same retries for
 * every kind, and every outcome told through one report callback.
 *
 * Backing: memory (each kind's cache: the earliest gives way when it is
 * full, see cs-uploader.h), or a spool directory (cs-spool.h) that keeps
 * every object on disk until the store has it.  With a spool, cs_outbox_put
 * never writes to the disk itself: a writer thread does (the fsync is off
 * the caller's thread; put () waits only when the writer is 8 objects
 * behind, a disk slower than the stream), and a feeder thread hands what
 * waits in the spool
 * to the caches, oldest first, waiting for room.
 *
 * Threads: one uploader per kind, plus with a spool the writer and the
 * feeder.  Lock order: self->lock is the outbox's only lock and is never
 * held while calling an uploader, the spool, the feeder or the report; the
 * uploaders, the feeder and the spool take their own locks below it. */
#pragma once

#include "cs-keyring.h"
#include "cs-spool.h"
#include "cs-uploader.h"

G_BEGIN_DECLS

typedef enum {
  CS_OUTBOX_SEGMENT,            /* .ts, .mp4 */
  CS_OUTBOX_EVENT_OBJECT,       /* event.json, index.m3u8 */
  CS_OUTBOX_PICTURE,            /* snapshot.jpg */
} CsOutboxKind;

#define CS_OUTBOX_N_KINDS 3

/* The kind of object @key names, from its extension. */
CsOutboxKind cs_outbox_kind_of_key (const gchar * key);

typedef enum {
  CS_OUTBOX_UPLOADED = CS_UPLOAD_UPLOADED,
  CS_OUTBOX_DROPPED = CS_UPLOAD_DROPPED,        /* see reason */
  CS_OUTBOX_ATTEMPT_FAILED = CS_UPLOAD_ATTEMPT_FAILED,  /* will be retried */
  CS_OUTBOX_FAILED = CS_UPLOAD_FAILED,  /* permanent, or retries used up */
  CS_OUTBOX_NOT_SPOOLED,        /* the spool could not take it (error): it
                                 * is uploaded from memory instead */
} CsOutboxOutcome;

/* Reasons of a drop: CS_UPLOAD_DROP_* and this one. */
#define CS_OUTBOX_DROP_SPOOL_FULL "spool-full"

typedef struct {
  CsOutboxKind kind;
  CsOutboxOutcome outcome;
  const gchar *key;
  gint64 start_ms;              /* segments: from their key; else 0 */
  gint64 duration_ms;
  guint64 bytes;                /* 0 for a drop from the spool */
  const gchar *reason;          /* DROPPED */
  guint attempt;                /* as in CsUploadReport */
  gint64 retry_in_ms;           /* ATTEMPT_FAILED */
  const GError *error;          /* ATTEMPT_FAILED, FAILED, NOT_SPOOLED */
  guint http_status;            /* of the store's answer; 0 = none */
  const gchar *s3_code;         /* of the store's error document, or NULL */
} CsOutboxReport;

/* Called without any lock of the outbox held, on one of its threads or the
 * one that called put () or stop (). */
typedef void (*CsOutboxReportFunc) (const CsOutboxReport * report,
    gpointer user_data);

typedef struct {
  CsUploaderLimits limits[CS_OUTBOX_N_KINDS];
  const gchar *spool_dir;       /* NULL: memory only */
  guint64 spool_max_bytes;
  const gchar *device_id;       /* whose objects the spool holds */
  /* NULL: objects are stored as they are put.  Else every object is
   * encrypted when it is put, before the spool or the store sees it
   * (cs-crypt.h): a segment with the key its name names (one that names
   * none fails), anything else in an envelope with the writing key. */
  CsKeyring *keyring;
} CsOutboxConfig;

typedef struct {
  CsUploaderStats kinds[CS_OUTBOX_N_KINDS];
  guint64 spool_bytes;          /* waiting on disk */
  guint64 spool_dropped;        /* pushed out of the spool */
} CsOutboxStats;

typedef struct _CsOutbox CsOutbox;

/* Takes @store.  With a spool directory, opens it (what it found in
 * @spool_info, which the caller clears); NULL with @error set when it
 * cannot (the store is freed then). */
CsOutbox *cs_outbox_new (CsStore * store, const CsOutboxConfig * config,
    CsOutboxReportFunc report, gpointer user_data,
    CsSpoolOpenInfo * spool_info, GError ** error);
/* The store everything goes to, for logs (it stays the outbox's). */
CsStore *cs_outbox_get_store (CsOutbox * self);
/* A directory on the disk the objects go to (the spool's, else a file://
 * store's) where an object being made may wait outside memory; NULL when
 * there is none, or when objects are encrypted (their clear bytes must not
 * reach a disk). */
const gchar *cs_outbox_get_scratch_dir (CsOutbox * self);

/* Queues @data for @key (of @kind).  Never waits unless @wait_for_room (a
 * source that is not live: then it waits for room in the cache instead of
 * dropping the earliest).  With a spool, the writer takes it.  What cannot
 * be encrypted is reported as FAILED. */
void cs_outbox_put (CsOutbox * self, CsOutboxKind kind, const gchar * key,
    GBytes * data, gboolean wait_for_room);
/* Queues like put () and waits for the last word on it: TRUE once the store
 * has it (or the spool does); FALSE with @error set when it failed or was
 * dropped.  One caller at a time per key. */
gboolean cs_outbox_put_and_wait (CsOutbox * self, CsOutboxKind kind,
    const gchar * key, GBytes * data, GError ** error);

/* Waits until nothing waits (in memory, or with a spool on disk), at most
 * @timeout_ms; TRUE when all was stored.  Without a spool, @left (may be
 * NULL) gets what is left of each kind.  stop () ends the wait. */
gboolean cs_outbox_drain (CsOutbox * self, gint64 timeout_ms,
    guint left[CS_OUTBOX_N_KINDS]);
/* While @interrupt, drains without a spool return at once (FALSE when
 * something is left); the uploads go on. */
void cs_outbox_interrupt_drains (CsOutbox * self, gboolean interrupt);
/* Cancels the uploads under way and drops what waits in memory with
 * @reason (CS_UPLOAD_DROP_*), each reported (with a spool: kept on disk,
 * not reported).  Joins the threads; idempotent; put () after it drops. */
void cs_outbox_stop (CsOutbox * self, const gchar * reason);
void cs_outbox_free (CsOutbox * self);
void cs_outbox_get_stats (CsOutbox * self, CsOutboxStats * stats);

G_END_DECLS
