/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes a file of pre-encoded frames (see ivcs-frames.h) of a test
 * pattern and tone, H.264 (or H.265) + ADTS AAC, and a JPEG beside it, for
 * ivcs-firmware to push as if a hardware encoder made them.  Each video
 * frame is one access unit; the firmware hands it over in packs as SoC
 * encoders do (ivcs-packs.h).
 *
 *   make-frames OUT.frames SECONDS [h265] */
#include <gst/gst.h>
#include <gst/app/app.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivcs-frames.h"

typedef struct {
  ivcs_frame_header h;
  GBytes *data;
} Frame;

static GList *
pull_all (GstElement * sink, guint8 stream, guint16 codec)
{
  GList *frames = NULL;
  GstSample *sample;

  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    Frame *f = g_new0 (Frame, 1);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    f->data = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    f->h.stream = stream;
    f->h.keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    f->h.codec = codec;
    f->h.length = map.size;
    /* Running time: encoders may start their timestamps anywhere. */
    f->h.timestamp_ms = gst_segment_to_running_time (gst_sample_get_segment
        (sample), GST_FORMAT_TIME, GST_BUFFER_PTS (buf)) / GST_MSECOND;
    frames = g_list_prepend (frames, f);
    gst_sample_unref (sample);
  }
  return g_list_reverse (frames);
}

static gint
by_time (gconstpointer a, gconstpointer b)
{
  const Frame *fa = a, *fb = b;
  return fa->h.timestamp_ms < fb->h.timestamp_ms ? -1 :
      fa->h.timestamp_ms > fb->h.timestamp_ms;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *desc = NULL, *jpeg = NULL;
  gboolean h265 = argc > 3 && g_str_equal (argv[3], "h265");
  GstElement *pipeline, *vsink, *asink;
  GList *frames;
  FILE *out;
  gint seconds;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: make-frames OUT.frames SECONDS [h265]\n");
    return 2;
  }
  seconds = atoi (argv[2]);
  /* Like a camera's encoder: a keyframe every second, no B-frames, headers
   * with every keyframe. */
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! %s ! %s "
      "config-interval=-1 ! %s,stream-format=byte-stream,alignment=au ! "
      "appsink name=v sync=false "
      "audiotestsrc num-buffers=%d samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! "
      "audio/mpeg,stream-format=adts ! appsink name=a sync=false",
      seconds * 25, h265 ? "x265enc key-int-max=25 speed-preset=ultrafast "
      "option-string=bframes=0:scenecut=0" :
      "x264enc key-int-max=25 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0", h265 ? "h265parse" : "h264parse",
      h265 ? "video/x-h265" : "video/x-h264", seconds * 48000 / 1024);
  pipeline = gst_parse_launch (desc, NULL);
  if (pipeline == NULL)
    return 1;
  vsink = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  asink = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  /* Both sinks must be pulled together or one would block the other. */
  g_object_set (vsink, "max-buffers", 0, NULL);
  g_object_set (asink, "max-buffers", 0, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  frames = g_list_concat (pull_all (vsink, 1, h265 ? 1 : 0),
      pull_all (asink, 0, 0));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  frames = g_list_sort (frames, by_time);

  out = fopen (argv[1], "wb");
  if (out == NULL)
    return 1;
  fwrite (IVCS_FRAMES_MAGIC, 1, 4, out);
  for (GList * l = frames; l; l = l->next) {
    Frame *f = l->data;
    fwrite (&f->h, sizeof f->h, 1, out);
    fwrite (g_bytes_get_data (f->data, NULL), 1, f->h.length, out);
  }
  fclose (out);

  /* The alarm picture the firmware's capture callback hands over. */
  jpeg = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "video/x-raw,width=320,height=240 ! jpegenc ! filesink location=%s.jpg",
      argv[1]);
  pipeline = gst_parse_launch (jpeg, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_message_unref (gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
          GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_print ("%u frames\n", g_list_length (frames));
  return 0;
}
