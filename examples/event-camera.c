/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A simulated live camera recorded around events: cseventgate ! cssink, with
 * triggers at random intervals the way the reference API's sample 4 makes
 * them, and an alarm picture for each alarm that wants one (its samples 5).
 *
 *   event-camera [--location URI] [--device-id ID] [--seconds N] [--seed N]
 *
 * For an s3:// location, set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * CS_ENDPOINT in the environment. */
#include <gst/gst.h>
#include <glib/gstdio.h>

/* Seconds to the next trigger, and the trigger sources (bits), as in the
 * reference sample. */
static const gint intervals[] = { 1, 1, 5, 5, 10, 10, 20, 40, 60, 200 };
static const guint sources[] = { 1u << 0, 1u << 1, 1u << 2, 1u << 3 };

typedef struct {
  GMainLoop *loop;
  GstElement *gate;
  GRand *rand;
  gchar *picture;
  gboolean failed;
} App;

static gboolean
trigger (gpointer data)
{
  App *app = data;
  guint source = sources[g_rand_int_range (app->rand, 0,
          G_N_ELEMENTS (sources))];
  gint next = intervals[g_rand_int_range (app->rand, 0,
          G_N_ELEMENTS (intervals))];
  gint result;

  g_signal_emit_by_name (app->gate, "trigger", source, (guint64) 0, &result);
  g_print ("trigger   0x%x -> %d, next in %d s\n", source, result, next);
  g_timeout_add_seconds (next, trigger, app);
  return G_SOURCE_REMOVE;
}

/* On cssink's picture thread: the camera's alarm picture. */
static gchar *
on_capture (GstElement * sink, const gchar * event_id, guint bit, App * app)
{
  g_print ("picture   for event %s (0x%x)\n", event_id, bit);
  return g_strdup (app->picture);
}

static void
on_result (GstElement * sink, const gchar * path, gint result, App * app)
{
  static const gchar *names[] = { "OK", "TIME_OUT", "EXPIRED", "NOT_EXIST" };
  g_print ("picture   %s: %s\n", path, result >= 0 && result < 4 ?
      names[result] : "?");
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;
  const GstStructure *s = gst_message_get_structure (msg);
  GError *error = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (g_str_has_prefix (gst_structure_get_name (s), "cs-event-")
          || gst_structure_has_name (s, "cs-segment-uploaded")) {
        gchar *text = gst_structure_to_string (s);
        g_print ("%s\n", text);
        g_free (text);
      }
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, NULL);
      g_printerr ("error: %s\n", error->message);
      g_clear_error (&error);
      app->failed = TRUE;
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
send_eos (gpointer pipeline)
{
  gst_element_send_event (pipeline, gst_event_new_eos ());
  return G_SOURCE_REMOVE;
}

/* One JPEG of the test pattern, standing in for the camera's snapshot. */
static gboolean
make_picture (const gchar * path)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "video/x-raw,width=640,height=360 ! jpegenc ! filesink location=%s",
      path);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstMessage *msg;
  gboolean ok;

  if (p == NULL)
    return FALSE;
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *location = NULL, *device_id = NULL;
  gint seconds = 60, seed = 0;
  GOptionEntry entries[] = {
    {"location", 'l', 0, G_OPTION_ARG_STRING, &location,
        "Store URI (default file:///tmp/gst-cloudstorage-demo)", "URI"},
    {"device-id", 'd', 0, G_OPTION_ARG_STRING, &device_id,
        "Device id (default event-cam)", "ID"},
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds,
        "How long to run (default 60)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed,
        "Seed of the random triggers (default: the time)", "N"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new
      ("- record a simulated camera around random events");
  g_autoptr (GError) error = NULL;
  GstElement *pipeline, *sink;
  App app = { 0 };
  GstBus *bus;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  app.picture = g_build_filename (g_get_tmp_dir (), "alarm_capture.jpg", NULL);
  if (!make_picture (app.picture)) {
    g_printerr ("cannot make the alarm picture %s\n", app.picture);
    return 1;
  }
  pipeline = gst_parse_launch ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=640,height=360,framerate=25/1 ! "
      "x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 "
      "key-int-max=25 ! h264parse ! cseventgate name=g min-record-time=8 "
      "event-interval=30 ! cssink name=s "
      "audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000 ! "
      "avenc_aac ! aacparse ! g.audio_sink_0 g.audio_src_0 ! s.audio",
      &error);
  if (pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  app.gate = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  g_object_set (sink, "location", location ? location :
      "file:///tmp/gst-cloudstorage-demo", "device-id",
      device_id ? device_id : "event-cam", NULL);
  if (g_getenv ("CS_ENDPOINT"))
    g_object_set (sink, "endpoint", g_getenv ("CS_ENDPOINT"), NULL);
  g_signal_connect (sink, "capture-snapshot", G_CALLBACK (on_capture), &app);
  g_signal_connect (sink, "snapshot-result", G_CALLBACK (on_result), &app);

  app.rand = seed ? g_rand_new_with_seed (seed) : g_rand_new ();
  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, &app);
  g_timeout_add_seconds (seconds, send_eos, pipeline);
  g_timeout_add_seconds (2, trigger, &app);
  g_print ("running %d s ...\n", seconds);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (app.loop);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (app.gate);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_rand_free (app.rand);
  g_unlink (app.picture);
  g_free (app.picture);
  return app.failed ? 1 : 0;
}
