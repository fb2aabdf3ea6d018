/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4.h"

#include "cs-cutter.h"
#include "cs-fmp4-writer.h"

#include <gst/base/gstaggregator.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (cs_fmp4_debug);
#define GST_CAT_DEFAULT cs_fmp4_debug

typedef struct
{
  GstAggregator parent;

  /* On the source thread only. */
  CsFmp4Writer *writer;
  GstPad *video_pad;            /* the pad whose caps are video */
  GstEvent *cut;                /* a segment starts at the next keyframe */
  gboolean open;                /* frames go into a segment */
} CsFmp4Mux;

typedef struct
{
  GstAggregatorClass parent_class;
} CsFmp4MuxClass;

static GType cs_fmp4_mux_get_type (void);
#define CS_FMP4_MUX(obj) ((CsFmp4Mux *) (obj))

G_DEFINE_TYPE (CsFmp4Mux, cs_fmp4_mux, GST_TYPE_AGGREGATOR);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%d",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "audio/mpeg, mpegversion = (int) 4, stream-format = (string) raw"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/quicktime, variant = (string) iso-fragmented"));

/* The running time of @ts on @pad, signed (a decode time may be before
 * the segment's start). */
static gint64
running_time (GstAggregatorPad * pad, GstClockTime ts)
{
  GstClockTime rt;
  gint sign;

  GST_OBJECT_LOCK (pad);
  sign = gst_segment_to_running_time_full (&pad->segment, GST_FORMAT_TIME, ts,
      &rt);
  GST_OBJECT_UNLOCK (pad);
  return sign >= 0 ? (gint64) rt : -(gint64) rt;
}

/* In what order the streams' frames are taken: by decode time, except that
 * the keyframe a segment starts at counts at its presentation time, so that
 * the audio shown before it stays in the segment that ends. */
static gint64
sort_time (CsFmp4Mux * self, GstAggregatorPad * pad, GstBuffer * buf)
{
  if (GST_PAD (pad) == self->video_pad && self->cut
      && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    return running_time (pad, GST_BUFFER_PTS (buf));
  return running_time (pad, GST_BUFFER_DTS_OR_PTS (buf));
}

/* The pad whose next frame comes first (ref'd), or NULL; *@all_eos when
 * every pad is done. */
static GstAggregatorPad *
next_pad (CsFmp4Mux * self, gboolean * all_eos)
{
  GstAggregatorPad *best = NULL;
  gint64 best_time = G_MAXINT64;

  *all_eos = TRUE;
  GST_OBJECT_LOCK (self);
  for (GList * l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (pad);
    gint64 t;

    if (buf == NULL) {
      *all_eos &= gst_aggregator_pad_is_eos (pad);
      continue;
    }
    *all_eos = FALSE;
    t = GST_BUFFER_DTS_OR_PTS (buf) == GST_CLOCK_TIME_NONE ? G_MININT64 :
        sort_time (self, pad, buf);
    if (best == NULL || t < best_time) {
      best = pad;
      best_time = t;
    }
    gst_buffer_unref (buf);
  }
  if (best)
    gst_object_ref (best);
  GST_OBJECT_UNLOCK (self);
  return best;
}

/* What the writer wrote goes out at once (on the source thread, from
 * within the writer's calls): its parts as they are (headers, slices of
 * the frames), as the memories of a list of buffers (a buffer takes only so
 * many without merging them), or a rewrite of the segment's first bytes. */
static void
on_output (GBytes ** parts, guint n_parts, gboolean rewrite,
    gpointer user_data)
{
  CsFmp4Mux *self = user_data;
  GstBufferList *list;
  GstBuffer *buf = NULL;

  if (rewrite) {
    GST_DEBUG_OBJECT (self, "the init part again");
    gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (self),
        cs_cutter_event_new_rewrite (parts[0]));
    return;
  }
  list = gst_buffer_list_new_sized (n_parts / gst_buffer_get_max_memory () +
      1);
  for (guint i = 0; i < n_parts; i++) {
    gsize size;
    gconstpointer data = g_bytes_get_data (parts[i], &size);

    if (buf == NULL || gst_buffer_n_memory (buf) ==
        gst_buffer_get_max_memory ()) {
      buf = gst_buffer_new ();
      gst_buffer_list_add (list, buf);
    }
    gst_buffer_append_memory (buf,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data,
            size, 0, size, g_bytes_ref (parts[i]),
            (GDestroyNotify) g_bytes_unref));
  }
  GST_LOG_OBJECT (self, "%u parts", n_parts);
  gst_aggregator_finish_buffer_list (GST_AGGREGATOR (self), list);
}

/* A frame's bytes for the writer, which holds a GOP of them: the buffer
 * itself, mapped, until the writer lets go; a copy when the buffer is
 * borrowed (see frame_is_borrowed ()). */
typedef struct
{
  GstBuffer *buf;
  GstMapInfo map;
} MappedFrame;

static void
mapped_frame_free (gpointer data)
{
  MappedFrame *m = data;

  gst_buffer_unmap (m->buf, &m->map);
  gst_buffer_unref (m->buf);
  g_free (m);
}

/* From a pool, or not plain system memory (a hardware encoder's output):
 * such an encoder has a few buffers, and would stall while a GOP of them is
 * held. */
static gboolean
frame_is_borrowed (GstBuffer * buf)
{
  if (buf->pool != NULL)
    return TRUE;
  for (guint i = 0; i < gst_buffer_n_memory (buf); i++)
    if (!gst_memory_is_type (gst_buffer_peek_memory (buf, i),
            GST_ALLOCATOR_SYSMEM))
      return TRUE;
  return FALSE;
}

static GBytes *
frame_bytes (GstBuffer * buf)
{
  MappedFrame *m = g_new (MappedFrame, 1);

  if (!gst_buffer_map (buf, &m->map, GST_MAP_READ)) {
    g_free (m);
    return NULL;
  }
  if (frame_is_borrowed (buf)) {
    GBytes *copy = g_bytes_new (m->map.data, m->map.size);

    gst_buffer_unmap (buf, &m->map);
    g_free (m);
    return copy;
  }
  m->buf = gst_buffer_ref (buf);
  return g_bytes_new_with_free_func (m->map.data, m->map.size,
      mapped_frame_free, m);
}

static void
post_write_error (CsFmp4Mux * self, const GError * error)
{
  GST_ELEMENT_ERROR (self, STREAM, MUX,
      ("A segment could not be written as fragmented MP4."),
      ("%s", error->message));
}

/* The open segment ends: its last fragment pushed, before the mark that
 * follows. */
static void
end_segment (CsFmp4Mux * self)
{
  g_autoptr (GError) error = NULL;

  self->open = FALSE;
  if (!cs_fmp4_writer_end_segment (self->writer, &error))
    post_write_error (self, error);
}

static void
add_frame (CsFmp4Mux * self, GstAggregatorPad * pad, GstBuffer * buf)
{
  gboolean video = GST_PAD (pad) == self->video_pad;
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buf,
      GST_BUFFER_FLAG_DELTA_UNIT);
  gint64 duration = GST_BUFFER_DURATION_IS_VALID (buf) ?
      (gint64) GST_BUFFER_DURATION (buf) : -1;
  g_autoptr (GBytes) bytes = NULL;

  if (video && keyframe && self->cut) {
    end_segment (self);
    gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (self),
        g_steal_pointer (&self->cut));
    self->open = TRUE;
  }
  /* Before the first cut, after a close: no segment. */
  if (!self->open || !GST_BUFFER_PTS_IS_VALID (buf)
      || (bytes = frame_bytes (buf)) == NULL)
    return;
  if (video) {
    g_autoptr (GError) error = NULL;

    if (!cs_fmp4_writer_add_video (self->writer, bytes,
            running_time (pad, GST_BUFFER_DTS_OR_PTS (buf)),
            running_time (pad, GST_BUFFER_PTS (buf)), duration, keyframe,
            &error))
      post_write_error (self, error);
  } else
    cs_fmp4_writer_add_audio (self->writer, bytes,
        running_time (pad, GST_BUFFER_PTS (buf)), duration);
}

static GstFlowReturn
cs_fmp4_mux_aggregate (GstAggregator * agg, gboolean timeout)
{
  CsFmp4Mux *self = CS_FMP4_MUX (agg);
  gboolean all_eos;
  GstAggregatorPad *pad = next_pad (self, &all_eos);
  GstBuffer *buf;

  if (pad == NULL) {
    if (!all_eos)
      return GST_FLOW_OK;
    end_segment (self);
    return GST_FLOW_EOS;
  }
  buf = gst_aggregator_pad_pop_buffer (pad);
  if (buf) {
    add_frame (self, pad, buf);
    gst_buffer_unref (buf);
  }
  gst_object_unref (pad);
  return GST_FLOW_OK;
}

/* A stream's caps: the writer's settings for its track. */
static gboolean
set_caps (CsFmp4Mux * self, GstAggregatorPad * pad, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  gint width = 0, height = 0, rate = 0, channels = 0;

  if (g_str_has_prefix (name, "video/")) {
    self->video_pad = GST_PAD (pad);
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    cs_fmp4_writer_set_video (self->writer, g_str_equal (name,
            "video/x-h265") ? CS_NAL_H265 : CS_NAL_H264, MAX (width, 0),
        MAX (height, 0));
  } else {
    const GValue *v = gst_structure_get_value (s, "codec_data");
    GstBuffer *codec_data = v && G_VALUE_HOLDS (v, GST_TYPE_BUFFER) ?
        gst_value_get_buffer (v) : NULL;
    GBytes *asc = NULL;
    GstMapInfo map;

    /* Announced caps (no codec_data) leave the track out until audio's own
     * come. */
    if (codec_data && gst_buffer_map (codec_data, &map, GST_MAP_READ)) {
      asc = g_bytes_new (map.data, map.size);
      gst_buffer_unmap (codec_data, &map);
    }
    gst_structure_get_int (s, "rate", &rate);
    gst_structure_get_int (s, "channels", &channels);
    cs_fmp4_writer_set_audio (self->writer, MAX (rate, 0), MAX (channels, 0),
        asc);
    g_clear_pointer (&asc, g_bytes_unref);
  }
  return TRUE;
}

static gboolean
cs_fmp4_mux_sink_event (GstAggregator * agg, GstAggregatorPad * pad,
    GstEvent * event)
{
  CsFmp4Mux *self = CS_FMP4_MUX (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gboolean ok;

    gst_event_parse_caps (event, &caps);
    ok = set_caps (self, pad, caps);
    gst_event_unref (event);
    return ok;
  }
  if (gst_video_event_is_force_key_unit (event)) {
    gst_event_replace (&self->cut, event);
    gst_event_unref (event);
    return TRUE;
  }
  if (cs_cutter_event_is_close (event)) {
    end_segment (self);
    return gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (self), event);
  }
  return GST_AGGREGATOR_CLASS (cs_fmp4_mux_parent_class)->sink_event (agg,
      pad, event);
}

static void
reset (CsFmp4Mux * self)
{
  cs_fmp4_writer_free (self->writer);
  self->writer = cs_fmp4_writer_new (CS_FMP4_MUX_START_US, on_output, self);
  gst_clear_event (&self->cut);
  self->video_pad = NULL;
  self->open = FALSE;
}

static gboolean
cs_fmp4_mux_start (GstAggregator * agg)
{
  reset (CS_FMP4_MUX (agg));
  return TRUE;
}

static gboolean
cs_fmp4_mux_stop (GstAggregator * agg)
{
  reset (CS_FMP4_MUX (agg));
  return TRUE;
}

static void
cs_fmp4_mux_finalize (GObject * object)
{
  CsFmp4Mux *self = CS_FMP4_MUX (object);

  cs_fmp4_writer_free (self->writer);
  gst_clear_event (&self->cut);
  G_OBJECT_CLASS (cs_fmp4_mux_parent_class)->finalize (object);
}

static void
cs_fmp4_mux_class_init (CsFmp4MuxClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cs_fmp4_mux_finalize;
  gst_element_class_set_static_metadata (element_class,
      "cssink fragmented MP4 muxer", "Codec/Muxer",
      "Writes cssink's segments as self-contained fragmented MP4",
      "gst-cloudstorage");
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AGGREGATOR_PAD);
  agg_class->aggregate = cs_fmp4_mux_aggregate;
  agg_class->sink_event = cs_fmp4_mux_sink_event;
  agg_class->start = cs_fmp4_mux_start;
  agg_class->stop = cs_fmp4_mux_stop;
}

static void
cs_fmp4_mux_init (CsFmp4Mux * self)
{
  self->writer = cs_fmp4_writer_new (CS_FMP4_MUX_START_US, on_output, self);
}

GstElement *
cs_fmp4_mux_new (void)
{
  static gsize debug_init = 0;

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (cs_fmp4_debug, "csfmp4", 0,
        "cssink's fragmented MP4 muxer");
    g_once_init_leave (&debug_init, 1);
  }
  return g_object_new (cs_fmp4_mux_get_type (), NULL);
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
