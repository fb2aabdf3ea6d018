/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long after its end a recording is in the store (issue 12, "latency"),
 * for one live camera (appsrc in real time, as cameras.c) into cssink.
 *
 * Segments (default): a segment's latency is from the moment its last video
 * frame entered cssink (left h264parse) to the moment cssink posted its
 * cs-segment-uploaded, which cssink does when the store has answered the
 * write (file://: renamed into place; s3://: the PUT answered 200).  The
 * last frame is the one before the next segment's first keyframe (from the
 * segments' start-ms), so the last segment of the run is not counted.
 *
 * Events (--events K): cseventgate (pre-roll=0, min-record-time=4) before
 * cssink, one trigger per event; the frames go on into the gate.  An event's
 * latency is from the moment its last frame entered cssink (the gate then
 * closed) to the first poll (every 20 ms) that finds its event.json in the
 * store with "ended": true, read with the project's store client.  An
 * event waits at most --wait seconds for it.
 *
 * Prints: BENCH n= p50-ms= p99-ms= max-ms= missing=
 */
#include "bench-feed.h"
#include "cs-key.h"
#include "cs-store.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_US 20000

typedef struct
{
  GstClockTime pts, in;         /* a video frame entering cssink, and when */
} Entry;

typedef struct
{
  gint64 start_ms;
  GstClockTime uploaded;
} Stored;

static GMutex lock;
static GArray *entries;         /* Entry, in order */
static GArray *stored;          /* Stored */
static gchar *event_id;         /* the latest event started */
static gint64 event_start_ms;
static gint errors;

static GstPadProbeReturn
on_video_in (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Entry e = { GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)),
    bench_running_time ()
  };

  g_mutex_lock (&lock);
  g_array_append_val (entries, e);
  g_mutex_unlock (&lock);
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const GstStructure *s = gst_message_get_structure (msg);
  Stored st = { 0, bench_running_time () };

  g_mutex_lock (&lock);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    gst_message_parse_error (msg, &e, NULL);
    g_printerr ("latency: %s\n", e->message);
    g_error_free (e);
    errors++;
  } else if (s && gst_structure_has_name (s, "cs-segment-uploaded")
      && gst_structure_get_int64 (s, "start-ms", &st.start_ms)) {
    g_array_append_val (stored, st);
  } else if (s && gst_structure_has_name (s, "cs-event-started")) {
    g_free (event_id);
    event_id = g_strdup (gst_structure_get_string (s, "event-id"));
    gst_structure_get_int64 (s, "start-ms", &event_start_ms);
  }
  g_mutex_unlock (&lock);
  return GST_BUS_DROP;
}

static gint
compare_stored (gconstpointer a, gconstpointer b)
{
  const Stored *x = a, *y = b;

  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* When the last video frame before running time @end entered cssink. */
static GstClockTime
last_frame_in (GstClockTime end)
{
  GstClockTime in = GST_CLOCK_TIME_NONE;

  for (guint i = 0; i < entries->len; i++) {
    Entry *e = &g_array_index (entries, Entry, i);

    if (e->pts + 20 * GST_MSECOND < end)
      in = e->in;
  }
  return in;
}

static void
segment_latencies (GArray * out)
{
  Entry *first;
  GstClockTime next, in;

  g_array_sort (stored, compare_stored);
  if (entries->len == 0 || stored->len < 2)
    return;
  first = &g_array_index (entries, Entry, 0);
  for (guint i = 0; i + 1 < stored->len; i++) {
    Stored *s = &g_array_index (stored, Stored, i);
    gint64 next_ms = g_array_index (stored, Stored, i + 1).start_ms;
    gdouble ms;

    next = first->pts + (next_ms - g_array_index (stored, Stored,
            0).start_ms) * GST_MSECOND;
    in = last_frame_in (next);
    if (in == GST_CLOCK_TIME_NONE)
      continue;
    ms = ((gdouble) s->uploaded - (gdouble) in) / GST_MSECOND;
    g_array_append_val (out, ms);
  }
}

static gboolean
event_ended_in_store (CsStore * store, const gchar * key)
{
  g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser,
          g_bytes_get_data (data, NULL), g_bytes_get_size (data), NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root)
      && json_object_get_boolean_member_with_default (json_node_get_object
      (root), "ended", FALSE);
}

/* One event: a trigger, then watching the store until its event.json says
 * it ended.  Appends its latency to @out; FALSE when it did not come within
 * @wait_s. */
static gboolean
one_event (GstElement * gate, CsStore * store, const gchar * device,
    guint wait_s, GArray * out)
{
  gint result = 0;
  g_autofree gchar *key = NULL;
  gint64 deadline;
  guint seen;

  g_mutex_lock (&lock);
  g_clear_pointer (&event_id, g_free);
  g_mutex_unlock (&lock);
  g_signal_emit_by_name (gate, "trigger", 1u, (guint64) 0, &result);
  /* min-record-time (4 s) + a GOP, then the wait. */
  deadline = g_get_monotonic_time () + (6 + wait_s) * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline) {
    g_usleep (POLL_US);
    g_mutex_lock (&lock);
    if (key == NULL && event_id) {
      g_autofree gchar *dir = cs_key_event_dir (device, event_id,
          event_start_ms);
      key = g_strconcat (dir, CS_KEY_EVENT_JSON, NULL);
    }
    seen = entries->len;
    g_mutex_unlock (&lock);
    if (key && seen > 0 && event_ended_in_store (store, key)) {
      GstClockTime now = bench_running_time ();
      gdouble ms;

      g_mutex_lock (&lock);
      /* No frame has passed the gate since the recording ended. */
      ms = ((gdouble) now - (gdouble) g_array_index (entries, Entry,
              seen - 1).in) / GST_MSECOND;
      g_mutex_unlock (&lock);
      g_array_append_val (out, ms);
      return TRUE;
    }
  }
  return FALSE;
}

int
main (int argc, char **argv)
{
  gint seconds = 30, kbps = 1000, gop = 25, events = 0, wait_s = 10;
  g_autofree gchar *sink = NULL, *store_uri = NULL, *endpoint = NULL;
  g_autofree gchar *dir = g_strdup ("benchmarks/out");
  GOptionEntry options[] = {
    {"sink", 0, 0, G_OPTION_ARG_STRING, &sink, "cssink and its properties",
        "LAUNCH"},
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Recording time", "S"},
    {"kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "Video bit rate", "KBPS"},
    {"gop-frames", 0, 0, G_OPTION_ARG_INT, &gop, "Keyframe every (25 fps)",
        "FRAMES"},
    {"events", 0, 0, G_OPTION_ARG_INT, &events, "Events instead of segments",
        "K"},
    {"wait", 0, 0, G_OPTION_ARG_INT, &wait_s,
        "Longest wait for an event's end", "S"},
    {"store", 0, 0, G_OPTION_ARG_STRING, &store_uri,
        "The sink's store, read for --events", "URI"},
    {"endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint, "S3 endpoint", "URL"},
    {"input-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Where the input is",
        "DIR"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- latency");
  GError *error = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autofree gchar *desc = NULL;
  GstElement *pipeline, *bin, *gate, *cssink;
  GstPad *pad;
  BenchInput *in;
  BenchCamera *cam;
  BenchFeed *feed;
  GArray *ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gint missing = 0;

  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_option_context_add_main_entries (ctx, options, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || sink == NULL
      || (events > 0 && store_uri == NULL)) {
    g_printerr ("latency: %s\n", error ? error->message :
        "--sink is needed, and --store with --events");
    return 2;
  }
  if (events > 0) {
    CsStoreConfig config = {.endpoint = endpoint,.timeout_s = 5 };

    cs_store_config_fill_from_env (&config);
    store = cs_store_new (store_uri, &config, &error);
    if (store == NULL) {
      g_printerr ("latency: %s\n", error->message);
      return 2;
    }
  }
  entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  stored = g_array_new (FALSE, FALSE, sizeof (Stored));
  in = bench_input_load (dir, kbps, gop);

  desc = events ? g_strdup_printf ("appsrc name=v ! h264parse name=vp ! "
      "cseventgate name=g pre-roll=0 min-record-time=4 event-interval=4 ! "
      "%s name=s appsrc name=a ! aacparse name=ap ! g.audio_sink_0 "
      "g.audio_src_0 ! s.audio", sink) : g_strdup_printf ("appsrc name=v ! "
      "h264parse name=vp ! %s name=s appsrc name=a ! aacparse name=ap ! "
      "s.audio", sink);
  pipeline = gst_pipeline_new (NULL);
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (pipeline), on_message, NULL,
      NULL);
  cam = bench_camera_new (GST_PIPELINE (pipeline), in, "cam0", desc);
  bin = gst_bin_get_by_name (GST_BIN (pipeline), "cam0");
  gate = gst_bin_get_by_name (GST_BIN (bin), "g");
  cssink = gst_bin_get_by_name (GST_BIN (bin), "s");
  pad = gst_element_get_static_pad (cssink, "video");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_video_in, NULL, NULL);
  gst_object_unref (pad);
  if (!bench_play (GST_PIPELINE (pipeline))) {
    g_printerr ("latency: the pipeline did not start\n");
    return 1;
  }
  feed = bench_feed_start (in, &cam, 1);

  if (events) {
    g_autofree gchar *device = NULL;

    g_object_get (cssink, "device-id", &device, NULL);
    g_usleep (2 * G_USEC_PER_SEC);      /* a GOP in the gate first */
    for (gint e = 0; e < events && !g_atomic_int_get (&errors); e++) {
      if (!one_event (gate, store, device, wait_s, ms))
        missing++;
      g_usleep (G_USEC_PER_SEC);
    }
  } else {
    g_usleep (seconds * G_USEC_PER_SEC);
  }
  bench_feed_stop (feed);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!events)
    segment_latencies (ms);

  g_array_sort (ms, compare_double);
  if (ms->len == 0) {
    printf ("BENCH n=0 missing=%d errors=%d\n", missing, errors);
  } else {
    printf ("BENCH n=%u p50-ms=%.0f p99-ms=%.0f max-ms=%.0f missing=%d "
        "errors=%d\n", ms->len,
        g_array_index (ms, gdouble, (ms->len - 1) / 2),
        g_array_index (ms, gdouble, (ms->len * 99 + 99) / 100 - 1),
        g_array_index (ms, gdouble, ms->len - 1), missing, errors);
  }
  g_clear_object (&gate);
  gst_object_unref (cssink);
  gst_object_unref (bin);
  gst_object_unref (pipeline);
  return 0;
}
