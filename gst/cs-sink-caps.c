/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How cssink's legs join the muxer: the video leg chosen by the first caps
 * (parsed byte-stream through a parameter-set keeper, anything else through
 * h264parse or h265parse; a later change of codec refused with a clear
 * message), upstream's caps queries answered from what cssink records, and
 * audio linked to the muxer with its first frame once the muxer can take
 * it.
 *
 * Threads: the streaming threads of the video and audio pads (their caps,
 * queries and first frames).
 * Locks: self->lock only, never held while posting or linking (the whole
 * order: gstcssink.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-param-sets.h"

#define GST_CAT_DEFAULT gst_cs_sink_debug

/* On the sink pad of a parsed video's leg: a keyframe without the parameter
 * sets gets the latest ones in front (h264parse's config-interval=0, its
 * default, sends them only with the first; a segment must decode alone). */
static GstPadProbeReturn
param_sets_probe (GstPad * pad, GstPadProbeInfo * info, gpointer keeper)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info), *out;
  GBytes *sets = NULL;
  GstMapInfo map;
  gsize at = 0, size;
  gconstpointer data;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)
      || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  sets = cs_param_sets_keyframe (keeper, map.data, map.size, &at);
  gst_buffer_unmap (buf, &map);
  if (sets == NULL)
    return GST_PAD_PROBE_OK;
  /* The frame's own memory is kept; the sets go in between. */
  out = gst_buffer_new ();
  gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_METADATA, 0, -1);
  if (at > 0)
    gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_MEMORY, 0, at);
  data = g_bytes_get_data (sets, &size);
  gst_buffer_append_memory (out, gst_memory_new_wrapped (0, (gpointer) data,
          size, 0, size, sets, (GDestroyNotify) g_bytes_unref));
  if (at < gst_buffer_get_size (buf))
    gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_MEMORY, at, -1);
  gst_buffer_unref (buf);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* Video that an h264parse/h265parse upstream made whole access units of
 * (byte-stream, alignment=au): a second parser would scan every byte again
 * for nothing but the parameter sets. */
static gboolean
is_parsed_byte_stream (const GstStructure * s)
{
  gboolean parsed = FALSE;

  return gst_structure_get_boolean (s, "parsed", &parsed) && parsed
      && g_strcmp0 (gst_structure_get_string (s, "stream-format"),
      "byte-stream") == 0
      && g_strcmp0 (gst_structure_get_string (s, "alignment"), "au") == 0;
}

/* The video leg for @caps: parsed byte-stream passes through (an identity)
 * with a parameter-set keeper on its input; anything else (avc/hvc, NAL
 * alignment, an encoder's own output) gets h264parse/h265parse, which keeps
 * codec headers in front of every keyframe (config-interval=-1) and turns
 * avc/hvc into the byte-stream that MPEG-TS carries.  NULL if missing. */
static GstElement *
make_video_leg (const GstCaps * caps, gboolean h265)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  GstElement *leg;
  CsParamSets *keeper;
  const GValue *value;
  GstPad *sinkpad;

  if (!is_parsed_byte_stream (s)) {
    leg = gst_element_factory_make (h265 ? "h265parse" : "h264parse", NULL);
    if (leg)
      g_object_set (leg, "config-interval", -1, NULL);
    return leg;
  }
  leg = gst_element_factory_make ("identity", NULL);
  if (leg == NULL)
    return NULL;
  g_object_set (leg, "signal-handoffs", FALSE, NULL);
  keeper = cs_param_sets_new (h265);
  value = gst_structure_get_value (s, "codec_data");
  if (value && GST_VALUE_HOLDS_BUFFER (value)) {
    GstMapInfo map;
    GstBuffer *codec_data = gst_value_get_buffer (value);

    if (gst_buffer_map (codec_data, &map, GST_MAP_READ)) {
      cs_param_sets_take_codec_data (keeper, map.data, map.size);
      gst_buffer_unmap (codec_data, &map);
    }
  }
  sinkpad = gst_element_get_static_pad (leg, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, param_sets_probe,
      keeper, (GDestroyNotify) cs_param_sets_free);
  gst_object_unref (sinkpad);
  return leg;
}

/* The video leg is chosen when the caps say which codec arrives (see
 * make_video_leg). */
GstPadProbeReturn
cs_sink_video_caps_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  CsSinkCore *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  const gchar *codec;
  GstElement *parser;
  GstPad *sinkpad;
  GstQuery *query;
  gboolean live = FALSE;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  codec = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  /* A live source (a camera) must never wait for the uplink: then a full
   * cache drops segments.  Anything else (a file) waits for room instead. */
  query = gst_query_new_latency ();
  if (gst_pad_peer_query (pad, query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  gst_query_unref (query);

  g_mutex_lock (&self->lock);
  self->st.upstream_live = live;
  if (self->st.video_codec != NULL) {
    const gchar *was = self->st.video_codec;
    g_mutex_unlock (&self->lock);
    if (g_str_equal (was, codec))
      return GST_PAD_PROBE_OK;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The video codec cannot change while recording (from %s to %s): "
            "restart the pipeline (PLAYING -> NULL -> PLAYING) for the new "
            "one.", was, codec), (NULL));
    return GST_PAD_PROBE_DROP;
  }
  self->st.video_codec = g_intern_string (codec);
  g_mutex_unlock (&self->lock);
  cs_sink_mux_set_latency (self, live);

  parser = make_video_leg (caps, g_str_equal (codec, "video/x-h265"));
  if (parser == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The %s parser is missing.", codec), (NULL));
    return GST_PAD_PROBE_DROP;
  }
  sinkpad = cs_sink_mux_add_leg (self, parser, self->mux_video_pad);
  g_mutex_lock (&self->lock);
  self->video_parser = gst_object_ref (parser);   /* the idle check's */
  g_mutex_unlock (&self->lock);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), sinkpad);
  gst_object_unref (sinkpad);
  /* The probe stays: a later codec change is refused with a clear word. */
  return GST_PAD_PROBE_OK;
}

/* Upstream negotiates against what cssink records, not against the parser
 * of the codec that came first: a codec change then reaches
 * cs_sink_video_caps_probe, which names it, instead of failing upstream as "not
 * negotiated". */
GstPadProbeReturn
cs_sink_video_query_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstCaps *templ, *caps;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS
      && GST_QUERY_TYPE (query) != GST_QUERY_ACCEPT_CAPS)
    return GST_PAD_PROBE_OK;
  templ = gst_pad_get_pad_template_caps (pad);
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query,
        gst_caps_is_subset (caps, templ));
  } else {
    gst_query_parse_caps (query, &caps);
    if (caps) {
      GstCaps *filtered = gst_caps_intersect_full (caps, templ,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (templ);
      templ = filtered;
    }
    gst_query_set_caps_result (query, templ);
  }
  gst_caps_unref (templ);
  return GST_PAD_PROBE_HANDLED;
}

/* TRUE when a pad of this run's muxer has caps. */
static gboolean
mux_pad_has_caps (GstPad * muxpad)
{
  return muxpad != NULL && gst_pad_has_current_caps (muxpad);
}

/* Audio joins the muxer with its first frame, its caps known: a pad that
 * never gets a frame (a camera without a microphone) would hold a muxer
 * back.  A live muxer that times out on a stream without caps fails
 * ("Could not create handler for stream"): from a live source, audio waits
 * (dropped: no segment starts before the first video keyframe) until the
 * video's caps are there; from a file it is kept and the muxer waits for
 * the video. */
GstPadProbeReturn
cs_sink_audio_in_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  CsSinkCore *self = user_data;
  GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  if (!gst_pad_is_linked (srcpad)) {
    GstPad *muxpad = NULL;
    GstQuery *query = gst_query_new_latency ();
    gboolean live = FALSE;

    if (gst_pad_peer_query (self->audio_pad, query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);
    cs_sink_mux_set_latency (self, live);
    if (!live || mux_pad_has_caps (self->mux_video_pad))
      muxpad = cs_sink_mux_request_pad (self);
    if (muxpad) {
      GST_INFO_OBJECT (self, "audio came: recorded from here on");
      gst_pad_link (srcpad, muxpad);
      gst_object_unref (muxpad);
    } else {
      ret = GST_PAD_PROBE_DROP;
    }
  }
  gst_object_unref (srcpad);
  return ret;
}
