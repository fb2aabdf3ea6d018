/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the libivcs behaviour tests: real x264 + AAC frames, pushed
 * through iv_cs_push_stream at real-time pace as firmware does, and what a
 * file:// store holds afterwards. */
#pragma once

#include <glib.h>
#include "iv_cs.h"

G_BEGIN_DECLS

typedef struct {
  gboolean video;
  gboolean keyframe;
  guint64 ts_ms;                /* from 0 */
  GBytes *data;
} IvcsTestFrame;

/* @seconds of a camera's frames: H.264 (a keyframe every second, no
 * B-frames) at about @kbps (0: x264's default) from @pattern
 * (videotestsrc's, e.g. "ball", "snow"), and ADTS AAC.  Cached per
 * arguments for the process. */
GPtrArray *ivcs_test_frames (guint seconds, guint kbps, const gchar * pattern);
/* The same with its audio sampled at @audio_rate Hz (a camera's AAC is
 * often 8 or 16 kHz: 128 or 64 ms a frame). */
GPtrArray *ivcs_test_frames_audio_at (guint seconds, guint kbps,
    const gchar * pattern, guint audio_rate);

/* iv_cs_push_stream of @f, timestamps on a base of @base_ms (the one place
 * that knows the SDK's frame structs). */
int ivcs_test_push (const IvcsTestFrame * f, guint64 base_ms);

/* Called before each frame is pushed, at its time. */
typedef void (*IvcsTestEach) (const IvcsTestFrame * f, gpointer data);

/* Pushes @frames at real-time pace from now (a full queue is retried for a
 * frame's time); returns how many were refused, and *@video the video
 * frames taken. */
guint ivcs_test_push_all (GPtrArray * frames, guint64 base_ms,
    IvcsTestEach each, gpointer data, guint * video);

/* A temporary file:// store, set as IVCS_LOCATION with IVCS_DEVICE_ID cam1
 * and @channels (NULL: service.json is read, every second). */
gchar *ivcs_test_store_new (const gchar * channels);
void ivcs_test_store_free (gchar * store_uri);
/* The keys under @prefix ending in @suffix, sorted. */
GPtrArray *ivcs_test_keys (const gchar * store_uri, const gchar * prefix,
    const gchar * suffix);
/* Video frames a demuxer reads from the segments under @prefix. */
guint ivcs_test_video_frames (const gchar * store_uri, const gchar * prefix);
/* Writes cam1/service.json with @channels active (";"-separated). */
void ivcs_test_write_service (const gchar * store_uri, const gchar * channels);

/* Parameters as the reference documentation's sample sets them, with
 * 4 s / 8 s event times. */
iv_cs_init_parm_s ivcs_test_parm (void);

/* From now on, counts libivcs' lines on stderr (they are still printed). */
void ivcs_test_watch_messages (void);
/* How many lines said so far contain @needle. */
guint ivcs_test_messages (const gchar * needle);

G_END_DECLS
