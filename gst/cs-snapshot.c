/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-snapshot.h"
#include "cs-picture-process.h"

#include <glib/gstdio.h>

#define POLL_MS 50
#define STOP_GRACE_MS 2000

typedef struct
{
  gchar *event_id;
  guint trigger;
  gchar *key;
  guint64 seq;
  GstSample *keyframe;          /* make the picture of it */
} Request;

/* Lock order: self->lock only, never held while calling back (capture,
 * store, stored, result) or reading the picture's file. */
struct _CsSnapshotter
{
  CsStore *store;
  CsSnapshotCallbacks cb;
  GThread *thread;              /* from the first request: a recording
                                 * without events costs no thread */
  GMutex lock;
  GCond cond;
  GQueue requests;              /* Request */
  GHashTable *latest;           /* event id -> guint64 seq of its newest */
  guint64 next_seq;
  gboolean busy, quit;
  gboolean interrupted;          /* wait_idle () returns at once */
  gboolean idle_waits_interrupted;      /* the same, until told otherwise */
  GCancellable *stopping;       /* free (): a picture's helper is killed */
};

static void
request_free (Request * r)
{
  g_free (r->event_id);
  g_free (r->key);
  if (r->keyframe)
    gst_sample_unref (r->keyframe);
  g_free (r);
}

static gboolean
superseded (CsSnapshotter * self, Request * r)
{
  guint64 *latest = g_hash_table_lookup (self->latest, r->event_id);

  return latest != NULL && *latest > r->seq;
}

/* Waits for the file to pass 2 KiB; returns its bytes, or NULL with the
 * result to give. */
static GBytes *
wait_for_picture (CsSnapshotter * self, Request * r, const gchar * path,
    CsSnapshotResult * result)
{
  gint64 deadline = g_get_monotonic_time () + CS_SNAPSHOT_WAIT_MS * 1000;
  gboolean seen = FALSE;
  GStatBuf st;

  g_mutex_lock (&self->lock);
  for (;;) {
    if (superseded (self, r)) {
      *result = CS_SNAPSHOT_EXPIRED;
      break;
    }
    if (g_stat (path, &st) == 0) {
      seen = TRUE;
      if (st.st_size > CS_SNAPSHOT_MIN_BYTES) {
        gchar *contents;
        gsize len;
        g_mutex_unlock (&self->lock);
        if (g_file_get_contents (path, &contents, &len, NULL))
          return g_bytes_new_take (contents, len);
        g_mutex_lock (&self->lock);
      }
    }
    if (self->quit || !g_cond_wait_until (&self->cond, &self->lock,
            MIN (deadline, g_get_monotonic_time () + POLL_MS * 1000))) {
      if (self->quit || g_get_monotonic_time () >= deadline) {
        *result = seen ? CS_SNAPSHOT_TIME_OUT : CS_SNAPSHOT_NOT_EXIST;
        break;
      }
    }
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gboolean
store_picture (CsSnapshotter * self, Request * r, GBytes * jpeg,
    GError ** error)
{
  if (self->cb.store)
    return self->cb.store (r->key, jpeg, self->cb.data, error);
  return cs_store_put (self->store, r->key, jpeg, "image/jpeg", NULL, error);
}

static void
make_picture (CsSnapshotter * self, Request * r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = cs_picture_process_make (r->keyframe,
      self->stopping, &error);

  if (jpeg == NULL) {
    GST_WARNING ("no picture for event %s: %s", r->event_id, error->message);
    if (self->cb.picture_failed)
      self->cb.picture_failed (r->event_id, error, self->cb.data);
    return;
  }
  if (store_picture (self, r, jpeg, &error))
    self->cb.stored (r->event_id, r->key, self->cb.data);
  else
    GST_WARNING ("picture of event %s not stored: %s", r->event_id,
        error->message);
}

static void
take_picture (CsSnapshotter * self, Request * r)
{
  g_autofree gchar *path = self->cb.capture (r->event_id, r->trigger,
      self->cb.data);
  g_autoptr (GBytes) data = NULL;
  CsSnapshotResult result = CS_SNAPSHOT_OK;

  if (path == NULL || path[0] == '\0')
    return;                     /* no picture wanted: no result either */
  data = wait_for_picture (self, r, path, &result);
  if (data != NULL) {
    g_autoptr (GError) error = NULL;
    if (store_picture (self, r, data, &error))
      self->cb.stored (r->event_id, r->key, self->cb.data);
    else
      result = CS_SNAPSHOT_TIME_OUT;
  }
  self->cb.result (path, result, self->cb.data);
}

static gpointer
run (gpointer data)
{
  CsSnapshotter *self = data;

  g_mutex_lock (&self->lock);
  while (!self->quit) {
    Request *r = g_queue_pop_head (&self->requests);
    if (r == NULL) {
      self->busy = FALSE;
      g_cond_broadcast (&self->cond);
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    self->busy = TRUE;
    g_mutex_unlock (&self->lock);
    if (r->keyframe)
      make_picture (self, r);
    else
      take_picture (self, r);
    request_free (r);
    g_mutex_lock (&self->lock);
  }
  self->busy = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

CsSnapshotter *
cs_snapshotter_new (CsStore * store, const CsSnapshotCallbacks * callbacks)
{
  CsSnapshotter *self = g_new0 (CsSnapshotter, 1);

  self->store = store;
  self->cb = *callbacks;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->requests);
  self->latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->stopping = g_cancellable_new ();
  return self;
}

static void
queue_request (CsSnapshotter * self, Request * r)
{
  g_mutex_lock (&self->lock);
  r->seq = ++self->next_seq;
  g_hash_table_insert (self->latest, g_strdup (r->event_id),
      g_memdup2 (&r->seq, sizeof r->seq));
  g_queue_push_tail (&self->requests, r);
  self->busy = TRUE;
  if (self->thread == NULL)
    self->thread = g_thread_new ("cs-snapshot", run, self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
cs_snapshotter_request (CsSnapshotter * self, const gchar * event_id,
    guint trigger, const gchar * key)
{
  Request *r = g_new0 (Request, 1);

  r->event_id = g_strdup (event_id);
  r->trigger = trigger;
  r->key = g_strdup (key);
  queue_request (self, r);
}

void
cs_snapshotter_request_keyframe (CsSnapshotter * self, const gchar * event_id,
    const gchar * key, GstSample * keyframe)
{
  Request *r = g_new0 (Request, 1);

  r->event_id = g_strdup (event_id);
  r->key = g_strdup (key);
  r->keyframe = gst_sample_ref (keyframe);
  queue_request (self, r);
}

gboolean
cs_snapshotter_wait_idle (CsSnapshotter * self, gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  gboolean idle;

  g_mutex_lock (&self->lock);
  while (self->busy && !self->interrupted && !self->idle_waits_interrupted
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  idle = !self->busy;
  g_mutex_unlock (&self->lock);
  return idle;
}

void
cs_snapshotter_interrupt_waits (CsSnapshotter * self)
{
  g_mutex_lock (&self->lock);
  self->interrupted = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
cs_snapshotter_interrupt_idle_waits (CsSnapshotter * self, gboolean interrupt)
{
  g_mutex_lock (&self->lock);
  self->idle_waits_interrupted = interrupt;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
cs_snapshotter_free (CsSnapshotter * self)
{
  gint64 deadline = g_get_monotonic_time () + STOP_GRACE_MS * 1000;
  GThread *thread;

  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->cond);
  thread = g_steal_pointer (&self->thread);
  /* A picture the helper is about to finish is kept (the outbox outlives
   * the snapshotter); one that hangs is killed after STOP_GRACE_MS, at
   * once on a forced exit. */
  while (thread && self->busy && !self->interrupted
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->stopping);
  if (thread)
    g_thread_join (thread);
  g_object_unref (self->stopping);
  g_queue_clear_full (&self->requests, (GDestroyNotify) request_free);
  g_hash_table_unref (self->latest);
  cs_store_free (self->store);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
