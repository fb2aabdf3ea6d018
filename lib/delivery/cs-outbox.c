/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-outbox.h"
#include "cs-crypt.h"
#include "cs-key.h"
#include "cs-spool-feeder.h"

#include <string.h>

/* Objects waiting for the writer at most: beyond (a disk slower than the
 * stream), put () waits, so that memory stays bounded. */
#define WRITER_BACKLOG_MAX 8

/* Someone waits in put_and_wait () for the last word on a key. */
typedef struct {
  gboolean done, ok;
  GError *error;
} Waiter;

/* An object for the writer to put in the spool. */
typedef struct {
  CsOutboxKind kind;
  gchar *key;
  GBytes *data;
  gboolean wait_for_room;       /* if the spool cannot take it */
  Waiter *waiter;
} Pending;

typedef struct {
  CsOutbox *outbox;
  CsOutboxKind kind;
} Slot;

/* Lock order: see cs-outbox.h. */
struct _CsOutbox {
  CsStore *store;
  CsOutboxReportFunc report;
  gpointer user_data;
  Slot slots[CS_OUTBOX_N_KINDS];
  CsUploader *uploaders[CS_OUTBOX_N_KINDS];
  CsSpool *spool;
  CsSpoolFeeder *feeder;
  GThread *writer;
  CsKeyring *keyring;           /* NULL: stored as put */
  gchar *scratch_dir;

  GMutex lock;
  GCond cond;                   /* written, answered, or stopping */
  GQueue to_spool;              /* Pending, oldest at head */
  gboolean writing;             /* the writer holds one out of the queue */
  GHashTable *waiters;          /* key -> Waiter, in memory */
  gboolean stopping;
  guint64 spool_dropped;
};

CsOutboxKind
cs_outbox_kind_of_key (const gchar * key)
{
  if (cs_key_is_segment (key))
    return CS_OUTBOX_SEGMENT;
  if (g_str_has_suffix (key, ".jpg"))
    return CS_OUTBOX_PICTURE;
  return CS_OUTBOX_EVENT_OBJECT;
}

static void
pending_free (Pending * p)
{
  g_free (p->key);
  g_bytes_unref (p->data);
  g_free (p);
}

/* Fills the parts of a report every outcome has. */
static CsOutboxReport
report_of (CsOutboxKind kind, CsOutboxOutcome outcome, const gchar * key,
    guint64 bytes)
{
  CsOutboxReport o = {.kind = kind,.outcome = outcome,.key = key,
    .bytes = bytes
  };

  if (kind == CS_OUTBOX_SEGMENT)
    cs_key_parse_segment (key, &o.start_ms, &o.duration_ms);
  return o;
}

/* The last word on @key for a put_and_wait () waiting for it. */
static void
answer_waiter (CsOutbox * self, const gchar * key, gboolean ok,
    const GError * error, const gchar * reason)
{
  Waiter *w;

  g_mutex_lock (&self->lock);
  w = g_hash_table_lookup (self->waiters, key);
  if (w != NULL) {
    g_hash_table_remove (self->waiters, key);
    w->done = TRUE;
    w->ok = ok;
    if (!ok && error != NULL)
      w->error = g_error_copy (error);
    else if (!ok)
      w->error = g_error_new (CS_STORE_ERROR, CS_STORE_ERROR_UNAVAILABLE,
          "'%s' was dropped (%s)", key, reason);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
}

/* From the uploaders, without a lock held. */
static void
on_upload_report (const CsUploadReport * r, gpointer data)
{
  Slot *slot = data;
  CsOutbox *self = slot->outbox;
  CsOutboxReport o = report_of (slot->kind, (CsOutboxOutcome) r->outcome,
      r->item->key, g_bytes_get_size (r->item->data));
  gboolean last_word = r->outcome != CS_UPLOAD_ATTEMPT_FAILED;

  o.reason = r->reason;
  o.attempt = r->attempt;
  o.retry_in_ms = r->retry_in_ms;
  o.error = r->error;
  o.http_status = cs_store_error_get_http_status (r->error);
  o.s3_code = cs_store_error_get_s3_code (r->error);

  /* Dropped from memory but still in the spool: tried again later, and not
   * lost, so not reported. */
  if (r->outcome == CS_UPLOAD_DROPPED && self->feeder != NULL
      && cs_spool_feeder_done (self->feeder, r->item->key, FALSE)) {
    g_debug ("%s stays in the spool (%s)", r->item->key, r->reason);
    return;
  }
  self->report (&o, self->user_data);
  /* Only now: a drain ends when the spool is empty, and whoever drains must
   * have heard of every upload by then. */
  if (last_word && r->outcome != CS_UPLOAD_DROPPED && self->feeder != NULL)
    cs_spool_feeder_done (self->feeder, r->item->key,
        r->outcome == CS_UPLOAD_UPLOADED);
  if (last_word)
    answer_waiter (self, r->item->key, r->outcome == CS_UPLOAD_UPLOADED,
        r->error, r->reason);
}

static void
push_to_uploader (CsOutbox * self, CsOutboxKind kind, const gchar * key,
    GBytes * data, gboolean wait_for_room)
{
  cs_uploader_push (self->uploaders[kind], cs_upload_item_new (key, data,
          cs_crypt_content_type (key, data), 0, 0), wait_for_room);
}

/* Writes @p to the spool (fsync), reports what that pushed out, and wakes
 * the feeder; when the spool cannot take it, it goes to the store from
 * memory.  TRUE when it is in the spool. */
static gboolean
write_to_spool (CsOutbox * self, Pending * p)
{
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  if (!cs_spool_write (self->spool, p->key, p->data, dropped, &error)) {
    CsOutboxReport o = report_of (p->kind, CS_OUTBOX_NOT_SPOOLED, p->key,
        g_bytes_get_size (p->data));

    o.error = error;
    self->report (&o, self->user_data);
    /* From memory now: its upload tells the one who waits. */
    if (p->waiter != NULL) {
      g_mutex_lock (&self->lock);
      g_hash_table_insert (self->waiters, g_strdup (p->key), p->waiter);
      g_mutex_unlock (&self->lock);
    }
    push_to_uploader (self, p->kind, p->key, p->data, p->wait_for_room);
    return FALSE;
  }
  for (guint i = 0; i < dropped->len; i++) {
    const gchar *key = g_ptr_array_index (dropped, i);
    CsOutboxReport o = report_of (cs_outbox_kind_of_key (key),
        CS_OUTBOX_DROPPED, key, 0);

    o.reason = CS_OUTBOX_DROP_SPOOL_FULL;
    g_mutex_lock (&self->lock);
    self->spool_dropped++;
    g_mutex_unlock (&self->lock);
    self->report (&o, self->user_data);
  }
  cs_spool_feeder_wake (self->feeder);
  return TRUE;
}

/* The writer: what put () queued goes to the spool, oldest first; at stop
 * it writes what is left before it ends (nothing queued is lost). */
static gpointer
writer (gpointer data)
{
  CsOutbox *self = data;

  g_mutex_lock (&self->lock);
  for (;;) {
    Pending *p = g_queue_pop_head (&self->to_spool);
    gboolean spooled;

    if (p == NULL) {
      if (self->stopping)
        break;
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    self->writing = TRUE;
    g_mutex_unlock (&self->lock);
    spooled = write_to_spool (self, p);
    g_mutex_lock (&self->lock);
    self->writing = FALSE;
    if (p->waiter != NULL && spooled)
      p->waiter->done = p->waiter->ok = TRUE;
    g_cond_broadcast (&self->cond);
    pending_free (p);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

CsOutbox *
cs_outbox_new (CsStore * store, const CsOutboxConfig * config,
    CsOutboxReportFunc report, gpointer user_data,
    CsSpoolOpenInfo * spool_info, GError ** error)
{
  CsOutbox *self;
  CsSpool *spool = NULL;

  if (config->spool_dir != NULL) {
    spool = cs_spool_open (config->spool_dir, store, config->device_id,
        config->spool_max_bytes, spool_info, error);
    if (spool == NULL) {
      cs_store_free (store);
      return NULL;
    }
  }
  self = g_new0 (CsOutbox, 1);
  self->store = store;
  self->keyring = config->keyring ? cs_keyring_ref (config->keyring) : NULL;
  if (self->keyring == NULL)
    self->scratch_dir = g_strdup (config->spool_dir ? config->spool_dir :
        cs_store_get_local_dir (store));
  self->report = report;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->to_spool);
  self->waiters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++) {
    self->slots[k].outbox = self;
    self->slots[k].kind = k;
    self->uploaders[k] = cs_uploader_new (cs_store_ref (store),
        &config->limits[k], on_upload_report, &self->slots[k]);
  }
  if (spool != NULL) {
    self->spool = spool;
    self->feeder = cs_spool_feeder_new (spool,
        self->uploaders[CS_OUTBOX_SEGMENT],
        self->uploaders[CS_OUTBOX_EVENT_OBJECT],
        self->uploaders[CS_OUTBOX_PICTURE]);
    /* Only now: its first uploads may end at once, and on_upload_report ()
     * takes them out of the spool through self->feeder (a report before it
     * was set left the object in flight for good, and drains waited until
     * their deadline). */
    cs_spool_feeder_start (self->feeder);
    self->writer = g_thread_new ("cs-spool-write", writer, self);
  }
  return self;
}

CsStore *
cs_outbox_get_store (CsOutbox * self)
{
  return self->store;
}

const gchar *
cs_outbox_get_scratch_dir (CsOutbox * self)
{
  return self->scratch_dir;
}

/* Queues @p for the writer (waiting while it is WRITER_BACKLOG_MAX behind);
 * FALSE (and @p left to the caller) once it has stopped. */
static gboolean
queue_for_spool (CsOutbox * self, Pending * p)
{
  gboolean queued;

  g_mutex_lock (&self->lock);
  while (self->writer != NULL && !self->stopping
      && self->to_spool.length >= WRITER_BACKLOG_MAX)
    g_cond_wait (&self->cond, &self->lock);
  queued = self->writer != NULL && !self->stopping;
  if (queued) {
    g_queue_push_tail (&self->to_spool, p);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return queued;
}

static Pending *
pending_new (CsOutboxKind kind, const gchar * key, GBytes * data,
    gboolean wait_for_room, Waiter * waiter)
{
  Pending *p = g_new0 (Pending, 1);

  p->kind = kind;
  p->key = g_strdup (key);
  p->data = g_bytes_ref (data);
  p->wait_for_room = wait_for_room;
  p->waiter = waiter;
  return p;
}

/* What is stored for @data: with a keyring, encrypted here, on the
 * caller's thread, so that neither the spool nor the store ever holds the
 * plaintext.  NULL (@error set) when it cannot be. */
static GBytes *
encrypt_for_store (CsOutbox * self, CsOutboxKind kind, const gchar * key,
    GBytes * data, GError ** error)
{
  if (self->keyring == NULL)
    return g_bytes_ref (data);
  if (kind == CS_OUTBOX_SEGMENT)
    return cs_crypt_segment_encrypt (self->keyring, key, data, error);
  return cs_crypt_seal (self->keyring, data, error);
}

/* The report of an object that could not be encrypted (never stored). */
static void
report_not_encrypted (CsOutbox * self, CsOutboxKind kind, const gchar * key,
    GBytes * data, const GError * error)
{
  CsOutboxReport o = report_of (kind, CS_OUTBOX_FAILED, key,
      g_bytes_get_size (data));

  o.error = error;
  self->report (&o, self->user_data);
}

void
cs_outbox_put (CsOutbox * self, CsOutboxKind kind, const gchar * key,
    GBytes * plain, gboolean wait_for_room)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = encrypt_for_store (self, kind, key, plain,
      &error);

  if (data == NULL) {
    report_not_encrypted (self, kind, key, plain, error);
    return;
  }
  if (self->spool != NULL) {
    Pending *p = pending_new (kind, key, data, wait_for_room, NULL);

    if (queue_for_spool (self, p))
      return;
    /* Stopped: what still comes (the segment a stop closes) is written
     * here, so that the spool keeps it for the next start. */
    write_to_spool (self, p);
    pending_free (p);
    return;
  }
  push_to_uploader (self, kind, key, data, wait_for_room);
}

gboolean
cs_outbox_put_and_wait (CsOutbox * self, CsOutboxKind kind,
    const gchar * key, GBytes * plain, GError ** error)
{
  Waiter w = { 0 };
  GError *crypt_error = NULL;
  g_autoptr (GBytes) data = encrypt_for_store (self, kind, key, plain,
      &crypt_error);

  if (data == NULL) {
    report_not_encrypted (self, kind, key, plain, crypt_error);
    g_propagate_error (error, crypt_error);
    return FALSE;
  }
  if (self->spool != NULL) {
    Pending *p = pending_new (kind, key, data, FALSE, &w);

    if (!queue_for_spool (self, p)) {
      /* Stopped: written here, as put () does (when the spool cannot take
       * it, its upload from memory answers the wait). */
      gboolean spooled = write_to_spool (self, p);

      pending_free (p);
      if (spooled)
        return TRUE;
    }
  } else {
    g_mutex_lock (&self->lock);
    g_hash_table_insert (self->waiters, g_strdup (key), &w);
    g_mutex_unlock (&self->lock);
    push_to_uploader (self, kind, key, data, FALSE);
  }
  g_mutex_lock (&self->lock);
  while (!w.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.ok;
}

/* With the lock: until the writer's queue is empty, at most to @deadline
 * (monotonic µs); TRUE when it is. */
static gboolean
wait_written_locked (CsOutbox * self, gint64 deadline)
{
  while ((self->to_spool.length > 0 || self->writing) && !self->stopping
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  return self->to_spool.length == 0 && !self->writing;
}

gboolean
cs_outbox_drain (CsOutbox * self, gint64 timeout_ms,
    guint left[CS_OUTBOX_N_KINDS])
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  gboolean done = TRUE;

  if (left != NULL)
    memset (left, 0, CS_OUTBOX_N_KINDS * sizeof left[0]);
  if (self->spool != NULL) {
    g_mutex_lock (&self->lock);
    done = wait_written_locked (self, deadline);
    g_mutex_unlock (&self->lock);
    return done && cs_spool_feeder_drain (self->feeder,
        MAX (deadline - g_get_monotonic_time (), 0) / 1000);
  }
  /* The kinds upload side by side: one deadline for all. */
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++) {
    if (cs_uploader_drain (self->uploaders[k],
            MAX (deadline - g_get_monotonic_time (), 0) / 1000))
      continue;
    done = FALSE;
    if (left != NULL) {
      CsUploaderStats st;

      cs_uploader_get_stats (self->uploaders[k], &st);
      left[k] = st.pending;
    }
  }
  return done;
}

void
cs_outbox_interrupt_drains (CsOutbox * self, gboolean interrupt)
{
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    cs_uploader_interrupt_drains (self->uploaders[k], interrupt);
}

void
cs_outbox_stop (CsOutbox * self, const gchar * reason)
{
  GThread *thread;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  thread = g_steal_pointer (&self->writer);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  /* The writer first (it writes what is queued), then the feeder (it may
   * wait for room in an uploader, which stopping it ends). */
  if (thread != NULL)
    g_thread_join (thread);
  if (self->feeder != NULL)
    cs_spool_feeder_stop (self->feeder);
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    cs_uploader_stop (self->uploaders[k], reason);
}

void
cs_outbox_free (CsOutbox * self)
{
  if (self == NULL)
    return;
  cs_outbox_stop (self, CS_UPLOAD_DROP_STOPPED);
  /* Before the uploaders its thread feeds. */
  cs_spool_feeder_free (self->feeder);
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    cs_uploader_free (self->uploaders[k]);
  cs_spool_free (self->spool);
  cs_store_free (self->store);
  cs_keyring_unref (self->keyring);
  g_free (self->scratch_dir);
  g_hash_table_unref (self->waiters);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

void
cs_outbox_get_stats (CsOutbox * self, CsOutboxStats * stats)
{
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    cs_uploader_get_stats (self->uploaders[k], &stats->kinds[k]);
  stats->spool_bytes = self->spool ? cs_spool_bytes (self->spool) : 0;
  g_mutex_lock (&self->lock);
  stats->spool_dropped = self->spool_dropped;
  g_mutex_unlock (&self->lock);
}
