/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bench-feed.h"

#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define INPUT_SECONDS 10
#define FPS 25
/* How often the feeder looks for frames due: a frame is pushed at most this
 * long after its timestamp when the machine keeps up. */
#define FEED_TICK_US 2000

static GstClock *bench_clock;
static GstClockTime bench_base_time;

static GstElement *
launch_or_die (const gchar * desc)
{
  GError *error = NULL;
  GstElement *e = gst_parse_launch (desc, &error);

  if (e == NULL) {
    g_printerr ("bench: %s\n  in: %s\n", error->message, desc);
    exit (1);
  }
  if (error) {                  /* a recoverable parse error: still fatal */
    g_printerr ("bench: %s\n", error->message);
    exit (1);
  }
  return e;
}

/* In a process of its own: the encoder's memory is not the benchmark's. */
static void
encode_input (const gchar * path, guint kbps, guint gop_frames)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  /* Snow: the encoder meets the bit rate on every frame.  No B-frames and
   * no scene cuts, as a camera's encoder: DTS = PTS, keyframes on time. */
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u "
      "pattern=snow ! video/x-raw,width=640,height=360,framerate=%u/1 ! "
      "x264enc bitrate=%u key-int-max=%u bframes=0 speed-preset=veryfast "
      "option-string=scenecut=0:min-keyint=%u ! h264parse ! matroskamux name=m "
      "! filesink location=%s audiotestsrc num-buffers=%u samplesperbuffer=1024 "
      "! audio/x-raw,rate=48000,channels=1 ! avenc_aac ! aacparse ! m.",
      INPUT_SECONDS * FPS, FPS, kbps, gop_frames, gop_frames, tmp,
      INPUT_SECONDS * 48000 / 1024 + 1);
  /* gst-launch-1.0 wants the launch line's words as separate arguments. */
  g_autofree gchar *cmd = g_strconcat ("timeout 300 gst-launch-1.0 -q ",
      desc, NULL);
  g_auto (GStrv) argv = g_strsplit (cmd, " ", -1);
  gint status = -1;

  g_printerr ("bench: encoding the input %s once\n", path);
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL)
      || g_rename (tmp, path) != 0) {
    g_printerr ("bench: encoding the input failed\n");
    exit (1);
  }
}

static GPtrArray *
pull_all (GstElement * pipeline, const gchar * name, GstCaps ** caps,
    guint64 * bytes)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GPtrArray *bufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GstSample *s;

  /* Not the bus: GStreamer 1.22 may lose the EOS of a file read before the
   * pipeline is PLAYING (README, known issue), appsink still returns it. */
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *b = gst_buffer_copy_deep (gst_sample_get_buffer (s));

    if (*caps == NULL)
      *caps = gst_caps_copy (gst_sample_get_caps (s));
    GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DISCONT);
    *bytes += gst_buffer_get_size (b);
    g_ptr_array_add (bufs, b);
    gst_sample_unref (s);
  }
  gst_object_unref (sink);
  return bufs;
}

BenchInput *
bench_input_load (const gchar * dir, guint kbps, guint gop_frames)
{
  g_autofree gchar *path = g_strdup_printf ("%s/input-%uk-gop%u.mkv", dir,
      kbps, gop_frames);
  g_autofree gchar *desc = NULL;
  BenchInput *in = g_new0 (BenchInput, 1);
  GstElement *p;
  GstStructure *s;
  gint rate = 0;

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    encode_input (path, kbps, gop_frames);
  /* Byte-stream with the codec headers before every keyframe: a camera may
   * start (and the input loops) at any keyframe. */
  desc = g_strdup_printf ("filesrc location=%s ! matroskademux name=d "
      "d.video_0 ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=v sync=false async=false d.audio_0 ! aacparse ! "
      "appsink name=a sync=false async=false", path);
  p = launch_or_die (desc);
  gst_element_set_state (p, GST_STATE_PLAYING);
  in->video = pull_all (p, "v", &in->video_caps, &in->bytes);
  in->audio = pull_all (p, "a", &in->audio_caps, &in->bytes);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  in->frame_duration = GST_SECOND / FPS;
  in->gop_frames = gop_frames;
  s = gst_caps_get_structure (in->audio_caps, 0);
  gst_structure_get_int (s, "rate", &rate);
  in->audio_rate = rate;
  if (in->video->len != INPUT_SECONDS * FPS || in->video->len % gop_frames
      || GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (in->video, 0),
          GST_BUFFER_FLAG_DELTA_UNIT) || rate <= 0) {
    g_printerr ("bench: unexpected input in %s (remove it to make it again)\n",
        path);
    exit (1);
  }
  return in;
}

static GstPadProbeReturn
on_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstClockTime *late = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime now = bench_running_time ();

  if (now > GST_BUFFER_PTS (buf) && now - GST_BUFFER_PTS (buf) > *late)
    *late = now - GST_BUFFER_PTS (buf);
  return GST_PAD_PROBE_OK;
}

static GstAppSrc *
camera_src (GstBin * bin, const gchar * src_name, const gchar * parser_name,
    GstCaps * caps, GstClockTime * late)
{
  GstElement *src = gst_bin_get_by_name (bin, src_name);
  GstElement *parser = gst_bin_get_by_name (bin, parser_name);
  GstPad *pad;

  if (src == NULL || parser == NULL) {
    g_printerr ("bench: a camera needs appsrc %s and a parser %s\n",
        src_name, parser_name);
    exit (1);
  }
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE,
      "max-bytes", (guint64) 0, NULL);
  pad = gst_element_get_static_pad (parser, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, late, NULL);
  gst_object_unref (pad);
  gst_object_unref (parser);
  gst_object_unref (src);       /* the bin keeps it */
  return GST_APP_SRC (src);
}

BenchCamera *
bench_camera_new (GstPipeline * pipeline, const BenchInput * in,
    const gchar * name, const gchar * desc)
{
  BenchCamera *cam = g_new0 (BenchCamera, 1);
  GError *error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, FALSE, &error);

  if (bin == NULL || error) {
    g_printerr ("bench: %s\n  in: %s\n", error->message, desc);
    exit (1);
  }
  cam->video = camera_src (GST_BIN (bin), "v", "vp", in->video_caps,
      &cam->video_late);
  cam->audio = camera_src (GST_BIN (bin), "a", "ap", in->audio_caps,
      &cam->audio_late);
  gst_object_set_name (GST_OBJECT (bin), name);
  gst_bin_add (GST_BIN (pipeline), bin);
  return cam;
}

gboolean
bench_play (GstPipeline * pipeline)
{
  GstElement *e = GST_ELEMENT (pipeline);

  if (gst_element_set_state (e, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return FALSE;
  /* Not gst_element_get_state (): that waits for the sinks to preroll, on
   * frames pushed only from now on.  A live pipeline has its clock and base
   * time once it went on to PLAYING, whether its sinks prerolled or not. */
  for (gint i = 0; i < 6000 && (bench_clock = gst_element_get_clock (e))
      == NULL; i++)
    g_usleep (10000);
  if (bench_clock == NULL)
    return FALSE;
  bench_base_time = gst_element_get_base_time (e);
  return TRUE;
}

GstClockTime
bench_running_time (void)
{
  if (bench_clock == NULL)      /* messages before the pipeline plays */
    return 0;
  return gst_clock_get_time (bench_clock) - bench_base_time;
}

struct _BenchFeed
{
  const BenchInput *in;
  BenchCamera **cams;
  guint n;
  gint stop;
  GThread *thread;
};

/* A camera's frame: the bytes of the input, in a memory object of its own
 * (as an encoder's output is).  One memory shared by every camera would be
 * mapped by all at once: a GstMemory counts at most 255 maps, and a muxer
 * that holds a GOP mapped (csfmp4mux) went past that beyond 255 cameras. */
static GstBuffer *
frame_at (GPtrArray * loop, guint64 index, GstClockTime pts,
    GstClockTime duration)
{
  GstBuffer *src = g_ptr_array_index (loop, index % loop->len);
  GstBuffer *b = gst_buffer_new ();

  gst_buffer_copy_into (b, src, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_META, 0, -1);
  for (guint i = 0; i < gst_buffer_n_memory (src); i++) {
    GstMemory *mem = gst_buffer_peek_memory (src, i);
    GstMapInfo map;

    /* The input's bytes stay where they are while it lives. */
    gst_memory_map (mem, &map, GST_MAP_READ);
    gst_buffer_append_memory (b, gst_memory_new_wrapped
        (GST_MEMORY_FLAG_READONLY, map.data, map.size, 0, map.size,
            gst_buffer_ref (src), (GDestroyNotify) gst_buffer_unref));
    gst_memory_unmap (mem, &map);
  }

  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = pts;
  GST_BUFFER_DURATION (b) = duration;
  return b;
}

static GstClockTime
audio_pts (const BenchInput * in, guint64 index)
{
  return gst_util_uint64_scale (index, 1024 * GST_SECOND, in->audio_rate);
}

static gpointer
feed_thread (gpointer data)
{
  BenchFeed *f = data;
  const BenchInput *in = f->in;

  while (!g_atomic_int_get (&f->stop)) {
    GstClockTime now = bench_running_time ();

    for (guint i = 0; i < f->n; i++) {
      BenchCamera *c = f->cams[i];
      GstClockTime t;

      while ((t = c->start + c->video_pushed * in->frame_duration) <= now)
        gst_app_src_push_buffer (c->video, frame_at (in->video,
                c->video_pushed++, t, in->frame_duration));
      while ((t = c->start + audio_pts (in, c->audio_pushed)) <= now) {
        GstClockTime d = c->start + audio_pts (in, c->audio_pushed + 1) - t;

        gst_app_src_push_buffer (c->audio, frame_at (in->audio,
                c->audio_pushed++, t, d));
      }
    }
    g_usleep (FEED_TICK_US);
  }
  return NULL;
}

BenchFeed *
bench_feed_start (const BenchInput * in, BenchCamera ** cams, guint n)
{
  BenchFeed *f = g_new0 (BenchFeed, 1);
  GstClockTime first = bench_running_time () + 100 * GST_MSECOND;
  GstClockTime gop = in->gop_frames * in->frame_duration;

  f->in = in;
  f->cams = cams;
  f->n = n;
  for (guint i = 0; i < n; i++)
    cams[i]->start = first + gst_util_uint64_scale (gop, i, n);
  f->thread = g_thread_new ("bench-feed", feed_thread, f);
  return f;
}

void
bench_feed_stop (BenchFeed * f)
{
  g_atomic_int_set (&f->stop, 1);
  g_thread_join (f->thread);
  g_free (f);
}

guint64
bench_proc_status (const gchar * field)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  gsize len = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (strncmp (lines[i], field, len) == 0 && lines[i][len] == ':')
      return g_ascii_strtoull (lines[i] + len + 1, NULL, 10);
  return 0;
}

gdouble
bench_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
