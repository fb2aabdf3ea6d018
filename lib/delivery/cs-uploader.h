/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A worker thread that uploads objects to a store, oldest first, from a
 * bounded cache: when the cache holds more than max_items or max_bytes, the
 * earliest objects are dropped until it fits, the one being uploaded first
 * (not retried: dropped unless the request under way stores it), but never
 * the one just queued, whatever its size; or the caller waits for room if
 * it asked to.
 * Transient failures are retried with exponential backoff and jitter.  Every
 * outcome is reported through a callback, called without any lock held. */
#pragma once

#include "cs-store.h"

G_BEGIN_DECLS

typedef struct {
  gchar *key;
  GBytes *data;
  gchar *content_type;
  gint64 start_ms;              /* UTC ms, for reports */
  gint64 duration_ms;
} CsUploadItem;

CsUploadItem *cs_upload_item_new (const gchar * key, GBytes * data,
    const gchar * content_type, gint64 start_ms, gint64 duration_ms);
void cs_upload_item_free (CsUploadItem * item);

typedef enum {
  CS_UPLOAD_UPLOADED,
  CS_UPLOAD_DROPPED,            /* see reason */
  CS_UPLOAD_ATTEMPT_FAILED,     /* transient; it will be retried */
  CS_UPLOAD_FAILED,             /* permanent error or retries used up */
} CsUploadOutcome;

#define CS_UPLOAD_DROP_CACHE_FULL "cache-full"
#define CS_UPLOAD_DROP_STOPPED "stopped"
#define CS_UPLOAD_DROP_DRAIN_TIMEOUT "drain-timeout"

typedef struct {
  CsUploadOutcome outcome;
  const CsUploadItem *item;
  const gchar *reason;          /* DROPPED: CS_UPLOAD_DROP_* */
  const GError *error;          /* ATTEMPT_FAILED and FAILED */
  guint attempt;                /* 1 for the first try; DROPPED: the tries
                                 * made (a store may have taken one that
                                 * timed out), 0 for none */
  gint64 retry_in_ms;           /* ATTEMPT_FAILED */
} CsUploadReport;

typedef void (*CsUploadReportFunc) (const CsUploadReport * report,
    gpointer user_data);

typedef struct {
  guint max_items;              /* waiting + uploading; >= 1 */
  guint64 max_bytes;            /* 0 = no byte limit */
  gint max_retries;             /* -1 = until the object is dropped */
  guint backoff_initial_ms;
  guint backoff_max_ms;
} CsUploaderLimits;

typedef struct {
  guint64 queued;
  guint64 uploaded;
  guint64 bytes_uploaded;
  guint64 retries;
  guint64 dropped;
  guint64 failed;
  guint pending;                /* waiting + uploading now */
  guint64 pending_bytes;
} CsUploaderStats;

typedef struct _CsUploader CsUploader;

/* Takes @store, which from now on is used only by the worker thread. */
CsUploader *cs_uploader_new (CsStore * store, const CsUploaderLimits * limits,
    CsUploadReportFunc report, gpointer user_data);
/* Queues @item.  Without @wait_for_room it never blocks and drops the
 * earliest items when the cache is over its limits (reported before it
 * returns; an upload under way when its request ends); with it, it waits
 * until the item fits (or stop ()). */
void cs_uploader_push (CsUploader * self, CsUploadItem * item,
    gboolean wait_for_room);
/* Waits until nothing is waiting or uploading, at most @timeout_ms;
 * returns TRUE when all was done.  cs_uploader_stop () ends the wait. */
gboolean cs_uploader_drain (CsUploader * self, gint64 timeout_ms);
/* While @interrupt, drain () returns at once (FALSE when something is
 * left); the uploads go on. */
void cs_uploader_interrupt_drains (CsUploader * self, gboolean interrupt);
/* Cancels the upload under way, drops what is left and reports it with
 * @reason (CS_UPLOAD_DROP_*), joins the thread.  Idempotent. */
void cs_uploader_stop (CsUploader * self, const gchar * reason);
void cs_uploader_free (CsUploader * self);
void cs_uploader_get_stats (CsUploader * self, CsUploaderStats * stats);

G_END_DECLS
