/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-cssink
 * @title: cssink
 *
 * Cuts encoded H.264/H.265 video (and optional AAC audio) into keyframe-aligned
 * MPEG-TS segments and uploads each to a store, named
 * `<device-id>/rec/<YYYYMMDD>/<HH>/<start_ms>_<duration_ms>.ts` (UTC).
 *
 * The store is `file:///dir`, `s3://bucket/prefix` (any S3-compatible service,
 * with #GstCsSink:endpoint and credentials) or `http(s)://host/path` (plain
 * HTTP PUT).  Uploads run on a worker thread from a bounded cache.  With a
 * live source (a camera) a slow or dead uplink never blocks the pipeline:
 * when more than #GstCsSink:max-cached-segments or #GstCsSink:max-cache-bytes
 * wait, the oldest waiting segment is dropped.  With a source that is not
 * live (a file), cssink waits for room instead and drops nothing.  Every
 * outcome is counted in
 * #GstCsSink:stats and posted as an element message:
 *
 * - `cs-segment-uploaded`: key, start-ms, duration-ms, bytes, attempts
 * - `cs-segment-dropped`: key, start-ms, duration-ms, bytes, reason,
 *   attempts (tries made to upload it; after one, a store that stalled may
 *   hold it all the same)
 *   (`cache-full`, `drain-timeout`, `stopped`, or with #GstCsSink:spool-dir
 *   `spool-full`, which names the key only)
 * - `cs-upload-failed`: key, start-ms, duration-ms, bytes, attempt, error,
 *   will-retry, retry-in-ms, http-status-code (0: no answer) and from an S3
 *   store s3-error-code
 *
 * A refusal that retrying cannot mend (bad credentials, no such bucket) is an
 * element error, whose details carry key, attempt, http-status-code and
 * s3-error-code (as souphttpsrc's).  Segments, event objects and alarm
 * pictures all go through one outbox (one store connection, a cache per
 * kind, the same retries).  On EOS the cache is drained for at most
 * #GstCsSink:drain-timeout before EOS is let through.
 *
 * Behind a cseventgate, the recording is filed under its events instead:
 * `<device-id>/ev/<YYYYMMDD>/<event-id>/` holds the event's segments, an
 * `event.json` (rewritten as the event changes), an `index.m3u8` at its end
 * and `snapshot.jpg`, the picture a #GstCsSink::capture-snapshot handler
 * returns (#GstCsSink::snapshot-result tells once per picture what became of
 * it).  With the gate in `mark` mode, segments stay full-time and the event
 * points at them.  `cs-event-stored` (event-id, key, complete) says when a
 * finished event is whole in the store: its segments, index.m3u8 and final
 * event.json all had the store's answer.
 *
 * A segment ends at the first keyframe after #GstCsSink:segment-duration, and
 * also when the video stops: at a gate close, at EOS, and after
 * #GstCsSink:segment-idle-timeout without a frame.
 *
 * Segment times come from a `timestamp/x-unix` #GstReferenceTimestampMeta when
 * upstream attaches one, otherwise from the pipeline clock mapped to the
 * system's UTC clock when the first buffer arrives.  When the timestamps
 * jump ahead by more than a second, a new segment starts at the next
 * keyframe.  Frames whose timestamps go backwards are dropped (with a
 * warning, counted as frames-dropped), video up to the next keyframe that
 * runs on from the last stored frame: the muxer cannot take them.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *   h264parse ! cssink name=s location=file:///tmp/store device-id=cam1 \
 *   audiotestsrc is-live=true ! avenc_aac ! aacparse ! s.audio
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink.h"
#include "gstcselements.h"
#include "cs-gate-events.h"
#include "cs-key.h"
#include "cs-sink-events.h"
#include "cs-snapshot.h"
#include "cs-outbox.h"
#include "cs-sink-report.h"
#include "cs-utc.h"
#include "cs-leg-order.h"
#include "cs-stored-events.h"
#include "cs-ticker.h"

#include <gio/gio.h>
#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_cs_sink_debug);
#define GST_CAT_DEFAULT gst_cs_sink_debug

#define DEFAULT_SEGMENT_DURATION (4 * GST_SECOND)
#define DEFAULT_SEGMENT_IDLE_TIMEOUT 0  /* segment-duration + 2 s */
#define IDLE_CHECK_MS 100
/* How long video comes without audio before a requested audio pad is let go
 * (less than the video leg holds at the shortest segments). */
#define AUDIO_WAIT_US G_USEC_PER_SEC
#define DEFAULT_MAX_CACHED_SEGMENTS 3
#define DEFAULT_MAX_CACHE_BYTES (32 * 1024 * 1024)
#define DEFAULT_MAX_RETRIES -1
#define DEFAULT_TIMEOUT 15
#define DEFAULT_DRAIN_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_AUTO_SNAPSHOT TRUE
#define DEFAULT_SPOOL_MAX_BYTES (G_GUINT64_CONSTANT (1) << 30)
#define DEFAULT_REGION CS_STORE_DEFAULT_REGION
#define BACKOFF_INITIAL_MS 500
#define BACKOFF_MAX_MS 30000
/* Event objects (event.json, playlists) and pictures wait in caches of
 * their own, so that segments never push them out. */
#define EVENT_OBJECTS_MAX_ITEMS 64
#define EVENT_OBJECTS_MAX_BYTES (16 * 1024 * 1024)
#define PICTURES_MAX_ITEMS 8
#define PICTURES_MAX_BYTES (8 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_DEVICE_ID,
  PROP_ENDPOINT,
  PROP_REGION,
  PROP_ACCESS_KEY,
  PROP_SECRET_KEY,
  PROP_SESSION_TOKEN,
  PROP_TLS_CA_FILE,
  PROP_SEGMENT_DURATION,
  PROP_SEGMENT_IDLE_TIMEOUT,
  PROP_MAX_CACHED_SEGMENTS,
  PROP_MAX_CACHE_BYTES,
  PROP_MAX_RETRIES,
  PROP_TIMEOUT,
  PROP_DRAIN_TIMEOUT,
  PROP_AUTO_SNAPSHOT,
  PROP_SPOOL_DIR,
  PROP_SPOOL_MAX_BYTES,
  PROP_STATS,
  /* Names awss3sink users know. */
  PROP_ENDPOINT_URI,
  PROP_SECRET_ACCESS_KEY,
  PROP_FORCE_PATH_STYLE,
};

enum
{
  SIGNAL_CAPTURE_SNAPSHOT,
  SIGNAL_SNAPSHOT_RESULT,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

/* The counts of a stopped run, for the stats. */
typedef struct
{
  guint64 segments_recorded;
  guint64 frames_dropped;
} CsSinkCounts;

/* What one run learns from its stream (counts included), under
 * self->lock; set up by stream_reset() at start and dropped by it at stop,
 * so that a restart begins like the first run. */
typedef struct
{
  CsSinkEvents *events;
  CsStoredEvents *stored;       /* when a finished event is whole */
  GstBuffer *last_video_key;    /* at the muxer's input, for its closes */
  GstBuffer *last_audio;
  GQueue cuts;                  /* Cut: recent keyframes at the muxer's input */
  CsLegOrder video_order, audio_order;  /* frames going back are dropped */
  GstClockTime mux_video_end;   /* end of the last frame there */
  gchar *auto_picture_event;    /* wants a picture of the next keyframe */
  gchar *auto_picture_key;
  GOutputStream *fragment;      /* the segment being muxed */
  GstClockTime fragment_start_rt;
  GstSegment video_segment;
  CsUtcMap utc;
  GstClockTime video_end_rt;    /* latest end of a video buffer seen */
  GstClockTime last_keyframe_rt;
  gboolean video_seen;          /* a video buffer came in */
  gint64 video_arrival_us;      /* monotonic time of the latest */
  gboolean segment_open;        /* a frame was muxed since the last close */
  gboolean idle_closed;         /* closed for idleness: wait for a keyframe */
  gboolean idle_resume_told;    /* frames without their keyframe dropped */
  GstClockTime idle_closer_rt;  /* the segment starting there is discarded */
  gconstpointer closers[3];     /* idle closers on their way (identity) */
  GstClockTime audio_end_rt;    /* at the muxer's input */
  gboolean video_eos;
  gint64 video_run_us;          /* since when video comes without a pause */
  gint64 audio_arrival_us;      /* of the latest audio buffer, 0: none yet */
  guint64 segments_recorded;
  gsize last_segment_size;
  gboolean upstream_live;       /* drop when the cache is full, never wait */
  const gchar *video_codec;     /* caps name the parser was made for */
} CsSinkStream;

/* Lock order: audio_link_lock (the audio leg joining or leaving
 * splitmuxsink) before self->lock (streaming state and the outbox pointer);
 * GST_OBJECT_LOCK (settings) is never taken while holding self->lock.  None
 * is held while posting a message, calling into the outbox (whose locks
 * come below all of these: see cs-outbox.h) or creating the store. */
struct _GstCsSink
{
  GstBin parent;

  GstElement *splitmux;
  GstElement *sink;             /* giostreamsink inside splitmux */
  GstPad *video_pad;            /* ghost, always */
  GstPad *mux_video_pad;        /* splitmux's, requested up front so that
                                 * video is its reference stream from the
                                 * first audio buffer on */
  GstPad *audio_pad;            /* ghost, requested */
  GstElement *audio_parser, *audio_queue;
  GstElement *video_parser, *video_queue;       /* made for each run's codec */
  GstPad *audio_leg_src;        /* the audio queue's */

  /* Settings, under GST_OBJECT_LOCK. */
  gchar *location;
  gchar *device_id;
  gchar *endpoint;
  gchar *region;
  gchar *access_key;
  gchar *secret_key;
  gchar *session_token;
  gchar *tls_ca_file;
  gboolean virtual_hosted;      /* force-path-style=false */
  guint64 segment_duration;
  guint64 segment_idle_timeout;
  guint max_cached_segments;
  guint64 max_cache_bytes;
  gint max_retries;
  guint timeout;
  guint64 drain_timeout;
  gboolean auto_snapshot;
  gchar *spool_dir;
  guint64 spool_max_bytes;

  GMutex audio_link_lock;
  /* Under self->lock. */
  GMutex lock;
  CsOutbox *outbox;             /* everything stored goes through it */
  CsSnapshotter *snapshotter;
  gchar *active_device_id;      /* copied from settings at start */
  CsOutboxStats stopped_stats;  /* of the last run, once stopped */
  gboolean drain_interrupted;   /* not PLAYING: EOS does not wait */
  GSource *idle_source;         /* the idle check, on the ticker thread */
  gint64 idle_timeout_us;       /* copied from settings at start */
  CsSinkStream st;
  CsSinkCounts stopped_counts;  /* st's counts of the last run, once stopped */
};

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, "
        "stream-format = (string) { byte-stream, avc, avc3 }; "
        "video/x-h265, stream-format = (string) { byte-stream, hvc1, hev1 }"));

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) { raw, adts }"));

#define gst_cs_sink_parent_class parent_class
G_DEFINE_TYPE (GstCsSink, gst_cs_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (cssink, "cssink", GST_RANK_NONE,
    GST_TYPE_CS_SINK, GST_DEBUG_CATEGORY_INIT (gst_cs_sink_debug, "cssink", 0,
        "cloud storage segment sink"));

/* Drops what the last run left, keeping its counts for the stats, and
 * starts afresh.  With self->lock (or before the element is shared). */
static void
stream_reset (GstCsSink * self)
{
  CsSinkStream *st = &self->st;

  self->stopped_counts.segments_recorded = st->segments_recorded;
  self->stopped_counts.frames_dropped = st->video_order.dropped +
      st->audio_order.dropped;
  cs_sink_events_free (st->events);
  cs_stored_events_free (st->stored);
  gst_clear_buffer (&st->last_video_key);
  gst_clear_buffer (&st->last_audio);
  g_queue_clear_full (&st->cuts, g_free);
  g_free (st->auto_picture_event);
  g_free (st->auto_picture_key);
  g_clear_object (&st->fragment);

  memset (st, 0, sizeof *st);
  g_queue_init (&st->cuts);
  cs_leg_order_reset (&st->video_order);
  cs_leg_order_reset (&st->audio_order);
  st->mux_video_end = GST_CLOCK_TIME_NONE;
  st->fragment_start_rt = GST_CLOCK_TIME_NONE;
  st->video_end_rt = GST_CLOCK_TIME_NONE;
  st->last_keyframe_rt = GST_CLOCK_TIME_NONE;
  st->idle_closer_rt = GST_CLOCK_TIME_NONE;
  st->audio_end_rt = GST_CLOCK_TIME_NONE;
  gst_segment_init (&st->video_segment, GST_FORMAT_TIME);
}

/* The store's last word on an object: events it completes are whole in the
 * store, which cs-event-stored tells. */
static void
note_outcome (GstCsSink * self, const CsOutboxReport * r)
{
  g_autoptr (GPtrArray) whole = NULL;

  g_mutex_lock (&self->lock);
  if (self->st.stored) {
    cs_stored_events_outcome (self->st.stored, r->key,
        r->outcome == CS_OUTBOX_UPLOADED);
    whole = cs_stored_events_take_whole (self->st.stored);
  }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; whole && i < whole->len; i++) {
    GstStructure *s = g_ptr_array_index (whole, i);
    GST_INFO_OBJECT (self, "event whole in the store: %" GST_PTR_FORMAT, s);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s)));
  }
}

/* Called by the outbox, on one of its threads or the one that put or
 * stopped, never with a lock held. */
static void
on_outbox_report (const CsOutboxReport * r, gpointer user_data)
{
  GstCsSink *self = user_data;
  GstStructure *s = NULL;

  switch (r->outcome) {
    case CS_OUTBOX_UPLOADED:
      GST_INFO_OBJECT (self, "uploaded %s (%" G_GUINT64_FORMAT " bytes)",
          r->key, r->bytes);
      break;
    case CS_OUTBOX_DROPPED:
      GST_WARNING_OBJECT (self, "dropped %s: %s", r->key, r->reason);
      break;
    case CS_OUTBOX_ATTEMPT_FAILED:
    case CS_OUTBOX_FAILED:
      GST_WARNING_OBJECT (self, "upload of %s failed (attempt %u%s): %s",
          r->key, r->attempt, r->outcome == CS_OUTBOX_ATTEMPT_FAILED ?
          ", will retry" : "", r->error->message);
      break;
    case CS_OUTBOX_NOT_SPOOLED:
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("A segment could not be written to the spool."),
          ("%s: %s", r->key, r->error->message));
      return;
  }
  /* Whatever its kind, what the spool pushed out is told (the key only). */
  if (r->outcome == CS_OUTBOX_DROPPED
      && g_strcmp0 (r->reason, CS_OUTBOX_DROP_SPOOL_FULL) == 0)
    s = gst_structure_new ("cs-segment-dropped", "key", G_TYPE_STRING,
        r->key, "reason", G_TYPE_STRING, r->reason, NULL);
  else if (r->kind == CS_OUTBOX_SEGMENT)
    s = cs_sink_report_segment_message (r);
  if (s != NULL)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  if (r->outcome != CS_OUTBOX_ATTEMPT_FAILED)
    note_outcome (self, r);
  if (r->outcome == CS_OUTBOX_FAILED)
    cs_sink_report_post_failure (GST_ELEMENT (self), r);
}

static GstStructure *
gst_cs_sink_make_stats (GstCsSink * self)
{
  CsOutboxStats ob;
  CsUploaderStats *st = &ob.kinds[CS_OUTBOX_SEGMENT];
  guint64 recorded, frames_dropped;

  g_mutex_lock (&self->lock);
  if (self->outbox) {
    cs_outbox_get_stats (self->outbox, &ob);
    recorded = self->st.segments_recorded;
    frames_dropped = self->st.video_order.dropped +
        self->st.audio_order.dropped;
  } else {
    ob = self->stopped_stats;
    recorded = self->stopped_counts.segments_recorded;
    frames_dropped = self->stopped_counts.frames_dropped;
  }
  g_mutex_unlock (&self->lock);

  return gst_structure_new ("cssink-stats",
      "segments-recorded", G_TYPE_UINT64, recorded,
      "segments-uploaded", G_TYPE_UINT64, st->uploaded,
      "bytes-uploaded", G_TYPE_UINT64, st->bytes_uploaded,
      "upload-retries", G_TYPE_UINT64, st->retries,
      "segments-dropped", G_TYPE_UINT64, st->dropped,
      "uploads-failed", G_TYPE_UINT64, st->failed,
      "segments-pending", G_TYPE_UINT, st->pending,
      "bytes-pending", G_TYPE_UINT64, st->pending_bytes,
      "spool-bytes", G_TYPE_UINT64, ob.spool_bytes,
      "spool-dropped", G_TYPE_UINT64, ob.spool_dropped,
      "frames-dropped", G_TYPE_UINT64, frames_dropped, NULL);
}

static void gst_cs_sink_drain (GstCsSink * self);
static void gst_cs_sink_unlink_audio (GstCsSink * self);

/* Keeps the UTC map, and what the last segment's end needs at EOS; at an
 * EOS before any video, ends the stream itself. */
/* With self->lock: no audio buffer came for AUDIO_WAIT_US while video did. */
static gboolean
audio_missing (const CsSinkStream * st)
{
  return st->video_arrival_us - MAX (st->video_run_us,
      st->audio_arrival_us) >= AUDIO_WAIT_US;
}

static GstPadProbeReturn
video_timing_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  GstBuffer *buf;
  GstClockTime rt;
  gboolean no_audio;
  gint64 now;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    gboolean nothing_recorded = FALSE;
    g_mutex_lock (&self->lock);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (event, &self->st.video_segment);
    else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      self->st.video_eos = TRUE;
      nothing_recorded = !self->st.video_seen;
    }
    g_mutex_unlock (&self->lock);
    if (nothing_recorded) {
      /* splitmuxsink neither ends nor prerolls on an EOS that comes before
       * any data (GStreamer 1.22; behind a gate that never opened, an empty
       * file): with no video to record, cssink says it is done itself.  It
       * also takes splitmuxsink out of the state changes until the stop
       * (it would wait for a first segment for ever), so that the pipeline
       * reaches PLAYING and ends. */
      GstMessage *msg = gst_message_new_eos (GST_OBJECT (self));
      gst_message_set_seqnum (msg, gst_event_get_seqnum (event));
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("No video came before the end of the stream: nothing was "
              "recorded."), (NULL));
      gst_element_set_locked_state (self->splitmux, TRUE);
      gst_element_continue_state (self->splitmux, GST_STATE_CHANGE_SUCCESS);
      gst_element_post_message (self->splitmux,
          gst_message_new_async_done (GST_OBJECT (self->splitmux),
              GST_CLOCK_TIME_NONE));
      gst_cs_sink_drain (self);
      gst_element_post_message (GST_ELEMENT (self), msg);
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_mutex_lock (&self->lock);
  self->st.video_seen = TRUE;
  now = g_get_monotonic_time ();
  /* Video after a pause (an idle camera) starts a new run, in which audio
   * has its own time to come back. */
  if (now - self->st.video_arrival_us >= AUDIO_WAIT_US)
    self->st.video_run_us = now;
  self->st.video_arrival_us = now;
  rt = GST_BUFFER_PTS_IS_VALID (buf) ?
      gst_segment_to_running_time (&self->st.video_segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (rt)) {
    GstClockTime end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
        GST_BUFFER_DURATION (buf) : 0);
    /* The latest end in presentation order: B-frames come out of order. */
    if (!GST_CLOCK_TIME_IS_VALID (self->st.video_end_rt)
        || end > self->st.video_end_rt)
      self->st.video_end_rt = end;
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      self->st.last_keyframe_rt = rt;
    cs_utc_map_update (&self->st.utc, GST_ELEMENT (self), buf, rt);
  }
  /* A live source's audio comes with its video, give or take an encoder's
   * delay, even when a gate lets seconds of video through at once; a file
   * may bring its streams far apart. */
  no_audio = self->audio_queue && self->st.upstream_live
      && audio_missing (&self->st);
  g_mutex_unlock (&self->lock);
  /* A requested audio pad that gets no frame (a camera without a
   * microphone) would hold every segment back: splitmuxsink waits for each
   * stream to finish a GOP, and mpegtsmux cannot start a stream without its
   * caps.  Video is recorded alone until audio comes. */
  if (no_audio && gst_pad_is_linked (self->audio_leg_src)) {
    g_mutex_lock (&self->audio_link_lock);
    g_mutex_lock (&self->lock);
    no_audio = audio_missing (&self->st);
    g_mutex_unlock (&self->lock);
    if (no_audio) {
      GST_INFO_OBJECT (self, "no audio for %d ms of video: recording video "
          "alone until it comes", AUDIO_WAIT_US / 1000);
      gst_cs_sink_unlink_audio (self);
    }
    g_mutex_unlock (&self->audio_link_lock);
  }
  return GST_PAD_PROBE_OK;
}

/* splitmuxsink asks where the next segment goes: a fresh memory stream,
 * sized for a segment a quarter larger than the last one, as growing it
 * doubles the allocation (and copies it) each time. */
static gchar *
on_format_location (GstElement * splitmux, guint fragment_id,
    GstSample * first_sample, GstCsSink * self)
{
  GOutputStream *stream;
  gsize capacity;

  g_mutex_lock (&self->lock);
  capacity = self->st.last_segment_size + self->st.last_segment_size / 4;
  g_mutex_unlock (&self->lock);
  capacity = MAX (capacity, 64 * 1024);
  stream = g_memory_output_stream_new (g_malloc (capacity), capacity,
      g_realloc, g_free);

  g_object_set (self->sink, "stream", stream, NULL);
  g_mutex_lock (&self->lock);
  g_clear_object (&self->st.fragment);
  self->st.fragment = stream;
  g_mutex_unlock (&self->lock);
  return NULL;                  /* our sink has no location */
}

/* Where the frame before a keyframe ended, at the muxer's input: a segment
 * that ends at that keyframe ends there (they differ across a jump in the
 * timestamps). */
typedef struct
{
  GstClockTime keyframe_rt, previous_end;
} Cut;

#define MAX_CUTS 64
/* A gap in the video longer than this is a jump, not a frame's length. */
#define JUMP (GST_SECOND)

/* With self->lock.  TRUE for a keyframe after a jump: a new segment must
 * start there, or one segment would hold both sides of the jump. */
static gboolean
remember_video (GstCsSink * self, const GstSegment * seg, GstBuffer * buf)
{
  gboolean jump = FALSE;
  GstClockTime rt;

  if (seg == NULL || !GST_BUFFER_PTS_IS_VALID (buf))
    return FALSE;
  rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)
      && GST_CLOCK_TIME_IS_VALID (self->st.mux_video_end)) {
    Cut *c = g_new (Cut, 1);
    jump = rt > self->st.mux_video_end + JUMP;
    c->keyframe_rt = rt;
    c->previous_end = self->st.mux_video_end;
    g_queue_push_tail (&self->st.cuts, c);
    if (g_queue_get_length (&self->st.cuts) > MAX_CUTS)
      g_free (g_queue_pop_head (&self->st.cuts));
  }
  self->st.mux_video_end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : 0);
  return jump;
}

/* With self->lock: the real end of a segment splitmuxsink ends at @end_rt. */
static GstClockTime
segment_end (GstCsSink * self, GstClockTime end_rt)
{
  for (GList * l = self->st.cuts.head; l; l = l->next) {
    Cut *c = l->data;
    if (c->keyframe_rt == end_rt && end_rt > c->previous_end + JUMP) {
      GST_WARNING_OBJECT (self, "the video jumps by %" GST_TIME_FORMAT
          ": the segment ends at its last frame",
          GST_TIME_ARGS (end_rt - c->previous_end));
      return c->previous_end;
    }
  }
  return end_rt;
}

/* Hands event objects (CsUploadItem) to the outbox; never waits. */
static void
gst_cs_sink_upload_meta (GstCsSink * self, GPtrArray * uploads)
{
  CsOutbox *outbox;

  g_mutex_lock (&self->lock);
  outbox = self->outbox;
  if (self->st.stored) {
    g_autoptr (GPtrArray) done = cs_sink_events_take_done (self->st.events);
    for (guint i = 0; i < uploads->len; i++)
      cs_stored_events_sent (self->st.stored,
          ((CsUploadItem *) g_ptr_array_index (uploads, i))->key);
    for (guint i = 0; i < done->len; i++) {
      CsSinkEventDone *d = g_ptr_array_index (done, i);
      cs_stored_events_wait (self->st.stored, d->event_id, d->json_key,
          g_steal_pointer (&d->keys));
    }
  }
  g_mutex_unlock (&self->lock);
  /* The outbox is freed only after the streaming threads have stopped. */
  for (guint i = 0; i < uploads->len; i++) {
    CsUploadItem *item = g_ptr_array_index (uploads, i);
    if (outbox)
      cs_outbox_put (outbox, cs_outbox_kind_of_key (item->key), item->key,
          item->data, FALSE);
    cs_upload_item_free (item);
  }
  g_ptr_array_set_size (uploads, 0);
}

/* A segment is complete: name it and hand it to the outbox. */
static void
gst_cs_sink_fragment_closed (GstCsSink * self, GstClockTime end_rt)
{
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();
  g_autofree gchar *key = NULL;
  GOutputStream *stream;
  GstClockTime start_rt;
  gint64 start_ms, end_ms;
  CsOutbox *outbox;
  gboolean live;

  g_mutex_lock (&self->lock);
  stream = g_steal_pointer (&self->st.fragment);
  if (stream == NULL || self->outbox == NULL
      || !GST_CLOCK_TIME_IS_VALID (self->st.fragment_start_rt)) {
    g_mutex_unlock (&self->lock);
    g_clear_object (&stream);
    return;
  }
  /* The bytes stay owned by the stream (no copy); giostreamsink, which still
   * holds it, flushes it once more when it stops, so it is not closed here. */
  data = g_bytes_new_with_free_func (g_memory_output_stream_get_data
      (G_MEMORY_OUTPUT_STREAM (stream)),
      g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (stream)),
      g_object_unref, stream);

  /* splitmuxsink ends a segment at the next keyframe, but the last one (the
   * one that ends after the last keyframe) at the start of its last frame:
   * count that frame in. */
  if (self->st.video_eos && GST_CLOCK_TIME_IS_VALID (self->st.video_end_rt)
      && GST_CLOCK_TIME_IS_VALID (self->st.last_keyframe_rt)
      && end_rt > self->st.last_keyframe_rt)
    end_rt = MAX (end_rt, self->st.video_end_rt);
  end_rt = segment_end (self, end_rt);
  start_rt = self->st.fragment_start_rt;
  cs_utc_map_span_to_ms (&self->st.utc, start_rt, end_rt, &start_ms, &end_ms);
  self->st.fragment_start_rt = GST_CLOCK_TIME_NONE;
  self->st.last_segment_size = g_bytes_get_size (data);
  if (g_bytes_get_size (data) == 0) {
    g_mutex_unlock (&self->lock);
    return;                     /* nothing was muxed */
  }
  if (start_ms < 0) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("A segment was discarded: its time is before 1970."),
        ("start %" G_GINT64_FORMAT " ms; check the timestamp/x-unix meta",
            start_ms));
    return;
  }
  key = start_rt == self->st.idle_closer_rt ? NULL :
      cs_sink_events_segment_key (self->st.events, start_rt, start_ms,
      MAX (end_ms - start_ms, 0));
  if (key == NULL) {
    /* Only what closed an event's last segment (see video_leg_probe). */
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (self, "discarded the segment of the closing frames");
    return;
  }
  self->st.segments_recorded++;
  cs_stored_events_sent (self->st.stored, key);
  GST_INFO_OBJECT (self, "segment %s: %" G_GSIZE_FORMAT " bytes", key,
      g_bytes_get_size (data));
  cs_sink_events_segment_stored (self->st.events, key, start_ms, end_ms, end_rt,
      uploads);
  outbox = self->outbox;
  live = self->st.upstream_live;
  g_mutex_unlock (&self->lock);
  /* The outbox is freed only after the streaming threads have stopped. */
  cs_outbox_put (outbox, CS_OUTBOX_SEGMENT, key, data, !live);
  gst_cs_sink_upload_meta (self, uploads);
}

static gboolean
gst_cs_sink_drain_interrupted (GstCsSink * self)
{
  gboolean interrupted;

  g_mutex_lock (&self->lock);
  interrupted = self->drain_interrupted;
  g_mutex_unlock (&self->lock);
  return interrupted;
}

/* A state change away from PLAYING must not wait for an EOS drain: it runs
 * in the sink's streaming thread, which the change waits for.  What is
 * pending goes on uploading (and is dropped at READY). */
static void
gst_cs_sink_interrupt_drain (GstCsSink * self, gboolean interrupt)
{
  g_mutex_lock (&self->lock);
  self->drain_interrupted = interrupt;
  if (self->outbox)
    cs_outbox_interrupt_drains (self->outbox, interrupt);
  g_mutex_unlock (&self->lock);
}

/* At EOS: finishes the events, gives the outbox up to drain-timeout, then
 * lets EOS through. */
static void
gst_cs_sink_drain (GstCsSink * self)
{
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();
  guint left[CS_OUTBOX_N_KINDS];
  CsOutbox *outbox;
  guint64 timeout;
  gint64 deadline;
  gboolean spooled;

  GST_OBJECT_LOCK (self);
  timeout = self->drain_timeout;
  spooled = self->spool_dir != NULL;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  outbox = self->outbox;
  g_mutex_unlock (&self->lock);
  if (outbox == NULL)
    return;
  deadline = g_get_monotonic_time () / 1000 + timeout / GST_MSECOND;
  /* The pictures under way, so that the final event.json names them. */
  cs_snapshotter_wait_idle (self->snapshotter, timeout / GST_MSECOND);
  g_mutex_lock (&self->lock);
  cs_sink_events_finish (self->st.events, uploads);
  g_mutex_unlock (&self->lock);
  gst_cs_sink_upload_meta (self, uploads);

  GST_INFO_OBJECT (self, "EOS: draining uploads for at most %" GST_TIME_FORMAT,
      GST_TIME_ARGS (timeout));
  if (cs_outbox_drain (outbox, MAX (deadline - g_get_monotonic_time () / 1000,
              0), left))
    return;
  if (spooled) {
    /* What is not uploaded by then stays on disk for the next start. */
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Some segments were not uploaded before the drain timeout; they "
            "stay in the spool for the next start."), (NULL));
    return;
  }
  if (gst_cs_sink_drain_interrupted (self))
    return;
  if (left[CS_OUTBOX_SEGMENT] > 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("%u segments were not uploaded before the drain timeout.",
            left[CS_OUTBOX_SEGMENT]), (NULL));
  if (left[CS_OUTBOX_EVENT_OBJECT] + left[CS_OUTBOX_PICTURE] > 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Event objects were not uploaded before the drain timeout."),
        (NULL));
  /* Each is reported as dropped before EOS reaches the application. */
  cs_outbox_stop (outbox, CS_UPLOAD_DROP_DRAIN_TIMEOUT);
}

static void
gst_cs_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  GstCsSink *self = GST_CS_SINK (bin);
  const GstStructure *s = gst_message_get_structure (msg);
  GstClockTime rt;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && GST_MESSAGE_SRC (msg) == GST_OBJECT (self->splitmux) && s != NULL
      && gst_structure_get_clock_time (s, "running-time", &rt)) {
    if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
      g_mutex_lock (&self->lock);
      self->st.fragment_start_rt = rt;
      g_mutex_unlock (&self->lock);
    } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
      gst_cs_sink_fragment_closed (self, rt);
    }
    gst_message_unref (msg);    /* internal detail, not for the application */
    return;
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    gst_cs_sink_drain (self);

  GST_BIN_CLASS (parent_class)->handle_message (bin, msg);
}

/* Adds one stream's parser and queue in front of @muxpad and returns the
 * parser's sink pad.  splitmuxsink holds a stream back while it waits for the
 * other to finish a GOP, so each gets a thread of its own: fed from one
 * thread (a demuxer), they would otherwise wait on each other forever. */
/* On the snapshot thread: the application's picture for an alarm. */
static gchar *
capture_snapshot (const gchar * event_id, guint trigger, gpointer data)
{
  gchar *path = NULL;

  g_signal_emit (data, signals[SIGNAL_CAPTURE_SNAPSHOT], 0, event_id, trigger,
      &path);
  return path;
}

static void
snapshot_result (const gchar * path, CsSnapshotResult result, gpointer data)
{
  GST_INFO_OBJECT (data, "picture %s: %d", path, result);
  g_signal_emit (data, signals[SIGNAL_SNAPSHOT_RESULT], 0, path, result);
}

/* On the snapshot thread: the picture goes through the outbox like every
 * object (retries, spool), and its result waits for the store's answer. */
static gboolean
store_picture (const gchar * key, GBytes * jpeg, gpointer data,
    GError ** error)
{
  GstCsSink *self = data;
  CsOutbox *outbox;

  g_mutex_lock (&self->lock);
  outbox = self->outbox;
  g_mutex_unlock (&self->lock);
  /* The snapshotter is freed before the outbox. */
  return cs_outbox_put_and_wait (outbox, CS_OUTBOX_PICTURE, key, jpeg, error);
}

static void
snapshot_stored (const gchar * event_id, const gchar * key, gpointer data)
{
  GstCsSink *self = data;
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();

  g_mutex_lock (&self->lock);
  if (self->st.events)
    cs_sink_events_set_snapshot (self->st.events, event_id, uploads);
  g_mutex_unlock (&self->lock);
  gst_cs_sink_upload_meta (self, uploads);
}

/* A copy of @buf at running time @rt of @pad's segment, to close a segment
 * with: a keyframe (video) or a frame (audio) that is never stored. */
static GstBuffer *
closing_copy (GstPad * pad, GstBuffer * buf, GstClockTime rt)
{
  GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstSegment seg;
  GstBuffer *copy;

  if (seg_event == NULL)
    return NULL;
  gst_event_copy_segment (seg_event, &seg);
  gst_event_unref (seg_event);
  copy = gst_buffer_copy (buf);
  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) =
      gst_segment_position_from_running_time (&seg, GST_FORMAT_TIME, rt);
  GST_BUFFER_DURATION (copy) = GST_CLOCK_TIME_NONE;
  return copy;
}

/* With self->lock, at the muxer's input: keeps track of what an idle close
 * needs, lets its closers through, and after one drops video up to the next
 * keyframe (its segment was closed: a frame without its keyframe cannot
 * start the next).  TRUE to drop @buf. */
static gboolean
leg_idle_resume (GstCsSink * self, GstBuffer * buf, gboolean video,
    gboolean * first_drop)
{
  CsSinkStream *st = &self->st;

  for (guint i = 0; i < G_N_ELEMENTS (st->closers); i++) {
    if (st->closers[i] == buf) {
      st->closers[i] = NULL;
      return FALSE;
    }
  }
  if (!video)
    return FALSE;
  if (st->idle_closed && GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DELTA_UNIT)) {
    st->video_order.dropped++;
    if (!st->idle_resume_told) {
      st->idle_resume_told = TRUE;
      *first_drop = TRUE;
    }
    return TRUE;
  }
  st->idle_resume_told = FALSE;
  st->idle_closed = FALSE;
  st->segment_open = TRUE;
  return FALSE;
}

/* On the ticker thread: when no video came for segment-idle-timeout, the
 * open segment is closed as at a gate close (closing keyframes that start a
 * segment which is discarded), so that it is stored now rather than when
 * frames come back.  The closers enter after the parsers, under the stream
 * lock of their input, so they follow every frame before them. */
static gboolean
idle_check (gpointer data)
{
  GstCsSink *self = data;
  GstPad *vsink = NULL, *vsrc = NULL, *asink = NULL, *asrc = NULL;
  GstBuffer *closer[3] = { NULL, NULL, NULL };
  gboolean audio_locked = FALSE;
  GstClockTime t;

  g_mutex_lock (&self->lock);
  if (self->outbox == NULL || !self->st.segment_open || self->st.video_eos
      || self->st.last_video_key == NULL || self->video_parser == NULL
      || !GST_CLOCK_TIME_IS_VALID (self->st.video_end_rt)
      || g_get_monotonic_time () - self->st.video_arrival_us <
      self->idle_timeout_us) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_CONTINUE;
  }
  vsink = gst_element_get_static_pad (self->video_parser, "sink");
  vsrc = gst_element_get_static_pad (self->video_parser, "src");
  if (self->audio_parser && self->st.last_audio) {
    asink = gst_element_get_static_pad (self->audio_parser, "sink");
    asrc = gst_element_get_static_pad (self->audio_parser, "src");
  }
  g_mutex_unlock (&self->lock);

  /* A stream thread inside a parser: frames are coming after all (the
   * audio closer is needed too, or splitmuxsink waits for audio). */
  if (!GST_PAD_STREAM_TRYLOCK (vsink))
    goto done;
  audio_locked = asink && GST_PAD_STREAM_TRYLOCK (asink);
  if (asink && !audio_locked) {
    GST_PAD_STREAM_UNLOCK (vsink);
    goto done;
  }

  g_mutex_lock (&self->lock);
  if (self->st.segment_open && self->st.last_video_key) {
    t = self->st.video_end_rt;
    closer[0] = closing_copy (vsrc, self->st.last_video_key, t);
    closer[1] = closing_copy (vsrc, self->st.last_video_key,
        t + CS_SINK_CLOSER_LEAD / 2);
    /* Past the end of the video GOP, as splitmuxsink waits for every
     * stream to reach it. */
    if (audio_locked)
      closer[2] = closing_copy (asrc, self->st.last_audio,
          MAX (t, GST_CLOCK_TIME_IS_VALID (self->st.audio_end_rt) ?
              self->st.audio_end_rt : 0) + CS_SINK_CLOSER_LEAD);
    for (guint i = 0; i < G_N_ELEMENTS (closer); i++)
      self->st.closers[i] = closer[i];
    self->st.segment_open = FALSE;
    self->st.idle_closed = TRUE;
    self->st.idle_closer_rt = t;
    GST_INFO_OBJECT (self, "no video for %" G_GINT64_FORMAT " ms: the "
        "segment ends at %" GST_TIME_FORMAT "%s", self->idle_timeout_us / 1000,
        GST_TIME_ARGS (t), closer[2] ? " (audio too)" : "");
  }
  g_mutex_unlock (&self->lock);

  if (closer[0]) {
    g_signal_emit_by_name (self->splitmux, "split-after");
    gst_pad_push (vsrc, closer[0]);
    gst_pad_push (vsrc, closer[1]);
  }
  if (closer[2])
    gst_pad_push (asrc, closer[2]);
  if (audio_locked)
    GST_PAD_STREAM_UNLOCK (asink);
  GST_PAD_STREAM_UNLOCK (vsink);
done:
  gst_object_unref (vsink);
  gst_object_unref (vsrc);
  gst_clear_object (&asink);
  gst_clear_object (&asrc);
  return G_SOURCE_CONTINUE;
}


/* At the muxer's input, in stream order: the gate's announcements.  An event
 * (or a reopened gate) starts a new segment at its first keyframe.  When the
 * gate closes, splitmuxsink would keep the event's last segment open until
 * the next keyframe, which may be hours away: two copies of the last
 * keyframe, just before the close, end it now (the segment they start is
 * discarded, see cs_sink_events_segment_key).  The audio leg adds a frame
 * after them, as splitmuxsink waits for every stream to reach a GOP's end. */
static GstPadProbeReturn
leg_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  gboolean video = pad != self->audio_leg_src;
  g_autoptr (GPtrArray) uploads = NULL;
  const GstStructure *s;
  const gchar *name;
  GstBuffer *closer[2] = { NULL, NULL };
  GstClockTime close_rt = GST_CLOCK_TIME_NONE;
  gboolean split = FALSE, picture = FALSE, auto_snapshot;
  g_autofree gchar *picture_key = NULL;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    g_autofree gchar *event_id = NULL;
    GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    GstSegment seg;
    const GstSegment *segment = NULL;
    CsLegVerdict verdict;
    gboolean jump = FALSE, first_drop = FALSE;

    if (seg_event) {
      gst_event_copy_segment (seg_event, &seg);
      segment = &seg;
      gst_event_unref (seg_event);
    }

    g_mutex_lock (&self->lock);
    if (leg_idle_resume (self, buf, video, &first_drop)) {
      g_mutex_unlock (&self->lock);
      if (first_drop) {
        GST_ELEMENT_WARNING (self, STREAM, FAILED,
            ("Video came back without a keyframe after its segment was "
                "closed for idleness: frames are dropped up to the next "
                "keyframe."), (NULL));
        gst_pad_push_event (self->video_pad,
            gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                TRUE, 0));
      }
      return GST_PAD_PROBE_DROP;
    }
    verdict = cs_leg_order_check (video ? &self->st.video_order :
        &self->st.audio_order, segment, buf, video);
    if (verdict != CS_LEG_KEEP) {
      g_mutex_unlock (&self->lock);
      if (verdict == CS_LEG_DROP_FIRST)
        GST_ELEMENT_WARNING (self, STREAM, FAILED,
            ("The %s timestamps went backwards: frames are dropped until "
                "they run on from the last stored one.",
                video ? "video" : "audio"),
            ("%s frame at %" GST_TIME_FORMAT " (decoding time)",
                video ? "video" : "audio",
                GST_TIME_ARGS (GST_BUFFER_DTS_OR_PTS (buf))));
      return GST_PAD_PROBE_DROP;
    }
    if (video)
      jump = remember_video (self, segment, buf);
    if (!video) {
      GstClockTime rt = segment && GST_BUFFER_PTS_IS_VALID (buf) ?
          gst_segment_to_running_time (segment, GST_FORMAT_TIME,
          GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
      if (GST_CLOCK_TIME_IS_VALID (rt))
        self->st.audio_end_rt = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
            GST_BUFFER_DURATION (buf) : 0);
      gst_buffer_replace (&self->st.last_audio, buf);
    } else if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
      gst_buffer_replace (&self->st.last_video_key, buf);
      event_id = g_steal_pointer (&self->st.auto_picture_event);
      picture_key = g_steal_pointer (&self->st.auto_picture_key);
    }
    g_mutex_unlock (&self->lock);
    if (jump)
      g_signal_emit_by_name (self->splitmux, "split-after");
    if (event_id != NULL) {
      GstCaps *caps = gst_pad_get_current_caps (pad);
      GstSample *sample = gst_sample_new (buf, caps, NULL, NULL);
      cs_snapshotter_request_keyframe (self->snapshotter, event_id,
          picture_key, sample);
      gst_sample_unref (sample);
      gst_clear_caps (&caps);
    }
    return GST_PAD_PROBE_OK;
  }
  s = cs_gate_event_structure (GST_PAD_PROBE_INFO_EVENT (info));
  if (s == NULL)
    return GST_PAD_PROBE_OK;
  GST_OBJECT_LOCK (self);
  auto_snapshot = self->auto_snapshot;
  GST_OBJECT_UNLOCK (self);
  name = gst_structure_get_name (s);
  gst_structure_get_uint64 (s, "running-time", &close_rt);
  uploads = g_ptr_array_new ();

  g_mutex_lock (&self->lock);
  if (video && self->st.events)
    split = cs_sink_events_handle (self->st.events, s, uploads);
  if (video && g_str_equal (name, CS_EVENT_ALARM) && self->snapshotter
      && gst_structure_get_boolean (s, "snapshot", &picture) && picture)
    picture_key = cs_sink_events_snapshot_key (self->st.events,
        gst_structure_get_string (s, "event-id"));
  if (g_str_equal (name, CS_GATE_CLOSE) && GST_CLOCK_TIME_IS_VALID (close_rt)
      && close_rt > CS_SINK_CLOSER_LEAD) {
    if (video && self->st.last_video_key) {
      closer[0] = closing_copy (pad, self->st.last_video_key,
          close_rt - CS_SINK_CLOSER_LEAD);
      closer[1] = closing_copy (pad, self->st.last_video_key,
          close_rt - CS_SINK_CLOSER_LEAD / 2);
    } else if (!video && self->st.last_audio) {
      closer[0] = closing_copy (pad, self->st.last_audio,
          close_rt - CS_SINK_CLOSER_LEAD / 4);
    }
  }
  g_mutex_unlock (&self->lock);

  if (split)
    g_signal_emit_by_name (self->splitmux, "split-after");
  if (picture_key && g_signal_has_handler_pending (self,
          signals[SIGNAL_CAPTURE_SNAPSHOT], 0, FALSE)) {
    guint trigger = 0;
    gst_structure_get_uint (s, "trigger", &trigger);
    /* The snapshotter is freed only after the streaming threads stopped. */
    cs_snapshotter_request (self->snapshotter,
        gst_structure_get_string (s, "event-id"), trigger, picture_key);
  } else if (picture_key && auto_snapshot) {
    /* Of the event's next keyframe, its first for a new recording. */
    g_mutex_lock (&self->lock);
    g_free (self->st.auto_picture_event);
    self->st.auto_picture_event = g_strdup (gst_structure_get_string (s,
            "event-id"));
    g_free (self->st.auto_picture_key);
    self->st.auto_picture_key = g_steal_pointer (&picture_key);
    g_mutex_unlock (&self->lock);
  }
  for (guint i = 0; i < G_N_ELEMENTS (closer); i++)
    if (closer[i])
      gst_pad_push (pad, closer[i]);
  if (video && closer[0]) {
    g_mutex_lock (&self->lock);
    self->st.segment_open = FALSE;
    g_mutex_unlock (&self->lock);
  }
  gst_cs_sink_upload_meta (self, uploads);
  return GST_PAD_PROBE_DROP;
}

/* On a leg's input (@parser's sink pad): the gate's announcements go round
 * the parser.  A parser (GstBaseParse) keeps a custom event until it pushes
 * its next frame; after a gate close no frame comes, and the close would
 * reach leg_probe only at EOS.  The parser pushes each whole frame (aligned
 * input) at once, so the event follows the frames before it. */
static GstPadProbeReturn
parser_bypass_probe (GstPad * pad, GstPadProbeInfo * info, gpointer parser)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstPad *srcpad;

  if (cs_gate_event_structure (event) == NULL)
    return GST_PAD_PROBE_OK;
  srcpad = gst_element_get_static_pad (parser, "src");
  gst_pad_push_event (srcpad, gst_event_ref (event));
  gst_object_unref (srcpad);
  return GST_PAD_PROBE_DROP;
}

static GstPad *
gst_cs_sink_add_leg (GstCsSink * self, GstElement * parser, GstPad * muxpad,
    GstElement ** queue_out, gboolean audio)
{
  GstPad *sinkpad;

  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstPad *srcpad;
  guint64 duration;

  /* Bounded in time only: a segment's worth holds what one stream runs
   * ahead of the other while splitmuxsink waits for a GOP to end. */
  GST_OBJECT_LOCK (self);
  duration = self->segment_duration;
  GST_OBJECT_UNLOCK (self);
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", duration, NULL);
  gst_bin_add_many (GST_BIN (self), parser, queue, NULL);
  gst_element_link (parser, queue);
  srcpad = gst_element_get_static_pad (queue, "src");
  if (muxpad)
    gst_pad_link (srcpad, muxpad);
  if (audio)
    self->audio_leg_src = srcpad;
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, leg_probe, self, NULL);
  gst_object_unref (srcpad);
  gst_element_sync_state_with_parent (queue);
  gst_element_sync_state_with_parent (parser);
  *queue_out = queue;
  sinkpad = gst_element_get_static_pad (parser, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      parser_bypass_probe, parser, NULL);
  return sinkpad;
}

/* The video parser is chosen when the caps say which codec arrives.  It keeps
 * codec headers in front of every keyframe (config-interval=-1) so each
 * segment plays on its own, and turns avc/hvc into the byte-stream that
 * MPEG-TS carries. */
static GstPadProbeReturn
video_caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  const gchar *codec;
  GstElement *parser;
  GstPad *sinkpad;
  GstQuery *query;
  gboolean live = FALSE;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  codec = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  /* A live source (a camera) must never wait for the uplink: then a full
   * cache drops segments.  Anything else (a file) waits for room instead. */
  query = gst_query_new_latency ();
  if (gst_pad_peer_query (pad, query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  gst_query_unref (query);

  g_mutex_lock (&self->lock);
  self->st.upstream_live = live;
  if (self->st.video_codec != NULL) {
    const gchar *was = self->st.video_codec;
    g_mutex_unlock (&self->lock);
    if (g_str_equal (was, codec))
      return GST_PAD_PROBE_OK;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The video codec cannot change while recording (from %s to %s): "
            "restart the pipeline (PLAYING -> NULL -> PLAYING) for the new "
            "one.", was, codec), (NULL));
    return GST_PAD_PROBE_DROP;
  }
  self->st.video_codec = g_intern_string (codec);
  g_mutex_unlock (&self->lock);

  parser = gst_element_factory_make (g_str_equal (codec, "video/x-h265") ?
      "h265parse" : "h264parse", NULL);
  if (parser == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The %s parser is missing.", codec), (NULL));
    return GST_PAD_PROBE_DROP;
  }
  g_object_set (parser, "config-interval", -1, NULL);
  sinkpad = gst_cs_sink_add_leg (self, parser, self->mux_video_pad,
      &self->video_queue, FALSE);
  self->video_parser = gst_object_ref (parser);
  gst_object_ref (self->video_queue);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), sinkpad);
  gst_object_unref (sinkpad);
  /* The probe stays: a later codec change is refused with a clear word. */
  return GST_PAD_PROBE_OK;
}

/* Upstream negotiates against what cssink records, not against the parser
 * of the codec that came first: a codec change then reaches
 * video_caps_probe, which names it, instead of failing upstream as "not
 * negotiated". */
static GstPadProbeReturn
video_query_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstCaps *templ, *caps;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS
      && GST_QUERY_TYPE (query) != GST_QUERY_ACCEPT_CAPS)
    return GST_PAD_PROBE_OK;
  templ = gst_pad_get_pad_template_caps (pad);
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query,
        gst_caps_is_subset (caps, templ));
  } else {
    gst_query_parse_caps (query, &caps);
    if (caps) {
      GstCaps *filtered = gst_caps_intersect_full (caps, templ,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (templ);
      templ = filtered;
    }
    gst_query_set_caps_result (query, templ);
  }
  gst_caps_unref (templ);
  return GST_PAD_PROBE_HANDLED;
}

/* Takes the elements of a leg out of the bin (a stopped run's video, a
 * released audio pad). */
static void
gst_cs_sink_remove_leg (GstCsSink * self, GstElement ** parser,
    GstElement ** queue)
{
  /* When the bin is disposed, its children are gone before its pads. */
  for (GstElement ** e = (GstElement *[]) { *parser, *queue, NULL}; *e; e++) {
    if (GST_OBJECT_PARENT (*e) == GST_OBJECT (self)) {
      gst_element_set_locked_state (*e, TRUE);
      gst_element_set_state (*e, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), *e);
    }
  }
  gst_clear_object (parser);
  gst_clear_object (queue);
}

/* Puts the audio leg on splitmuxsink.  The queue sends its caps and segment
 * to the new peer ahead of its next buffer. */
static void
gst_cs_sink_link_audio (GstCsSink * self)
{
  GstPad *queue_src = gst_element_get_static_pad (self->audio_queue, "src");

  if (!gst_pad_is_linked (queue_src)) {
    GstPad *muxpad = gst_element_request_pad_simple (self->splitmux,
        "audio_%u");
    gst_pad_link (queue_src, muxpad);
    gst_object_unref (muxpad);
  }
  gst_object_unref (queue_src);
}

/* Audio comes in: after it was let go (see video_timing_probe), it joins the
 * recording again from here (the leg is relinked only when it was gone for
 * AUDIO_WAIT_US, not at each buffer). */
static GstPadProbeReturn
audio_in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  gboolean came;

  g_mutex_lock (&self->lock);
  came = self->st.audio_arrival_us == 0 || audio_missing (&self->st);
  self->st.audio_arrival_us = g_get_monotonic_time ();
  g_mutex_unlock (&self->lock);
  if (came) {
    g_mutex_lock (&self->audio_link_lock);
    if (!gst_pad_is_linked (self->audio_leg_src)) {
      GST_INFO_OBJECT (self, "audio came: recorded from here on");
      gst_cs_sink_link_audio (self);
    }
    g_mutex_unlock (&self->audio_link_lock);
  }
  return GST_PAD_PROBE_OK;
}

/* Takes the audio leg off splitmuxsink, until audio comes again. */
static void
gst_cs_sink_unlink_audio (GstCsSink * self)
{
  GstPad *queue_src = gst_element_get_static_pad (self->audio_queue, "src");
  GstPad *muxpad = gst_pad_get_peer (queue_src);

  if (muxpad) {
    gst_pad_unlink (queue_src, muxpad);
    gst_element_release_request_pad (self->splitmux, muxpad);
    gst_object_unref (muxpad);
  }
  gst_object_unref (queue_src);
}

static GstPad *
gst_cs_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstCsSink *self = GST_CS_SINK (element);
  GstElement *parser;
  GstPad *sinkpad;

  if (self->audio_pad != NULL) {
    GST_WARNING_OBJECT (self, "only one audio stream is recorded");
    return NULL;
  }
  parser = gst_element_factory_make ("aacparse", NULL);
  if (parser == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The aacparse element is missing."), (NULL));
    return NULL;
  }
  sinkpad = gst_cs_sink_add_leg (self, parser, NULL, &self->audio_queue,
      TRUE);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, audio_in_probe,
      self, NULL);
  self->audio_parser = gst_object_ref (parser);
  gst_cs_sink_link_audio (self);
  gst_object_ref (self->audio_queue);
  self->audio_pad = gst_ghost_pad_new_from_template ("audio", sinkpad, templ);
  gst_object_unref (sinkpad);
  gst_pad_set_active (self->audio_pad, TRUE);
  gst_element_add_pad (element, self->audio_pad);
  return self->audio_pad;
}

static void
gst_cs_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstCsSink *self = GST_CS_SINK (element);

  if (pad != self->audio_pad)
    return;
  gst_cs_sink_unlink_audio (self);
  gst_cs_sink_remove_leg (self, &self->audio_parser, &self->audio_queue);
  gst_element_remove_pad (element, pad);
  self->audio_pad = NULL;
  self->audio_leg_src = NULL;
}

/* After a run: splitmuxsink keeps a stream's times in its pads across a
 * restart, and the next run may bring another codec: the next run gets new
 * pads, and a video parser made for its codec. */
static void
gst_cs_sink_renew_legs (GstCsSink * self)
{
  if (self->video_parser) {
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), NULL);
    gst_cs_sink_remove_leg (self, &self->video_parser, &self->video_queue);
  }
  gst_element_release_request_pad (self->splitmux, self->mux_video_pad);
  gst_object_unref (self->mux_video_pad);
  self->mux_video_pad = gst_element_request_pad_simple (self->splitmux,
      "video");
  if (self->audio_queue) {
    gst_cs_sink_unlink_audio (self);
    gst_cs_sink_link_audio (self);
  }
}

/* The store's notices (the S3 clock correction) as bus warnings. */
static void
on_store_notice (const gchar * message, gpointer data)
{
  GstCsSink *self = data;

  GST_ELEMENT_WARNING (self, CORE, CLOCK, ("%s", message), (NULL));
}

/* What start needs of the settings, copied out of GST_OBJECT_LOCK so that
 * the store and the spool are opened without it. */
typedef struct
{
  gchar *location, *device_id, *endpoint, *region, *access_key, *secret_key,
      *session_token, *tls_ca_file, *spool_dir;
  CsStoreConfig store;
  CsOutboxConfig outbox;
  guint64 idle_timeout;
} StartSettings;

static void
start_settings_clear (StartSettings * ss)
{
  g_free (ss->location);
  g_free (ss->device_id);
  g_free (ss->endpoint);
  g_free (ss->region);
  g_free (ss->access_key);
  if (ss->secret_key)
    memset (ss->secret_key, 0, strlen (ss->secret_key));
  g_free (ss->secret_key);
  g_free (ss->session_token);
  g_free (ss->tls_ca_file);
  g_free (ss->spool_dir);
}

/* With GST_OBJECT_LOCK. */
static void
start_settings_copy_locked (GstCsSink * self, StartSettings * ss)
{
  CsUploaderLimits limits = { 0 };

  ss->location = g_strdup (self->location);
  ss->device_id = g_strdup (self->device_id);
  ss->endpoint = g_strdup (self->endpoint);
  ss->region = g_strdup (self->region);
  ss->access_key = g_strdup (self->access_key);
  ss->secret_key = g_strdup (self->secret_key);
  ss->session_token = g_strdup (self->session_token);
  ss->tls_ca_file = g_strdup (self->tls_ca_file);
  ss->spool_dir = g_strdup (self->spool_dir);

  ss->store.endpoint = ss->endpoint;
  ss->store.region = ss->region;
  ss->store.access_key = ss->access_key;
  ss->store.secret_key = ss->secret_key;
  ss->store.session_token = ss->session_token;
  ss->store.tls_ca_file = ss->tls_ca_file;
  ss->store.timeout_s = self->timeout;
  ss->store.virtual_hosted = self->virtual_hosted;
  ss->store.notice = on_store_notice;
  ss->store.notice_data = self;
  /* The AWS variables, so that secrets need not be in a launch line (which
   * ps shows and GStreamer's parser logs). */
  cs_store_config_fill_from_env (&ss->store);

  limits.max_items = self->max_cached_segments;
  limits.max_bytes = self->max_cache_bytes;
  limits.max_retries = self->max_retries;
  limits.backoff_initial_ms = BACKOFF_INITIAL_MS;
  limits.backoff_max_ms = BACKOFF_MAX_MS;
  ss->outbox.limits[CS_OUTBOX_SEGMENT] = limits;
  limits.max_items = EVENT_OBJECTS_MAX_ITEMS;
  limits.max_bytes = EVENT_OBJECTS_MAX_BYTES;
  ss->outbox.limits[CS_OUTBOX_EVENT_OBJECT] = limits;
  limits.max_items = PICTURES_MAX_ITEMS;
  limits.max_bytes = PICTURES_MAX_BYTES;
  ss->outbox.limits[CS_OUTBOX_PICTURE] = limits;
  ss->outbox.spool_dir = ss->spool_dir;
  ss->outbox.spool_max_bytes = self->spool_max_bytes;
  ss->outbox.device_id = ss->device_id;

  ss->idle_timeout = self->segment_idle_timeout ? self->segment_idle_timeout :
      self->segment_duration + 2 * GST_SECOND;
}

/* Copies the settings, opens the store and starts the outbox. */
static gboolean
gst_cs_sink_start (GstCsSink * self)
{
  g_autoptr (GError) error = NULL;
  StartSettings ss = { 0 };
  CsSnapshotCallbacks pictures = { capture_snapshot, snapshot_result,
    snapshot_stored, store_picture, self
  };
  CsStore *store;
  CsOutbox *outbox;
  CsSpoolOpenInfo found = { 0 };

  if (!gst_pad_is_linked (self->video_pad)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("cssink records video: link its 'video' pad "
            "(audio alone is not recorded)."), (NULL));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  start_settings_copy_locked (self, &ss);
  GST_OBJECT_UNLOCK (self);

  if (ss.location == NULL) {
    start_settings_clear (&ss);
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No store location given."),
        ("set location=file:///dir, s3://bucket/prefix or http(s)://..."));
    return FALSE;
  }
  if (!cs_key_name_is_valid (ss.device_id)) {
    start_settings_clear (&ss);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid device-id: use 1 to 128 of A-Z a-z 0-9 . _ - "
            "(not starting with '.')."), (NULL));
    return FALSE;
  }
  /* The store copies what it keeps of the config. */
  store = cs_store_new (ss.location, &ss.store, &error);
  if (store == NULL) {
    start_settings_clear (&ss);
    /* Not the location itself: a URI may carry a password. */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use the store location."), ("%s", error->message));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "recording %s to %s", ss.device_id,
      cs_store_get_display_uri (store));
  outbox = cs_outbox_new (store, &ss.outbox, on_outbox_report, self, &found,
      &error);
  if (outbox == NULL) {
    start_settings_clear (&ss);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot use the spool directory."), ("%s", error->message));
    return FALSE;
  }
  if (ss.spool_dir != NULL) {
    CsOutboxStats stats;

    if (found.discarded > 0)
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("%u half-written files in the spool were discarded.",
              found.discarded), (NULL));
    if (found.foreign > 0)
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("%u objects in the spool belong to another store or device: "
              "left alone.", found.foreign), ("%s", found.foreign_owners));
    cs_spool_open_info_clear (&found);
    cs_outbox_get_stats (outbox, &stats);
    GST_INFO_OBJECT (self, "spool %s: %" G_GUINT64_FORMAT " bytes waiting",
        ss.spool_dir, stats.spool_bytes);
  }

  g_mutex_lock (&self->lock);
  g_free (self->active_device_id);
  self->active_device_id = g_steal_pointer (&ss.device_id);
  stream_reset (self);
  self->drain_interrupted = FALSE;
  memset (&self->stopped_stats, 0, sizeof self->stopped_stats);
  self->outbox = outbox;
  self->st.events = cs_sink_events_new (self->active_device_id);
  self->st.stored = cs_stored_events_new ();
  self->idle_timeout_us = ss.idle_timeout / GST_USECOND;
  self->snapshotter = cs_snapshotter_new (NULL, &pictures);
  g_mutex_unlock (&self->lock);
  start_settings_clear (&ss);
  return TRUE;
}

static GstStateChangeReturn
gst_cs_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstCsSink *self = GST_CS_SINK (element);
  GstStateChangeReturn ret;
  guint64 duration;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      duration = self->segment_duration;
      GST_OBJECT_UNLOCK (self);
      g_object_set (self->splitmux, "max-size-time", duration, NULL);
      if (self->audio_queue)
        g_object_set (self->audio_queue, "max-size-time", duration, NULL);
      if (!gst_cs_sink_start (self))
        return GST_STATE_CHANGE_FAILURE;
      self->idle_source = cs_ticker_add (IDLE_CHECK_MS, idle_check,
          gst_object_ref (self), gst_object_unref);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_cs_sink_interrupt_drain (self, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      gst_cs_sink_interrupt_drain (self, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      cs_ticker_remove (g_steal_pointer (&self->idle_source));
      /* Left out of the state changes at an EOS before any video. */
      gst_element_set_locked_state (self->splitmux, FALSE);
      /* First, so that an EOS drain waiting in a streaming thread ends. */
      if (self->outbox)
        cs_outbox_stop (self->outbox, CS_UPLOAD_DROP_STOPPED);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    CsOutbox *outbox;

    /* First: its thread may call back into the events and the outbox. */
    cs_snapshotter_free (g_steal_pointer (&self->snapshotter));
    g_mutex_lock (&self->lock);
    outbox = g_steal_pointer (&self->outbox);
    stream_reset (self);
    if (outbox)
      cs_outbox_get_stats (outbox, &self->stopped_stats);
    g_mutex_unlock (&self->lock);
    cs_outbox_free (outbox);
    gst_cs_sink_renew_legs (self);
  }
  return ret;
}

static void
gst_cs_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCsSink *self = GST_CS_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_DEVICE_ID:
      g_free (self->device_id);
      self->device_id = g_value_dup_string (value);
      break;
    case PROP_ENDPOINT:
    case PROP_ENDPOINT_URI:
      g_free (self->endpoint);
      self->endpoint = g_value_dup_string (value);
      break;
    case PROP_FORCE_PATH_STYLE:
      self->virtual_hosted = !g_value_get_boolean (value);
      break;
    case PROP_REGION:
      g_free (self->region);
      self->region = g_value_dup_string (value);
      break;
    case PROP_ACCESS_KEY:
      g_free (self->access_key);
      self->access_key = g_value_dup_string (value);
      break;
    case PROP_SECRET_KEY:
    case PROP_SECRET_ACCESS_KEY:
      g_free (self->secret_key);
      self->secret_key = g_value_dup_string (value);
      break;
    case PROP_SESSION_TOKEN:
      g_free (self->session_token);
      self->session_token = g_value_dup_string (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_SEGMENT_DURATION:
      self->segment_duration = g_value_get_uint64 (value);
      break;
    case PROP_SEGMENT_IDLE_TIMEOUT:
      self->segment_idle_timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_CACHED_SEGMENTS:
      self->max_cached_segments = g_value_get_uint (value);
      break;
    case PROP_MAX_CACHE_BYTES:
      self->max_cache_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_RETRIES:
      self->max_retries = g_value_get_int (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_DRAIN_TIMEOUT:
      self->drain_timeout = g_value_get_uint64 (value);
      break;
    case PROP_AUTO_SNAPSHOT:
      self->auto_snapshot = g_value_get_boolean (value);
      break;
    case PROP_SPOOL_DIR:
      g_free (self->spool_dir);
      self->spool_dir = g_value_dup_string (value);
      break;
    case PROP_SPOOL_MAX_BYTES:
      self->spool_max_bytes = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cs_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstCsSink *self = GST_CS_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_cs_sink_make_stats (self));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_ENDPOINT:
    case PROP_ENDPOINT_URI:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_FORCE_PATH_STYLE:
      g_value_set_boolean (value, !self->virtual_hosted);
      break;
    case PROP_REGION:
      g_value_set_string (value, self->region);
      break;
    case PROP_ACCESS_KEY:
      g_value_set_string (value, self->access_key);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_SEGMENT_DURATION:
      g_value_set_uint64 (value, self->segment_duration);
      break;
    case PROP_SEGMENT_IDLE_TIMEOUT:
      g_value_set_uint64 (value, self->segment_idle_timeout);
      break;
    case PROP_MAX_CACHED_SEGMENTS:
      g_value_set_uint (value, self->max_cached_segments);
      break;
    case PROP_MAX_CACHE_BYTES:
      g_value_set_uint64 (value, self->max_cache_bytes);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_int (value, self->max_retries);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_DRAIN_TIMEOUT:
      g_value_set_uint64 (value, self->drain_timeout);
      break;
    case PROP_AUTO_SNAPSHOT:
      g_value_set_boolean (value, self->auto_snapshot);
      break;
    case PROP_SPOOL_DIR:
      g_value_set_string (value, self->spool_dir);
      break;
    case PROP_SPOOL_MAX_BYTES:
      g_value_set_uint64 (value, self->spool_max_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cs_sink_finalize (GObject * object)
{
  GstCsSink *self = GST_CS_SINK (object);

  g_free (self->location);
  g_free (self->device_id);
  g_free (self->endpoint);
  g_free (self->region);
  g_free (self->access_key);
  g_free (self->secret_key);
  g_free (self->session_token);
  g_free (self->tls_ca_file);
  g_free (self->spool_dir);
  g_free (self->active_device_id);
  g_clear_object (&self->mux_video_pad);
  gst_clear_object (&self->video_parser);
  gst_clear_object (&self->video_queue);
  stream_reset (self);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->audio_link_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cs_sink_init (GstCsSink * self)
{
  GstElement *mux;
  GstPadTemplate *templ;

  g_mutex_init (&self->lock);
  g_mutex_init (&self->audio_link_lock);
  self->region = g_strdup (DEFAULT_REGION);
  self->segment_duration = DEFAULT_SEGMENT_DURATION;
  self->max_cached_segments = DEFAULT_MAX_CACHED_SEGMENTS;
  self->max_cache_bytes = DEFAULT_MAX_CACHE_BYTES;
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->timeout = DEFAULT_TIMEOUT;
  self->drain_timeout = DEFAULT_DRAIN_TIMEOUT;
  self->auto_snapshot = DEFAULT_AUTO_SNAPSHOT;
  self->spool_max_bytes = DEFAULT_SPOOL_MAX_BYTES;
  stream_reset (self);

  self->splitmux = gst_element_factory_make ("splitmuxsink", "splitmux");
  mux = gst_element_factory_make ("mpegtsmux", NULL);
  self->sink = gst_element_factory_make ("giostreamsink", NULL);
  if (self->splitmux == NULL || mux == NULL || self->sink == NULL) {
    /* Reported when the element is used; gst-inspect still works. */
    g_critical ("cssink needs splitmuxsink, mpegtsmux and giostreamsink "
        "(gst-plugins-good, gst-plugins-bad, gst-plugins-base)");
    return;
  }
  g_object_set (self->sink, "sync", FALSE, "async", FALSE,
      "enable-last-sample", FALSE, NULL);
  g_object_set (self->splitmux, "muxer", mux, "sink", self->sink,
      "send-keyframe-requests", TRUE, NULL);
  g_signal_connect (self->splitmux, "format-location-full",
      G_CALLBACK (on_format_location), self);
  gst_bin_add (GST_BIN (self), self->splitmux);
  self->mux_video_pad = gst_element_request_pad_simple (self->splitmux,
      "video");

  templ = gst_static_pad_template_get (&video_template);
  self->video_pad = gst_ghost_pad_new_no_target_from_template ("video", templ);
  gst_object_unref (templ);
  gst_pad_add_probe (self->video_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      video_caps_probe, self, NULL);
  gst_pad_add_probe (self->video_pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      video_query_probe, self, NULL);
  gst_pad_add_probe (self->video_pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, video_timing_probe, self, NULL);
  gst_element_add_pad (GST_ELEMENT (self), self->video_pad);

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
gst_cs_sink_class_init (GstCsSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  /* Secrets can be set but never read back (nor printed by gst-launch -v). */
  const GParamFlags secret = G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_cs_sink_set_property;
  gobject_class->get_property = gst_cs_sink_get_property;
  gobject_class->finalize = gst_cs_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Store location",
          "Store URI: file:///dir, s3://bucket/prefix or http(s)://host/path",
          NULL, rw));
  g_object_class_install_property (gobject_class, PROP_DEVICE_ID,
      g_param_spec_string ("device-id", "Device id",
          "Names this device in the store: 1 to 128 of A-Z a-z 0-9 . _ - "
          "(required)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_ENDPOINT,
      g_param_spec_string ("endpoint", "S3 endpoint",
          "http(s)://host[:port] of the S3-compatible service "
          "(NULL = AWS S3 for the region)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_ENDPOINT_URI,
      g_param_spec_string ("endpoint-uri", "S3 endpoint URI",
          "The same as endpoint (awss3sink's name)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_FORCE_PATH_STYLE,
      g_param_spec_boolean ("force-path-style", "Force path style",
          "S3 requests name the bucket in the path (http://host/bucket/key); "
          "false: in the host name (http://bucket.host/key, virtual-hosted "
          "style, for services that want it; the bucket must then be a DNS "
          "name)", TRUE, rw));
  g_object_class_install_property (gobject_class, PROP_REGION,
      g_param_spec_string ("region", "S3 region",
          "Region used in S3 request signatures", DEFAULT_REGION, rw));
  g_object_class_install_property (gobject_class, PROP_ACCESS_KEY,
      g_param_spec_string ("access-key", "S3 access key",
          "Access key id for s3:// stores (NULL = $AWS_ACCESS_KEY_ID)", NULL,
          rw));
  g_object_class_install_property (gobject_class, PROP_SECRET_KEY,
      g_param_spec_string ("secret-key", "S3 secret key",
          "Secret access key for s3:// stores, write-only "
          "(NULL = $AWS_SECRET_ACCESS_KEY)", NULL, secret));
  g_object_class_install_property (gobject_class, PROP_SECRET_ACCESS_KEY,
      g_param_spec_string ("secret-access-key", "S3 secret access key",
          "The same as secret-key (awss3sink's name), write-only", NULL,
          secret));
  g_object_class_install_property (gobject_class, PROP_SESSION_TOKEN,
      g_param_spec_string ("session-token", "S3 session token",
          "Session token of temporary S3 credentials, write-only "
          "(NULL = $AWS_SESSION_TOKEN)", NULL, secret));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the CAs to trust for https (NULL = the system's); "
          "certificates are always verified", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_SEGMENT_DURATION,
      g_param_spec_uint64 ("segment-duration", "Segment duration",
          "Target duration of a segment: segments are cut at the first "
          "keyframe after it, in ns", GST_SECOND / 10, G_MAXUINT64,
          DEFAULT_SEGMENT_DURATION, rw));
  g_object_class_install_property (gobject_class, PROP_SEGMENT_IDLE_TIMEOUT,
      g_param_spec_uint64 ("segment-idle-timeout", "Segment idle timeout",
          "After this long without a video frame the open segment is closed "
          "and stored; the next starts at the next keyframe, in ns "
          "(0 = segment-duration + 2 s)", 0, G_MAXUINT64,
          DEFAULT_SEGMENT_IDLE_TIMEOUT, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_CACHED_SEGMENTS,
      g_param_spec_uint ("max-cached-segments", "Max cached segments",
          "Most segments waiting for or in upload; beyond, the oldest "
          "waiting one is dropped", 1, G_MAXUINT, DEFAULT_MAX_CACHED_SEGMENTS,
          rw));
  g_object_class_install_property (gobject_class, PROP_MAX_CACHE_BYTES,
      g_param_spec_uint64 ("max-cache-bytes", "Max cache bytes",
          "Most bytes of segments waiting for or in upload; beyond, the "
          "oldest waiting one is dropped (0 = no byte limit)", 0, G_MAXUINT64,
          DEFAULT_MAX_CACHE_BYTES, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_RETRIES,
      g_param_spec_int ("max-retries", "Max retries",
          "Retries of a failed upload before it is given up "
          "(-1 = until the segment is dropped from the cache)", -1, G_MAXINT,
          DEFAULT_MAX_RETRIES, rw));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Network I/O timeout of one request, in s", 1, 3600,
          DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (gobject_class, PROP_DRAIN_TIMEOUT,
      g_param_spec_uint64 ("drain-timeout", "Drain timeout",
          "How long EOS waits for pending uploads (what is left is dropped "
          "and reported), in ns", 0, G_MAXUINT64, DEFAULT_DRAIN_TIMEOUT, rw));
  g_object_class_install_property (gobject_class, PROP_AUTO_SNAPSHOT,
      g_param_spec_boolean ("auto-snapshot", "Auto snapshot",
          "When no capture-snapshot handler is connected, make an event's "
          "picture from its first keyframe (a JPEG at most 640 wide)",
          DEFAULT_AUTO_SNAPSHOT, rw));
  g_object_class_install_property (gobject_class, PROP_SPOOL_DIR,
      g_param_spec_string ("spool-dir", "Spool directory",
          "Where every segment and event object is written (crash-safe) "
          "before upload and kept until the store has it; what is there at "
          "start is uploaded first (NULL = no spool: a 3-segment memory "
          "cache)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_SPOOL_MAX_BYTES,
      g_param_spec_uint64 ("spool-max-bytes", "Spool max bytes",
          "Most bytes in the spool; beyond, the oldest is dropped and "
          "reported (0 = no limit)", 0, G_MAXUINT64, DEFAULT_SPOOL_MAX_BYTES,
          rw));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
      "cssink-stats: segments-recorded, segments-uploaded, bytes-uploaded, "
      "upload-retries, segments-dropped, uploads-failed, segments-pending, "
      "bytes-pending, spool-bytes, spool-dropped, frames-dropped (their "
      "timestamps went backwards, or they came back without a keyframe "
      "after an idle close)", GST_TYPE_STRUCTURE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstCsSink::capture-snapshot:
   * @sink: the element
   * @event_id: the event the alarm belongs to
   * @trigger: the trigger bit of the alarm
   *
   * An alarm wants a picture (see cseventgate).  Emitted on a thread of
   * cssink's own, never the streaming thread.  Return the path of a JPEG
   * file (it is stored as the event's snapshot.jpg once it is over 2 KiB,
   * waiting at most 5 s), or %NULL for no picture.
   *
   * Returns: (transfer full) (nullable): the picture's path
   */
  signals[SIGNAL_CAPTURE_SNAPSHOT] = g_signal_new ("capture-snapshot",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_STRING, 2, G_TYPE_STRING, G_TYPE_UINT);
  /**
   * GstCsSink::snapshot-result:
   * @sink: the element
   * @path: a path a capture-snapshot handler returned
   * @result: 0 stored, 1 timed out (never over 2 KiB in 5 s, or not stored),
   *   2 expired (a newer picture of the event replaced it), 3 no such file
   *
   * Exactly once per picture: the file may be removed from then on.
   */
  signals[SIGNAL_SNAPSHOT_RESULT] = g_signal_new ("snapshot-result",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "Cloud storage sink", "Sink/Muxer/Network",
      "Records encoded video and audio into a cloud store in "
      "keyframe-aligned MPEG-TS segments. Element messages: "
      "cs-segment-uploaded (key, start-ms, duration-ms, bytes, attempts), "
      "cs-segment-dropped (key, start-ms, duration-ms, bytes, reason: "
      "cache-full, drain-timeout, stopped; attempts), cs-upload-failed (key, "
      "start-ms, duration-ms, bytes, attempt, error, will-retry, retry-in-ms, "
      "http-status-code, s3-error-code), "
      "cs-event-stored (event-id, key, complete). Signals: gchararray "
      "capture-snapshot (gchararray event-id, guint trigger) returns the "
      "path of a JPEG for the event, or NULL; snapshot-result (gchararray "
      "path, gint result: 0 stored, 1 timed out, 2 expired, 3 no such file), "
      "once per picture. Times: segment-duration, segment-idle-timeout and "
      "drain-timeout in ns (GstClockTime), timeout in s",
      "gst-cloudstorage developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_cs_sink_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_cs_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_cs_sink_release_pad);
  bin_class->handle_message = GST_DEBUG_FUNCPTR (gst_cs_sink_handle_message);
}
