/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-uploader.h"

/* Lock order: only self->lock; it is never held while the store is called
 * or a report is made. */
struct _CsUploader {
  CsStore *store;
  CsUploaderLimits limits;
  CsUploadReportFunc report;
  gpointer user_data;

  GThread *thread;              /* from the first push: a kind that is never
                                 * stored costs no thread */
  GCancellable *cancellable;
  GRand *rand;

  GMutex lock;
  GCond work_cond;              /* new item, or stopping */
  GCond idle_cond;              /* something finished, or stopping */
  GQueue waiting;               /* CsUploadItem, oldest at head */
  CsUploadItem *uploading;
  gboolean uploading_dropped;   /* it gave way: counted out, not retried */
  guint64 pending_bytes;
  gboolean stopping;
  gboolean drains_interrupted;
  CsUploaderStats stats;
};

CsUploadItem *
cs_upload_item_new (const gchar * key, GBytes * data,
    const gchar * content_type, gint64 start_ms, gint64 duration_ms)
{
  CsUploadItem *item = g_new0 (CsUploadItem, 1);

  item->key = g_strdup (key);
  item->data = g_bytes_ref (data);
  item->content_type = g_strdup (content_type);
  item->start_ms = start_ms;
  item->duration_ms = duration_ms;
  return item;
}

void
cs_upload_item_free (CsUploadItem * item)
{
  if (item == NULL)
    return;
  g_free (item->key);
  g_bytes_unref (item->data);
  g_free (item->content_type);
  g_free (item);
}

static gsize
item_size (const CsUploadItem * item)
{
  return g_bytes_get_size (item->data);
}

static void
report_dropped (CsUploader * self, GSList * dropped, const gchar * reason)
{
  for (GSList * l = dropped; l; l = l->next) {
    CsUploadReport r = {.outcome = CS_UPLOAD_DROPPED,.item = l->data,
      .reason = reason
    };
    self->report (&r, self->user_data);
  }
  g_slist_free_full (dropped, (GDestroyNotify) cs_upload_item_free);
}

/* With the lock: takes the oldest waiting item out and counts it dropped. */
static CsUploadItem *
pop_dropped_locked (CsUploader * self)
{
  CsUploadItem *item = g_queue_pop_head (&self->waiting);

  self->pending_bytes -= item_size (item);
  self->stats.dropped++;
  return item;
}

/* With the lock: the upload under way still takes room in the cache. */
static gboolean
uploading_counts (CsUploader * self)
{
  return self->uploading != NULL && !self->uploading_dropped;
}

/* With the lock: would the cache be over its limits with @items more items
 * of @bytes more bytes? */
static gboolean
over_limits_locked (CsUploader * self, guint items, gsize bytes)
{
  items += self->waiting.length + (uploading_counts (self) ? 1 : 0);
  return items > self->limits.max_items || (self->limits.max_bytes > 0
      && self->pending_bytes + bytes > self->limits.max_bytes);
}

/* With the lock: does @item fit?  An item alone always does. */
static gboolean
has_room_locked (CsUploader * self, const CsUploadItem * item)
{
  return (self->waiting.length == 0 && !uploading_counts (self))
      || !over_limits_locked (self, 1, item_size (item));
}

static gpointer worker (gpointer data);

void
cs_uploader_push (CsUploader * self, CsUploadItem * item,
    gboolean wait_for_room)
{
  GSList *dropped = NULL;

  g_mutex_lock (&self->lock);
  while (wait_for_room && !self->stopping
      && !has_room_locked (self, item))
    g_cond_wait (&self->idle_cond, &self->lock);
  if (self->stopping) {
    self->stats.dropped++;
    g_mutex_unlock (&self->lock);
    report_dropped (self, g_slist_prepend (NULL, item),
        CS_UPLOAD_DROP_STOPPED);
    return;
  }
  self->stats.queued++;
  g_queue_push_tail (&self->waiting, item);
  self->pending_bytes += item_size (item);
  /* The earliest gives way, the upload under way first (a stalled upload
   * must not keep the newest out); never the item just queued, whatever
   * its size: the limits are estimates.  An upload that gave way ends at
   * once when it waits to retry; a request in flight is not cut (it may be
   * stored at this moment, and a slow link would never finish one): it
   * ends as it ends, within the store's timeout, and is not retried. */
  while (over_limits_locked (self, 0, 0)) {
    if (uploading_counts (self)) {
      self->uploading_dropped = TRUE;
      self->pending_bytes -= item_size (self->uploading);
    } else if (self->waiting.length > 1) {
      dropped = g_slist_append (dropped, pop_dropped_locked (self));
    } else {
      break;
    }
  }
  if (self->thread == NULL)
    self->thread = g_thread_new ("cs-uploader", worker, self);
  g_cond_signal (&self->work_cond);
  g_mutex_unlock (&self->lock);

  report_dropped (self, dropped, CS_UPLOAD_DROP_CACHE_FULL);
}

/* ms to wait before attempt @attempt + 1: exponential, with "equal jitter"
 * (half fixed, half random) so that many devices do not retry in step. */
static gint64
backoff_ms (CsUploader * self, guint attempt)
{
  guint64 ms = self->limits.backoff_initial_ms;

  for (guint i = 1; i < attempt && ms < self->limits.backoff_max_ms; i++)
    ms *= 2;
  ms = MIN (ms, self->limits.backoff_max_ms);
  return ms / 2 + g_rand_int_range (self->rand, 0, ms / 2 + 1);
}

/* With the lock: ends the upload under way and wakes drain (). */
static void
finish_uploading_locked (CsUploader * self)
{
  if (!self->uploading_dropped)
    self->pending_bytes -= item_size (self->uploading);
  self->uploading = NULL;
  self->uploading_dropped = FALSE;
  g_cond_broadcast (&self->idle_cond);
}

/* With the lock, for an upload that gave way to newer items (push ()
 * counted it out) after @attempts tries: reports it dropped and ends it. */
static void
finish_given_way_locked (CsUploader * self, CsUploadItem * item,
    guint attempts)
{
  CsUploadReport r = {.outcome = CS_UPLOAD_DROPPED,.item = item,
    .reason = CS_UPLOAD_DROP_CACHE_FULL,.attempt = attempts
  };

  self->stats.dropped++;
  g_mutex_unlock (&self->lock);
  self->report (&r, self->user_data);
  g_mutex_lock (&self->lock);
  finish_uploading_locked (self);
  cs_upload_item_free (item);
}

/* Uploads self->uploading until it is done, failed, gave way or was dropped
 * by stop ().  Called and returns with the lock held. */
static void
upload_one_locked (CsUploader * self)
{
  CsUploadItem *item = self->uploading;

  for (guint attempt = 1;; attempt++) {
    g_autoptr (GError) error = NULL;
    gboolean ok;
    CsUploadReport r = {.item = item,.attempt = attempt };

    g_mutex_unlock (&self->lock);
    ok = cs_store_put (self->store, item->key, item->data, item->content_type,
        self->cancellable, &error);
    g_mutex_lock (&self->lock);

    if (self->uploading_dropped && !ok) {
      finish_given_way_locked (self, item, attempt);
      return;
    }
    if (self->stopping && !ok)
      return;                   /* stop () reports it as dropped */

    if (ok) {
      self->stats.uploaded++;
      self->stats.bytes_uploaded += item_size (item);
      r.outcome = CS_UPLOAD_UPLOADED;
    } else if (cs_store_error_is_transient (error)
        && (self->limits.max_retries < 0
            || attempt <= (guint) self->limits.max_retries)) {
      gint64 deadline;

      self->stats.retries++;
      r.outcome = CS_UPLOAD_ATTEMPT_FAILED;
      r.error = error;
      r.retry_in_ms = backoff_ms (self, attempt);
      deadline = g_get_monotonic_time () + r.retry_in_ms * 1000;
      g_mutex_unlock (&self->lock);
      self->report (&r, self->user_data);
      g_mutex_lock (&self->lock);
      while (!self->stopping && !self->uploading_dropped
          && g_cond_wait_until (&self->work_cond, &self->lock, deadline));
      if (self->uploading_dropped) {
        finish_given_way_locked (self, item, attempt);
        return;
      }
      if (self->stopping)
        return;
      continue;
    } else {
      self->stats.failed++;
      r.outcome = CS_UPLOAD_FAILED;
      r.error = error;
    }

    g_mutex_unlock (&self->lock);
    self->report (&r, self->user_data);
    g_mutex_lock (&self->lock);
    finish_uploading_locked (self);
    cs_upload_item_free (item);
    return;
  }
}

static gpointer
worker (gpointer data)
{
  CsUploader *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    if (self->waiting.length == 0) {
      g_cond_wait (&self->work_cond, &self->lock);
      continue;
    }
    self->uploading = g_queue_pop_head (&self->waiting);
    upload_one_locked (self);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

CsUploader *
cs_uploader_new (CsStore * store, const CsUploaderLimits * limits,
    CsUploadReportFunc report, gpointer user_data)
{
  CsUploader *self = g_new0 (CsUploader, 1);

  self->store = store;
  self->limits = *limits;
  self->limits.max_items = MAX (1, limits->max_items);
  self->limits.backoff_initial_ms = MAX (1, limits->backoff_initial_ms);
  self->limits.backoff_max_ms =
      MAX (self->limits.backoff_initial_ms, limits->backoff_max_ms);
  self->report = report;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  self->rand = g_rand_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->work_cond);
  g_cond_init (&self->idle_cond);
  g_queue_init (&self->waiting);
  return self;
}

gboolean
cs_uploader_drain (CsUploader * self, gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  gboolean done;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !self->drains_interrupted
      && (self->waiting.length > 0 || self->uploading)
      && g_cond_wait_until (&self->idle_cond, &self->lock, deadline));
  done = self->waiting.length == 0 && self->uploading == NULL;
  g_mutex_unlock (&self->lock);
  return done;
}

void
cs_uploader_stop (CsUploader * self, const gchar * reason)
{
  GSList *dropped = NULL;
  GThread *thread;

  g_mutex_lock (&self->lock);
  if (self->stopping) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->stopping = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_cond_broadcast (&self->work_cond);
  g_cond_broadcast (&self->idle_cond);
  thread = g_steal_pointer (&self->thread);
  g_mutex_unlock (&self->lock);

  if (thread)
    g_thread_join (thread);

  g_mutex_lock (&self->lock);
  /* (An upload that gave way was reported by the worker.) */
  if (self->uploading) {
    self->stats.dropped++;
    dropped = g_slist_prepend (dropped, self->uploading);
    self->pending_bytes -= item_size (self->uploading);
    self->uploading = NULL;
  }
  while (self->waiting.length > 0)
    dropped = g_slist_append (dropped, pop_dropped_locked (self));
  g_mutex_unlock (&self->lock);

  report_dropped (self, dropped, reason);
}

void
cs_uploader_free (CsUploader * self)
{
  if (self == NULL)
    return;
  cs_uploader_stop (self, CS_UPLOAD_DROP_STOPPED);
  cs_store_free (self->store);
  g_object_unref (self->cancellable);
  g_rand_free (self->rand);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->work_cond);
  g_cond_clear (&self->idle_cond);
  g_free (self);
}

void
cs_uploader_get_stats (CsUploader * self, CsUploaderStats * stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  stats->pending = self->waiting.length + (uploading_counts (self) ? 1 : 0);
  stats->pending_bytes = self->pending_bytes;
  g_mutex_unlock (&self->lock);
}

void
cs_uploader_interrupt_drains (CsUploader * self, gboolean interrupt)
{
  g_mutex_lock (&self->lock);
  self->drains_interrupted = interrupt;
  g_cond_broadcast (&self->idle_cond);
  g_mutex_unlock (&self->lock);
}
