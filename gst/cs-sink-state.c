/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's run: begun at start with the objects start made, ended at stop
 * (its objects freed in their order), and its state reset in one place (as
 * gst-plugins-rs' elements do `*state = State::default()` at stop): what a
 * run copied from the settings and learned from its stream is dropped, so
 * that a restart (PLAYING -> NULL -> PLAYING, the same codec or another)
 * begins like the first run.  Which fields are constant for a run is
 * written in gstcssink-private.h.
 *
 * Threads: the state changes (start, stop), init and finalize, with no
 * streaming thread running yet (begin) or any more (end).
 * Locks: self->lock, never held while a thread is made or joined or the
 * outbox freed; cs_sink_state_reset () is called with it held (or before
 * the element is shared). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-key.h"

#include <string.h>

/* Drops what the last run left, keeping its counts for the stats, and
 * starts afresh.  The run's objects (outbox, snapshotter, muxer) are freed
 * by the stop itself, in their order, outside the lock. */
void
cs_sink_state_reset (CsSinkCore * self)
{
  CsSinkStream *st = &self->st;

  self->stopped_counts.segments_recorded = st->segments_recorded;
  self->stopped_counts.frames_dropped = st->video_order.dropped +
      st->audio_order.dropped;
  cs_sink_events_free (st->events);
  cs_stored_events_free (st->stored);
  g_free (st->auto_picture_event);
  g_free (st->auto_picture_key);
  g_free (st->last_upload_error);

  memset (st, 0, sizeof *st);
  cs_leg_order_reset (&st->video_order);
  cs_leg_order_reset (&st->audio_order);
  gst_segment_init (&st->video_segment, GST_FORMAT_TIME);
  memset (&self->run, 0, sizeof self->run);
  self->drain_interrupted = FALSE;
}

/* A run begins: its settings and @outbox (opened by start), its events and
 * its snapshotter. */
void
cs_sink_state_begin (CsSinkCore * self, const StartSettings * ss,
    CsOutbox * outbox)
{
  CsSnapshotter *snapshotter = cs_sink_pictures_new (self);

  g_mutex_lock (&self->lock);
  cs_sink_state_reset (self);
  self->run = ss->run;
  self->st.events = cs_sink_events_new (ss->device_id,
      ss->outbox.keyring ? (gint64) cs_keyring_writing_id (ss->outbox.keyring)
      : CS_KEY_NO_KEY_ID);
  self->st.stored = cs_stored_events_new ();
  memset (&self->stopped_stats, 0, sizeof self->stopped_stats);
  self->outbox = outbox;
  self->snapshotter = snapshotter;
  g_mutex_unlock (&self->lock);
}

/* The run ends, its streaming threads stopped: its objects are freed (the
 * snapshotter first: its thread may call into the events and the outbox;
 * then the outbox, its stats kept; then the muxer) and its state reset. */
void
cs_sink_state_end (CsSinkCore * self)
{
  CsOutbox *outbox;

  cs_snapshotter_free (g_steal_pointer (&self->snapshotter));
  g_mutex_lock (&self->lock);
  outbox = g_steal_pointer (&self->outbox);
  cs_sink_state_reset (self);
  if (outbox)
    cs_outbox_get_stats (outbox, &self->stopped_stats);
  g_mutex_unlock (&self->lock);
  cs_outbox_free (outbox);
  cs_sink_mux_drop (self);
}
