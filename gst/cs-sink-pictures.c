/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's snapshot glue: the snapshotter's callbacks, which ask the
 * application for an alarm's picture (capture-snapshot), tell what became
 * of it (snapshot-result), store it through the outbox (retries, spool),
 * and name it in the event's event.json once stored; a picture cssink makes
 * itself (auto-snapshot) that fails is a bus warning.
 *
 * Threads: the snapshotter's thread.
 * Locks: self->lock only, never held while emitting a signal or calling
 * into the outbox (the whole order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"

#define GST_CAT_DEFAULT gst_cs_sink_debug

/* On the snapshot thread: the application's picture for an alarm. */
static gchar *
capture_snapshot (const gchar * event_id, guint trigger, gpointer data)
{
  gchar *path = NULL;

  g_signal_emit (data, gst_cs_sink_signals[SIGNAL_CAPTURE_SNAPSHOT], 0,
      event_id, trigger, &path);
  return path;
}

static void
snapshot_result (const gchar * path, CsSnapshotResult result, gpointer data)
{
  GST_INFO_OBJECT (data, "picture %s: %d", path, result);
  g_signal_emit (data, gst_cs_sink_signals[SIGNAL_SNAPSHOT_RESULT], 0, path,
      result);
}

/* On the snapshot thread: the picture goes through the outbox like every
 * object (retries, spool), and its result waits for the store's answer. */
static gboolean
store_picture (const gchar * key, GBytes * jpeg, gpointer data,
    GError ** error)
{
  CsSinkCore *self = data;
  CsOutbox *outbox;

  g_mutex_lock (&self->lock);
  outbox = self->outbox;
  g_mutex_unlock (&self->lock);
  /* The snapshotter is freed before the outbox. */
  return cs_outbox_put_and_wait (outbox, CS_OUTBOX_PICTURE, key, jpeg, error);
}

static void
snapshot_stored (const gchar * event_id, const gchar * key, gpointer data)
{
  CsSinkCore *self = data;
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();

  g_mutex_lock (&self->lock);
  if (self->st.events)
    cs_sink_events_set_snapshot (self->st.events, event_id, uploads);
  g_mutex_unlock (&self->lock);
  cs_sink_delivery_put_objects (self, uploads);
}

/* On the snapshot thread: cssink's own picture of an event could not be
 * made (cs-picture-helper missing, failed, killed): the recording goes on. */
static void
picture_failed (const gchar * event_id, const GError * error, gpointer data)
{
  GST_ELEMENT_WARNING_WITH_DETAILS (GST_ELEMENT (data), STREAM, DECODE,
      ("No picture could be made of event %s: %s.", event_id,
          error->message),
      ("%s", error->message), ("event-id", G_TYPE_STRING, event_id,
          "reason", G_TYPE_STRING, error->message, NULL));
}

/* The run's snapshotter; freed before the outbox. */
CsSnapshotter *
cs_sink_pictures_new (CsSinkCore * self)
{
  CsSnapshotCallbacks pictures = { capture_snapshot, snapshot_result,
    snapshot_stored, store_picture, self, picture_failed
  };

  return cs_snapshotter_new (NULL, &pictures);
}
