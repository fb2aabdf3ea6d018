/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4.h"

#include "cs-fmp4-boxes.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

GST_DEBUG_CATEGORY_STATIC (cs_fmp4_debug);
#define GST_CAT_DEFAULT cs_fmp4_debug

/* A fragment per GOP (mp4mux cuts video fragments at keyframes) and one
 * audio fragment for the whole segment: longer than any segment. */
#define FRAGMENT_MS 3600000
/* A segment of a few MB is remuxed in a few tens of ms: far more means a
 * muxer that hangs. */
#define REMUX_TIMEOUT (10 * GST_SECOND)

typedef struct
{
  GstElement *pipeline;
  GstElement *mux;
  /* Where each stream starts (its first decode time; the video's first
   * presentation time, the segment's start): mp4mux starts every track at
   * 0, their distance is put back. */
  GMutex lock;
  GstClockTime video_dts, video_pts, audio_dts;
} Remux;

static GstPadProbeReturn
first_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Remux *r = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime dts = GST_BUFFER_DTS_OR_PTS (buf);

  g_mutex_lock (&r->lock);
  if (g_object_get_data (G_OBJECT (pad), "cs-video")) {
    r->video_dts = dts;
    r->video_pts = GST_BUFFER_PTS (buf);
  } else {
    r->audio_dts = dts;
  }
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_REMOVE;
}

/* A stream of the segment: queue (the demuxer feeds every stream from one
 * thread, the muxer waits for all) ! parser ! the muxer. */
static void
on_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  Remux *r = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const gchar *name = caps ? gst_structure_get_name (gst_caps_get_structure
      (caps, 0)) : "";
  const gchar *parser_name = g_str_equal (name, "video/x-h264") ? "h264parse"
      : g_str_equal (name, "video/x-h265") ? "h265parse"
      : g_str_equal (name, "audio/mpeg") ? "aacparse" : NULL;
  GstElement *queue, *parser;
  GstPad *src, *sink, *muxpad;

  if (parser_name == NULL) {
    GST_WARNING ("a stream of %s in a segment: not remuxed", name);
    return;
  }
  queue = gst_element_factory_make ("queue", NULL);
  parser = gst_element_factory_make (parser_name, NULL);
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", (guint64) 0, NULL);
  gst_bin_add_many (GST_BIN (r->pipeline), queue, parser, NULL);
  gst_element_link (queue, parser);
  muxpad = gst_element_request_pad_simple (r->mux, g_str_has_prefix (name,
          "video") ? "video_%u" : "audio_%u");
  src = gst_element_get_static_pad (parser, "src");
  if (g_str_has_prefix (name, "video"))
    g_object_set_data (G_OBJECT (src), "cs-video", GINT_TO_POINTER (1));
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, first_buffer_probe, r,
      NULL);
  gst_pad_link (src, muxpad);
  sink = gst_element_get_static_pad (queue, "sink");
  gst_pad_link (pad, sink);
  gst_element_sync_state_with_parent (parser);
  gst_element_sync_state_with_parent (queue);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (muxpad);
}

/* Pulls the muxer's output until EOS, an error or the timeout. */
static GByteArray *
collect (GstElement * pipeline, GstAppSink * sink, GError ** error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GByteArray *bytes = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + REMUX_TIMEOUT / GST_USECOND;

  while (!gst_app_sink_is_eos (sink)) {
    GstSample *sample = gst_app_sink_try_pull_sample (sink, 50 * GST_MSECOND);
    GstMessage *msg;

    if (sample) {
      GstBuffer *buf = gst_sample_get_buffer (sample);
      GstMapInfo map;
      if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
        g_byte_array_append (bytes, map.data, map.size);
        gst_buffer_unmap (buf, &map);
      }
      gst_sample_unref (sample);
      continue;
    }
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, error, NULL);
      gst_message_unref (msg);
      break;
    }
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "remuxing the segment did not end in %" GST_TIME_FORMAT,
          GST_TIME_ARGS (REMUX_TIMEOUT));
      break;
    }
  }
  if (error && *error) {
    g_byte_array_unref (bytes);
    return NULL;
  }
  return bytes;
}

/* The muxer's output stored: every track at its place from the segment's
 * UTC start @start_ms, which the video's first frame is shown at. */
static GBytes *
lay_out (Remux * r, GByteArray * bytes, gint64 start_ms, GError ** error)
{
  gint64 start_us = start_ms * 1000;
  GstClockTime video_pts, video_dts, audio_dts;

  g_mutex_lock (&r->lock);
  video_pts = r->video_pts;
  video_dts = r->video_dts;
  audio_dts = r->audio_dts;
  g_mutex_unlock (&r->lock);
  if (!GST_CLOCK_TIME_IS_VALID (video_pts)
      || !GST_CLOCK_TIME_IS_VALID (video_dts)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "no timed video in the segment");
    return NULL;
  }
  if (!GST_CLOCK_TIME_IS_VALID (audio_dts))
    audio_dts = video_pts;
  return cs_fmp4_boxes_lay_out (bytes->data, bytes->len, start_us +
      GST_CLOCK_DIFF (video_pts, video_dts) / GST_USECOND, start_us +
      GST_CLOCK_DIFF (video_pts, audio_dts) / GST_USECOND, error);
}

/* An element of @factory added to @bin, or NULL. */
static GstElement *
make (GstElement * bin, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e)
    gst_bin_add (GST_BIN (bin), e);
  return e;
}

GType
gst_cs_sink_container_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_CS_SINK_CONTAINER_MPEGTS, "MPEG transport stream (.ts)", "mpegts"},
    {GST_CS_SINK_CONTAINER_FMP4,
        "Fragmented MP4, each segment with its own init part (.mp4)", "fmp4"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstCsSinkContainer",
            values));
  return type;
}

const gchar *
gst_cs_sink_container_ext (GstCsSinkContainer container)
{
  return container == GST_CS_SINK_CONTAINER_FMP4 ? "mp4" : "ts";
}

GBytes *
cs_fmp4_from_ts (GBytes * ts, gint64 start_ms, GError ** error)
{
  static gsize debug_init = 0;
  Remux r = { NULL, NULL, {0}, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
    GST_CLOCK_TIME_NONE
  };
  GstElement *src, *demux, *sink;
  g_autoptr (GstCaps) caps = NULL;
  GByteArray *bytes;
  GBytes *out = NULL;
  gint64 began = g_get_monotonic_time ();

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (cs_fmp4_debug, "csfmp4", 0,
        "cssink's fragmented MP4 segments");
    g_once_init_leave (&debug_init, 1);
  }
  r.pipeline = gst_pipeline_new ("cs-fmp4");
  src = make (r.pipeline, "appsrc");
  demux = make (r.pipeline, "tsdemux");
  r.mux = make (r.pipeline, "mp4mux");
  sink = make (r.pipeline, "appsink");
  if (!src || !demux || !r.mux || !sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "tsdemux or mp4mux is missing (gst-plugins-bad, gst-plugins-good)");
    gst_object_unref (r.pipeline);
    return NULL;
  }
  g_mutex_init (&r.lock);
  caps = gst_caps_new_simple ("video/mpegts", "systemstream", G_TYPE_BOOLEAN,
      TRUE, "packetsize", G_TYPE_INT, 188, NULL);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_BYTES, NULL);
  g_object_set (r.mux, "fragment-duration", FRAGMENT_MS, "streamable", TRUE,
      NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_element_link (src, demux);
  gst_element_link (r.mux, sink);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), &r);

  gst_element_set_state (r.pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src),
      gst_buffer_new_wrapped_bytes (ts));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bytes = collect (r.pipeline, GST_APP_SINK (sink), error);
  gst_element_set_state (r.pipeline, GST_STATE_NULL);
  gst_object_unref (r.pipeline);
  if (bytes) {
    out = lay_out (&r, bytes, start_ms, error);
    GST_DEBUG ("%" G_GSIZE_FORMAT " bytes of MPEG-TS: %" G_GSIZE_FORMAT
        " of MP4 in %" G_GINT64_FORMAT " us", g_bytes_get_size (ts),
        out ? g_bytes_get_size (out) : 0, g_get_monotonic_time () - began);
    g_byte_array_unref (bytes);
  }
  g_mutex_clear (&r.lock);
  return out;
}
