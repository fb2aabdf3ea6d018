/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's run state reset in one place (as gst-plugins-rs' elements do
 * `*state = State::default()` at stop): what a run copied from the settings
 * and learned from its stream is dropped, so that a restart (PLAYING ->
 * NULL -> PLAYING, the same codec or another) begins like the first run.
 * Which fields are constant for a run is written in gstcssink-private.h.
 *
 * Threads: the state changes (start, stop), init and finalize, with no
 * streaming thread running.
 * Locks: called with self->lock held (or before the element is shared). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"

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

  memset (st, 0, sizeof *st);
  cs_leg_order_reset (&st->video_order);
  cs_leg_order_reset (&st->audio_order);
  gst_segment_init (&st->video_segment, GST_FORMAT_TIME);
  memset (&self->run, 0, sizeof self->run);
  self->drain_interrupted = FALSE;
}
