/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's muxer: each run's muxer and the cutter of its output, made
 * at start and dropped at stop (a restart may bring another codec); the
 * legs (one parser per stream, or for parsed video an identity with a
 * parameter-set keeper; no queue) added to it, the audio's stream
 * announced before its first frame, the muxer's latency chosen once per
 * run (live or not).  The muxer is mpegtsmux, or for container=fmp4
 * csfmp4mux (cs-fmp4.h), which takes the same legs and marks.
 *
 * Threads: make, drop and announce on the state changes (the
 * application's thread, no streaming thread running); add_leg, request_pad
 * and set_latency on a streaming thread (the first caps or frame of a leg).
 * Locks: self->lock only, for the mux and cutter pointers, never held while
 * calling into the muxer or the cutter (the whole order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-ticker.h"

#define GST_CAT_DEFAULT gst_cs_sink_debug
/* A live muxer's room beyond its two frames per stream: cseventgate lets
 * audio through behind the video it follows (a pre-roll comes at once), so
 * the video must not wait in the muxer for that audio.  The room holds two
 * of the longest audio frames: AAC's 1024 samples last 128 ms at 8 kHz
 * (64 ms at 16 kHz, cameras' usual rates); with 40 ms, an event recording
 * with such audio stalled after its first segment. */
#define LIVE_MUX_LATENCY (300 * GST_MSECOND)

/* The muxer's pad a leg feeds (NULL when not linked); ref'd. */
GstPad *
cs_sink_leg_muxpad (GstElement * parser)
{
  GstPad *srcpad = gst_element_get_static_pad (parser, "src");
  GstPad *muxpad = gst_pad_get_peer (srcpad);

  gst_object_unref (srcpad);
  return muxpad;
}

/* A leg answers ALLOCATION itself: mpegtsmux has nothing to propose (the
 * encoder allocates as it would anyway), and the muxer queues a serialized
 * query behind the buffer it holds.  That buffer waits for the other
 * stream, which cseventgate lets through only behind later video: a video
 * thread blocked on the query (an encoder renegotiating after its first
 * frame) would never bring it, nor would a live muxer time out (mpegtsmux
 * has no next-time, so it waits for every stream). */
static GstPadProbeReturn
leg_allocation_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  if (GST_QUERY_TYPE (GST_PAD_PROBE_INFO_QUERY (info)) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_HANDLED;
}

/* Adds one stream's parser, feeding the muxer directly (no queue, no thread
 * of its own: the muxer takes each stream as it comes), and returns the
 * parser's sink pad. */
GstPad *
cs_sink_mux_add_leg (CsSinkCore * self, GstElement * parser, GstPad * muxpad)
{
  GstPad *sinkpad, *srcpad;

  gst_bin_add (GST_BIN (self), parser);
  srcpad = gst_element_get_static_pad (parser, "src");
  if (muxpad)
    gst_pad_link (srcpad, muxpad);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, cs_sink_leg_probe, self, NULL);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      leg_allocation_probe, NULL, NULL);
  gst_object_unref (srcpad);
  gst_element_sync_state_with_parent (parser);
  sinkpad = gst_element_get_static_pad (parser, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      cs_sink_parser_bypass_probe, parser, NULL);
  return sinkpad;
}

/* A pad of this run's muxer, or NULL (stopped). */
GstPad *
cs_sink_mux_request_pad (CsSinkCore * self)
{
  GstElement *mux;
  GstPad *muxpad = NULL;

  g_mutex_lock (&self->lock);
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  g_mutex_unlock (&self->lock);
  if (mux)
    muxpad = gst_element_request_pad_simple (mux, "sink_%d");
  gst_clear_object (&mux);
  return muxpad;
}

/* Once per run, with the first caps or frame of either leg (before the
 * muxer queues anything): from a file, how far one stream may run ahead of
 * the other in the muxer's queues, as a demuxer feeds both from one thread
 * and would wait on itself with less; from a live source LIVE_MUX_LATENCY,
 * as a live muxer also waits that long past a frame's time for a stream
 * that has stopped (audio) before it writes the other. */
void
cs_sink_mux_set_latency (CsSinkCore * self, gboolean live)
{
  GstElement *mux = NULL;
  guint64 duration;

  g_mutex_lock (&self->lock);
  duration = self->run.segment_duration;
  if (!self->st.mux_latency_set && self->mux)
    mux = gst_object_ref (self->mux);
  self->st.mux_latency_set = TRUE;
  g_mutex_unlock (&self->lock);
  if (mux)
    g_object_set (mux, "latency", live ? LIVE_MUX_LATENCY : duration, NULL);
  gst_clear_object (&mux);
}

/* Takes an element out of the bin (a stopped run's video parser and muxer,
 * a released audio pad's parser). */
void
cs_sink_remove_child (CsSinkCore * self, GstElement ** element)
{
  /* When the bin is disposed, its children are gone before its pads. */
  if (*element && GST_OBJECT_PARENT (*element) == GST_OBJECT (self)) {
    gst_element_set_locked_state (*element, TRUE);
    gst_element_set_state (*element, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), *element);
  }
  gst_clear_object (element);
}

/* Takes the audio leg off the muxer (at a stop, a released pad). */
void
cs_sink_mux_unlink_audio (CsSinkCore * self)
{
  GstPad *muxpad = cs_sink_leg_muxpad (self->audio_parser);

  if (muxpad) {
    GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
    GstElement *mux = gst_pad_get_parent_element (muxpad);
    gst_pad_unlink (srcpad, muxpad);
    if (mux)
      gst_element_release_request_pad (mux, muxpad);
    gst_clear_object (&mux);
    gst_object_unref (srcpad);
    gst_object_unref (muxpad);
  }
}

/* With an audio pad, the muxer's audio stream exists from the start: one
 * that joins later changes the program (PMT) in the middle of a segment,
 * and a reader (tsdemux) loses the frames before the change.  The caps the
 * audio leg will bring are announced now (mpegtsmux writes AAC as ADTS
 * either way, csfmp4mux takes raw AAC and leaves the track out until the
 * codec_data comes; rate and channels are placeholders); audio's own
 * replace them with its first frame.  A live muxer does not hold the video
 * back for a stream that has no frame. */
void
cs_sink_mux_announce_audio (CsSinkCore * self, GstElement * mux)
{
  GstPad *muxpad = gst_element_request_pad_simple (mux, "sink_%d");
  GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
  GstCaps *caps = gst_caps_new_simple ("audio/mpeg", "mpegversion", G_TYPE_INT,
      4, "stream-format", G_TYPE_STRING,
      self->run.container == GST_CS_SINK_CONTAINER_FMP4 ? "raw" : "adts",
      "framed", G_TYPE_BOOLEAN, TRUE, "rate", G_TYPE_INT, 48000,
      "channels", G_TYPE_INT, 1, NULL);
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_send_event (muxpad, gst_event_new_stream_start ("cssink-audio"));
  gst_pad_send_event (muxpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_pad_send_event (muxpad, gst_event_new_segment (&seg));
  gst_pad_link (srcpad, muxpad);
  gst_object_unref (srcpad);
  gst_object_unref (muxpad);
}

static void
on_cutter_eos (guint32 seqnum, gpointer user_data)
{
  cs_sink_delivery_end (user_data, seqnum);
}

/* Each run gets a muxer and a cutter of its own (a restart may bring another
 * codec; a muxer keeps its streams); its video parser comes with the caps.
 * The muxer is the container's: mpegtsmux, or csfmp4mux writing fragmented
 * MP4 from the same parsed frames.  At start (the outbox open), before the
 * streaming threads. */
gboolean
cs_sink_mux_make (CsSinkCore * self, GstClockTime duration,
    CsCutterSegmentFunc segment_closed)
{
  GstElement *mux = self->run.container == GST_CS_SINK_CONTAINER_FMP4 ?
      cs_fmp4_mux_new () : gst_element_factory_make ("mpegtsmux", NULL);
  g_autofree gchar *dir = NULL;
  CsCutter *cutter;

  if (mux == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The mpegtsmux element is missing (gst-plugins-bad)."), (NULL));
    return FALSE;
  }
  gst_bin_add (GST_BIN (self), mux);
  /* Video's pad first: the muxer takes its clock reference (PCR) from it. */
  self->mux_video_pad = gst_element_request_pad_simple (mux, "sink_%d");
  /* Segments wait on the disk they go to, if there is one (start has
   * opened the outbox). */
  g_mutex_lock (&self->lock);
  dir = g_strdup (cs_outbox_get_scratch_dir (self->outbox));
  g_mutex_unlock (&self->lock);
  /* Outside the lock: the cutter links a pad to the muxer. */
  cutter = cs_cutter_new (mux, duration, dir, segment_closed, on_cutter_eos,
      self);
  g_mutex_lock (&self->lock);
  self->mux = gst_object_ref (mux);
  self->cutter = cutter;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* After a run (its streaming threads stopped): the next gets new ones. */
void
cs_sink_mux_drop (CsSinkCore * self)
{
  CsCutter *cutter;
  GstElement *video_parser, *mux;

  /* An idle check that began before its source was removed may still be
   * using the cutter: it has returned once the ticker passed this. */
  cs_ticker_sync ();
  g_mutex_lock (&self->lock);
  video_parser = g_steal_pointer (&self->video_parser);
  cutter = g_steal_pointer (&self->cutter);
  mux = g_steal_pointer (&self->mux);
  g_mutex_unlock (&self->lock);
  if (video_parser) {
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), NULL);
    cs_sink_remove_child (self, &video_parser);
  }
  if (self->audio_parser)
    cs_sink_mux_unlink_audio (self);
  cs_cutter_free (cutter);
  gst_clear_object (&self->mux_video_pad);
  cs_sink_remove_child (self, &mux);
}

/* The audio leg of a requested pad: its parser (whose input waits for the
 * muxer to take audio, see cs-sink-caps.c) behind a ghost pad made from
 * @templ, not yet added to the element; NULL with an element error. */
GstPad *
cs_sink_mux_add_audio_leg (CsSinkCore * self, GstPadTemplate * templ)
{
  GstElement *parser;
  GstPad *sinkpad, *srcpad, *ghost;

  parser = gst_element_factory_make ("aacparse", NULL);
  if (parser == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The aacparse element is missing."), (NULL));
    return NULL;
  }
  self->audio_parser = gst_object_ref (parser);
  srcpad = gst_element_get_static_pad (parser, "src");
  self->audio_pad_src = srcpad;
  gst_object_unref (srcpad);
  sinkpad = cs_sink_mux_add_leg (self, parser, NULL);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
      cs_sink_audio_in_probe, self, NULL);
  ghost = gst_ghost_pad_new_from_template ("audio", sinkpad, templ);
  gst_object_unref (sinkpad);
  gst_pad_set_active (ghost, TRUE);
  return ghost;
}

/* Takes the audio leg out (its pad released). */
void
cs_sink_mux_remove_audio_leg (CsSinkCore * self)
{
  cs_sink_mux_unlink_audio (self);
  cs_sink_remove_child (self, &self->audio_parser);
  self->audio_pad_src = NULL;
}
