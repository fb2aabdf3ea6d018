/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-cssink
 * @title: cssink
 *
 * Cuts encoded H.264/H.265 video (and optional AAC audio) into keyframe-aligned
 * MPEG-TS segments (fragmented MP4 with #GstCsSink:container=fmp4) and
 * uploads each to a store, named
 * `<device-id>/rec/<YYYYMMDD>/<HH>/<start_ms>_<duration_ms>.ts` (`.mp4`), UTC.
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
#include "cs-cutter.h"
#include "cs-fmp4.h"
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
/* A live muxer's room beyond its two frames per stream: cseventgate lets
 * audio through behind the video it follows (a pre-roll comes at once), so
 * the video must not wait in the muxer for that audio. */
#define LIVE_MUX_LATENCY (40 * GST_MSECOND)
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
  PROP_CONTAINER,
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
 * so that a restart begins like the first run.  Constant for a run once
 * set: events, stored (at start), video_codec and upstream_live (at the
 * video caps); everything else follows the stream. */
typedef struct
{
  CsSinkEvents *events;
  CsStoredEvents *stored;       /* when a finished event is whole */
  CsLegOrder video_order, audio_order;  /* frames going back are dropped */
  gchar *auto_picture_event;    /* wants a picture of the next keyframe */
  gchar *auto_picture_key;
  GstSegment video_segment;
  CsUtcMap utc;
  gboolean video_seen;          /* a video buffer came in */
  gint64 video_arrival_us;      /* monotonic time of the latest */
  gboolean idle_closed;         /* closed for idleness: wait for a keyframe */
  gboolean idle_resume_told;    /* frames without their keyframe dropped */
  gboolean video_eos;
  gboolean eos_posted;          /* cssink said it is done */
  gboolean mux_latency_set;
  guint64 segments_recorded;
  gboolean upstream_live;       /* drop when the cache is full, never wait */
  const gchar *video_codec;     /* caps name the parser was made for */
  GstCsSinkContainer container; /* copied from settings at start */
} CsSinkStream;

/* Lock order: GST_OBJECT_LOCK (settings) is never taken while holding
 * self->lock (streaming state and the outbox pointer).  None is held while
 * posting a message, calling into the outbox (whose locks come below all of
 * these: see cs-outbox.h), creating the store, or calling the cutter (which
 * has a lock of its own, taken last). */
struct _GstCsSink
{
  GstBin parent;

  GstPad *video_pad;            /* ghost, always */
  GstPad *audio_pad;            /* ghost, requested */
  GstElement *audio_parser;
  GstPad *audio_pad_src;        /* its src pad: which leg a probe is on */
  GstElement *video_parser;     /* made for each run's codec */
  /* Each run's muxer and the cutter of its output: made at start, so that
   * a restart (another codec, other streams) begins with a fresh one. */
  GstElement *mux;
  GstPad *mux_video_pad;        /* requested with the muxer: with no sink
                                 * pad, or audio's alone, it would end
                                 * before the video came */
  CsCutter *cutter;

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
  GstCsSinkContainer container;

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
  g_free (st->auto_picture_event);
  g_free (st->auto_picture_key);

  memset (st, 0, sizeof *st);
  cs_leg_order_reset (&st->video_order);
  cs_leg_order_reset (&st->audio_order);
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

/* The stream ended: drains the uploads, then tells the pipeline (cssink holds
 * no sink element of its own that would), once per run. */
static void
gst_cs_sink_end (GstCsSink * self, guint32 seqnum)
{
  GstMessage *msg;
  gboolean posted;

  g_mutex_lock (&self->lock);
  posted = self->st.eos_posted;
  self->st.eos_posted = TRUE;
  g_mutex_unlock (&self->lock);
  if (posted)
    return;
  gst_cs_sink_drain (self);
  msg = gst_message_new_eos (GST_OBJECT (self));
  gst_message_set_seqnum (msg, seqnum);
  gst_element_post_message (GST_ELEMENT (self), msg);
}

/* Keeps the UTC map and the video's arrival (for the idle check); at an EOS
 * before any video, ends the stream itself. */
static GstPadProbeReturn
video_timing_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  GstBuffer *buf;
  GstClockTime rt;

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
      /* Behind a gate that never opened, an empty file: the muxer would
       * wait for video for ever (audio may have come). */
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("No video came before the end of the stream: nothing was "
              "recorded."), (NULL));
      gst_cs_sink_end (self, gst_event_get_seqnum (event));
      return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_mutex_lock (&self->lock);
  self->st.video_seen = TRUE;
  self->st.video_arrival_us = g_get_monotonic_time ();
  rt = GST_BUFFER_PTS_IS_VALID (buf) ?
      gst_segment_to_running_time (&self->st.video_segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (rt))
    cs_utc_map_update (&self->st.utc, GST_ELEMENT (self), buf, rt);
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
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

/* container=fmp4: the cutter's MPEG-TS segment @data remade as a
 * self-contained fragmented MP4 (see cs-fmp4.h); FALSE (an error posted)
 * when it cannot be. */
static gboolean
gst_cs_sink_remux_fmp4 (GstCsSink * self, GBytes ** data, gint64 start_ms)
{
  g_autoptr (GError) error = NULL;
  GBytes *mp4 = cs_fmp4_from_ts (*data, start_ms, &error);

  if (mp4 == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, MUX,
        ("A segment could not be written as fragmented MP4."),
        ("%s", error->message));
    return FALSE;
  }
  g_bytes_unref (*data);
  *data = mp4;
  return TRUE;
}

/* The cutter closed a segment (on the muxer's thread): name it and hand it
 * to the outbox.  The one hand-off from the stream side to delivery. */
static void
gst_cs_sink_segment_closed (GBytes * segment, GstClockTime start_rt,
    GstClockTime end_rt, gpointer user_data)
{
  GstCsSink *self = user_data;
  g_autoptr (GBytes) data = segment;
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();
  g_autofree gchar *key = NULL;
  gint64 start_ms, end_ms;
  GstCsSinkContainer container;
  CsOutbox *outbox;
  gboolean live;

  g_mutex_lock (&self->lock);
  if (self->outbox == NULL) {
    g_mutex_unlock (&self->lock);
    return;
  }
  cs_utc_map_span_to_ms (&self->st.utc, start_rt, end_rt, &start_ms, &end_ms);
  container = self->st.container;
  if (start_ms < 0) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("A segment was discarded: its time is before 1970."),
        ("start %" G_GINT64_FORMAT " ms; check the timestamp/x-unix meta",
            start_ms));
    return;
  }
  if (container == GST_CS_SINK_CONTAINER_FMP4) {
    /* Remuxed without the lock: the streams' probes take it meanwhile. */
    g_mutex_unlock (&self->lock);
    if (!gst_cs_sink_remux_fmp4 (self, &data, start_ms))
      return;
    g_mutex_lock (&self->lock);
    if (self->outbox == NULL) {
      g_mutex_unlock (&self->lock);
      return;
    }
  }
  key = cs_sink_events_segment_key (self->st.events, start_rt, start_ms,
      MAX (end_ms - start_ms, 0), gst_cs_sink_container_ext (container));
  if (key == NULL) {
    /* What the gate let through while no event owned it. */
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (self, "discarded a segment outside any event");
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

static void
on_cutter_eos (guint32 seqnum, gpointer user_data)
{
  gst_cs_sink_end (user_data, seqnum);
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

/* Audio ends at running time @rt for now (the gate closed it, the camera
 * stopped): the muxer need not wait for more before it writes the video up
 * to there.  Holding the audio leg's stream lock. */
static void
audio_gap_at (GstCsSink * self, GstPad * leg_src, GstClockTime rt)
{
  GstPad *muxpad = gst_pad_get_peer (leg_src);
  GstEvent *seg_event = gst_pad_get_sticky_event (leg_src, GST_EVENT_SEGMENT,
      0);
  GstSegment seg;
  GstClockTime pos;

  if (muxpad && seg_event && GST_CLOCK_TIME_IS_VALID (rt)) {
    gst_event_copy_segment (seg_event, &seg);
    pos = gst_segment_position_from_running_time (&seg, GST_FORMAT_TIME, rt);
    if (GST_CLOCK_TIME_IS_VALID (pos))
      gst_pad_send_event (muxpad, gst_event_new_gap (pos, 0));
  }
  gst_clear_event (&seg_event);
  gst_clear_object (&muxpad);
}

static void
audio_gap (GstCsSink * self, GstPad * leg_src, const GstStructure * close)
{
  guint64 rt = GST_CLOCK_TIME_NONE;

  gst_structure_get_uint64 (close, "running-time", &rt);
  audio_gap_at (self, leg_src, rt);
}

/* The muxer's pad a leg feeds (NULL when not linked); ref'd. */
static GstPad *
leg_muxpad (GstElement * parser)
{
  GstPad *srcpad = gst_element_get_static_pad (parser, "src");
  GstPad *muxpad = gst_pad_get_peer (srcpad);

  gst_object_unref (srcpad);
  return muxpad;
}

/* On the ticker thread: when no video came for segment-idle-timeout, the
 * open segment is closed after its last frame, so that it is stored now
 * rather than when frames come back.  The close enters the muxer under the
 * stream lock of the video parser's input, so it follows every frame before
 * it. */
static gboolean
idle_check (gpointer data)
{
  GstCsSink *self = data;
  GstPad *vsink = NULL, *muxpad = NULL, *asink = NULL;
  CsCutter *cutter;

  g_mutex_lock (&self->lock);
  cutter = self->cutter;
  if (self->outbox == NULL || cutter == NULL || self->st.video_eos
      || self->video_parser == NULL
      || g_get_monotonic_time () - self->st.video_arrival_us <
      self->idle_timeout_us) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_CONTINUE;
  }
  vsink = gst_element_get_static_pad (self->video_parser, "sink");
  muxpad = leg_muxpad (self->video_parser);
  if (self->audio_parser)
    asink = gst_element_get_static_pad (self->audio_parser, "sink");
  g_mutex_unlock (&self->lock);

  /* A stream thread inside the parser: frames are coming after all. */
  if (muxpad && cs_cutter_is_open (cutter) && GST_PAD_STREAM_TRYLOCK (vsink)) {
    GstClockTime end = cs_cutter_video_end (cutter);
    if (cs_cutter_close (cutter, muxpad, end)) {
      g_mutex_lock (&self->lock);
      self->st.idle_closed = TRUE;
      g_mutex_unlock (&self->lock);
      GST_INFO_OBJECT (self, "no video for %" G_GINT64_FORMAT " ms: the "
          "segment ends at %" GST_TIME_FORMAT, self->idle_timeout_us / 1000,
          GST_TIME_ARGS (end));
      /* Audio that stopped as well must not hold the muxer back. */
      if (asink && GST_PAD_STREAM_TRYLOCK (asink)) {
        audio_gap_at (self, self->audio_pad_src, end);
        GST_PAD_STREAM_UNLOCK (asink);
      }
    }
    GST_PAD_STREAM_UNLOCK (vsink);
  }
  gst_clear_object (&asink);
  gst_object_unref (vsink);
  gst_clear_object (&muxpad);
  return G_SOURCE_CONTINUE;
}

/* A video frame at the muxer's input, in order: the cutter may start a
 * segment at it.  FALSE to drop it: a frame without its keyframe, after a
 * close for idleness (it cannot start the next segment). */
static gboolean
leg_video_frame (GstCsSink * self, GstPad * pad, const GstSegment * segment,
    GstBuffer * buf)
{
  GstClockTime rt = segment && GST_BUFFER_PTS_IS_VALID (buf) ?
      gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf)) : GST_CLOCK_TIME_NONE;
  GstPad *muxpad = gst_pad_get_peer (pad);
  CsCutter *cutter;
  CsCutterVerdict verdict = CS_CUTTER_KEEP;
  GstClockTime next_cut = GST_CLOCK_TIME_NONE;
  gboolean first_drop = FALSE;

  g_mutex_lock (&self->lock);
  cutter = self->cutter;
  g_mutex_unlock (&self->lock);
  if (cutter && muxpad && GST_CLOCK_TIME_IS_VALID (rt))
    verdict = cs_cutter_video_frame (cutter, muxpad, buf, rt, &next_cut);
  gst_clear_object (&muxpad);
  /* As splitmuxsink's send-keyframe-requests: an encoder upstream makes a
   * keyframe where the next segment is due. */
  if (GST_CLOCK_TIME_IS_VALID (next_cut))
    gst_pad_push_event (self->video_pad,
        gst_video_event_new_upstream_force_key_unit (next_cut, TRUE, 0));

  g_mutex_lock (&self->lock);
  if (verdict == CS_CUTTER_DROP && self->st.idle_closed) {
    self->st.video_order.dropped++;
    first_drop = !self->st.idle_resume_told;
    self->st.idle_resume_told = TRUE;
  } else if (verdict == CS_CUTTER_KEEP) {
    self->st.idle_closed = FALSE;
    self->st.idle_resume_told = FALSE;
  }
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
  return verdict == CS_CUTTER_KEEP;
}

/* At the muxer's input, in stream order: frames (their order checked, video
 * shown to the cutter) and the gate's announcements.  An event (or a
 * reopened gate) starts a new segment at its first keyframe; a gate close
 * ends the segment after its last frame. */
static GstPadProbeReturn
leg_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  gboolean video = pad != self->audio_pad_src;
  g_autoptr (GPtrArray) uploads = NULL;
  const GstStructure *s;
  const gchar *name;
  GstClockTime close_rt = GST_CLOCK_TIME_NONE;
  gboolean split = FALSE, picture = FALSE, close, auto_snapshot;
  g_autofree gchar *picture_key = NULL;
  CsCutter *cutter;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    g_autofree gchar *event_id = NULL;
    GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    GstSegment seg;
    const GstSegment *segment = NULL;
    CsLegVerdict verdict;

    if (seg_event) {
      gst_event_copy_segment (seg_event, &seg);
      segment = &seg;
      gst_event_unref (seg_event);
    }

    g_mutex_lock (&self->lock);
    verdict = cs_leg_order_check (video ? &self->st.video_order :
        &self->st.audio_order, segment, buf, video);
    g_mutex_unlock (&self->lock);
    if (verdict != CS_LEG_KEEP) {
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
    if (!video)
      return GST_PAD_PROBE_OK;
    if (!leg_video_frame (self, pad, segment, buf))
      return GST_PAD_PROBE_DROP;
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
      g_mutex_lock (&self->lock);
      event_id = g_steal_pointer (&self->st.auto_picture_event);
      picture_key = g_steal_pointer (&self->st.auto_picture_key);
      g_mutex_unlock (&self->lock);
    }
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
  /* A new stream on the muxer's audio pad would drop the caps announced
   * there (see gst_cs_sink_announce_audio) before audio's own come. */
  if (!video && GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_STREAM_START)
    return GST_PAD_PROBE_DROP;
  s = cs_gate_event_structure (GST_PAD_PROBE_INFO_EVENT (info));
  if (s == NULL) {
    /* Only the cutter's cuts may reach the muxer: an upstream encoder's
     * answer to a keyframe request would be taken for one. */
    if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info)))
      return GST_PAD_PROBE_DROP;
    return GST_PAD_PROBE_OK;
  }
  if (!video) {
    if (gst_structure_has_name (s, CS_GATE_CLOSE))
      audio_gap (self, pad, s);
    return GST_PAD_PROBE_DROP;
  }
  GST_OBJECT_LOCK (self);
  auto_snapshot = self->auto_snapshot;
  GST_OBJECT_UNLOCK (self);
  name = gst_structure_get_name (s);
  gst_structure_get_uint64 (s, "running-time", &close_rt);
  uploads = g_ptr_array_new ();

  g_mutex_lock (&self->lock);
  if (self->st.events)
    split = cs_sink_events_handle (self->st.events, s, uploads);
  if (g_str_equal (name, CS_EVENT_ALARM) && self->snapshotter
      && gst_structure_get_boolean (s, "snapshot", &picture) && picture)
    picture_key = cs_sink_events_snapshot_key (self->st.events,
        gst_structure_get_string (s, "event-id"));
  close = g_str_equal (name, CS_GATE_CLOSE)
      && GST_CLOCK_TIME_IS_VALID (close_rt) && close_rt > CS_SINK_CLOSER_LEAD;
  cutter = self->cutter;
  g_mutex_unlock (&self->lock);

  if (split && cutter)
    cs_cutter_split (cutter);
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
  if (close && cutter) {
    /* The gate let its last frame through: the segment is complete. */
    GstPad *muxpad = gst_pad_get_peer (pad);
    if (muxpad)
      cs_cutter_close (cutter, muxpad, close_rt - CS_SINK_CLOSER_LEAD);
    gst_clear_object (&muxpad);
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

/* Adds one stream's parser, feeding the muxer directly (no queue, no thread
 * of its own: the muxer takes each stream as it comes), and returns the
 * parser's sink pad. */
static GstPad *
gst_cs_sink_add_leg (GstCsSink * self, GstElement * parser, GstPad * muxpad)
{
  GstPad *sinkpad, *srcpad;

  gst_bin_add (GST_BIN (self), parser);
  srcpad = gst_element_get_static_pad (parser, "src");
  if (muxpad)
    gst_pad_link (srcpad, muxpad);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, leg_probe, self, NULL);
  gst_object_unref (srcpad);
  gst_element_sync_state_with_parent (parser);
  sinkpad = gst_element_get_static_pad (parser, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      parser_bypass_probe, parser, NULL);
  return sinkpad;
}

/* A pad of this run's muxer, or NULL (stopped). */
static GstPad *
gst_cs_sink_request_mux_pad (GstCsSink * self)
{
  GstElement *mux;
  GstPad *muxpad = NULL;

  g_mutex_lock (&self->lock);
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  g_mutex_unlock (&self->lock);
  if (mux)
    muxpad = gst_element_request_pad_simple (mux, "sink_%d");
  gst_clear_object (&mux);
  return muxpad;
}

/* Once per run, with the first caps or frame of either leg (before the
 * muxer queues anything): from a file, how far one stream may run ahead of
 * the other in the muxer's queues, as a demuxer feeds both from one thread
 * and would wait on itself with less; from a live source LIVE_MUX_LATENCY,
 * as a live muxer also waits that long past a frame's time for a stream
 * that has stopped (audio) before it writes the other. */
static void
gst_cs_sink_set_mux_latency (GstCsSink * self, gboolean live)
{
  GstElement *mux = NULL;
  guint64 duration;

  GST_OBJECT_LOCK (self);
  duration = self->segment_duration;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  if (!self->st.mux_latency_set && self->mux)
    mux = gst_object_ref (self->mux);
  self->st.mux_latency_set = TRUE;
  g_mutex_unlock (&self->lock);
  if (mux)
    g_object_set (mux, "latency", live ? LIVE_MUX_LATENCY : duration, NULL);
  gst_clear_object (&mux);
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
  gst_cs_sink_set_mux_latency (self, live);

  parser = gst_element_factory_make (g_str_equal (codec, "video/x-h265") ?
      "h265parse" : "h264parse", NULL);
  if (parser == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The %s parser is missing.", codec), (NULL));
    return GST_PAD_PROBE_DROP;
  }
  g_object_set (parser, "config-interval", -1, NULL);
  sinkpad = gst_cs_sink_add_leg (self, parser, self->mux_video_pad);
  self->video_parser = gst_object_ref (parser);
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

/* Takes an element out of the bin (a stopped run's video parser and muxer,
 * a released audio pad's parser). */
static void
gst_cs_sink_remove_child (GstCsSink * self, GstElement ** element)
{
  /* When the bin is disposed, its children are gone before its pads. */
  if (*element && GST_OBJECT_PARENT (*element) == GST_OBJECT (self)) {
    gst_element_set_locked_state (*element, TRUE);
    gst_element_set_state (*element, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), *element);
  }
  gst_clear_object (element);
}

/* Takes the audio leg off the muxer (at a stop, a released pad). */
static void
gst_cs_sink_unlink_audio (GstCsSink * self)
{
  GstPad *muxpad = leg_muxpad (self->audio_parser);

  if (muxpad) {
    GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
    GstElement *mux = gst_pad_get_parent_element (muxpad);
    gst_pad_unlink (srcpad, muxpad);
    if (mux)
      gst_element_release_request_pad (mux, muxpad);
    gst_clear_object (&mux);
    gst_object_unref (srcpad);
    gst_object_unref (muxpad);
  }
}

/* TRUE when a pad of this run's muxer has caps. */
static gboolean
mux_pad_has_caps (GstPad * muxpad)
{
  return muxpad != NULL && gst_pad_has_current_caps (muxpad);
}

/* Audio joins the muxer with its first frame, its caps known: a pad that
 * never gets a frame (a camera without a microphone) would hold a muxer
 * back.  A live muxer that times out on a stream without caps fails
 * ("Could not create handler for stream"): from a live source, audio waits
 * (dropped: no segment starts before the first video keyframe) until the
 * video's caps are there; from a file it is kept and the muxer waits for
 * the video. */
static GstPadProbeReturn
audio_in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCsSink *self = user_data;
  GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  if (!gst_pad_is_linked (srcpad)) {
    GstPad *muxpad = NULL;
    GstQuery *query = gst_query_new_latency ();
    gboolean live = FALSE;

    if (gst_pad_peer_query (self->audio_pad, query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);
    gst_cs_sink_set_mux_latency (self, live);
    if (!live || mux_pad_has_caps (self->mux_video_pad))
      muxpad = gst_cs_sink_request_mux_pad (self);
    if (muxpad) {
      GST_INFO_OBJECT (self, "audio came: recorded from here on");
      gst_pad_link (srcpad, muxpad);
      gst_object_unref (muxpad);
    } else {
      ret = GST_PAD_PROBE_DROP;
    }
  }
  gst_object_unref (srcpad);
  return ret;
}

static GstPad *
gst_cs_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstCsSink *self = GST_CS_SINK (element);
  GstElement *parser;
  GstPad *sinkpad, *srcpad;

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
  self->audio_parser = gst_object_ref (parser);
  srcpad = gst_element_get_static_pad (parser, "src");
  self->audio_pad_src = srcpad;
  gst_object_unref (srcpad);
  sinkpad = gst_cs_sink_add_leg (self, parser, NULL);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, audio_in_probe,
      self, NULL);
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
  gst_cs_sink_remove_child (self, &self->audio_parser);
  gst_element_remove_pad (element, pad);
  self->audio_pad = NULL;
  self->audio_pad_src = NULL;
}

/* With an audio pad, the muxer's audio stream exists from the start: one
 * that joins later changes the program (PMT) in the middle of a segment,
 * and a reader (tsdemux) loses the frames before the change.  The caps the
 * audio leg will bring are announced now (the muxer writes AAC as ADTS
 * either way; rate and channels are placeholders); audio's own replace them
 * with its first frame.  A live muxer does not hold the video back for a
 * stream that has no frame. */
static void
gst_cs_sink_announce_audio (GstCsSink * self, GstElement * mux)
{
  GstPad *muxpad = gst_element_request_pad_simple (mux, "sink_%d");
  GstPad *srcpad = gst_element_get_static_pad (self->audio_parser, "src");
  GstCaps *caps = gst_caps_from_string ("audio/mpeg, mpegversion=(int)4, "
      "stream-format=(string)adts, framed=(boolean)true, rate=(int)48000, "
      "channels=(int)1");
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_send_event (muxpad, gst_event_new_stream_start ("cssink-audio"));
  gst_pad_send_event (muxpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_pad_send_event (muxpad, gst_event_new_segment (&seg));
  gst_pad_link (srcpad, muxpad);
  gst_object_unref (srcpad);
  gst_object_unref (muxpad);
}

/* Each run gets a muxer and a cutter of its own (a restart may bring another
 * codec; a muxer keeps its streams); its video parser comes with the caps.
 * At start, before the streaming threads. */
static gboolean
gst_cs_sink_make_mux (GstCsSink * self, GstClockTime duration)
{
  GstElement *mux = gst_element_factory_make ("mpegtsmux", NULL);

  if (mux == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The mpegtsmux element is missing (gst-plugins-bad)."), (NULL));
    return FALSE;
  }
  gst_bin_add (GST_BIN (self), mux);
  /* Video's pad first: the muxer takes its clock reference (PCR) from it. */
  self->mux_video_pad = gst_element_request_pad_simple (mux, "sink_%d");
  g_mutex_lock (&self->lock);
  self->mux = gst_object_ref (mux);
  self->cutter = cs_cutter_new (mux, duration, gst_cs_sink_segment_closed,
      on_cutter_eos, self);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* After a run (its streaming threads stopped): the next gets new ones. */
static void
gst_cs_sink_drop_mux (GstCsSink * self)
{
  CsCutter *cutter;

  if (self->video_parser) {
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), NULL);
    gst_cs_sink_remove_child (self, &self->video_parser);
  }
  if (self->audio_parser)
    gst_cs_sink_unlink_audio (self);
  g_mutex_lock (&self->lock);
  cutter = g_steal_pointer (&self->cutter);
  g_mutex_unlock (&self->lock);
  cs_cutter_free (cutter);
  gst_clear_object (&self->mux_video_pad);
  gst_cs_sink_remove_child (self, &self->mux);
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
  GstCsSinkContainer container;

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

  GST_OBJECT_LOCK (self);
  container = self->container;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  g_free (self->active_device_id);
  self->active_device_id = g_steal_pointer (&ss.device_id);
  stream_reset (self);
  self->st.container = container;
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
      if (!gst_cs_sink_start (self))
        return GST_STATE_CHANGE_FAILURE;
      if (!gst_cs_sink_make_mux (self, duration))
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
      /* First, so that an EOS drain waiting in a streaming thread ends. */
      if (self->outbox)
        cs_outbox_stop (self->outbox, CS_UPLOAD_DROP_STOPPED);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* Its pads take events once the muxer is PAUSED, before the sources
   * (which change state after the sinks) push anything. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && ret != GST_STATE_CHANGE_FAILURE && self->audio_parser)
    gst_cs_sink_announce_audio (self, self->mux);

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
    gst_cs_sink_drop_mux (self);
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
    case PROP_CONTAINER:
      self->container = g_value_get_enum (value);
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
    case PROP_CONTAINER:
      g_value_set_enum (value, self->container);
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
  gst_clear_object (&self->video_parser);
  gst_clear_object (&self->audio_parser);
  gst_clear_object (&self->mux_video_pad);
  gst_clear_object (&self->mux);
  cs_cutter_free (self->cutter);
  stream_reset (self);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cs_sink_init (GstCsSink * self)
{
  GstPadTemplate *templ;

  g_mutex_init (&self->lock);
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
  g_object_class_install_property (gobject_class, PROP_CONTAINER,
      g_param_spec_enum ("container", "Container",
          "How segments are stored: mpegts (<start>_<dur>.ts) or fmp4 "
          "(<start>_<dur>.mp4: fragmented MP4, each segment with its own "
          "init part of 4096 bytes)", GST_TYPE_CS_SINK_CONTAINER,
          GST_CS_SINK_CONTAINER_MPEGTS, rw));
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
      "keyframe-aligned MPEG-TS or fragmented MP4 segments. Element messages: "
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
}
