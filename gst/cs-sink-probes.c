/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The probes on cssink's legs, in stream order: the video's timing (UTC
 * map, arrival for the idle check, an EOS before any video), and at the
 * muxer's input each frame's order check (cs-leg-order.c: what goes back
 * is dropped), the video frames shown to the cutter, and the gate's
 * announcements (events filed, a close ending the segment, audio's gap,
 * the alarm picture asked for).
 *
 * Threads: the streaming threads of the legs (the video's and the audio's
 * upstream threads; the probes hold that pad's stream lock).
 * Locks: a pad's stream lock, then self->lock; self->lock is never held
 * while pushing or sending an event, posting, or calling the cutter, the
 * outbox or the snapshotter (the whole order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-gate-events.h"

#include <gst/video/video.h>

#define GST_CAT_DEFAULT gst_cs_sink_debug

/* Keeps the UTC map and the video's arrival (for the idle check); at an EOS
 * before any video, ends the stream itself. */
GstPadProbeReturn
cs_sink_video_timing_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  CsSinkCore *self = user_data;
  GstBuffer *buf;
  GstClockTime rt;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    gboolean nothing_recorded = FALSE;
    g_mutex_lock (&self->lock);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (event, &self->st.video_segment);
    else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      self->st.video_eos = TRUE;
      nothing_recorded = !self->st.video_seen;
    }
    g_mutex_unlock (&self->lock);
    if (nothing_recorded) {
      /* Behind a gate that never opened, an empty file: the muxer would
       * wait for video for ever (audio may have come). */
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("No video came before the end of the stream: nothing was "
              "recorded."), (NULL));
      cs_sink_delivery_end (self, gst_event_get_seqnum (event));
      return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_mutex_lock (&self->lock);
  self->st.video_seen = TRUE;
  self->st.video_arrival_us = g_get_monotonic_time ();
  rt = GST_BUFFER_PTS_IS_VALID (buf) ?
      gst_segment_to_running_time (&self->st.video_segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (rt))
    cs_utc_map_update (&self->st.utc, GST_ELEMENT (self), buf, rt);
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* Audio ends at running time @rt for now (the gate closed it, the camera
 * stopped): the muxer need not wait for more before it writes the video up
 * to there.  Holding the audio leg's stream lock. */
void
cs_sink_audio_gap_at (CsSinkCore * self, GstPad * leg_src, GstClockTime rt)
{
  GstPad *muxpad = gst_pad_get_peer (leg_src);
  GstEvent *seg_event = gst_pad_get_sticky_event (leg_src, GST_EVENT_SEGMENT,
      0);
  GstSegment seg;
  GstClockTime pos;

  if (muxpad && seg_event && GST_CLOCK_TIME_IS_VALID (rt)) {
    gst_event_copy_segment (seg_event, &seg);
    pos = gst_segment_position_from_running_time (&seg, GST_FORMAT_TIME, rt);
    if (GST_CLOCK_TIME_IS_VALID (pos))
      gst_pad_send_event (muxpad, gst_event_new_gap (pos, 0));
  }
  gst_clear_event (&seg_event);
  gst_clear_object (&muxpad);
}

static void
audio_gap (CsSinkCore * self, GstPad * leg_src, const GstStructure * close)
{
  guint64 rt = GST_CLOCK_TIME_NONE;

  gst_structure_get_uint64 (close, "running-time", &rt);
  cs_sink_audio_gap_at (self, leg_src, rt);
}

/* A video frame at the muxer's input, in order: the cutter may start a
 * segment at it.  FALSE to drop it: a frame without its keyframe, after a
 * close for idleness (it cannot start the next segment). */
static gboolean
leg_video_frame (CsSinkCore * self, GstPad * pad, const GstSegment * segment,
    GstBuffer * buf)
{
  GstClockTime rt = segment && GST_BUFFER_PTS_IS_VALID (buf) ?
      gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
  GstPad *muxpad = gst_pad_get_peer (pad);
  CsCutter *cutter;
  CsCutterVerdict verdict = CS_CUTTER_KEEP;
  GstClockTime next_cut = GST_CLOCK_TIME_NONE;
  gboolean first_drop = FALSE;

  g_mutex_lock (&self->lock);
  cutter = self->cutter;
  g_mutex_unlock (&self->lock);
  if (cutter && muxpad && GST_CLOCK_TIME_IS_VALID (rt))
    verdict = cs_cutter_video_frame (cutter, muxpad, buf, rt, &next_cut);
  gst_clear_object (&muxpad);
  /* As splitmuxsink's send-keyframe-requests: an encoder upstream makes a
   * keyframe where the next segment is due. */
  if (GST_CLOCK_TIME_IS_VALID (next_cut))
    gst_pad_push_event (self->video_pad,
        gst_video_event_new_upstream_force_key_unit (next_cut, TRUE, 0));

  g_mutex_lock (&self->lock);
  if (verdict == CS_CUTTER_DROP && self->st.idle_closed) {
    self->st.video_order.dropped++;
    first_drop = !self->st.idle_resume_told;
    self->st.idle_resume_told = TRUE;
  } else if (verdict == CS_CUTTER_KEEP) {
    self->st.idle_closed = FALSE;
    self->st.idle_resume_told = FALSE;
  }
  g_mutex_unlock (&self->lock);
  if (first_drop) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Video came back without a keyframe after its segment was "
            "closed for idleness: frames are dropped up to the next "
            "keyframe."), (NULL));
    gst_pad_push_event (self->video_pad,
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
  }
  return verdict == CS_CUTTER_KEEP;
}

/* At the muxer's input, in stream order: frames (their order checked, video
 * shown to the cutter) and the gate's announcements.  An event (or a
 * reopened gate) starts a new segment at its first keyframe; a gate close
 * ends the segment after its last frame. */
GstPadProbeReturn
cs_sink_leg_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  CsSinkCore *self = user_data;
  gboolean video = pad != self->audio_pad_src;
  g_autoptr (GPtrArray) uploads = NULL;
  const GstStructure *s;
  const gchar *name;
  GstClockTime close_rt = GST_CLOCK_TIME_NONE;
  gboolean split = FALSE, picture = FALSE, close, auto_snapshot;
  g_autofree gchar *picture_key = NULL;
  CsCutter *cutter;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    g_autofree gchar *event_id = NULL;
    GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    GstSegment seg;
    const GstSegment *segment = NULL;
    CsLegVerdict verdict;

    if (seg_event) {
      gst_event_copy_segment (seg_event, &seg);
      segment = &seg;
      gst_event_unref (seg_event);
    }

    g_mutex_lock (&self->lock);
    verdict = cs_leg_order_check (video ? &self->st.video_order :
        &self->st.audio_order, segment, buf, video);
    g_mutex_unlock (&self->lock);
    if (verdict != CS_LEG_KEEP) {
      if (verdict == CS_LEG_DROP_FIRST)
        GST_ELEMENT_WARNING (self, STREAM, FAILED,
            ("The %s timestamps went backwards: frames are dropped until "
                "they run on from the last stored one.",
                video ? "video" : "audio"),
            ("%s frame at %" GST_TIME_FORMAT " (decoding time)",
                video ? "video" : "audio",
                GST_TIME_ARGS (GST_BUFFER_DTS_OR_PTS (buf))));
      return GST_PAD_PROBE_DROP;
    }
    if (!video)
      return GST_PAD_PROBE_OK;
    if (!leg_video_frame (self, pad, segment, buf))
      return GST_PAD_PROBE_DROP;
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
      g_mutex_lock (&self->lock);
      event_id = g_steal_pointer (&self->st.auto_picture_event);
      picture_key = g_steal_pointer (&self->st.auto_picture_key);
      g_mutex_unlock (&self->lock);
    }
    if (event_id != NULL) {
      GstCaps *caps = gst_pad_get_current_caps (pad);
      GstSample *sample = gst_sample_new (buf, caps, NULL, NULL);
      cs_snapshotter_request_keyframe (self->snapshotter, event_id,
          picture_key, sample);
      gst_sample_unref (sample);
      gst_clear_caps (&caps);
    }
    return GST_PAD_PROBE_OK;
  }
  /* A new stream on the muxer's audio pad would drop the caps announced
   * there (see cs_sink_mux_announce_audio) before audio's own come. */
  if (!video && GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_STREAM_START)
    return GST_PAD_PROBE_DROP;
  s = cs_gate_event_structure (GST_PAD_PROBE_INFO_EVENT (info));
  if (s == NULL) {
    /* Only the cutter's cuts may reach the muxer: an upstream encoder's
     * answer to a keyframe request would be taken for one. */
    if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info)))
      return GST_PAD_PROBE_DROP;
    return GST_PAD_PROBE_OK;
  }
  if (!video) {
    if (gst_structure_has_name (s, CS_GATE_CLOSE))
      audio_gap (self, pad, s);
    return GST_PAD_PROBE_DROP;
  }
  name = gst_structure_get_name (s);
  gst_structure_get_uint64 (s, "running-time", &close_rt);
  uploads = g_ptr_array_new ();

  g_mutex_lock (&self->lock);
  auto_snapshot = self->run.auto_snapshot;
  if (self->st.events)
    split = cs_sink_events_handle (self->st.events, s, uploads);
  if (g_str_equal (name, CS_EVENT_ALARM) && self->snapshotter
      && gst_structure_get_boolean (s, "snapshot", &picture) && picture)
    picture_key = cs_sink_events_snapshot_key (self->st.events,
        gst_structure_get_string (s, "event-id"));
  close = g_str_equal (name, CS_GATE_CLOSE)
      && GST_CLOCK_TIME_IS_VALID (close_rt) && close_rt > CS_SINK_CLOSER_LEAD;
  cutter = self->cutter;
  g_mutex_unlock (&self->lock);

  if (split && cutter)
    cs_cutter_split (cutter);
  if (picture_key && g_signal_has_handler_pending (self,
          gst_cs_sink_signals[SIGNAL_CAPTURE_SNAPSHOT], 0, FALSE)) {
    guint trigger = 0;
    gst_structure_get_uint (s, "trigger", &trigger);
    /* The snapshotter is freed only after the streaming threads stopped. */
    cs_snapshotter_request (self->snapshotter,
        gst_structure_get_string (s, "event-id"), trigger, picture_key);
  } else if (picture_key && auto_snapshot) {
    /* Of the event's next keyframe, its first for a new recording. */
    g_mutex_lock (&self->lock);
    g_free (self->st.auto_picture_event);
    self->st.auto_picture_event = g_strdup (gst_structure_get_string (s,
            "event-id"));
    g_free (self->st.auto_picture_key);
    self->st.auto_picture_key = g_steal_pointer (&picture_key);
    g_mutex_unlock (&self->lock);
  }
  if (close && cutter) {
    /* The gate let its last frame through: the segment is complete. */
    GstPad *muxpad = gst_pad_get_peer (pad);
    if (muxpad)
      cs_cutter_close (cutter, muxpad, close_rt - CS_SINK_CLOSER_LEAD);
    gst_clear_object (&muxpad);
  }
  cs_sink_delivery_put_objects (self, uploads);
  return GST_PAD_PROBE_DROP;
}

/* On a leg's input (@parser's sink pad): the gate's announcements go round
 * the parser.  A parser (GstBaseParse) keeps a custom event until it pushes
 * its next frame; after a gate close no frame comes, and the close would
 * reach cs_sink_leg_probe only at EOS.  The parser pushes each whole frame
 * (aligned input) at once, so the event follows the frames before it. */
GstPadProbeReturn
cs_sink_parser_bypass_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer parser)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstPad *srcpad;

  if (cs_gate_event_structure (event) == NULL)
    return GST_PAD_PROBE_OK;
  srcpad = gst_element_get_static_pad (parser, "src");
  gst_pad_push_event (srcpad, gst_event_ref (event));
  gst_object_unref (srcpad);
  return GST_PAD_PROBE_DROP;
}
