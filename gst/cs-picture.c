/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-picture.h"

#include <gst/app/app.h>

#define TIMEOUT (5 * GST_SECOND)

/* Scaled down to at most CS_PICTURE_MAX_WIDTH, aspect kept, even sizes. */
static gchar *
scale_caps (const GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gint w = 0, h = 0;

  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h) || w <= 0 || h <= 0)
    return g_strdup ("video/x-raw");
  if (w > CS_PICTURE_MAX_WIDTH) {
    h = (gint) ((gint64) h * CS_PICTURE_MAX_WIDTH / w);
    w = CS_PICTURE_MAX_WIDTH;
  }
  return g_strdup_printf ("video/x-raw,width=%d,height=%d,"
      "pixel-aspect-ratio=1/1", MAX (w & ~1, 2), MAX (h & ~1, 2));
}

/* The parser and decoder of @caps: libav's decoder of that codec on one
 * thread (a decoder's default frame threads each hold pictures: ~2.5 MB
 * more for one frame); NULL for another codec (no decodebin: the caps come
 * from a camera's stream, and only what cssink records is decoded). */
static const gchar *
decoder_of (const GstCaps * caps)
{
  static const struct
  {
    const gchar *caps_name, *desc;
  } known[] = {
    {"video/x-h264", "h264parse ! avdec_h264 max-threads=1"},
    {"video/x-h265", "h265parse ! avdec_h265 max-threads=1"},
  };
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_str_equal (name, known[i].caps_name))
      return known[i].desc;
  return NULL;
}

GBytes *
cs_picture_jpeg_from_keyframe (GstSample * keyframe, GError ** error)
{
  GstCaps *caps = gst_sample_get_caps (keyframe);
  g_autofree gchar *scaled = NULL, *desc = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL, sink = NULL;
  g_autoptr (GstSample) jpeg = NULL;
  GstBuffer *buf;
  GstMapInfo map;
  GBytes *bytes;

  if (caps == NULL || gst_sample_get_buffer (keyframe) == NULL) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no keyframe to make a picture of");
    return NULL;
  }
  if (decoder_of (caps) == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
        "no picture of %s: only H.264 and H.265 are decoded",
        gst_structure_get_name (gst_caps_get_structure (caps, 0)));
    return NULL;
  }
  scaled = scale_caps (caps);
  desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "videoconvert ! videoscale ! %s ! jpegenc ! appsink name=sink "
      "sync=false", decoder_of (caps), scaled);
  pipeline = gst_parse_launch (desc, error);
  if (pipeline == NULL)
    return NULL;
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "caps", caps, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  buf = gst_buffer_copy (gst_sample_get_buffer (keyframe));
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  jpeg = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), TIMEOUT);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (jpeg == NULL || gst_sample_get_buffer (jpeg) == NULL) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "the keyframe could not be decoded into a picture");
    return NULL;
  }
  gst_buffer_map (gst_sample_get_buffer (jpeg), &map, GST_MAP_READ);
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (gst_sample_get_buffer (jpeg), &map);
  return bytes;
}
