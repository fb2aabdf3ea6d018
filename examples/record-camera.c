/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A simulated live camera (test pattern and ticks; H.264 + AAC) recorded
 * with cssink for some seconds, printing what cssink reports on the bus.
 *
 *   record-camera [--location URI] [--device-id ID] [--seconds N]
 *
 * For an s3:// location, set the endpoint in CS_ENDPOINT and the credentials
 * in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (cssink reads those
 * itself, as libivcs and csctl do). */
#include <gst/gst.h>

typedef struct {
  GMainLoop *loop;
  gboolean failed;
} App;

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;
  const GstStructure *s = gst_message_get_structure (msg);
  GError *error = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "cs-segment-uploaded")) {
        guint64 bytes = 0;
        gst_structure_get_uint64 (s, "bytes", &bytes);
        g_print ("uploaded  %s (%" G_GUINT64_FORMAT " bytes)\n",
            gst_structure_get_string (s, "key"), bytes);
      } else if (gst_structure_has_name (s, "cs-segment-dropped")) {
        g_print ("DROPPED   %s: %s\n", gst_structure_get_string (s, "key"),
            gst_structure_get_string (s, "reason"));
      } else if (gst_structure_has_name (s, "cs-upload-failed")) {
        g_print ("failed    %s: %s\n", gst_structure_get_string (s, "key"),
            gst_structure_get_string (s, "error"));
      }
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      g_printerr ("warning: %s\n", error->message);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("error: %s\n%s\n", error->message, debug ? debug : "");
      app->failed = TRUE;
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  g_clear_error (&error);
  g_free (debug);
  return G_SOURCE_CONTINUE;
}

static gboolean
send_eos (gpointer pipeline)
{
  g_print ("stopping: the last segment is finished and uploaded\n");
  gst_element_send_event (pipeline, gst_event_new_eos ());
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gchar *location = NULL, *device_id = NULL;
  gint seconds = 20;
  GOptionEntry entries[] = {
    {"location", 'l', 0, G_OPTION_ARG_STRING, &location,
        "Store URI (default file:///tmp/gst-cloudstorage-demo)", "URI"},
    {"device-id", 'd', 0, G_OPTION_ARG_STRING, &device_id,
        "Device id (default demo-cam)", "ID"},
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds,
        "How long to record (default 20)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- record a simulated camera");
  GError *error = NULL;
  GstElement *pipeline, *sink;
  App app = { NULL, FALSE };
  GstBus *bus;
  GstStructure *stats;
  gchar *stats_text;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  pipeline = gst_parse_launch ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=640,height=360,framerate=25/1 ! "
      "x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 "
      "key-int-max=50 ! h264parse ! cssink name=s "
      "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000 ! "
      "avenc_aac ! aacparse ! s.audio", &error);
  if (error != NULL) {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  g_object_set (sink, "location", location ? location :
      "file:///tmp/gst-cloudstorage-demo", "device-id",
      device_id ? device_id : "demo-cam", NULL);
  if (g_getenv ("CS_ENDPOINT"))
    g_object_set (sink, "endpoint", g_getenv ("CS_ENDPOINT"), NULL);

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, &app);
  g_timeout_add_seconds (seconds, send_eos, pipeline);
  g_print ("recording %d s ...\n", seconds);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (app.loop);

  g_object_get (sink, "stats", &stats, NULL);
  stats_text = gst_structure_to_string (stats);
  g_print ("cssink stats: %s\n", stats_text);
  g_free (stats_text);
  gst_structure_free (stats);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_free (location);
  g_free (device_id);
  return app.failed ? 1 : 0;
}
