/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Alarm pictures, with the reference API's rules, on a thread of their own
 * (an application's capture callback may be slow): ask the application for
 * a picture file, wait until it is over 2 KiB (at most 5 s), store it, and
 * give every picture exactly one result. */
#pragma once

#include <gst/gst.h>
#include "cs-store.h"

G_BEGIN_DECLS

typedef enum {
  CS_SNAPSHOT_OK = 0,
  CS_SNAPSHOT_TIME_OUT = 1,     /* never over 2 KiB in 5 s, or not stored */
  CS_SNAPSHOT_EXPIRED = 2,      /* a newer picture of the event replaced it */
  CS_SNAPSHOT_NOT_EXIST = 3,    /* no such file */
} CsSnapshotResult;

#define CS_SNAPSHOT_MIN_BYTES 2048
#define CS_SNAPSHOT_WAIT_MS 5000

typedef struct {
  /* Returns a file path (g_free'd), or NULL for no picture. */
  gchar *(*capture) (const gchar * event_id, guint trigger, gpointer data);
  void (*result) (const gchar * path, CsSnapshotResult result, gpointer data);
  /* The picture of @event_id was stored at @key. */
  void (*stored) (const gchar * event_id, const gchar * key, gpointer data);
  /* Optional: stores the picture (TRUE once it is stored, or kept to be:
   * an outbox with its retries and spool), instead of one cs_store_put ()
   * on the snapshotter's store. */
  gboolean (*store) (const gchar * key, GBytes * jpeg, gpointer data,
      GError ** error);
  gpointer data;
  /* Optional: no picture of @event_id's keyframe could be made, and why. */
  void (*picture_failed) (const gchar * event_id, const GError * error,
      gpointer data);
} CsSnapshotCallbacks;

typedef struct _CsSnapshotter CsSnapshotter;

/* Takes @store (NULL when callbacks->store stores the pictures). */
CsSnapshotter *cs_snapshotter_new (CsStore * store,
    const CsSnapshotCallbacks * callbacks);
/* Asks for a picture of @event_id, to be stored at @key. */
void cs_snapshotter_request (CsSnapshotter * self, const gchar * event_id,
    guint trigger, const gchar * key);
/* A picture of @event_id made from @keyframe by cs-picture-helper (no
 * application involved, so no result either; a failure goes to
 * picture_failed), to be stored at @key. */
void cs_snapshotter_request_keyframe (CsSnapshotter * self,
    const gchar * event_id, const gchar * key, GstSample * keyframe);
/* Waits until every request is done, at most @timeout_ms. */
gboolean cs_snapshotter_wait_idle (CsSnapshotter * self, gint64 timeout_ms);
/* Ends the waits of wait_idle (), now and later (a forced exit); the
 * picture under way goes on. */
void cs_snapshotter_interrupt_waits (CsSnapshotter * self);
/* While @interrupt, wait_idle () returns at once (cssink leaving PLAYING
 * during an EOS drain); the pictures go on, and a stop still gives the one
 * under way its grace. */
void cs_snapshotter_interrupt_idle_waits (CsSnapshotter * self,
    gboolean interrupt);
/* Ends the wait of the picture under way (TIME_OUT; a picture's helper is
 * given 2 s more, then killed), forgets the requests not yet made, joins
 * the thread. */
void cs_snapshotter_free (CsSnapshotter * self);

G_END_DECLS
