/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the live benchmarks share: the pre-encoded input, held in memory, and
 * cameras that push it in real time through appsrc. */
#pragma once

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

G_BEGIN_DECLS

typedef struct
{
  GPtrArray *video;             /* GstBuffer, one loop; the first a keyframe */
  GPtrArray *audio;             /* GstBuffer, one AAC frame each */
  GstCaps *video_caps, *audio_caps;
  GstClockTime frame_duration;  /* video */
  guint audio_rate;             /* samples per second, 1024 per frame */
  guint gop_frames;
  guint64 bytes;                /* elementary bytes of the 10 s loop, both
                                 * streams */
} BenchInput;

/* 10 s of H.264 (640x360, 25 fps, @kbps, a keyframe every @gop_frames) + AAC,
 * encoded once into @dir and loaded from there.  Exits on failure. */
BenchInput *bench_input_load (const gchar * dir, guint kbps, guint gop_frames);

typedef struct
{
  GstAppSrc *video, *audio;
  GstClockTime start;           /* running time of the first frame */
  guint64 video_pushed, audio_pushed;
  /* Largest delay of a frame through the parser's src pad (into the
   * element after it) past its timestamp, written by the streaming threads. */
  GstClockTime video_late, audio_late;
} BenchCamera;

/* A camera from @desc, a launch line with appsrcs named "v" and "a" and
 * parsers after them named "vp" and "ap", added to @pipeline as a bin
 * named @name. */
BenchCamera *bench_camera_new (GstPipeline * pipeline, const BenchInput * in,
    const gchar * name, const gchar * desc);

/* Sets @pipeline PLAYING and waits (at most 60 s) until it is: a live
 * pipeline is, before its sinks preroll.  FALSE when it failed. */
gboolean bench_play (GstPipeline * pipeline);
/* Running time on the clock of the pipeline bench_play() started. */
GstClockTime bench_running_time (void);

typedef struct _BenchFeed BenchFeed;

/* Pushes every camera's frames at their timestamps from a thread of its own,
 * the first keyframes spread evenly over one GOP, until stopped.  Never
 * blocks on the pipeline: a pipeline that cannot keep up makes frames late. */
BenchFeed *bench_feed_start (const BenchInput * in, BenchCamera ** cams,
    guint n);
void bench_feed_stop (BenchFeed * feed);

/* From /proc/self/status, in kB or a count. */
guint64 bench_proc_status (const gchar * field);
/* User + system CPU time of the process, in seconds. */
gdouble bench_cpu_seconds (void);

G_END_DECLS
