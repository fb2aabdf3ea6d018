/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's delivery glue: opens the outbox of a run, tells what its reports
 * say (element messages, errors, cs-event-stored), hands event objects to
 * it, counts (stats), and at the end of the stream drains it for at most
 * drain-timeout before cssink posts its EOS.
 *
 * Threads: cs_sink_delivery_open() on the state change to PAUSED; the
 * reports on the outbox's threads (or the one that put or stopped); the
 * drain and the end on a streaming thread (the video's EOS, or the muxer's
 * through the cutter); the stats on the application's.
 * Locks: self->lock only, never held while calling into the outbox or
 * posting (the whole order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-sink-report.h"
#include "cs-key.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_cs_sink_debug

#define BACKOFF_INITIAL_MS 500
#define BACKOFF_MAX_MS 30000
/* Event objects (event.json, playlists) and pictures wait in caches of
 * their own, so that segments never push them out. */
#define EVENT_OBJECTS_MAX_ITEMS 64
#define EVENT_OBJECTS_MAX_BYTES (16 * 1024 * 1024)
#define PICTURES_MAX_ITEMS 8
#define PICTURES_MAX_BYTES (8 * 1024 * 1024)

/* The store's last word on an object: events it completes are whole in the
 * store, which cs-event-stored tells. */
static void
note_outcome (CsSinkCore * self, const CsOutboxReport * r)
{
  g_autoptr (GPtrArray) whole = NULL;

  g_mutex_lock (&self->lock);
  if (self->st.stored) {
    cs_stored_events_outcome (self->st.stored, r->key,
        r->outcome == CS_OUTBOX_UPLOADED);
    whole = cs_stored_events_take_whole (self->st.stored);
  }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; whole && i < whole->len; i++) {
    GstStructure *s = g_ptr_array_index (whole, i);
    GST_INFO_OBJECT (self, "event whole in the store: %" GST_PTR_FORMAT, s);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s)));
  }
}

/* Called by the outbox, on one of its threads or the one that put or
 * stopped, never with a lock held. */
static void
on_outbox_report (const CsOutboxReport * r, gpointer user_data)
{
  CsSinkCore *self = user_data;
  GstStructure *s = NULL;

  switch (r->outcome) {
    case CS_OUTBOX_UPLOADED:
      GST_INFO_OBJECT (self, "uploaded %s (%" G_GUINT64_FORMAT " bytes)",
          r->key, r->bytes);
      break;
    case CS_OUTBOX_DROPPED:
      GST_WARNING_OBJECT (self, "dropped %s: %s", r->key, r->reason);
      break;
    case CS_OUTBOX_ATTEMPT_FAILED:
    case CS_OUTBOX_FAILED:
      GST_WARNING_OBJECT (self, "upload of %s failed (attempt %u%s): %s",
          r->key, r->attempt, r->outcome == CS_OUTBOX_ATTEMPT_FAILED ?
          ", will retry" : "", r->error->message);
      g_mutex_lock (&self->lock);
      g_free (self->st.last_upload_error);
      self->st.last_upload_error = g_strdup (r->error->message);
      g_mutex_unlock (&self->lock);
      break;
    case CS_OUTBOX_NOT_SPOOLED:
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("A segment could not be written to the spool."),
          ("%s: %s", r->key, r->error->message));
      return;
  }
  /* Whatever its kind, what the spool pushed out is told (the key only). */
  if (r->outcome == CS_OUTBOX_DROPPED
      && g_strcmp0 (r->reason, CS_OUTBOX_DROP_SPOOL_FULL) == 0)
    s = gst_structure_new ("cs-segment-dropped", "key", G_TYPE_STRING,
        r->key, "reason", G_TYPE_STRING, r->reason, NULL);
  else if (r->kind == CS_OUTBOX_SEGMENT)
    s = cs_sink_report_segment_message (r);
  if (s != NULL)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  if (r->outcome != CS_OUTBOX_ATTEMPT_FAILED)
    note_outcome (self, r);
  if (r->outcome == CS_OUTBOX_FAILED)
    cs_sink_report_post_failure (GST_ELEMENT (self), r);
}

GstStructure *
cs_sink_delivery_stats (CsSinkCore * self)
{
  CsOutboxStats ob;
  CsUploaderStats *st = &ob.kinds[CS_OUTBOX_SEGMENT];
  guint64 recorded, frames_dropped;

  g_mutex_lock (&self->lock);
  if (self->outbox) {
    cs_outbox_get_stats (self->outbox, &ob);
    recorded = self->st.segments_recorded;
    frames_dropped = self->st.video_order.dropped +
        self->st.audio_order.dropped;
  } else {
    ob = self->stopped_stats;
    recorded = self->stopped_counts.segments_recorded;
    frames_dropped = self->stopped_counts.frames_dropped;
  }
  g_mutex_unlock (&self->lock);

  return gst_structure_new ("cssink-stats",
      "segments-recorded", G_TYPE_UINT64, recorded,
      "segments-uploaded", G_TYPE_UINT64, st->uploaded,
      "bytes-uploaded", G_TYPE_UINT64, st->bytes_uploaded,
      "upload-retries", G_TYPE_UINT64, st->retries,
      "segments-dropped", G_TYPE_UINT64, st->dropped,
      "uploads-failed", G_TYPE_UINT64, st->failed,
      "segments-pending", G_TYPE_UINT, st->pending,
      "bytes-pending", G_TYPE_UINT64, st->pending_bytes,
      "spool-bytes", G_TYPE_UINT64, ob.spool_bytes,
      "spool-dropped", G_TYPE_UINT64, ob.spool_dropped,
      "frames-dropped", G_TYPE_UINT64, frames_dropped, NULL);
}

static void drain (CsSinkCore * self);

/* The stream ended: drains the uploads, then tells the pipeline (cssink holds
 * no sink element of its own that would), once per run. */
void
cs_sink_delivery_end (CsSinkCore * self, guint32 seqnum)
{
  GstMessage *msg;
  gboolean posted;

  g_mutex_lock (&self->lock);
  posted = self->st.eos_posted;
  self->st.eos_posted = TRUE;
  g_mutex_unlock (&self->lock);
  if (posted)
    return;
  drain (self);
  msg = gst_message_new_eos (GST_OBJECT (self));
  gst_message_set_seqnum (msg, seqnum);
  gst_element_post_message (GST_ELEMENT (self), msg);
}

/* Hands event objects (CsUploadItem) to the outbox; never waits. */
void
cs_sink_delivery_put_objects (CsSinkCore * self, GPtrArray * uploads)
{
  CsOutbox *outbox;

  g_mutex_lock (&self->lock);
  outbox = self->outbox;
  if (self->st.stored) {
    g_autoptr (GPtrArray) done = cs_sink_events_take_done (self->st.events);
    for (guint i = 0; i < uploads->len; i++)
      cs_stored_events_sent (self->st.stored,
          ((CsUploadItem *) g_ptr_array_index (uploads, i))->key);
    for (guint i = 0; i < done->len; i++) {
      CsSinkEventDone *d = g_ptr_array_index (done, i);
      cs_stored_events_wait (self->st.stored, d->event_id, d->json_key,
          g_steal_pointer (&d->keys));
    }
  }
  g_mutex_unlock (&self->lock);
  /* The outbox is freed only after the streaming threads have stopped. */
  for (guint i = 0; i < uploads->len; i++) {
    CsUploadItem *item = g_ptr_array_index (uploads, i);
    if (outbox)
      cs_outbox_put (outbox, cs_outbox_kind_of_key (item->key), item->key,
          item->data, FALSE);
    cs_upload_item_free (item);
  }
  g_ptr_array_set_size (uploads, 0);
}

static gboolean
drain_interrupted (CsSinkCore * self)
{
  gboolean interrupted;

  g_mutex_lock (&self->lock);
  interrupted = self->drain_interrupted;
  g_mutex_unlock (&self->lock);
  return interrupted;
}

/* A state change away from PLAYING must not wait for an EOS drain: it runs
 * in the sink's streaming thread, which the change waits for.  What is
 * pending goes on uploading (and is dropped at READY), a picture under way
 * goes on being made. */
void
cs_sink_delivery_interrupt_drain (CsSinkCore * self, gboolean interrupt)
{
  g_mutex_lock (&self->lock);
  self->drain_interrupted = interrupt;
  if (self->outbox)
    cs_outbox_interrupt_drains (self->outbox, interrupt);
  if (self->snapshotter)
    cs_snapshotter_interrupt_idle_waits (self->snapshotter, interrupt);
  g_mutex_unlock (&self->lock);
}

/* At EOS: finishes the events, gives the outbox up to drain-timeout, then
 * lets EOS through. */
static void
drain (CsSinkCore * self)
{
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();
  guint left[CS_OUTBOX_N_KINDS];
  CsOutbox *outbox;
  guint64 timeout;
  gint64 deadline;
  gboolean spooled;
  g_autofree gchar *why = NULL;

  g_mutex_lock (&self->lock);
  timeout = self->run.drain_timeout;
  spooled = self->run.spooled;
  outbox = self->outbox;
  g_mutex_unlock (&self->lock);
  if (outbox == NULL)
    return;
  deadline = g_get_monotonic_time () / 1000 + timeout / GST_MSECOND;
  /* The pictures under way, so that the final event.json names them. */
  cs_snapshotter_wait_idle (self->snapshotter, timeout / GST_MSECOND);
  g_mutex_lock (&self->lock);
  cs_sink_events_finish (self->st.events, uploads);
  g_mutex_unlock (&self->lock);
  cs_sink_delivery_put_objects (self, uploads);

  GST_INFO_OBJECT (self, "EOS: draining uploads for at most %" GST_TIME_FORMAT,
      GST_TIME_ARGS (timeout));
  if (cs_outbox_drain (outbox, MAX (deadline - g_get_monotonic_time () / 1000,
              0), left))
    return;
  /* Why: a user who sees only the bus (gst-launch-1.0) hears of the
   * store's refusals here first (each attempt is an element message). */
  g_mutex_lock (&self->lock);
  why = g_strdup_printf ("the store's answer to the last failed attempt: %s",
      self->st.last_upload_error ? self->st.last_upload_error :
      "none yet (the uploads under way had no answer)");
  g_mutex_unlock (&self->lock);
  if (spooled) {
    /* What is not uploaded by then stays on disk for the next start. */
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Some segments were not uploaded before the drain timeout; they "
            "stay in the spool for the next start."), ("%s", why));
    return;
  }
  if (drain_interrupted (self))
    return;
  if (left[CS_OUTBOX_SEGMENT] > 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("%u segments were not uploaded before the drain timeout.",
            left[CS_OUTBOX_SEGMENT]), ("%s", why));
  if (left[CS_OUTBOX_EVENT_OBJECT] + left[CS_OUTBOX_PICTURE] > 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Event objects were not uploaded before the drain timeout."),
        ("%s", why));
  /* Each is reported as dropped before EOS reaches the application. */
  cs_outbox_stop (outbox, CS_UPLOAD_DROP_DRAIN_TIMEOUT);
}

/* The store's notices (the S3 clock correction) as bus warnings. */
static void
store_notice (const gchar * message, gpointer data)
{
  CsSinkCore *self = data;

  GST_ELEMENT_WARNING (self, CORE, CLOCK, ("%s", message), (NULL));
}

/* Checks the location and device-id, opens the store and starts the outbox
 * of a run (the caller sets self->outbox); NULL with an element error.
 * Without any lock. */
CsOutbox *
cs_sink_delivery_open (CsSinkCore * self, StartSettings * ss)
{
  g_autoptr (GError) error = NULL;
  CsStore *store;
  CsOutbox *outbox;
  CsSpoolOpenInfo found = { 0 };
  CsUploaderLimits limits = ss->outbox.limits[CS_OUTBOX_SEGMENT];

  limits.backoff_initial_ms = BACKOFF_INITIAL_MS;
  limits.backoff_max_ms = BACKOFF_MAX_MS;
  ss->outbox.limits[CS_OUTBOX_SEGMENT] = limits;
  limits.max_items = EVENT_OBJECTS_MAX_ITEMS;
  limits.max_bytes = EVENT_OBJECTS_MAX_BYTES;
  ss->outbox.limits[CS_OUTBOX_EVENT_OBJECT] = limits;
  limits.max_items = PICTURES_MAX_ITEMS;
  limits.max_bytes = PICTURES_MAX_BYTES;
  ss->outbox.limits[CS_OUTBOX_PICTURE] = limits;

  if (ss->location == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No store location given."),
        ("set location=file:///dir, s3://bucket/prefix or http(s)://..."));
    return NULL;
  }
  if (ss->encryption_key_file != NULL
      && !(ss->outbox.keyring = cs_keyring_load (ss->encryption_key_file,
              &error))) {
    /* The message names the file and the line, never a key. */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use the encryption key file: %s", error->message), (NULL));
    return NULL;
  }
  if (!cs_key_name_is_valid (ss->device_id)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid device-id: use 1 to 128 of A-Z a-z 0-9 . _ - "
            "(not starting with '.')."), (NULL));
    return NULL;
  }
  ss->store.endpoint = ss->endpoint;
  ss->store.region = ss->region;
  ss->store.access_key = ss->access_key;
  ss->store.secret_key = ss->secret_key;
  ss->store.session_token = ss->session_token;
  ss->store.tls_ca_file = ss->tls_ca_file;
  ss->store.notice = store_notice;
  ss->store.notice_data = self;
  /* The AWS variables, so that secrets need not be in a launch line (which
   * ps shows and GStreamer's parser logs). */
  cs_store_config_fill_from_env (&ss->store);
  ss->outbox.spool_dir = ss->spool_dir;
  ss->outbox.device_id = ss->device_id;
  /* The store copies what it keeps of the config. */
  store = cs_store_new (ss->location, &ss->store, &error);
  if (store == NULL) {
    /* Not the location itself: a URI may carry a password. */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use the store location."), ("%s", error->message));
    return NULL;
  }
  GST_INFO_OBJECT (self, "recording %s to %s", ss->device_id,
      cs_store_get_display_uri (store));
  outbox = cs_outbox_new (store, &ss->outbox, on_outbox_report, self, &found,
      &error);
  if (outbox == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot use the spool directory."), ("%s", error->message));
    return NULL;
  }
  if (ss->spool_dir != NULL) {
    CsOutboxStats stats;

    if (found.discarded > 0)
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("%u half-written files in the spool were discarded.",
              found.discarded), (NULL));
    if (found.foreign > 0)
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("%u objects in the spool belong to another store or device: "
              "left alone.", found.foreign), ("%s", found.foreign_owners));
    cs_spool_open_info_clear (&found);
    cs_outbox_get_stats (outbox, &stats);
    GST_INFO_OBJECT (self, "spool %s: %" G_GUINT64_FORMAT " bytes waiting",
        ss->spool_dir, stats.spool_bytes);
  }
  return outbox;
}

void
cs_sink_start_settings_clear (StartSettings * ss)
{
  g_free (ss->location);
  g_free (ss->device_id);
  g_free (ss->endpoint);
  g_free (ss->region);
  g_free (ss->access_key);
  if (ss->secret_key)
    memset (ss->secret_key, 0, strlen (ss->secret_key));
  g_free (ss->secret_key);
  g_free (ss->session_token);
  g_free (ss->tls_ca_file);
  g_free (ss->spool_dir);
  g_free (ss->encryption_key_file);
  g_clear_pointer (&ss->outbox.keyring, cs_keyring_unref);
}
