/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-frames.h"

#include <gst/app/app.h>
#include <gst/check/gstcheck.h>

GPtrArray *
cs_test_encode_h264 (guint n, guint fps)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=%u/1 ! x264enc "
      "key-int-max=%u tune=zerolatency speed-preset=ultrafast bitrate=500 ! "
      "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,"
      "alignment=au ! appsink name=out sync=false", n, fps, fps);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink;
  GPtrArray *frames;
  GstSample *sample;

  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL)
    g_ptr_array_add (frames, sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  fail_unless_equals_int (frames->len, n);
  return frames;
}
