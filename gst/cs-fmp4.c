/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4.h"

#include "cs-key.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <string.h>

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
} Remux;

/* A track of the moov: its id and its time scale (units per second). */
typedef struct
{
  guint32 id;
  guint32 timescale;
} Track;

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
  gst_pad_link (src, muxpad);
  sink = gst_element_get_static_pad (queue, "sink");
  gst_pad_link (pad, sink);
  gst_element_sync_state_with_parent (parser);
  gst_element_sync_state_with_parent (queue);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (muxpad);
}

/* Size and type of the box at @at (@len bytes left); 0 if none fits. */
static guint64
box_at (const guint8 * at, gsize len, const gchar ** type)
{
  guint64 size;

  if (len < 8)
    return 0;
  size = GST_READ_UINT32_BE (at);
  if (size == 1 && len >= 16)
    size = GST_READ_UINT64_BE (at + 8);
  *type = (const gchar *) at + 4;
  return size >= 8 && size <= len ? size : 0;
}

/* The first box of type @type in [@at, @end) (its start), or NULL. */
static const guint8 *
child (const guint8 * at, const guint8 * end, const gchar * type,
    guint64 * size)
{
  const gchar *t;

  while (at < end && (*size = box_at (at, end - at, &t)) != 0) {
    if (memcmp (t, type, 4) == 0)
      return at;
    at += *size;
  }
  return NULL;
}

/* The id and time scale of each track of @moov (whole box). */
static GArray *
moov_tracks (const guint8 * moov, guint64 moov_size)
{
  GArray *tracks = g_array_new (FALSE, TRUE, sizeof (Track));
  const guint8 *at = moov + 8, *end = moov + moov_size, *trak;
  guint64 size, tkhd_size, mdia_size, mdhd_size;

  while ((trak = child (at, end, "trak", &size)) != NULL) {
    const guint8 *tkhd = child (trak + 8, trak + size, "tkhd", &tkhd_size);
    const guint8 *mdia = child (trak + 8, trak + size, "mdia", &mdia_size);
    const guint8 *mdhd = mdia ? child (mdia + 8, mdia + mdia_size, "mdhd",
        &mdhd_size) : NULL;
    /* Past version and flags, two times of 32 or 64 bits. */
    guint tkhd_id_at = tkhd && tkhd[8] == 1 ? 28 : 20;
    guint mdhd_scale_at = mdhd && mdhd[8] == 1 ? 28 : 20;

    if (tkhd && mdhd && tkhd_size >= tkhd_id_at + 4
        && mdhd_size >= mdhd_scale_at + 4) {
      Track t = { GST_READ_UINT32_BE (tkhd + tkhd_id_at),
        GST_READ_UINT32_BE (mdhd + mdhd_scale_at)
      };
      g_array_append_val (tracks, t);
    }
    at = trak + size;
  }
  return tracks;
}

/* Appends @moof (one traf, as mp4mux writes them) with its decode time
 * (tfdt) moved by @base_ms, as a 64-bit time: the boxes grow by 4 bytes,
 * and so does the offset of the samples from the moof. */
static gboolean
append_moof (GByteArray * out, const guint8 * moof, guint64 moof_size,
    GArray * tracks, gint64 base_ms)
{
  guint64 traf_size, tfhd_size, tfdt_size, trun_size;
  const guint8 *traf = child (moof + 8, moof + moof_size, "traf", &traf_size);
  const guint8 *tfhd = traf ? child (traf + 8, traf + traf_size, "tfhd",
      &tfhd_size) : NULL;
  const guint8 *tfdt = traf ? child (traf + 8, traf + traf_size, "tfdt",
      &tfdt_size) : NULL;
  const guint8 *trun = traf ? child (traf + 8, traf + traf_size, "trun",
      &trun_size) : NULL;
  guint32 scale = 0;
  guint64 decode_time;
  gsize at = out->len;
  guint8 tfdt1[20];

  if (!tfhd || !tfdt || !trun || tfhd_size < 16 || tfdt_size < 16
      || trun_size < 16 || moof_size > G_MAXUINT32 - 4
      || (GST_READ_UINT32_BE (tfhd + 8) & 0x1)    /* absolute offsets */
      || traf + traf_size != moof + moof_size)
    return FALSE;
  for (guint i = 0; i < tracks->len; i++)
    if (g_array_index (tracks, Track, i).id == GST_READ_UINT32_BE (tfhd + 12))
      scale = g_array_index (tracks, Track, i).timescale;
  if (scale == 0)
    return FALSE;
  decode_time = tfdt[8] == 1 ? GST_READ_UINT64_BE (tfdt + 12) :
      GST_READ_UINT32_BE (tfdt + 12);
  decode_time += gst_util_uint64_scale_round (base_ms, scale, 1000);
  GST_WRITE_UINT32_BE (tfdt1, 20);
  memcpy (tfdt1 + 4, "tfdt", 4);
  GST_WRITE_UINT32_BE (tfdt1 + 8, 0x01000000);
  GST_WRITE_UINT64_BE (tfdt1 + 12, decode_time);

  g_byte_array_append (out, moof, tfdt - moof);
  g_byte_array_append (out, tfdt1, sizeof tfdt1);
  g_byte_array_append (out, tfdt + tfdt_size,
      moof + moof_size - (tfdt + tfdt_size));
  GST_WRITE_UINT32_BE (out->data + at, moof_size + 20 - tfdt_size);
  GST_WRITE_UINT32_BE (out->data + at + (traf - moof),
      traf_size + 20 - tfdt_size);
  if (GST_READ_UINT32_BE (trun + 8) & 0x1) {      /* data-offset present */
    guint8 *offset = out->data + at + (trun - moof) + 20 - tfdt_size + 16;
    GST_WRITE_UINT32_BE (offset, GST_READ_UINT32_BE (offset) + 20 -
        tfdt_size);
  }
  return TRUE;
}

/* The muxer's output as the store keeps it: ftyp + moov, a free box up to
 * CS_KEY_FMP4_INIT_SIZE, then the moof/mdat pairs (their data offsets count
 * from their moof: moving them is safe) with decode times on the
 * segment's UTC start @start_ms (mp4mux starts each file at 0).  An index
 * (mfra) at the end is dropped: its offsets would be wrong. */
static GBytes *
pack (const guint8 * data, gsize len, gint64 start_ms, GError ** error)
{
  GByteArray *out = g_byte_array_sized_new (len + CS_KEY_FMP4_INIT_SIZE);
  g_autoptr (GArray) tracks = NULL;
  gsize at = 0, init = 0;
  const gchar *type;
  guint64 size;

  while ((size = box_at (data + at, len - at, &type)) != 0) {
    if (memcmp (type, "ftyp", 4) == 0 || memcmp (type, "moov", 4) == 0) {
      if (init != at)
        break;                  /* a second header: not ours */
      init = at + size;
      if (memcmp (type, "moov", 4) == 0)
        tracks = moov_tracks (data + at, size);
    } else if (memcmp (type, "moof", 4) == 0 || memcmp (type, "mdat", 4) == 0) {
      if (out->len == 0) {
        guint8 free_box[8];

        if (init == 0 || tracks == NULL || init + 8 > CS_KEY_FMP4_INIT_SIZE) {
          g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
              "the MP4 headers take %" G_GSIZE_FORMAT " bytes, more than the "
              "%d of an init part", init, CS_KEY_FMP4_INIT_SIZE);
          g_byte_array_unref (out);
          return NULL;
        }
        g_byte_array_append (out, data, init);
        GST_WRITE_UINT32_BE (free_box, CS_KEY_FMP4_INIT_SIZE - init);
        memcpy (free_box + 4, "free", 4);
        g_byte_array_append (out, free_box, 8);
        g_byte_array_set_size (out, CS_KEY_FMP4_INIT_SIZE);
        memset (out->data + init + 8, 0, CS_KEY_FMP4_INIT_SIZE - init - 8);
      }
      if (memcmp (type, "mdat", 4) == 0)
        g_byte_array_append (out, data + at, size);
      else if (!append_moof (out, data + at, size, tracks, start_ms)) {
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
            "the muxer wrote a fragment of an unknown form");
        g_byte_array_unref (out);
        return NULL;
      }
    } else if (init == 0) {
      break;
    }
    at += size;
  }
  if (out->len == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "the muxer wrote no fragment (%" G_GSIZE_FORMAT " bytes)", len);
    g_byte_array_unref (out);
    return NULL;
  }
  return g_byte_array_free_to_bytes (out);
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
  Remux r = { NULL, NULL };
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
  src = gst_element_factory_make ("appsrc", NULL);
  demux = gst_element_factory_make ("tsdemux", NULL);
  r.mux = gst_element_factory_make ("mp4mux", NULL);
  sink = gst_element_factory_make ("appsink", NULL);
  if (!src || !demux || !r.mux || !sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "tsdemux or mp4mux is missing (gst-plugins-bad, gst-plugins-good)");
    gst_clear_object (&src);
    gst_clear_object (&demux);
    gst_clear_object (&r.mux);
    gst_clear_object (&sink);
    gst_object_unref (r.pipeline);
    return NULL;
  }
  caps = gst_caps_new_simple ("video/mpegts", "systemstream", G_TYPE_BOOLEAN,
      TRUE, "packetsize", G_TYPE_INT, 188, NULL);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_BYTES, NULL);
  g_object_set (r.mux, "fragment-duration", FRAGMENT_MS, "streamable", TRUE,
      NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (r.pipeline), src, demux, r.mux, sink, NULL);
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
    out = pack (bytes->data, bytes->len, start_ms, error);
    GST_DEBUG ("%" G_GSIZE_FORMAT " bytes of MPEG-TS: %" G_GSIZE_FORMAT
        " of MP4 in %" G_GINT64_FORMAT " us", g_bytes_get_size (ts),
        out ? g_bytes_get_size (out) : 0, g_get_monotonic_time () - began);
    g_byte_array_unref (bytes);
  }
  return out;
}
