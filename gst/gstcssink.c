/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-cssink
 * @title: cssink
 *
 * Cuts encoded H.264/H.265 video (and optional AAC audio) into keyframe-aligned
 * fragmented MP4 segments (MPEG-TS with #GstCsSink:container=mpegts) and
 * uploads each to a store, named
 * `<device-id>/rec/<YYYYMMDD>/<HH>/<start_ms>_<duration_ms>.mp4` (`.ts`), UTC.
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
 * #GstCsSink:segment-idle-timeout without a frame.  Until then it waits in
 * an unlinked file on the disk it goes to (#GstCsSink:spool-dir's, else a
 * `file://` store's): page cache the kernel can write out when memory is
 * short, not the process's memory (read back when the segment closes, so
 * that the disk has its space for the stored copy); in memory for other
 * stores, and when segments are encrypted (their clear bytes never reach a
 * disk).  That disk cannot be remounted read-only while recording.
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
/* Threads: the application's (properties, state changes: start opens the
 * store and the outbox, makes the muxer and the cutter; stop frees them),
 * the streaming threads of the video and audio legs (cs-sink-caps.c,
 * cs-sink-probes.c), the muxer's (the cutter's segments, then key and
 * outbox here), the process's ticker (cs-sink-idle.c), the outbox's
 * (reports, cs-sink-delivery.c) and the snapshotter's (cs-sink-pictures.c).
 *
 * Lock order, outermost first, for every file of cssink:
 * 1. a pad's stream lock: the probes run with their pad's held; the idle
 *    check only tries the video parser's input, never waits for it;
 * 2. GST_OBJECT_LOCK (the settings: set/get_property and start's copy),
 *    never taken while holding self->lock;
 * 3. self->lock (the run's state and the pointers to its objects), held for
 *    bookkeeping only: never while posting, emitting a signal, pushing or
 *    sending an event, linking, making or calling the cutter, opening the
 *    store, or putting into, draining, stopping or freeing the outbox.  It
 *    may be held over cs_outbox_get_stats (), cs_outbox_interrupt_drains ()
 *    and cs_snapshotter_interrupt_idle_waits (), which only take their
 *    own locks and never call back;
 * 4. the cutter's lock and the outbox's (and its uploaders' and spool's),
 *    last: both call back with none of their locks held.
 * The stop stops the outbox first (an EOS drain waiting in a streaming
 * thread ends), and waits for an idle check under way (cs_ticker_sync ())
 * only once the pads are deactivated, so nothing it waits for can block. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcssink-private.h"
#include "cs-fmp4-boxes.h"
#include "cs-crypt.h"
#include "gstcselements.h"
#include "cs-ticker.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_cs_sink_debug);
#define GST_CAT_DEFAULT gst_cs_sink_debug

#define DEFAULT_SEGMENT_DURATION (4 * GST_SECOND)
#define DEFAULT_SEGMENT_IDLE_TIMEOUT 0  /* segment-duration + 2 s */
#define IDLE_CHECK_MS 100
#define DEFAULT_MAX_CACHED_SEGMENTS 3
#define DEFAULT_MAX_CACHE_BYTES (32 * 1024 * 1024)
#define DEFAULT_MAX_RETRIES -1
#define DEFAULT_TIMEOUT 15
#define DEFAULT_DRAIN_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_AUTO_SNAPSHOT TRUE
#define DEFAULT_SPOOL_MAX_BYTES (G_GUINT64_CONSTANT (1) << 30)
#define DEFAULT_CONTAINER GST_CS_SINK_CONTAINER_FMP4
#define DEFAULT_REGION CS_STORE_DEFAULT_REGION

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
  PROP_ENCRYPTION_KEY_FILE,
  PROP_CONTAINER,
};

guint gst_cs_sink_signals[LAST_SIGNAL];

struct _GstCsSink
{
  CsSinkCore core;              /* first: what cssink's other files share */

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
  gchar *encryption_key_file;
  GstCsSinkContainer container;
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

/* container=fmp4: csfmp4mux's segment @data (its first frame shown at
 * CS_FMP4_MUX_START_US, in the stored layout) moved to its UTC start
 * @start_ms in place; FALSE (an error posted) when it cannot be. */
static gboolean
gst_cs_sink_move_fmp4 (CsSinkCore * self, CsPageBuffer * data,
    gint64 start_ms)
{
  g_autoptr (GError) error = NULL;

  if (!cs_fmp4_boxes_shift (cs_page_buffer_get_data (data),
          cs_page_buffer_get_size (data),
          start_ms * 1000 - CS_FMP4_MUX_START_US, &error)) {
    GST_ELEMENT_ERROR (self, STREAM, MUX,
        ("A segment could not be written as fragmented MP4."),
        ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/* The cutter closed a segment (on the muxer's thread): name it and hand it
 * to the outbox.  The one hand-off from the stream side to delivery. */
static void
gst_cs_sink_segment_closed (CsPageBuffer * segment, GstClockTime start_rt,
    GstClockTime end_rt, gpointer user_data)
{
  CsSinkCore *self = user_data;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GPtrArray) uploads = g_ptr_array_new ();
  g_autofree gchar *key = NULL;
  gint64 start_ms, end_ms;
  GstCsSinkContainer container;
  CsOutbox *outbox;
  gboolean live;

  g_mutex_lock (&self->lock);
  if (self->outbox == NULL) {
    g_mutex_unlock (&self->lock);
    cs_page_buffer_free (segment);
    return;
  }
  cs_utc_map_span_to_ms (&self->st.utc, start_rt, end_rt, &start_ms, &end_ms);
  container = self->run.container;
  if (start_ms < 0) {
    g_mutex_unlock (&self->lock);
    cs_page_buffer_free (segment);
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("A segment was discarded: its time is before 1970."),
        ("start %" G_GINT64_FORMAT " ms; check the timestamp/x-unix meta",
            start_ms));
    return;
  }
  if (container == GST_CS_SINK_CONTAINER_FMP4) {
    gboolean moved;

    /* Not under the lock: an error is posted. */
    g_mutex_unlock (&self->lock);
    moved = gst_cs_sink_move_fmp4 (self, segment, start_ms);
    g_mutex_lock (&self->lock);
    if (!moved || self->outbox == NULL) {
      g_mutex_unlock (&self->lock);
      cs_page_buffer_free (segment);
      return;
    }
  }
  data = cs_page_buffer_free_to_bytes (segment);
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
  cs_sink_events_segment_stored (self->st.events, key,
      cs_crypt_stored_size (key, g_bytes_get_size (data)), start_ms, end_ms,
      end_rt, uploads);
  outbox = self->outbox;
  live = self->st.upstream_live;
  g_mutex_unlock (&self->lock);
  /* The outbox is freed only after the streaming threads have stopped. */
  cs_outbox_put (outbox, CS_OUTBOX_SEGMENT, key, data, !live);
  cs_sink_delivery_put_objects (self, uploads);
}

static GstPad *
gst_cs_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  CsSinkCore *self = CS_SINK_CORE (element);

  if (self->audio_pad != NULL) {
    GST_WARNING_OBJECT (self, "only one audio stream is recorded");
    return NULL;
  }
  self->audio_pad = cs_sink_mux_add_audio_leg (self, templ);
  if (self->audio_pad)
    gst_element_add_pad (element, self->audio_pad);
  return self->audio_pad;
}

static void
gst_cs_sink_release_pad (GstElement * element, GstPad * pad)
{
  CsSinkCore *self = CS_SINK_CORE (element);

  if (pad != self->audio_pad)
    return;
  cs_sink_mux_remove_audio_leg (self);
  gst_element_remove_pad (element, pad);
  self->audio_pad = NULL;
}

/* With GST_OBJECT_LOCK. */
static void
start_settings_copy_locked (GstCsSink * self, StartSettings * ss)
{
  CsUploaderLimits *segments = &ss->outbox.limits[CS_OUTBOX_SEGMENT];

  ss->location = g_strdup (self->location);
  ss->device_id = g_strdup (self->device_id);
  ss->endpoint = g_strdup (self->endpoint);
  ss->region = g_strdup (self->region);
  ss->access_key = g_strdup (self->access_key);
  ss->secret_key = g_strdup (self->secret_key);
  ss->session_token = g_strdup (self->session_token);
  ss->tls_ca_file = g_strdup (self->tls_ca_file);
  ss->spool_dir = g_strdup (self->spool_dir);
  ss->encryption_key_file = g_strdup (self->encryption_key_file);

  /* The rest of the store's and the outbox's configuration, and the other
   * kinds' limits: cs_sink_delivery_open (). */
  ss->store.timeout_s = self->timeout;
  ss->store.virtual_hosted = self->virtual_hosted;

  segments->max_items = self->max_cached_segments;
  segments->max_bytes = self->max_cache_bytes;
  segments->max_retries = self->max_retries;
  ss->outbox.spool_max_bytes = self->spool_max_bytes;

  ss->run.segment_duration = self->segment_duration;
  ss->run.idle_timeout = self->segment_idle_timeout ?
      self->segment_idle_timeout : self->segment_duration + 2 * GST_SECOND;
  ss->run.drain_timeout = self->drain_timeout;
  ss->run.spooled = self->spool_dir != NULL;
  ss->run.auto_snapshot = self->auto_snapshot;
  ss->run.container = self->container;
}

/* Copies the settings, opens the store and starts the outbox. */
static gboolean
gst_cs_sink_start (GstCsSink * self)
{
  CsSinkCore *core = CS_SINK_CORE (self);
  StartSettings ss = { 0 };
  CsOutbox *outbox;

  if (!gst_pad_is_linked (core->video_pad)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("cssink records video: link its 'video' pad "
            "(audio alone is not recorded)."), (NULL));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  start_settings_copy_locked (self, &ss);
  GST_OBJECT_UNLOCK (self);

  outbox = cs_sink_delivery_open (core, &ss);
  if (outbox == NULL) {
    cs_sink_start_settings_clear (&ss);
    return FALSE;
  }

  cs_sink_state_begin (core, &ss, outbox);
  cs_sink_start_settings_clear (&ss);
  return TRUE;
}

static GstStateChangeReturn
gst_cs_sink_change_state (GstElement * element, GstStateChange transition)
{
  CsSinkCore *self = CS_SINK_CORE (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_cs_sink_start (GST_CS_SINK (element)))
        return GST_STATE_CHANGE_FAILURE;
      /* run: set by start, on this thread. */
      if (!cs_sink_mux_make (self, self->run.segment_duration,
              gst_cs_sink_segment_closed))
        return GST_STATE_CHANGE_FAILURE;
      self->idle_source = cs_ticker_add (IDLE_CHECK_MS, cs_sink_idle_check,
          gst_object_ref (self), gst_object_unref);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      cs_sink_delivery_interrupt_drain (self, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      cs_sink_delivery_interrupt_drain (self, FALSE);
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
    cs_sink_mux_announce_audio (self, self->mux);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    cs_sink_state_end (self);
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
    case PROP_ENCRYPTION_KEY_FILE:
      g_free (self->encryption_key_file);
      self->encryption_key_file = g_value_dup_string (value);
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
    g_value_take_boxed (value,
        cs_sink_delivery_stats (CS_SINK_CORE (self)));
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
    case PROP_ENCRYPTION_KEY_FILE:
      g_value_set_string (value, self->encryption_key_file);
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
  CsSinkCore *core = CS_SINK_CORE (self);

  g_free (self->location);
  g_free (self->device_id);
  g_free (self->endpoint);
  g_free (self->region);
  g_free (self->access_key);
  g_free (self->secret_key);
  g_free (self->session_token);
  g_free (self->tls_ca_file);
  g_free (self->spool_dir);
  g_free (self->encryption_key_file);
  gst_clear_object (&core->video_parser);
  gst_clear_object (&core->audio_parser);
  gst_clear_object (&core->mux_video_pad);
  gst_clear_object (&core->mux);
  cs_cutter_free (core->cutter);
  cs_sink_state_reset (core);
  g_mutex_clear (&core->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cs_sink_init (GstCsSink * self)
{
  CsSinkCore *core = CS_SINK_CORE (self);
  GstPadTemplate *templ;

  g_mutex_init (&core->lock);
  self->region = g_strdup (DEFAULT_REGION);
  self->segment_duration = DEFAULT_SEGMENT_DURATION;
  self->max_cached_segments = DEFAULT_MAX_CACHED_SEGMENTS;
  self->max_cache_bytes = DEFAULT_MAX_CACHE_BYTES;
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->timeout = DEFAULT_TIMEOUT;
  self->drain_timeout = DEFAULT_DRAIN_TIMEOUT;
  self->auto_snapshot = DEFAULT_AUTO_SNAPSHOT;
  self->spool_max_bytes = DEFAULT_SPOOL_MAX_BYTES;
  self->container = DEFAULT_CONTAINER;
  cs_sink_state_reset (core);

  templ = gst_static_pad_template_get (&video_template);
  core->video_pad = gst_ghost_pad_new_no_target_from_template ("video", templ);
  gst_object_unref (templ);
  gst_pad_add_probe (core->video_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      cs_sink_video_caps_probe, self, NULL);
  gst_pad_add_probe (core->video_pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      cs_sink_video_query_probe, self, NULL);
  gst_pad_add_probe (core->video_pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, cs_sink_video_timing_probe, self,
      NULL);
  gst_element_add_pad (GST_ELEMENT (self), core->video_pad);

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
          "keyframe after it, in ns (at most an hour)", GST_SECOND / 10,
          3600 * GST_SECOND, DEFAULT_SEGMENT_DURATION, rw));
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
          "picture from its first keyframe (a JPEG at most 640 wide, made by "
          "the cs-picture-helper program; a failure is a warning)",
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
  g_object_class_install_property (gobject_class, PROP_ENCRYPTION_KEY_FILE,
      g_param_spec_string ("encryption-key-file", "Encryption key file",
          "Encrypt every object on the device, before the spool or the "
          "store sees it, with the first key of this file (lines "
          "'<key-id> <32 hex digits>', mode 600; segments as HLS "
          "METHOD=AES-128, the rest AES-128-GCM; see README) "
          "(NULL = stored in plaintext)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_CONTAINER,
      g_param_spec_enum ("container", "Container",
          "How segments are stored: fmp4 (<start>_<dur>.mp4: fragmented "
          "MP4, each segment with its own init part of 4096 bytes; the "
          "default: about 5 % less uplink than MPEG-TS, and browsers play "
          "H.265 from it) or mpegts (<start>_<dur>.ts)",
          GST_TYPE_CS_SINK_CONTAINER, DEFAULT_CONTAINER, rw));
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
  gst_cs_sink_signals[SIGNAL_CAPTURE_SNAPSHOT] =
      g_signal_new ("capture-snapshot",
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
  gst_cs_sink_signals[SIGNAL_SNAPSHOT_RESULT] = g_signal_new ("snapshot-result",
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
