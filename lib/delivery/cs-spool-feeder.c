/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-spool-feeder.h"
#include "cs-crypt.h"
#include "cs-key.h"

/* A failed upload is tried again at the next round, at most this late. */
#define ROUND_MS 1000

/* Lock order: self->lock before the spool's own (drain () reads its size
 * with it); never held while reading or removing an object or pushing to
 * an uploader (whose push may wait for room). */
struct _CsSpoolFeeder
{
  CsSpool *spool;
  CsUploader *segments, *objects, *pictures;
  GThread *thread;
  GMutex lock;
  GCond cond;                   /* woken, something done, or stopping */
  GHashTable *in_flight;        /* keys handed to an uploader */
  gboolean woken, stopping;
};

static CsUploader *
uploader_of (CsSpoolFeeder * self, const gchar * key)
{
  if (cs_key_is_segment (key))
    return self->segments;
  if (g_str_has_suffix (key, ".jpg"))
    return self->pictures;
  return self->objects;
}

/* Hands over what is not yet in flight; FALSE when stopping. */
static gboolean
feed_round (CsSpoolFeeder * self)
{
  g_autoptr (GPtrArray) keys = cs_spool_keys (self->spool);

  for (guint i = 0; i < keys->len; i++) {
    const gchar *key = g_ptr_array_index (keys, i);
    g_autoptr (GBytes) data = NULL;
    gint64 start = 0, duration = 0;

    g_mutex_lock (&self->lock);
    if (self->stopping) {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
    if (g_hash_table_contains (self->in_flight, key)) {
      g_mutex_unlock (&self->lock);
      continue;
    }
    g_hash_table_add (self->in_flight, g_strdup (key));
    g_mutex_unlock (&self->lock);

    data = cs_spool_read (self->spool, key, NULL);
    if (data == NULL) {         /* removed meanwhile (spool full) */
      cs_spool_feeder_done (self, key, FALSE);
      continue;
    }
    cs_key_parse_segment (key, &start, &duration);
    /* Waits for room: the spool, not the memory cache, holds the backlog. */
    cs_uploader_push (uploader_of (self, key), cs_upload_item_new (key, data,
            cs_crypt_content_type (key, data), start, duration), TRUE);
  }
  return TRUE;
}

static gpointer
run (gpointer data)
{
  CsSpoolFeeder *self = data;
  gboolean stopping = FALSE;

  while (!stopping && feed_round (self)) {
    gint64 until = g_get_monotonic_time () + ROUND_MS * 1000;

    g_mutex_lock (&self->lock);
    while (!self->woken && !self->stopping
        && g_cond_wait_until (&self->cond, &self->lock, until));
    self->woken = FALSE;
    stopping = self->stopping;
    g_mutex_unlock (&self->lock);
  }
  return NULL;
}

CsSpoolFeeder *
cs_spool_feeder_new (CsSpool * spool, CsUploader * segments,
    CsUploader * objects, CsUploader * pictures)
{
  CsSpoolFeeder *self = g_new0 (CsSpoolFeeder, 1);

  self->spool = spool;
  self->segments = segments;
  self->objects = objects;
  self->pictures = pictures;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  return self;
}

void
cs_spool_feeder_start (CsSpoolFeeder * self)
{
  self->thread = g_thread_new ("cs-spool", run, self);
}

void
cs_spool_feeder_wake (CsSpoolFeeder * self)
{
  g_mutex_lock (&self->lock);
  self->woken = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

gboolean
cs_spool_feeder_done (CsSpoolFeeder * self, const gchar * key,
    gboolean stored)
{
  gboolean ours;

  g_mutex_lock (&self->lock);
  ours = g_hash_table_contains (self->in_flight, key);
  g_mutex_unlock (&self->lock);
  if (!ours)
    return FALSE;
  if (stored)
    cs_spool_remove (self->spool, key);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->in_flight, key);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
cs_spool_feeder_drain (CsSpoolFeeder * self, gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  gboolean empty;

  g_mutex_lock (&self->lock);
  while (!(empty = cs_spool_bytes (self->spool) == 0
          && g_hash_table_size (self->in_flight) == 0) && !self->stopping
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  g_mutex_unlock (&self->lock);
  return empty;
}

void
cs_spool_feeder_stop (CsSpoolFeeder * self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
cs_spool_feeder_free (CsSpoolFeeder * self)
{
  if (self == NULL)
    return;
  cs_spool_feeder_stop (self);
  g_thread_join (self->thread);
  g_hash_table_unref (self->in_flight);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
