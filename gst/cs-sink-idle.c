/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's idle check: when no video came for segment-idle-timeout, the
 * open segment is closed after its last frame and stored now, not when
 * frames come back (a stalled encoder, a camera stopped by its firmware).
 *
 * Threads: the ticker thread (cs-ticker.c, one for the process), every
 * IDLE_CHECK_MS.
 * Locks: self->lock to read the run's state, released before the video
 * leg's stream lock is tried (never waited for: frames coming means no
 * idleness) and the cutter called (the whole order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"

#define GST_CAT_DEFAULT gst_cs_sink_debug

/* The video thread has been inside the muxer for the idle timeout: when
 * the audio stopped before the video's @end, mpegtsmux (which waits for
 * every stream) holds the last video frames for audio that will not come.
 * A gap on the audio up to @end, once, lets them out; the next check then
 * closes the segment. */
static void
unblock_video (CsSinkCore * self, GstPad * asink, GstClockTime end)
{
  gboolean behind;

  g_mutex_lock (&self->lock);
  behind = GST_CLOCK_TIME_IS_VALID (end)
      && GST_CLOCK_TIME_IS_VALID (self->st.audio_order.last_rt)
      && self->st.audio_order.last_rt < end && self->st.idle_gap_rt != end;
  g_mutex_unlock (&self->lock);
  if (!behind || !GST_PAD_STREAM_TRYLOCK (asink))
    return;
  GST_INFO_OBJECT (self, "no video for the idle timeout, the audio stopped "
      "first: a gap on the audio to %" GST_TIME_FORMAT, GST_TIME_ARGS (end));
  cs_sink_audio_gap_at (self, self->audio_pad_src, end);
  GST_PAD_STREAM_UNLOCK (asink);
  g_mutex_lock (&self->lock);
  self->st.idle_gap_rt = end;
  g_mutex_unlock (&self->lock);
}

/* On the ticker thread: when no video came for segment-idle-timeout, the
 * open segment is closed after its last frame, so that it is stored now
 * rather than when frames come back.  The close enters the muxer under the
 * stream lock of the video parser's input, so it follows every frame before
 * it. */
gboolean
cs_sink_idle_check (gpointer data)
{
  CsSinkCore *self = data;
  GstPad *vsink = NULL, *muxpad = NULL, *asink = NULL;
  CsCutter *cutter;
  gint64 idle_us;

  g_mutex_lock (&self->lock);
  cutter = self->cutter;
  idle_us = self->run.idle_timeout / GST_USECOND;
  if (self->outbox == NULL || cutter == NULL || self->st.video_eos
      || self->video_parser == NULL
      || g_get_monotonic_time () - self->st.video_arrival_us < idle_us) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_CONTINUE;
  }
  vsink = gst_element_get_static_pad (self->video_parser, "sink");
  muxpad = cs_sink_leg_muxpad (self->video_parser);
  if (self->audio_parser)
    asink = gst_element_get_static_pad (self->audio_parser, "sink");
  g_mutex_unlock (&self->lock);

  if (muxpad && cs_cutter_is_open (cutter)) {
    if (GST_PAD_STREAM_TRYLOCK (vsink)) {
      GstClockTime end = cs_cutter_video_end (cutter);
      if (cs_cutter_close (cutter, muxpad, end)) {
        g_mutex_lock (&self->lock);
        self->st.idle_closed = TRUE;
        g_mutex_unlock (&self->lock);
        GST_INFO_OBJECT (self, "no video for %" G_GINT64_FORMAT " ms: the "
            "segment ends at %" GST_TIME_FORMAT, idle_us / 1000,
            GST_TIME_ARGS (end));
        /* Audio that stopped as well must not hold the muxer back. */
        if (asink && GST_PAD_STREAM_TRYLOCK (asink)) {
          cs_sink_audio_gap_at (self, self->audio_pad_src, end);
          GST_PAD_STREAM_UNLOCK (asink);
        }
      }
      GST_PAD_STREAM_UNLOCK (vsink);
    } else if (asink) {
      /* A stream thread inside the parser: frames are coming after all,
       * or it waits in the muxer for audio that stopped first. */
      unblock_video (self, asink, cs_cutter_video_end (cutter));
    }
  }
  gst_clear_object (&asink);
  gst_object_unref (vsink);
  gst_clear_object (&muxpad);
  return G_SOURCE_CONTINUE;
}
