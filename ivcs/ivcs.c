/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iv_cs_* API on a pipeline:
 *
 *   appsrc (video) ! h26xparse config-interval=-1 ! cseventgate ! cssink
 *   appsrc (audio, ADTS) ! aacparse ! cseventgate ! cssink.audio
 *
 * One module per process.  Its worker thread reads <device>/service.json
 * every service_poll_s, starts or stops the pipeline (gate mode for event
 * video, mark mode when full-time recording is active) and calls the
 * start/stop/AI callbacks.  Picture callbacks run on cssink's picture
 * thread.  No callback runs with the module's lock held.
 *
 * Lock order: `lock` (the module's state) only; GStreamer calls that may
 * block (state changes, pushes) are made without it. */
#include "iv_cs.h"
#undef iv_cs_exit

#include "cs-event-rules.h"
#include "cs-key.h"
#include "cs-service.h"
#include "cs-store.h"
#include "gstcselements.h"
#include "gstcseventgate.h"
#include "gstcssink.h"
#include "ivcs-config.h"
#include "ivcs-pictures.h"
#include "ivcs-frame.h"
#include "ivcs-refusals.h"

#include <gst/app/app.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (ivcs_debug);
#define GST_CAT_DEFAULT ivcs_debug

#define DEFAULT_MAX_SIZE_IN_A_GOP (512 * 1024)
#define DEFAULT_EVENT_INTERVAL_S (3 * 60)
#define DEFAULT_EVENT_RECORD_MIN_S 8
/* A u64TimeStamp above this (2001-09-09) is UTC ms, below it a monotonic
 * clock. */
#define UTC_MS_MIN G_GUINT64_CONSTANT (1000000000000)
/* 2500-01-01: later is no time of a frame (and would overflow ns). */
#define UTC_MS_MAX G_GUINT64_CONSTANT (16725225600000)
/* A frame further ahead of where its stream's clock should be is refused. */
#define MAX_TIMESTAMP_JUMP_MS G_GUINT64_CONSTANT (3600 * 1000)
/* Frames that keep to a stepped clock this long make it the stream's. */
#define CLOCK_STEP_ADOPT_US (3 * G_USEC_PER_SEC)
/* How far a frame may stray from the stepped clock and still keep to it. */
#define CLOCK_STEP_JITTER_MS 2000

typedef struct
{
  iv_cs_init_parm_s parm;
  IvcsConfig config;
  CsStore *store;               /* for service.json; NULL with channels= */
  GCancellable *cancel;

  GstElement *pipeline, *vsrc, *asrc, *gate, *sink;
  GstElement *vparse;           /* made at the first video frame */
  iv_cm_venc_type_e codec;
  gboolean vparse_linking;      /* under `lock`: the first frame's thread
                                 * links vparse, other video frames wait */
  guint64 video_max_bytes, audio_max_bytes;

  GThread *worker;
  GMainContext *context;
  GMainLoop *loop;
  gboolean service_on;          /* the worker's: start was called */

  /* Under `lock`. */
  gboolean recording;           /* the pipeline runs: frames are taken */
  gboolean full_time;           /* it runs in mark mode */
  gboolean events_on;
  gboolean exiting, forced;
  gboolean have_base;
  /* The first frame's u64TimeStamp, moved by clock steps (signed: a step
   * back may take it below 0), and the last frame's of each stream. */
  gint64 base_ts;
  gint64 base_utc_ms;
  gint64 base_us;               /* monotonic, when the first frame came */
  gint64 last_ts[IV_CS_STREAM_TYPE_BUTT];
  IvcsPictures *pictures;       /* event-pic alone: no stream needed */
  gboolean told_larger;         /* a segment is larger than the estimate */
  guint64 segments_dropped;
  gint64 told_dropped_at;       /* monotonic µs, 0: never */
  gint64 last_us[IV_CS_STREAM_TYPE_BUTT];       /* monotonic, 0: none yet */
  /* Frames refused in a row for a clock step: the first one's timestamp,
   * and when it came (monotonic, 0: none). */
  guint64 step_ts;
  gint64 step_us;
  GHashTable *ai;               /* AI type name -> gint64 until, as notified */
} Ivcs;

static GMutex lock;
static GCond cond;
static Ivcs *ivcs;
static GPrivate in_callback;
/* Set on a pipeline (under `lock`) when its EOS came out. */
static GQuark eos_quark;
static IvcsRefusals refusals;

static void
log_error (const gchar * what, const GError * error)
{
  /* Firmware engineers read stderr: one line, never a secret. */
  g_message ("libivcs: %s: %s", what, error ? error->message : "?");
}

/* Said on stderr, as legacy firmware ignores return codes: a segment larger
 * than the estimate (once), a dropped segment (the first, then a count at
 * most every DROPS_TOLD_EVERY_S). */
#define DROPS_TOLD_EVERY_S 10

static void
watch_segments (Ivcs * m, const GstStructure * s)
{
  gboolean dropped = gst_structure_has_name (s, "cs-segment-dropped");
  gboolean tell_larger = FALSE, tell_dropped = FALSE;
  gint64 now = g_get_monotonic_time ();
  guint64 bytes = 0, drops;

  if (!dropped && !gst_structure_has_name (s, "cs-segment-uploaded"))
    return;
  gst_structure_get_uint64 (s, "bytes", &bytes);
  g_mutex_lock (&lock);
  if (bytes > m->parm.u32MaxSizeInAGop && !m->told_larger)
    tell_larger = m->told_larger = TRUE;
  if (dropped) {
    m->segments_dropped++;
    if (m->told_dropped_at == 0
        || now - m->told_dropped_at >= DROPS_TOLD_EVERY_S * G_TIME_SPAN_SECOND) {
      tell_dropped = TRUE;
      m->told_dropped_at = now;
    }
  }
  drops = m->segments_dropped;
  g_mutex_unlock (&lock);
  if (tell_larger)
    g_message ("libivcs: a segment of %" G_GUINT64_FORMAT " bytes is larger "
        "than u32MaxSizeInAGop (%u, the estimate of 4 s of audio and video): "
        "it is stored, but the cache of 3 x that keeps fewer segments "
        "during an outage", bytes, m->parm.u32MaxSizeInAGop);
  if (tell_dropped)
    g_message ("libivcs: segment %s dropped (%s): %" G_GUINT64_FORMAT
        " dropped so far", gst_structure_get_string (s, "key"),
        gst_structure_get_string (s, "reason"), drops);
}

#define CALLBACK_BEGIN() g_private_set (&in_callback, GINT_TO_POINTER (1))
#define CALLBACK_END() g_private_set (&in_callback, NULL)

/* ---- pipeline ---------------------------------------------------------- */

static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer data)
{
  Ivcs *m = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    g_mutex_lock (&lock);
    g_object_set_qdata (G_OBJECT (GST_MESSAGE_SRC (msg)), eos_quark,
        GINT_TO_POINTER (1));
    g_cond_broadcast (&cond);
    g_mutex_unlock (&lock);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR
      || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_autoptr (GError) error = NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &error, NULL);
    else
      gst_message_parse_warning (msg, &error, NULL);
    log_error (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    watch_segments (m, gst_message_get_structure (msg));
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static gchar *
capture_picture (const gchar * event_id, guint trigger, gpointer data)
{
  Ivcs *m = data;
  uint8_t name[IV_SYS_FILE_PATH_MAX_LEN] = { 0 };

  if (m->parm.iv_cs_event_capture_picture_cb == NULL)
    return NULL;
  CALLBACK_BEGIN ();
  m->parm.iv_cs_event_capture_picture_cb (name, sizeof name);
  CALLBACK_END ();
  name[sizeof name - 1] = '\0';
  return name[0] ? g_strdup ((const gchar *) name) : NULL;
}

static void
picture_result (const gchar * path, CsSnapshotResult result, gpointer data)
{
  Ivcs *m = data;
  uint8_t name[IV_SYS_FILE_PATH_MAX_LEN] = { 0 };

  if (m->parm.iv_cs_event_upload_picture_result_cb == NULL)
    return;
  g_strlcpy ((gchar *) name, path, sizeof name);
  CALLBACK_BEGIN ();
  m->parm.iv_cs_event_upload_picture_result_cb (name,
      (iv_cs_event_pic_upload_res_e) result);
  CALLBACK_END ();
}

static gchar *
on_capture (GstElement * sink, const gchar * event_id, guint trigger,
    Ivcs * m)
{
  return capture_picture (event_id, trigger, m);
}

static void
on_picture_result (GstElement * sink, const gchar * path, gint result,
    Ivcs * m)
{
  picture_result (path, result, m);
}

static GstElement *
make (const gchar * factory, GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the GStreamer element %s is missing", factory);
  return e;
}

static gboolean
build_pipeline (Ivcs * m, GError ** error)
{
  const iv_cs_init_parm_s *p = &m->parm;
  GValue priorities = G_VALUE_INIT;
  GstCaps *caps;

  /* Each element goes into the pipeline as it is made: the caller's
   * stop_pipeline () frees what was made when one is missing. */
  m->pipeline = gst_pipeline_new ("ivcs");
  m->gate = g_object_new (GST_TYPE_CS_EVENT_GATE, NULL);
  m->sink = g_object_new (GST_TYPE_CS_SINK, NULL);
  gst_bin_add_many (GST_BIN (m->pipeline), m->gate, m->sink, NULL);
  if ((m->vsrc = make ("appsrc", error)) == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (m->pipeline), m->vsrc);
  gst_element_link_pads (m->gate, "video_src", m->sink, "video");

  gst_value_array_init (&priorities, IV_CS_EVENT_MAX_TRIGGER);
  for (guint i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, p->event_trigger_priority[i]);
    gst_value_array_append_and_take_value (&priorities, &v);
  }
  g_object_set_property (G_OBJECT (m->gate), "trigger-priority", &priorities);
  g_value_unset (&priorities);
  g_object_set (m->gate, "min-record-time", p->event_record_min_time_s,
      "event-interval", p->event_interval_time_s,
      "max-pending-events", p->event_list_max_depth, NULL);

  g_object_set (m->sink, "location", m->config.location,
      "device-id", m->config.device_id, "region", m->config.region ?
      m->config.region : CS_STORE_DEFAULT_REGION, "max-cached-segments", 3,
      "max-cache-bytes", (guint64) 3 * p->u32MaxSizeInAGop,
      "drain-timeout", (guint64) m->config.drain_timeout_s * GST_SECOND,
      "force-path-style", m->config.force_path_style,
      "auto-snapshot", FALSE, NULL);
  if (m->config.endpoint)
    g_object_set (m->sink, "endpoint", m->config.endpoint, NULL);
  if (m->config.access_key)
    g_object_set (m->sink, "access-key", m->config.access_key, NULL);
  if (m->config.secret_key)
    g_object_set (m->sink, "secret-key", m->config.secret_key, NULL);
  if (m->config.tls_ca_file)
    g_object_set (m->sink, "tls-ca-file", m->config.tls_ca_file, NULL);
  if (m->config.spool_dir)
    g_object_set (m->sink, "spool-dir", m->config.spool_dir, NULL);
  if (m->config.encryption_key_file)
    g_object_set (m->sink, "encryption-key-file",
        m->config.encryption_key_file, NULL);
  gst_util_set_object_arg (G_OBJECT (m->sink), "container",
      m->config.container);
  g_signal_connect (m->sink, "capture-snapshot", G_CALLBACK (on_capture), m);
  g_signal_connect (m->sink, "snapshot-result",
      G_CALLBACK (on_picture_result), m);

  /* Never blocks the encoder: a full queue is seen before the push. */
  g_object_set (m->vsrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
      "block", FALSE, "max-bytes", m->video_max_bytes, NULL);
  if (m->config.audio) {
    GstElement *aparse;
    GstPad *gate_pad;

    if ((aparse = make ("aacparse", error)) == NULL)
      return FALSE;
    gst_bin_add (GST_BIN (m->pipeline), aparse);
    if ((m->asrc = make ("appsrc", error)) == NULL)
      return FALSE;
    gst_bin_add (GST_BIN (m->pipeline), m->asrc);
    caps = gst_caps_from_string ("audio/mpeg,mpegversion=4,"
        "stream-format=adts");
    g_object_set (m->asrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
        "block", FALSE, "max-bytes", m->audio_max_bytes, "caps", caps, NULL);
    gst_caps_unref (caps);
    gst_element_link (m->asrc, aparse);
    gate_pad = gst_element_request_pad_simple (m->gate, "audio_sink_%u");
    {
      GstPad *src = gst_element_get_static_pad (aparse, "src");
      gst_pad_link (src, gate_pad);
      gst_object_unref (src);
    }
    gst_object_unref (gate_pad);
    gst_element_link_pads (m->gate, "audio_src_0", m->sink, "audio");
  }
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (m->pipeline), bus_sync, m, NULL);
  return TRUE;
}

/* The video parser, once the first frame says which codec comes: made and
 * linked into the running pipeline without `lock` (a state change may wait,
 * and its messages reach bus_sync, which takes `lock`).  Meanwhile
 * m->vparse_linking holds the other video frames back (take_frame). */
static gboolean
link_video_parser (Ivcs * m, iv_cm_venc_type_e codec, GstElement * pipeline,
    GstElement * vsrc, GstElement * gate)
{
  const gchar *caps_text = codec == IV_CM_VENC_TYPE_H265 ?
      "video/x-h265,stream-format=byte-stream,alignment=au" :
      "video/x-h264,stream-format=byte-stream,alignment=au";
  GstElement *vparse = gst_element_factory_make (codec ==
      IV_CM_VENC_TYPE_H265 ? "h265parse" : "h264parse", NULL);
  GstCaps *caps;

  if (vparse != NULL) {
    /* Headers in front of every keyframe: a recording may start at any. */
    g_object_set (vparse, "config-interval", -1, NULL);
    /* Into the running pipeline: started and linked downstream before
     * anything can flow into it, then fed. */
    gst_bin_add (GST_BIN (pipeline), vparse);
    gst_element_link_pads (vparse, "src", gate, "video_sink");
    gst_element_sync_state_with_parent (vparse);
    gst_element_link (vsrc, vparse);
    caps = gst_caps_from_string (caps_text);
    g_object_set (vsrc, "caps", caps, NULL);
    gst_caps_unref (caps);
  }
  g_mutex_lock (&lock);
  m->vparse_linking = FALSE;
  /* A recording that ended meanwhile took its elements away. */
  if (m->pipeline == pipeline)
    m->vparse = vparse;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  gst_object_unref (pipeline);
  gst_object_unref (vsrc);
  gst_object_unref (gate);
  return vparse != NULL;
}

/* The recording ends: frames are no longer taken, and the pipeline is
 * handed to the caller (a ref, or NULL), with EOS sent when @drain and
 * something was pushed. */
static GstElement *
end_recording (Ivcs * m, gboolean drain)
{
  GstElement *pipeline, *vsrc, *asrc, *vparse;

  g_mutex_lock (&lock);
  m->recording = FALSE;
  m->events_on = FALSE;
  pipeline = g_steal_pointer (&m->pipeline);
  vsrc = m->vsrc;
  asrc = m->asrc;
  vparse = m->vparse;
  m->vsrc = m->asrc = m->gate = m->sink = m->vparse = NULL;
  g_mutex_unlock (&lock);
  if (drain && vparse != NULL) {
    gst_app_src_end_of_stream (GST_APP_SRC (vsrc));
    if (asrc)
      gst_app_src_end_of_stream (GST_APP_SRC (asrc));
  } else if (pipeline) {
    g_object_set_qdata (G_OBJECT (pipeline), eos_quark, GINT_TO_POINTER (1));
  }
  return pipeline;
}

/* Waits for @pipeline's EOS (what is cached is uploaded first: at most the
 * drain timeout, less when a forced exit comes), then frees it. */
static void
finish_pipeline (Ivcs * m, GstElement * pipeline)
{
  gint64 deadline = g_get_monotonic_time () +
      (m->config.drain_timeout_s + 5) * G_TIME_SPAN_SECOND;

  if (pipeline == NULL)
    return;
  g_mutex_lock (&lock);
  while (!g_object_get_qdata (G_OBJECT (pipeline), eos_quark) && !m->forced
      && g_cond_wait_until (&cond, &lock, deadline));
  g_mutex_unlock (&lock);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

static void
stop_pipeline (Ivcs * m, gboolean drain)
{
  finish_pipeline (m, end_recording (m, drain));
}

/* Each recording runs in a pipeline of its own, built for it: after an EOS
 * the elements of the last one would take the new stream as running on from
 * the old one (the muxer saw "Timestamping error on input streams" and
 * stored the rest as one segment).  Frame times keep one mapping for the
 * whole run (from the module's first frame), so recordings follow each
 * other on one clock. */
static gboolean
start_pipeline (Ivcs * m, gboolean full_time)
{
  g_autoptr (GError) error = NULL;
  GstStateChangeReturn ret;

  if (m->pipeline == NULL && !build_pipeline (m, &error)) {
    log_error ("pipeline", error);
    stop_pipeline (m, FALSE);
    return FALSE;
  }
  g_object_set (m->gate, "mode", full_time ? GST_CS_EVENT_GATE_MODE_MARK :
      GST_CS_EVENT_GATE_MODE_GATE, NULL);
  ret = gst_element_set_state (m->pipeline, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    g_message ("libivcs: the recording pipeline did not start");
    stop_pipeline (m, FALSE);
    return FALSE;
  }
  g_mutex_lock (&lock);
  m->recording = TRUE;
  m->full_time = full_time;
  g_mutex_unlock (&lock);
  GST_INFO ("recording (%s)", full_time ? "full-time" : "events");
  return TRUE;
}

/* ---- service ----------------------------------------------------------- */

static CsStore *
open_store (const IvcsConfig * c, GError ** error)
{
  CsStoreConfig sc = { 0 };

  sc.endpoint = c->endpoint;
  sc.region = c->region;
  sc.access_key = c->access_key;
  sc.secret_key = c->secret_key;
  sc.virtual_hosted = !c->force_path_style;
  cs_store_config_fill_from_env (&sc);
  sc.tls_ca_file = c->tls_ca_file;
  return cs_store_new (c->location, &sc, error);
}

/* event-pic alone: events and pictures without a stream. */
static void
start_pictures (Ivcs * m)
{
  g_autoptr (GError) error = NULL;
  CsStore *store = open_store (&m->config, &error);
  CsSnapshotCallbacks cb = {.capture = capture_picture,.result =
        picture_result,.data = m
  };
  CsEventRulesConfig rules;
  IvcsPictures *plan;

  if (store == NULL) {
    log_error ("event pictures", error);
    return;
  }
  cs_event_rules_config_init (&rules);
  rules.min_record_ms = m->parm.event_record_min_time_s * 1000;
  rules.interval_ms = m->parm.event_interval_time_s * 1000;
  for (guint i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    rules.priority[i] = m->parm.event_trigger_priority[i];
  plan = ivcs_pictures_new (store, m->config.device_id, m->config.keyring,
      &rules, &cb);
  g_mutex_lock (&lock);
  m->pictures = plan;
  g_mutex_unlock (&lock);
  GST_INFO ("event pictures only");
}

/* Triggers are no longer taken; the plan is handed to the caller. */
static IvcsPictures *
end_pictures (Ivcs * m)
{
  IvcsPictures *plan;

  g_mutex_lock (&lock);
  plan = g_steal_pointer (&m->pictures);
  g_mutex_unlock (&lock);
  return plan;
}

static void
interrupt_pictures (GCancellable * cancel, gpointer plan)
{
  ivcs_pictures_interrupt (plan);
}

/* With @drain, its last messages and picture are stored first, unless a
 * forced exit (m->cancel) cuts that short. */
static void
finish_pictures (Ivcs * m, IvcsPictures * plan, gboolean drain)
{
  gulong id;

  if (plan == NULL)
    return;
  if (drain) {
    id = g_cancellable_connect (m->cancel, G_CALLBACK (interrupt_pictures),
        plan, NULL);
    ivcs_pictures_drain (plan, m->config.drain_timeout_s * 1000);
    g_cancellable_disconnect (m->cancel, id);
  }
  ivcs_pictures_free (plan);
}

static gboolean
tick_pictures (gpointer data)
{
  Ivcs *m = data;

  g_mutex_lock (&lock);
  if (m->pictures)
    ivcs_pictures_tick (m->pictures, g_get_real_time () / 1000);
  g_mutex_unlock (&lock);
  return G_SOURCE_CONTINUE;
}

static void
call_start_stop (Ivcs * m, gboolean start)
{
  int32_t (*cb) (void) = start ? m->parm.iv_cs_push_stream_start_cb :
      m->parm.iv_cs_push_stream_stop_cb;

  if (cb == NULL)
    return;
  CALLBACK_BEGIN ();
  cb ();
  CALLBACK_END ();
}

/* Calls the AI callback for every AI type whose expiry changed; AI names
 * that are not numbers are not for this API. */
static void
notify_ai (Ivcs * m, CsService * svc, gint64 now_ms)
{
  g_autoptr (GList) names = svc ? cs_service_ai_names (svc) : NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer key, value;
  GPtrArray *gone = g_ptr_array_new_with_free_func (g_free);

  for (GList * l = names; l; l = l->next) {
    const gchar *name = l->data;
    gint64 until = cs_service_ai_until (svc, name);
    gint64 *known = g_hash_table_lookup (m->ai, name);
    guint64 type;

    if (!g_ascii_string_to_unsigned (name, 10, 0, G_MAXUINT32, &type, NULL))
      continue;
    g_hash_table_add (seen, (gpointer) name);
    if (known && *known == until)
      continue;
    g_hash_table_insert (m->ai, g_strdup (name), g_memdup2 (&until,
            sizeof until));
    if (m->parm.iv_cs_ai_service_notify_cb) {
      CALLBACK_BEGIN ();
      m->parm.iv_cs_ai_service_notify_cb (type, until > 0 && until <= now_ms ?
          0 : (uint64_t) until);
      CALLBACK_END ();
    }
  }
  g_hash_table_iter_init (&it, m->ai);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (!g_hash_table_contains (seen, key))
      g_ptr_array_add (gone, g_strdup (key));
  for (guint i = 0; i < gone->len; i++) {
    const gchar *name = g_ptr_array_index (gone, i);
    if (m->parm.iv_cs_ai_service_notify_cb) {
      CALLBACK_BEGIN ();
      m->parm.iv_cs_ai_service_notify_cb (g_ascii_strtoull (name, NULL, 10),
          0);
      CALLBACK_END ();
    }
    g_hash_table_remove (m->ai, name);
  }
  g_ptr_array_free (gone, TRUE);
}

/* Reads which channels are active: from channels= or service.json.  FALSE
 * when it could not be read (the state stays as it is). */
static gboolean
read_service (Ivcs * m, CsService ** out)
{
  g_autofree gchar *key = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = NULL;

  if (m->config.channels) {
    *out = cs_service_new (m->config.device_id);
    for (gchar ** ch = m->config.channels; *ch; ch++)
      if (**ch)
        cs_service_activate (*out, *ch, 0);
    return TRUE;
  }
  key = cs_key_service (m->config.device_id);
  data = cs_store_get (m->store, key, m->cancel, &error);
  if (data == NULL && g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_FOUND)) {
    GST_INFO ("no %s: nothing is active", key);
    *out = NULL;
    return TRUE;
  }
  if (data == NULL) {
    log_error ("cannot read service.json", error);
    return FALSE;
  }
  *out = cs_service_parse (g_bytes_get_data (data, NULL),
      g_bytes_get_size (data), &error);
  if (*out == NULL) {
    log_error ("service.json", error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
poll_service (gpointer data)
{
  Ivcs *m = data;
  g_autoptr (CsService) svc = NULL;
  gint64 now_ms = g_get_real_time () / 1000;
  gboolean full, event_video, event_pic, want, recording, full_time;
  gboolean pictures_only, started;
  GstElement *ending = NULL;
  IvcsPictures *ending_pictures = NULL;

  if (!read_service (m, &svc))
    return G_SOURCE_CONTINUE;
  full = svc && cs_service_is_active (svc, "full-time", now_ms);
  event_video = svc && cs_service_is_active (svc, "event-video", now_ms);
  event_pic = svc && cs_service_is_active (svc, "event-pic", now_ms);
  want = full || event_video;

  g_mutex_lock (&lock);
  recording = m->recording;
  full_time = m->full_time;
  g_mutex_unlock (&lock);

  pictures_only = event_pic && !want;
  if (m->service_on && !want && !pictures_only) {
    m->service_on = FALSE;
    call_start_stop (m, FALSE);
  }
  if (recording && (!want || full != full_time))
    ending = end_recording (m, TRUE);
  if (want && (!recording || full != full_time))
    start_pipeline (m, full);
  if (m->pictures && !pictures_only)
    ending_pictures = end_pictures (m);
  if (pictures_only && m->pictures == NULL)
    start_pictures (m);
  g_mutex_lock (&lock);
  m->events_on = (m->recording && (event_video || event_pic))
      || m->pictures != NULL;
  started = !m->service_on && (m->recording || m->pictures != NULL);
  g_mutex_unlock (&lock);
  /* After the state it announces: the callback may trigger at once. */
  if (started) {
    m->service_on = TRUE;
    call_start_stop (m, TRUE);
  }
  /* What ended finishes its uploads while the new state runs. */
  finish_pipeline (m, ending);
  finish_pictures (m, ending_pictures, TRUE);
  notify_ai (m, svc, now_ms);
  return G_SOURCE_CONTINUE;
}

static gpointer
run_worker (gpointer data)
{
  Ivcs *m = data;
  GSource *timer;

  g_main_context_push_thread_default (m->context);
  poll_service (m);
  timer = g_timeout_source_new_seconds (m->config.service_poll_s);
  g_source_set_callback (timer, poll_service, m, NULL);
  g_source_attach (timer, m->context);
  g_source_unref (timer);
  /* An event ends moments after its interval. */
  timer = g_timeout_source_new_seconds (1);
  g_source_set_callback (timer, tick_pictures, m, NULL);
  g_source_attach (timer, m->context);
  g_source_unref (timer);
  g_main_loop_run (m->loop);
  g_main_context_pop_thread_default (m->context);
  return NULL;
}

/* ---- API --------------------------------------------------------------- */

/* The reference documentation's ranges; INVALID_PARAM otherwise. */
#define EVENT_TIME_MAX_S (24 * 3600)

static gboolean
parm_is_valid (const iv_cs_init_parm_s * p)
{
  if (p->event_record_min_time_s < 4 || p->event_interval_time_s < 4
      || p->event_interval_time_s > EVENT_TIME_MAX_S
      || p->event_record_min_time_s > p->event_interval_time_s
      || p->event_list_max_depth < 0)
    return FALSE;
  for (guint i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    if (p->event_trigger_priority[i] < -1
        || p->event_trigger_priority[i] >= IV_CS_EVENT_MAX_TRIGGER)
      return FALSE;
  return TRUE;
}

/* 0 for u32MaxSizeInAGop or an event time means its default (the
 * reference documentation's sample values), said on stderr: firmware that
 * clears the struct and records full-time only is not refused for fields it
 * does not use. */
static iv_cs_init_parm_s
parm_with_defaults (const iv_cs_init_parm_s * given)
{
  iv_cs_init_parm_s p = *given;

  if (p.u32MaxSizeInAGop == 0) {
    p.u32MaxSizeInAGop = DEFAULT_MAX_SIZE_IN_A_GOP;
    g_message ("libivcs: u32MaxSizeInAGop 0: the default %u is used",
        p.u32MaxSizeInAGop);
  }
  if (p.event_interval_time_s == 0) {
    p.event_interval_time_s = DEFAULT_EVENT_INTERVAL_S;
    g_message ("libivcs: event_interval_time_s 0: the default %d is used",
        p.event_interval_time_s);
  }
  if (p.event_record_min_time_s == 0) {
    p.event_record_min_time_s = MIN (DEFAULT_EVENT_RECORD_MIN_S,
        p.event_interval_time_s);
    g_message ("libivcs: event_record_min_time_s 0: %d is used",
        p.event_record_min_time_s);
  }
  return p;
}

static void
ivcs_free (Ivcs * m)
{
  stop_pipeline (m, FALSE);
  if (m->loop)
    g_main_loop_unref (m->loop);
  if (m->context)
    g_main_context_unref (m->context);
  g_clear_object (&m->cancel);
  cs_store_free (m->store);
  ivcs_config_clear (&m->config);
  if (m->ai)
    g_hash_table_unref (m->ai);
  g_free (m);
}

static gpointer
register_elements (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (ivcs_debug, "ivcs", 0, "iv_cs_* API");
  /* Built in, so that no plugin path is needed. */
  GST_ELEMENT_REGISTER (cssink, NULL);
  GST_ELEMENT_REGISTER (cseventgate, NULL);
  eos_quark = g_quark_from_static_string ("ivcs-eos");
  return NULL;
}

int
iv_cs_init (iv_cs_init_parm_s * pstInitParm)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr (GError) error = NULL;
  iv_cs_init_parm_s parm;
  Ivcs *m;
  int result = IV_ERR_NONE;

  if (pstInitParm == NULL)
    return IV_ERR_INVALID_PARAM;
  if (g_private_get (&in_callback))
    return IV_ERR_CS_IN_CALLBACK;
  parm = parm_with_defaults (pstInitParm);
  if (!parm_is_valid (&parm))
    return IV_ERR_INVALID_PARAM;

  g_mutex_lock (&lock);
  if (ivcs != NULL) {
    result = ivcs->exiting ? IV_ERR_CS_EXITING : IV_ERR_ALREADY_INIT;
    g_mutex_unlock (&lock);
    return result;
  }
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  g_once (&once, register_elements, NULL);

  m = g_new0 (Ivcs, 1);
  m->parm = parm;
  m->video_max_bytes = m->parm.u32MaxSizeInAGop / 2;
  m->audio_max_bytes = m->parm.u32MaxSizeInAGop / 10;
  m->ai = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->cancel = g_cancellable_new ();
  if (!ivcs_config_load (&m->config, &error)) {
    log_error ("configuration", error);
    result = IV_ERR_CS_CONFIG;
  } else {
    /* Checks the location too when service.json is not read. */
    m->store = open_store (&m->config, &error);
    if (m->store == NULL) {
      log_error ("store location", error);
      result = IV_ERR_CS_CONFIG;
    }
  }
  if (result == IV_ERR_NONE && !build_pipeline (m, &error)) {
    log_error ("pipeline", error);
    result = IV_ERR_CS_PIPELINE;
  }
  if (result != IV_ERR_NONE) {
    g_mutex_unlock (&lock);
    ivcs_free (m);
    return result;
  }
  m->context = g_main_context_new ();
  m->loop = g_main_loop_new (m->context, FALSE);
  ivcs_refusals_reset (&refusals);
  ivcs = m;
  m->worker = g_thread_new ("ivcs", run_worker, m);
  g_mutex_unlock (&lock);
  GST_INFO ("initialised for %s", m->config.device_id);
  return IV_ERR_NONE;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
iv_cs_exit (unsigned int force_exit)
{
  Ivcs *m;
  gboolean forced;

  if (g_private_get (&in_callback))
    return IV_ERR_CS_IN_CALLBACK;
  g_mutex_lock (&lock);
  m = ivcs;
  if (m == NULL) {
    g_mutex_unlock (&lock);
    return IV_ERR_NOT_INIT;
  }
  if (m->exiting) {
    /* Another thread is exiting: make it return now. */
    if (force_exit) {
      m->forced = TRUE;
      g_cancellable_cancel (m->cancel);
      g_cond_broadcast (&cond);
    }
    g_mutex_unlock (&lock);
    return IV_ERR_CS_EXITING;
  }
  m->exiting = TRUE;
  m->forced = force_exit != 0;
  if (m->forced)
    g_cancellable_cancel (m->cancel);
  g_mutex_unlock (&lock);

  g_main_context_invoke (m->context, quit_loop, m->loop);
  g_thread_join (m->worker);
  g_mutex_lock (&lock);
  forced = m->forced;
  g_mutex_unlock (&lock);
  stop_pipeline (m, !forced);
  finish_pictures (m, end_pictures (m), !forced);

  g_mutex_lock (&lock);
  forced = m->forced;
  ivcs = NULL;
  /* A first video frame's thread still linking its parser uses m. */
  while (m->vparse_linking)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  ivcs_free (m);
  ivcs_refusals_say_totals (&refusals);
  /* A normal exit that a forced one cut short did not finish its work. */
  return forced && !force_exit ? IV_ERR_CS_EXITING : IV_ERR_NONE;
}

/* A clock that steps (NTP setting a camera's clock after boot, an encoder
 * restarted) puts every later frame before its stream's time or more than
 * an hour ahead of it.  Such frames are refused; once they have kept to
 * the new clock for CLOCK_STEP_ADOPT_US, the step is taken (TRUE) at a
 * video keyframe (@may_step: what comes before it cannot be decoded), so
 * that one wild frame never moves the stream but a real step loses
 * seconds, not the rest of the run.  Notes the run of refused frames. */
static gboolean
clock_step_settled (Ivcs * m, guint64 ts, gint64 now_us, gboolean may_step)
{
  gint64 drift;

  if (m->step_us != 0) {
    drift = (gint64) (ts - m->step_ts) - (now_us - m->step_us) / 1000;
    if (ABS (drift) <= CLOCK_STEP_JITTER_MS)
      return may_step && now_us - m->step_us >= CLOCK_STEP_ADOPT_US;
  }
  m->step_ts = ts;
  m->step_us = now_us;
  return FALSE;
}

/* The frame's PTS and UTC ms from its timestamp (UTC ms, or a monotonic
 * clock mapped to UTC at the first frame taken), or the reason it cannot be
 * the next frame of its stream.  Nothing of a refused frame is kept (but
 * the note of a clock step): commit_time keeps the times once the frame is
 * taken, so a refused frame never becomes the reference of the next ones.
 * *step_ms is the clock step the frame makes the stream take, or 0. */
static int
frame_time (Ivcs * m, iv_cs_stream_type_e type, guint64 ts, gint64 now_us,
    gboolean may_step, GstClockTime * pts, gint64 * utc_ms, gint64 * step_ms,
    const gchar ** reason)
{
  gint64 t = (gint64) ts;      /* ts <= UTC_MS_MAX once checked */
  gint64 base = m->have_base ? m->base_ts : t;
  gboolean have_last = m->last_us[type] != 0;
  int r = IV_ERR_NONE;

  *step_ms = 0;
  if (ts > UTC_MS_MAX) {
    *reason = "the timestamp lies beyond the year 2500";
    return IV_ERR_CS_TIMESTAMP;
  }
  if (m->have_base) {
    /* Where the stream's clock should be: a pause in pushing is fine. */
    gint64 ref_ts = have_last ? m->last_ts[type] : m->base_ts;
    gint64 ref_us = have_last ? m->last_us[type] : m->base_us;
    gint64 expected = ref_ts + MAX (now_us - ref_us, 0) / 1000;

    if (t < base) {
      *reason = "the timestamp is before the first frame's";
      r = IV_ERR_INVALID_PARAM;
    } else if (have_last && t < m->last_ts[type]) {
      *reason = "the timestamp is before the previous frame's of its stream";
      r = IV_ERR_INVALID_PARAM;
    } else if (t - expected > (gint64) MAX_TIMESTAMP_JUMP_MS) {
      *reason = "the timestamp jumps more than an hour ahead of its stream";
      r = IV_ERR_CS_TIMESTAMP;
    }
    if (r != IV_ERR_NONE) {
      if (!clock_step_settled (m, ts, now_us, may_step))
        return r;
      /* The stream goes on from where it was, in the new clock's times. */
      *step_ms = t - expected;
      base += *step_ms;
    }
  }
  *pts = (GstClockTime) (t - base) * GST_MSECOND;
  *utc_ms = (m->have_base ? m->base_utc_ms : ts >= UTC_MS_MIN ? t :
      g_get_real_time () / 1000) + (t - base);
  /* A step of a UTC clock is a correction of the time of day. */
  if (*step_ms != 0 && ts >= UTC_MS_MIN)
    *utc_ms += *step_ms;
  return IV_ERR_NONE;
}

static void
commit_time (Ivcs * m, iv_cs_stream_type_e type, guint64 ts, gint64 now_us,
    gint64 utc_ms, gint64 step_ms)
{
  if (!m->have_base) {
    m->have_base = TRUE;
    m->base_ts = (gint64) ts;
    m->base_utc_ms = utc_ms;
    m->base_us = now_us;
  }
  if (step_ms != 0) {
    m->base_ts += step_ms;
    if (ts >= UTC_MS_MIN)
      m->base_utc_ms += step_ms;
    for (guint i = 0; i < IV_CS_STREAM_TYPE_BUTT; i++)
      if (m->last_us[i] != 0)
        m->last_ts[i] += step_ms;
    g_message ("libivcs: the frames' clock stepped by %+" G_GINT64_FORMAT
        " ms; recording goes on in the new time", step_ms);
  }
  m->step_us = 0;
  m->last_ts[type] = (gint64) ts;
  m->last_us[type] = now_us;
}

/* Checks @stream as the next frame of its stream and reserves its place
 * (under `lock`); *src is then the appsrc to push it into. */
static int
take_frame (Ivcs * m, iv_cs_stream_type_e type, iv_cm_venc_type_e codec,
    const void *stream, gboolean audio_packs, IvcsFrame * frame,
    GstClockTime * pts, gint64 * utc_ms, GstElement ** src,
    gboolean * link_parser, const gchar ** reason)
{
  gint64 step_ms;
  gboolean video = type == IV_CS_STREAM_TYPE_VIDEO;
  gint64 now_us;
  int r;

  while (video && m->vparse_linking) {
    g_cond_wait (&cond, &lock);
    /* iv_cs_exit () may have freed the module meanwhile. */
    if (ivcs != m) {
      *reason = "the module is exiting";
      return IV_ERR_CS_EXITING;
    }
  }
  now_us = g_get_monotonic_time ();
  if (m->exiting) {
    *reason = "the module is exiting";
    return IV_ERR_CS_EXITING;
  }
  if (!m->recording) {
    *reason = "no recording channel is active (wait for the start callback)";
    return IV_ERR_CS_SERVICE_NOT_RUN;
  }
  r = video ? ivcs_frame_from_video (frame, stream, codec,
      m->video_max_bytes, reason) : ivcs_frame_from_audio (frame, stream,
      audio_packs, m->audio_max_bytes, reason);
  if (r != IV_ERR_NONE)
    return r;
  if (!video && m->asrc == NULL) {
    *reason = "audio is pushed to a module configured without audio";
    return IV_ERR_CS_STREAM_TYPE;
  }
  if (video && m->vparse != NULL && codec != m->codec) {
    *reason = "the video codec is not the first frame's";
    return IV_ERR_CS_STREAM_TYPE;
  }
  if ((r = frame_time (m, type, frame->ts, now_us, video && frame->keyframe,
              pts, utc_ms, &step_ms, reason)))
    return r;
  *src = video ? m->vsrc : m->asrc;
  if (gst_app_src_get_current_level_bytes (GST_APP_SRC (*src)) +
      frame->size > (video ? m->video_max_bytes : m->audio_max_bytes)) {
    *reason = "the queue is full (the recording is behind)";
    return IV_ERR_CS_QUEUE_FULL;
  }
  /* The first frame taken says which codec comes: its thread links the
   * parser (link_video_parser) before it pushes. */
  if (video && m->vparse == NULL) {
    *link_parser = m->vparse_linking = TRUE;
    m->codec = codec;
  }
  commit_time (m, type, frame->ts, now_us, *utc_ms, step_ms);
  gst_object_ref (*src);
  return IV_ERR_NONE;
}

static int
push_stream (iv_cs_stream_type_e type, iv_cm_venc_type_e codec,
    void *stream, gboolean audio_packs)
{
  const gchar *reason = NULL;
  GstElement *src = NULL;
  IvcsFrame frame;
  GstClockTime pts = 0;
  gint64 utc_ms = 0;
  GstBuffer *buf;
  GstMapInfo map;
  gboolean link_parser = FALSE;
  GstElement *pipeline = NULL, *gate = NULL;
  Ivcs *m;
  int r;

  if (type != IV_CS_STREAM_TYPE_VIDEO && type != IV_CS_STREAM_TYPE_AUDIO)
    return IV_ERR_INVALID_PARAM;
  g_mutex_lock (&lock);
  if (ivcs == NULL) {
    g_mutex_unlock (&lock);
    return IV_ERR_NOT_INIT;
  }
  m = ivcs;
  r = take_frame (m, type, codec, stream, audio_packs, &frame, &pts,
      &utc_ms, &src, &link_parser, &reason);
  if (link_parser) {
    pipeline = gst_object_ref (m->pipeline);
    gate = gst_object_ref (m->gate);
  }
  g_mutex_unlock (&lock);
  if (link_parser && !link_video_parser (m, codec, pipeline,
          gst_object_ref (src), gate)) {
    gst_object_unref (src);
    r = IV_ERR_CS_PIPELINE;
    reason = "the video parser is missing";
  }
  if (r != IV_ERR_NONE) {
    /* Legacy firmware ignores return codes. */
    ivcs_refusals_note (&refusals, type, r, reason);
    return r;
  }

  buf = gst_buffer_new_allocate (NULL, frame.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  ivcs_frame_copy (&frame, map.data);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  if (!frame.keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (type == IV_CS_STREAM_TYPE_VIDEO) {
    static GstCaps *unix_caps;
    if (g_once_init_enter (&unix_caps))
      g_once_init_leave (&unix_caps,
          gst_caps_new_empty_simple ("timestamp/x-unix"));
    gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
        utc_ms * GST_MSECOND, GST_CLOCK_TIME_NONE);
  }
  if (gst_app_src_push_buffer (GST_APP_SRC (src), buf) != GST_FLOW_OK) {
    gst_object_unref (src);
    ivcs_refusals_note (&refusals, type, IV_ERR_CS_SERVICE_NOT_RUN,
        "the recording is stopping");
    return IV_ERR_CS_SERVICE_NOT_RUN;
  }
  gst_object_unref (src);
  ivcs_refusals_taken (&refusals, type);
  return IV_ERR_NONE;
}

int
iv_cs_push_stream (iv_cs_stream_type_e eCsStreamType,
    iv_cm_venc_type_e eCmVencType, void *pstCsStream)
{
  return push_stream (eCsStreamType, eCmVencType, pstCsStream, FALSE);
}

int
iv_cs_push_stream_aenc_packs (iv_cs_stream_type_e eCsStreamType,
    iv_cm_venc_type_e eCmVencType, void *pstCsStream)
{
  return push_stream (eCsStreamType, eCmVencType, pstCsStream, TRUE);
}

int
iv_cs_get_push_stats (iv_cs_stream_type_e eCsStreamType,
    iv_cs_push_stats_s * pstStats)
{
  gboolean init;

  if (pstStats == NULL || (eCsStreamType != IV_CS_STREAM_TYPE_VIDEO
          && eCsStreamType != IV_CS_STREAM_TYPE_AUDIO))
    return IV_ERR_INVALID_PARAM;
  g_mutex_lock (&lock);
  init = ivcs != NULL;
  g_mutex_unlock (&lock);
  if (!init)
    return IV_ERR_NOT_INIT;
  ivcs_refusals_get (&refusals, eCsStreamType, pstStats);
  return IV_ERR_NONE;
}

/* Bits 4-15 are the SDK's own (reserved): no firmware may use them. */
#define TRIGGER_RESERVED_BITS 0x0000fff0u
/* How far a trigger may be from the stream's time, beyond the gate's
 * pre-roll: detection lags a little, a trigger ahead of the frames waits
 * for them (and holds a place in event_list_max_depth meanwhile). */
#define TRIGGER_MARGIN_MS (60 * 1000)
/* cseventgate's pre-roll, which libivcs leaves at its default. */
#define PRE_ROLL_MS 2000

/* A trigger's time in UTC ms, mapped as the frames' are: a UTC time as it
 * is, one of a monotonic clock (below UTC_MS_MIN) on the frames' clock.
 * Before the first frame, a monotonic time means "now" (0).  With the lock. */
static gint64
trigger_time_locked (Ivcs * m, guint64 t)
{
  if (t >= UTC_MS_MIN || t == 0)
    return MIN (t, (guint64) G_MAXINT64);
  if (!m->have_base)
    return 0;
  return m->base_utc_ms + ((gint64) t - m->base_ts);
}

/* The UTC ms the stream has reached (its latest video frame), or now. */
static gint64
stream_time_locked (Ivcs * m)
{
  if (!m->have_base || m->last_ts[IV_CS_STREAM_TYPE_VIDEO] < m->base_ts)
    return g_get_real_time () / 1000;
  return m->base_utc_ms + (m->last_ts[IV_CS_STREAM_TYPE_VIDEO] -
      m->base_ts);
}

/* Says once per kind on stderr why a trigger was refused: legacy firmware
 * does not look at the code. */
static void
tell_refused_trigger (gint * told, const gchar * why, uint32_t trigger,
    uint64_t time_ms)
{
  if (g_atomic_int_compare_and_exchange (told, 0, 1))
    g_message ("libivcs: trigger 0x%x at %" G_GUINT64_FORMAT " refused: %s "
        "(said once)", trigger, (guint64) time_ms, why);
}

int
iv_cs_event_happen_notify (uint32_t iv_cs_event_trigger_type,
    uint64_t iv_cs_event_time_ms)
{
  static gint told_reserved, told_time;
  GstElement *gate;
  gint result = 0;
  gint64 utc_ms, stream_ms;
  Ivcs *m;

  if (cs_event_trigger_is_single (iv_cs_event_trigger_type)
      && (iv_cs_event_trigger_type & TRIGGER_RESERVED_BITS)) {
    tell_refused_trigger (&told_reserved, "bits 4-15 are reserved by the "
        "SDK (use 0-3, or 16-31 for your own)", iv_cs_event_trigger_type,
        iv_cs_event_time_ms);
    return IV_ERR_CS_EVENT_TRIGGER;
  }
  g_mutex_lock (&lock);
  m = ivcs;
  if (m == NULL || m->exiting || !m->events_on) {
    int r = m == NULL ? IV_ERR_NOT_INIT : m->exiting ? IV_ERR_CS_EXITING :
        IV_ERR_CS_EVENT_SERVICE_NOT_RUN;
    g_mutex_unlock (&lock);
    return r;
  }
  utc_ms = trigger_time_locked (m, iv_cs_event_time_ms);
  stream_ms = stream_time_locked (m);
  if (utc_ms != 0 && (utc_ms < stream_ms - PRE_ROLL_MS - TRIGGER_MARGIN_MS
          || utc_ms > stream_ms + TRIGGER_MARGIN_MS)) {
    g_mutex_unlock (&lock);
    tell_refused_trigger (&told_time, "its time is too far from the "
        "stream's (give the frames' clock, or UTC ms)",
        iv_cs_event_trigger_type, iv_cs_event_time_ms);
    return IV_ERR_INVALID_PARAM;
  }
  if (m->pictures) {
    if (!cs_event_trigger_is_single (iv_cs_event_trigger_type))
      result = GST_CS_TRIGGER_NOT_ONE_BIT;
    else
      ivcs_pictures_trigger (m->pictures, iv_cs_event_trigger_type,
          utc_ms ? utc_ms : stream_ms);
    g_mutex_unlock (&lock);
    return result == GST_CS_TRIGGER_OK ? IV_ERR_NONE : IV_ERR_CS_EVENT_TRIGGER;
  }
  gate = gst_object_ref (m->gate);
  g_mutex_unlock (&lock);

  g_signal_emit_by_name (gate, "trigger", (guint) iv_cs_event_trigger_type,
      (guint64) utc_ms, &result);
  gst_object_unref (gate);
  switch (result) {
    case GST_CS_TRIGGER_OK:
      return IV_ERR_NONE;
    case GST_CS_TRIGGER_NOT_ONE_BIT:
      return IV_ERR_CS_EVENT_TRIGGER;
    case GST_CS_TRIGGER_QUEUE_FULL:
      return IV_ERR_CS_EVENT_LIST_FULL;
    default:
      return IV_ERR_CS_EVENT_SERVICE_NOT_RUN;
  }
}
