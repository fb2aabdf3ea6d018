/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* N live cameras in one process: each pushes the pre-encoded input in real
 * time (appsrc ! h264parse, appsrc ! aacparse) into a sink of its own, for a
 * given time.  Prints one line of figures on stdout:
 *   BENCH input-kbps= cameras= late-ms= segments-min= dropped= errors= cpu-pct=
 *         rss-kb= rss-start-kb= hwm-kb= threads= threads-start=
 * late-ms: the most a frame entered the element after the parser past its
 * timestamp; segments-min: the fewest segments a camera stored
 * (cs-segment-uploaded, or splitmuxsink-fragment-closed of the baseline);
 * cpu-pct: the process's CPU over the time after --warmup, in % of one core;
 * rss/threads: at the end, and before the first camera was made (with the
 * input loaded and the plugins in memory); hwm-kb: the peak RSS.
 *
 *   cameras -n 16 -s 25 --kbps 4000 \
 *     --sink 'cssink location=file:///tmp/store device-id=cam{cam}'
 */
#include "bench-feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A trigger this often keeps an --event camera's event open. */
#define TRIGGER_EVERY_S 2

typedef struct
{
  gint segments[4096];
  gint dropped, errors, eos;
  GMutex lock;
  GCond cond;
} Counts;

static Counts counts;

static gint
camera_index (GstObject * src)
{
  GstObject *bin = GST_OBJECT_PARENT (src);

  if (bin == NULL || !g_str_has_prefix (GST_OBJECT_NAME (bin), "cam"))
    return -1;
  return atoi (GST_OBJECT_NAME (bin) + 3);
}

/* On the posting thread: nothing waits on the bus. */
static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const GstStructure *s = gst_message_get_structure (msg);
  gint cam;

  g_mutex_lock (&counts.lock);
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      cam = camera_index (GST_MESSAGE_SRC (msg));
      if (cam < 0 || strcmp (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "s"))
        break;
      if (gst_structure_has_name (s, "cs-segment-uploaded")
          || gst_structure_has_name (s, "splitmuxsink-fragment-closed"))
        counts.segments[cam]++;
      else if (gst_structure_has_name (s, "cs-segment-dropped"))
        counts.dropped++;
      break;
    case GST_MESSAGE_ERROR:{
      GError *e = NULL;

      gst_message_parse_error (msg, &e, NULL);
      g_printerr ("cameras: error from %s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
      g_error_free (e);
      counts.errors++;
      g_cond_signal (&counts.cond);
      break;
    }
    case GST_MESSAGE_EOS:
      counts.eos = 1;
      g_cond_signal (&counts.cond);
      break;
    default:
      break;
  }
  g_mutex_unlock (&counts.lock);
  return GST_BUS_DROP;
}

static gchar *
camera_desc (const gchar * sink, gboolean event, guint i)
{
  g_autofree gchar *cam = g_strdup_printf ("%u", i);
  g_auto (GStrv) parts = g_strsplit (sink, "{cam}", -1);
  g_autofree gchar *s = g_strjoinv (cam, parts);
  const gchar *audio_pad = g_str_has_prefix (sink, "splitmuxsink") ?
      "audio_%u" : "audio";

  if (event)
    return g_strdup_printf ("appsrc name=v ! h264parse name=vp ! cseventgate "
        "name=g pre-roll=0 ! %s name=s appsrc name=a ! aacparse name=ap ! "
        "g.audio_sink_0 g.audio_src_0 ! s.%s", s, audio_pad);
  return g_strdup_printf ("appsrc name=v ! h264parse name=vp ! %s name=s "
      "appsrc name=a ! aacparse name=ap ! s.%s", s, audio_pad);
}

static void
trigger_all (GstBin * pipeline, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *name = g_strdup_printf ("cam%u", i);
    GstElement *bin = gst_bin_get_by_name (pipeline, name);
    GstElement *gate = gst_bin_get_by_name (GST_BIN (bin), "g");
    gint result = 0;

    g_signal_emit_by_name (gate, "trigger", 1u, (guint64) 0, &result);
    gst_object_unref (gate);
    gst_object_unref (bin);
  }
}

/* Waits up to @timeout_s for EOS or an error. */
static void
wait_eos (guint timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;

  g_mutex_lock (&counts.lock);
  while (!counts.eos && !counts.errors)
    if (!g_cond_wait_until (&counts.cond, &counts.lock, end))
      break;
  if (!counts.eos)
    g_printerr ("cameras: no EOS within %u s\n", timeout_s);
  g_mutex_unlock (&counts.lock);
}

int
main (int argc, char **argv)
{
  gint n = 1, seconds = 25, warmup = 5, kbps = 4000, gop = 50;
  gboolean event = FALSE, eos = FALSE;
  g_autofree gchar *sink = NULL, *dir = g_strdup ("benchmarks/out");
  GOptionEntry entries[] = {
    {"cameras", 'n', 0, G_OPTION_ARG_INT, &n, "Cameras (1-4096)", "N"},
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Recording time", "S"},
    {"warmup", 'w', 0, G_OPTION_ARG_INT, &warmup,
        "Seconds not counted in the CPU figure", "S"},
    {"kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "Video bit rate", "KBPS"},
    {"gop-frames", 0, 0, G_OPTION_ARG_INT, &gop, "Keyframe every (25 fps)",
        "FRAMES"},
    {"sink", 0, 0, G_OPTION_ARG_STRING, &sink,
        "Sink of each camera, {cam} = its number", "LAUNCH"},
    {"event", 0, 0, G_OPTION_ARG_NONE, &event,
        "cseventgate before the sink, triggered every 2 s", NULL},
    {"eos", 0, 0, G_OPTION_ARG_NONE, &eos, "End with EOS (and wait for it)",
        NULL},
    {"input-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Where the input is",
        "DIR"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- live cameras");
  GError *error = NULL;
  GstElement *pipeline;
  BenchInput *in;
  BenchCamera **cams;
  BenchFeed *feed;
  guint64 rss0, threads0, rss, threads;
  gdouble cpu0 = 0, cpu1, t0 = 0, t1;
  GstClockTime late = 0;
  gint seg_min = G_MAXINT;

  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || sink == NULL
      || n < 1 || n > (gint) G_N_ELEMENTS (counts.segments)
      || seconds <= warmup) {
    g_printerr ("cameras: %s\n", error ? error->message :
        "--sink is needed, 1 <= --cameras <= 4096, --seconds > --warmup");
    return 2;
  }
  in = bench_input_load (dir, kbps, gop);

  /* The plugins' libraries are loaded once per process, not per camera. */
  {
    g_autofree gchar *desc = camera_desc (sink, event, 0);
    gst_object_unref (gst_object_ref_sink (gst_parse_bin_from_description
            (desc, FALSE, NULL)));
  }
  rss0 = bench_proc_status ("VmRSS");
  threads0 = bench_proc_status ("Threads");

  pipeline = gst_pipeline_new (NULL);
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (pipeline), on_message, NULL,
      NULL);
  cams = g_new0 (BenchCamera *, n);
  for (gint i = 0; i < n; i++) {
    g_autofree gchar *desc = camera_desc (sink, event, i);
    g_autofree gchar *name = g_strdup_printf ("cam%d", i);

    cams[i] = bench_camera_new (GST_PIPELINE (pipeline), in, name, desc);
  }
  if (!bench_play (GST_PIPELINE (pipeline))) {
    g_printerr ("cameras: the pipeline did not start\n");
    return 1;
  }
  feed = bench_feed_start (in, cams, n);

  for (gint s = 0; s < seconds && !g_atomic_int_get (&counts.errors); s++) {
    if (event && s % TRIGGER_EVERY_S == 0)
      trigger_all (GST_BIN (pipeline), n);
    if (s == warmup) {
      cpu0 = bench_cpu_seconds ();
      t0 = g_get_monotonic_time () / 1e6;
    }
    g_usleep (G_USEC_PER_SEC);
  }
  cpu1 = bench_cpu_seconds ();
  t1 = g_get_monotonic_time () / 1e6;
  rss = bench_proc_status ("VmRSS");
  threads = bench_proc_status ("Threads");
  bench_feed_stop (feed);
  if (eos) {
    for (gint i = 0; i < n; i++) {
      gst_app_src_end_of_stream (cams[i]->video);
      gst_app_src_end_of_stream (cams[i]->audio);
    }
    wait_eos (60);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (gint i = 0; i < n; i++) {
    late = MAX (late, MAX (cams[i]->video_late, cams[i]->audio_late));
    seg_min = MIN (seg_min, counts.segments[i]);
  }
  printf ("BENCH input-kbps=%" G_GUINT64_FORMAT " cameras=%d late-ms=%"
      G_GUINT64_FORMAT " segments-min=%d "
      "dropped=%d errors=%d cpu-pct=%.1f rss-kb=%" G_GUINT64_FORMAT
      " rss-start-kb=%" G_GUINT64_FORMAT " hwm-kb=%" G_GUINT64_FORMAT
      " threads=%" G_GUINT64_FORMAT " threads-start=%" G_GUINT64_FORMAT "\n",
      in->bytes * 8 / 10 / 1000, n, late / GST_MSECOND, seg_min, counts.dropped, counts.errors,
      100 * (cpu1 - cpu0) / (t1 - t0), rss, rss0,
      bench_proc_status ("VmHWM"), threads, threads0);
  gst_object_unref (pipeline);
  return 0;
}
