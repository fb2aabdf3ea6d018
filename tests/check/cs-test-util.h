/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tests: run a pipeline, read segments back, reach the test
 * servers that tests/run-tests.sh starts. */
#pragma once

#include <gst/gst.h>
#include <gst/check/gstcheck.h>

G_BEGIN_DECLS

/* What a real demuxer (tsdemux or qtdemux, + parsers) reads from one
 * segment (MPEG-TS or fragmented MP4). */
typedef struct {
  guint video_frames;
  guint audio_frames;
  gboolean first_video_is_keyframe;
  gchar *video_codec;           /* caps name */
} CsMediaInfo;

gboolean cs_test_read_ts (GBytes * ts, CsMediaInfo * info);
void cs_media_info_clear (CsMediaInfo * info);

/* What ffprobe, an independent reader, finds in one stream ("v:0", "a:0")
 * of a file: decoded frames, and the stream's time span in seconds (MPEG-TS
 * times run on from one segment to the next). */
typedef struct {
  gint frames;
  gdouble first;
  gdouble end;
} CsProbe;

gboolean cs_test_ffprobe (const gchar * path, const gchar * stream,
    CsProbe * probe);

typedef struct {
  GPtrArray *messages;          /* GstStructure copies of cs-* messages, in order */
  GError *error;                /* first error on the bus, if any */
  gchar *error_debug;
  GPtrArray *warnings;          /* GError of every warning */
  guint video_in, audio_in;     /* buffers pushed into cssink's pads */
  GstStructure *stats;          /* cssink's stats after EOS */
  gboolean eos;
} CsRun;

/* Called once with @elapsed_s -1 before the pipeline starts, then every
 * 100 ms while it runs. */
typedef void (*CsRunTick) (GstElement * pipeline, gdouble elapsed_s,
    gpointer data);

/* Runs a gst-launch description with a cssink named "s" until EOS or error
 * (at most @timeout_s); with @eos_after_s > 0, sends EOS then. */
void cs_test_run (const gchar * description, gdouble eos_after_s,
    gdouble timeout_s, CsRunTick tick, gpointer tick_data, CsRun * run);
void cs_run_clear (CsRun * run);
/* A buffer pad probe: counts the buffers that pass in the gint (or guint)
 * at @counter, atomically. */
GstPadProbeReturn cs_test_count_buffers (GstPad * pad,
    GstPadProbeInfo * info, gpointer counter);
guint cs_run_count (CsRun * run, const gchar * name);
/* Waits at most @timeout_s for the EOS of @pipeline (PLAYING), then sets
 * it to NULL; on an error, or when no EOS comes, fails the test with the
 * message, or "no EOS", after what @what_format says. */
void cs_test_wait_eos (GstElement * pipeline, gdouble timeout_s,
    const gchar * what_format, ...) G_GNUC_PRINTF (3, 4);
/* A field of cssink's stats after the run. */
guint64 cs_run_stat (CsRun * run, const gchar * field);

/* The test servers' settings from the environment; NULL when not set (the
 * test is then skipped, unless CS_TEST_REQUIRE_SERVERS=1, when it fails). */
const gchar *cs_test_env (const gchar * name);
/* The S3 server's process, from CS_TEST_S3_PID_FILE. */
gint cs_test_s3_pid (void);

G_END_DECLS

#include "cs-event-record.h"

G_BEGIN_DECLS
typedef struct _CsStore CsStore;

/* The file:// store in @dir (fails the test when it cannot be opened). */
CsStore *cs_test_open_dir_store (const gchar * dir);
/* The event record (event.json) at @key of @store, or NULL when it is not
 * there or does not parse. */
CsEventRecord *cs_test_get_event_record (CsStore * store, const gchar * key);

/* Reads every segment of @device back from @store and checks what users rely
 * on: frames in = frames stored (tsdemux and ffprobe), segments back to back
 * with no gap or overlap, each starting on a keyframe, durations within
 * @tolerance_ms of @segment_ms (but the last), audio and video both present
 * and in step at each cut.  Returns the number of segments. */
guint cs_test_check_recording (CsStore * store, const gchar * device,
    CsRun * run, gint64 segment_ms, gint64 tolerance_ms,
    const gchar * video_codec, gboolean with_audio);
/* Reads every segment under @prefix back (tsdemux or qtdemux), each
 * starting on a keyframe; adds their video frames to @video and audio
 * frames to @audio (may be NULL).  Returns the number of segments. */
guint cs_test_read_segments (CsStore * store, const gchar * prefix,
    guint * video, guint * audio);
/* @store holds under @prefix exactly the keys of the set @uploaded. */
void cs_test_check_stored_exactly (CsStore * store, const gchar * prefix,
    GHashTable * uploaded);
/* The same, but for keys of @maybe, which may be there too: segments
 * dropped after tries to upload them (attempts > 0), which a store that
 * stalled may have taken all the same. */
void cs_test_check_stored (CsStore * store, const gchar * prefix,
    GHashTable * uploaded, GHashTable * maybe);
G_END_DECLS

G_BEGIN_DECLS
/* Exits 77 (meson's "skipped") when a variable is missing, or fails when
 * CS_TEST_REQUIRE_SERVERS=1 says the servers must be there. */
void cs_test_require_env (const gchar * const *names);
G_END_DECLS

G_BEGIN_DECLS
/* A CsRunTick: before the start, stamps every buffer leaving the element
 * named "p" with a timestamp/x-unix meta of *@base_ms (gint64, UTC ms) plus
 * its running time. */
void cs_test_stamp_unix_time (GstElement * pipeline, gdouble elapsed_s,
    gpointer base_ms);
/* Video frames gst's hlsdemux reads through a playlist file (of MPEG-TS or
 * fragmented MP4 segments), or -1. */
gint cs_test_hls_video_frames (const gchar * playlist);
G_END_DECLS

G_BEGIN_DECLS
/* rm -r; a symbolic link is removed, never followed. */
void cs_test_remove_tree (const gchar * path);
/* A checked fixture for @tc: each test gets a new temporary directory,
 * named after the test program, in *@dir (and its file:// URI in
 * *@file_uri unless NULL), removed with cs_test_remove_tree after the
 * test.  One such fixture per test program. */
void cs_test_add_tmp_dir_fixture (TCase * tc, gchar ** dir,
    gchar ** file_uri);
/* How many times @needle stands in @text (overlapping ones too). */
gint cs_test_occurrences (const gchar * text, const gchar * needle);
/* This process's resident memory (VmRSS), in bytes. */
guint64 cs_test_rss_bytes (void);
/* Is a file whose path holds @what mapped into this process? */
gboolean cs_test_is_mapped (const gchar * what);
/* Unlinked files this process has open below @dir (a store's or a spool's
 * own writes have names). */
guint cs_test_unlinked_files_open (const gchar * dir);
G_END_DECLS

G_BEGIN_DECLS
/* Triggers for a cseventgate named "g", at stream times. */
typedef struct {
  guint32 trigger;
  gdouble at_s;
} CsTestTrigger;

typedef struct {
  const CsTestTrigger *triggers;
  guint n;
  gint64 base_ms;               /* UTC of the stream's start */
} CsTestTimeline;

/* A CsRunTick: stamps the buffers leaving "p" like cs_test_stamp_unix_time
 * and, before the first frame, gives the gate "g" every trigger with its
 * UTC time, so what is recorded does not depend on thread timing. */
void cs_test_timeline_tick (GstElement * pipeline, gdouble elapsed_s,
    gpointer timeline);
G_END_DECLS
