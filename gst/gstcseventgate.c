/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-cseventgate
 * @title: cseventgate
 *
 * Lets encoded video (and its audio) through only around events, with the
 * rules of the reference cloud-storage API.  An application reports each
 * trigger (motion, person, sound, a linked sensor: one bit each) with the
 * #GstCsEventGate::trigger action signal; then:
 *
 * - the recording starts at the keyframe at or before trigger time −
 *   #GstCsEventGate:pre-roll (frames from before the trigger are kept while
 *   the gate is closed, bounded by #GstCsEventGate:pre-roll-max-bytes);
 * - it lasts until the last trigger + #GstCsEventGate:min-record-time and
 *   stops before a keyframe, so the next recording starts on one;
 * - an event lasts #GstCsEventGate:event-interval from its first trigger; a
 *   trigger after that starts a new event (the recording simply goes on);
 * - within an event each trigger source makes one alarm; a picture is wanted
 *   for an alarm of a new source without priority, or of a higher priority
 *   (lower number, #GstCsEventGate:trigger-priority) than those so far.
 *
 * Audio pads follow the video: audio passes when its time falls inside a
 * recording the video decided.  A trigger's time is UTC ms (0: now), matched
 * against the video's UTC (a timestamp/x-unix meta, else the clock): a
 * trigger ahead of the stream waits until the video reaches it, so the
 * outcome does not depend on thread timing.
 *
 * In #GstCsEventGate:mode `mark` nothing is gated: the stream passes
 * untouched and only the events are produced, for full-time recording.
 *
 * The element posts `cs-event-started` (event-id, start-ms, trigger,
 * triggers), `cs-event-alarm` (event-id, trigger, time-ms, snapshot) and
 * `cs-event-ended` (event-id, start-ms, end-ms, triggers) element messages,
 * and sends the same downstream as custom events, with `cs-gate-open` and
 * `cs-gate-close`, for cssink to file the recording under the event.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency \
 *   key-int-max=30 ! h264parse ! cseventgate name=g ! cssink name=s \
 *   location=file:///tmp/store device-id=cam1 \
 *   audiotestsrc is-live=true ! avenc_aac ! aacparse ! g.audio_sink_0 \
 *   g.audio_src_0 ! s.audio
 * ]| and from the application:
 * `g_signal_emit_by_name (gate, "trigger", 1 << 0, (guint64) 0, &result);`
 */
/* Threads: the video's streaming thread decides (and pushes the audio of
 * streams at EOS); each audio stream's thread pushes its own audio once the
 * video has decided on its time, waiting for it on self->cond; the
 * application's emits trigger and changes state.
 *
 * Lock order, outermost first:
 * 1. a pad's stream lock (held by the thread in a chain or event function);
 * 2. an audio stream's push_lock: one pusher per audio stream (its own
 *    thread, also after its EOS), held across its pushes (and its wait for
 *    the video) so that its items leave in order;
 * 3. GST_OBJECT_LOCK (settings) or self->lock (state); GST_OBJECT_LOCK is
 *    never taken inside self->lock;
 * 4. downstream's locks (cssink's), taken while pushing with push_lock held.
 * Nothing is pushed, posted or notified with self->lock held. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcseventgate.h"
#include "gstcselements.h"
#include "cs-event-rules.h"
#include "cs-gate-events.h"
#include "cs-utc.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (gst_cs_event_gate_debug);
#define GST_CAT_DEFAULT gst_cs_event_gate_debug

#define DEFAULT_MODE GST_CS_EVENT_GATE_MODE_GATE
#define DEFAULT_PRE_ROLL (2 * GST_SECOND)
#define DEFAULT_PRE_ROLL_MAX_BYTES (16 * 1024 * 1024)
#define DEFAULT_MIN_RECORD_TIME 8
#define DEFAULT_EVENT_INTERVAL 180
#define DEFAULT_MAX_PENDING_EVENTS 0
#define MIN_SECONDS 4
/* How far audio may run ahead of the video before its pad waits. */
#define AUDIO_LEAD_MAX (2 * GST_SECOND)

enum
{
  PROP_0,
  PROP_MODE,
  PROP_PRE_ROLL,
  PROP_PRE_ROLL_MAX_BYTES,
  PROP_MIN_RECORD_TIME,
  PROP_EVENT_INTERVAL,
  PROP_TRIGGER_PRIORITY,
  PROP_MAX_PENDING_EVENTS,
  PROP_RECORDING,
  PROP_STATS,
};

enum
{
  SIGNAL_TRIGGER,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];
static GParamSpec *recording_pspec;

/* A buffer or serialized event held back, with the running time it is
 * decided at (events: the buffer before them). */
typedef struct
{
  GstMiniObject *obj;
  GstClockTime rt;
  gboolean keyframe;
} Held;

typedef struct
{
  GstClockTime start, end;      /* end NONE while open */
} Window;

typedef struct
{
  guint32 trigger;
  gint64 time_ms;
} PendingTrigger;

typedef struct
{
  GstPad *sinkpad, *srcpad;
  GMutex push_lock;             /* taken before self->lock; one pusher */
  GQueue held;                  /* Held, waiting for the video to decide */
  GstSegment segment;
  gboolean inside;              /* the last item pushed was in a window */
} AudioStream;

struct _GstCsEventGate
{
  GstElement parent;

  GstPad *video_sinkpad, *video_srcpad;

  /* Settings, under GST_OBJECT_LOCK. */
  GstCsEventGateMode mode;
  guint64 pre_roll;
  guint64 pre_roll_max_bytes;
  guint min_record_time;
  guint event_interval;
  gint priority[CS_EVENT_MAX_TRIGGERS];
  guint max_pending_events;

  /* State, under self->lock. */
  GMutex lock;
  GCond cond;                   /* video advanced, EOS or flushing */
  gboolean running, flushing;
  GstCsEventGateMode active_mode;
  guint64 active_pre_roll, active_pre_roll_max_bytes;
  guint active_max_pending;
  CsEventRules *rules;
  GQueue pending;               /* PendingTrigger, by time */
  gint64 last_trigger_ms;
  GstSegment video_segment;
  CsUtcMap utc;
  GstClockTime video_position;  /* running time of the latest video frame */
  gint64 video_position_ms;
  GstClockTime video_end;       /* of the latest frame, with its duration */
  gboolean video_eos;
  gboolean told_no_video;       /* warned that audio waits for video */
  gboolean open;
  GQueue held;                  /* video pre-roll, from a keyframe */
  guint64 held_bytes;
  GArray *windows;              /* Window: what was let through, for audio */
  gchar *event_id;              /* the current event */
  gint64 close_ms;              /* where the gate last closed */
  GList *audio;                 /* AudioStream */
  guint audio_next_id;

  /* Stats, under self->lock. */
  guint64 triggers, triggers_rejected, events, alarms;
  guint64 video_passed, video_dropped, audio_passed, audio_dropped;
};

/* Encoded video whose keyframes the gate cuts at (what cssink records),
 * passed through unchanged; audio, any the cameras make, follows it. */
#define GATE_VIDEO_CAPS "video/x-h264; video/x-h265"
#define GATE_AUDIO_CAPS "audio/mpeg; audio/x-alaw; audio/x-mulaw; " \
  "audio/x-opus; audio/x-raw"
static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GATE_VIDEO_CAPS));
static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GATE_VIDEO_CAPS));
static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (GATE_AUDIO_CAPS));
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (GATE_AUDIO_CAPS));

#define gst_cs_event_gate_parent_class parent_class
G_DEFINE_TYPE (GstCsEventGate, gst_cs_event_gate, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (cseventgate, "cseventgate",
    GST_RANK_NONE, GST_TYPE_CS_EVENT_GATE,
    GST_DEBUG_CATEGORY_INIT (gst_cs_event_gate_debug, "cseventgate", 0,
        "cloud storage event gate"));

static GType
gst_cs_event_gate_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CS_EVENT_GATE_MODE_GATE, "Let the stream through only around events",
        "gate"},
    {GST_CS_EVENT_GATE_MODE_MARK,
        "Let everything through, only mark the events", "mark"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstCsEventGateMode",
            values));
  return type;
}

static Held *
held_new (GstMiniObject * obj, GstClockTime rt, gboolean keyframe)
{
  Held *h = g_new (Held, 1);

  h->obj = obj;
  h->rt = rt;
  h->keyframe = keyframe;
  return h;
}

static void
held_free (Held * h)
{
  gst_mini_object_unref (h->obj);
  g_free (h);
}

static gsize
held_size (Held * h)
{
  return GST_IS_BUFFER (h->obj) ? gst_buffer_get_size (GST_BUFFER (h->obj)) :
      0;
}

static GstClockTime
buffer_running_time (const GstSegment * segment, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (ts) || segment->format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
}

/* A custom event for downstream and a message of the same content. */
static void
announce (GstCsEventGate * self, GstStructure * s, GQueue * out,
    GQueue * msgs)
{
  g_queue_push_tail (msgs, gst_message_new_element (GST_OBJECT (self),
          gst_structure_copy (s)));
  g_queue_push_tail (out, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          s));
}

static void
end_event (GstCsEventGate * self, const CsEventInfo * info, gint64 end_ms,
    GstClockTime rt, GQueue * out, GQueue * msgs)
{
  GST_INFO_OBJECT (self, "event %s ended at %" G_GINT64_FORMAT,
      self->event_id, end_ms);
  announce (self, gst_structure_new (CS_EVENT_ENDED,
          "event-id", G_TYPE_STRING, self->event_id,
          "start-ms", G_TYPE_INT64, info->start_ms,
          "end-ms", G_TYPE_INT64, end_ms,
          "triggers", G_TYPE_UINT, info->triggers,
          "running-time", G_TYPE_UINT64, rt, NULL), out, msgs);
  g_clear_pointer (&self->event_id, g_free);
}

/* Opens the gate from the last keyframe at or before @from_rt: a held one,
 * or @key_rt, the keyframe that is coming in (not held yet: a trigger at
 * exactly its time starts there, not a GOP earlier; NONE when the frame
 * coming in is no keyframe); else from the oldest held.  Returns where it
 * opened.  The held frames follow with release_held (). */
static GstClockTime
open_gate (GstCsEventGate * self, GstClockTime from_rt, GstClockTime key_rt,
    GQueue * out)
{
  Window w = { GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE };
  gboolean from_key_rt = GST_CLOCK_TIME_IS_VALID (key_rt) && key_rt <= from_rt;
  GList *start = NULL;

  for (GList * l = self->held.head; l && !from_key_rt; l = l->next) {
    Held *h = l->data;
    if (h->keyframe && (start == NULL || h->rt <= from_rt))
      start = l;
    if (h->rt > from_rt && start != NULL)
      break;
  }
  while (self->held.head != start) {
    Held *h = g_queue_pop_head (&self->held);
    if (GST_IS_BUFFER (h->obj))
      self->video_dropped++;
    held_free (h);
  }
  w.start = from_key_rt ? key_rt : start ? ((Held *) start->data)->rt :
      self->video_position;
  g_array_append_val (self->windows, w);
  g_queue_push_tail (out, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new (CS_GATE_OPEN, "running-time", G_TYPE_UINT64,
              w.start, NULL)));
  self->open = TRUE;
  GST_INFO_OBJECT (self, "open from %" GST_TIME_FORMAT,
      GST_TIME_ARGS (w.start));
  return w.start;
}

static void
release_held (GstCsEventGate * self, GQueue * out)
{
  while (!g_queue_is_empty (&self->held)) {
    Held *h = g_queue_pop_head (&self->held);
    if (GST_IS_BUFFER (h->obj))
      self->video_passed++;
    g_queue_push_tail (out, gst_mini_object_ref (h->obj));
    held_free (h);
  }
  self->held_bytes = 0;
}

static void
close_gate (GstCsEventGate * self, GstClockTime rt, GQueue * out)
{
  g_array_index (self->windows, Window, self->windows->len - 1).end = rt;
  self->open = FALSE;
  self->close_ms = cs_utc_map_to_ms (&self->utc, rt);
  g_queue_push_tail (out, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new (CS_GATE_CLOSE, "running-time", G_TYPE_UINT64,
              rt, NULL)));
  GST_INFO_OBJECT (self, "closed at %" GST_TIME_FORMAT, GST_TIME_ARGS (rt));
}

/* One trigger, due now that the video reached its time (@rt; @keyframe:
 * that frame is one). */
static void
apply_trigger (GstCsEventGate * self, PendingTrigger * t, GstClockTime rt,
    gboolean keyframe, GQueue * out, GQueue * msgs, gboolean * force_key_unit)
{
  CsTriggerOutcome o;
  CsEventInfo ended;
  gint64 t_ms = MAX (t->time_ms, self->last_trigger_ms);
  gboolean gate = self->active_mode == GST_CS_EVENT_GATE_MODE_GATE;
  gboolean opening = gate && !self->open;
  GstClockTime start_rt = rt;

  self->last_trigger_ms = t_ms;
  if (cs_event_rules_trigger (self->rules, t->trigger, t_ms, &o, &ended))
    end_event (self, &ended, gate && !self->open ? self->close_ms :
        self->video_position_ms, rt, out, msgs);
  if (opening) {
    GstClockTime t_rt = cs_utc_map_to_running_time (&self->utc, t_ms);
    start_rt = open_gate (self, t_rt - MIN (self->active_pre_roll, t_rt),
        keyframe ? rt : GST_CLOCK_TIME_NONE, out);
  } else if (gate && o.new_event) {
    *force_key_unit = TRUE;     /* so the new event's segment starts soon */
  }

  if (o.new_event) {
    self->event_id = g_strdup_printf ("%" G_GINT64_FORMAT, t_ms);
    self->events++;
    GST_INFO_OBJECT (self, "event %s started by 0x%x", self->event_id,
        t->trigger);
    announce (self, gst_structure_new (CS_EVENT_STARTED,
            "event-id", G_TYPE_STRING, self->event_id,
            "start-ms", G_TYPE_INT64, t_ms,
            "trigger", G_TYPE_UINT, t->trigger,
            "triggers", G_TYPE_UINT, t->trigger,
            "running-time", G_TYPE_UINT64, start_rt, NULL), out, msgs);
  }
  if (o.alarm) {
    self->alarms++;
    announce (self, gst_structure_new (CS_EVENT_ALARM,
            "event-id", G_TYPE_STRING, self->event_id,
            "trigger", G_TYPE_UINT, t->trigger,
            "time-ms", G_TYPE_INT64, t_ms,
            "snapshot", G_TYPE_BOOLEAN, o.snapshot, NULL), out, msgs);
  }
  if (opening)
    release_held (self, out);
}

/* Drops held frames older than the pre-roll needs, and whole GOPs beyond the
 * byte limit (all of them when one GOP alone is too large). */
static void
prune_held (GstCsEventGate * self, GstClockTime now)
{
  GstClockTime keep_from = now > self->active_pre_roll ?
      now - self->active_pre_roll : 0;

  while (!g_queue_is_empty (&self->held)) {
    GList *next_key = NULL;
    gboolean too_big = self->active_pre_roll_max_bytes > 0 &&
        self->held_bytes > self->active_pre_roll_max_bytes;

    for (GList * l = self->held.head->next; l; l = l->next)
      if (((Held *) l->data)->keyframe) {
        next_key = l;
        break;
      }
    if (!too_big && (next_key == NULL
            || ((Held *) next_key->data)->rt > keep_from))
      break;
    while (self->held.head != next_key) {
      Held *h = g_queue_pop_head (&self->held);
      if (GST_IS_BUFFER (h->obj))
        self->video_dropped++;
      self->held_bytes -= held_size (h);
      held_free (h);
    }
  }
}

/* The video time before which every audio buffer is decided (NONE: all). */
static GstClockTime
decided_running_time (GstCsEventGate * self)
{
  if (self->video_eos)
    return GST_CLOCK_TIME_NONE;   /* all of it */
  if (!GST_CLOCK_TIME_IS_VALID (self->video_position))
    return 0;                   /* nothing before the first video frame */
  if (!self->open && !g_queue_is_empty (&self->held))
    return ((Held *) self->held.head->data)->rt;
  return self->video_position;
}

/* The end of the latest window that ended at or before @rt. */
static GstClockTime
window_left (GstCsEventGate * self, GstClockTime rt)
{
  GstClockTime end = rt;

  for (guint i = 0; i < self->windows->len; i++) {
    Window *w = &g_array_index (self->windows, Window, i);
    if (GST_CLOCK_TIME_IS_VALID (w->end) && w->end <= rt)
      end = w->end;
  }
  return end;
}

static gboolean
in_window (GstCsEventGate * self, GstClockTime rt)
{
  for (guint i = 0; i < self->windows->len; i++) {
    Window *w = &g_array_index (self->windows, Window, i);
    if (rt >= w->start && (!GST_CLOCK_TIME_IS_VALID (w->end) || rt < w->end))
      return TRUE;
  }
  return FALSE;
}

/* Moves the decided audio of @a to @out, with the gate's open and close
 * events where it enters and leaves a window. */
static void
collect_audio (GstCsEventGate * self, AudioStream * a, GQueue * out)
{
  GstClockTime decided = decided_running_time (self);

  while (!g_queue_is_empty (&a->held)) {
    Held *h = a->held.head->data;
    gboolean pass;

    if (GST_IS_EVENT (h->obj)) {
      g_queue_pop_head (&a->held);
      g_queue_push_tail (out, gst_mini_object_ref (h->obj));
      held_free (h);
      continue;
    }
    pass = GST_CLOCK_TIME_IS_VALID (h->rt) && in_window (self, h->rt);
    /* Left a window: say so at once, downstream waits for it (cssink). */
    if (a->inside && !pass) {
      g_queue_push_tail (out, gst_event_new_custom
          (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_new (CS_GATE_CLOSE,
                  "running-time", G_TYPE_UINT64, window_left (self, h->rt),
                  NULL)));
      a->inside = FALSE;
    }
    if (GST_CLOCK_TIME_IS_VALID (decided) && (!GST_CLOCK_TIME_IS_VALID (h->rt)
            || h->rt >= decided))
      break;
    g_queue_pop_head (&a->held);
    if (pass && !a->inside) {
      g_queue_push_tail (out, gst_event_new_custom
          (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_new (CS_GATE_OPEN,
                  "running-time", G_TYPE_UINT64, h->rt, NULL)));
      a->inside = TRUE;
    }
    if (pass) {
      self->audio_passed++;
      g_queue_push_tail (out, gst_mini_object_ref (h->obj));
    } else {
      GST_LOG_OBJECT (self, "audio %" GST_TIME_FORMAT " dropped (decided %"
          GST_TIME_FORMAT ")", GST_TIME_ARGS (h->rt), GST_TIME_ARGS (decided));
      self->audio_dropped++;
    }
    held_free (h);
  }
}

static void
push_all (GstPad * pad, GQueue * out)
{
  GstMiniObject *obj;

  while ((obj = g_queue_pop_head (out))) {
    if (GST_IS_BUFFER (obj))
      gst_pad_push (pad, GST_BUFFER (obj));
    else
      gst_pad_push_event (pad, GST_EVENT (obj));
  }
}

static void
post_all (GstCsEventGate * self, GQueue * msgs)
{
  GstMessage *msg;

  while ((msg = g_queue_pop_head (msgs)))
    gst_element_post_message (GST_ELEMENT (self), msg);
}

static GstFlowReturn
video_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (parent);
  GQueue out = G_QUEUE_INIT, msgs = G_QUEUE_INIT;
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gboolean was_open, force_key_unit = FALSE, recording_changed;
  GstClockTime rt;
  CsEventInfo ended;
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  rt = buffer_running_time (&self->video_segment, buf);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = GST_CLOCK_TIME_IS_VALID (self->video_position) ?
        self->video_position : 0;
  GST_LOG_OBJECT (self, "video %" GST_TIME_FORMAT "%s", GST_TIME_ARGS (rt),
      keyframe ? " keyframe" : "");
  if (!cs_utc_map_update (&self->utc, GST_ELEMENT (self), buf, rt)) {
    /* So cssink files what passes on the clock of the triggers. */
    buf = gst_buffer_make_writable (buf);
    gst_buffer_add_reference_timestamp_meta (buf, cs_utc_caps (),
        cs_utc_map_to_ms (&self->utc, rt) * GST_MSECOND, GST_CLOCK_TIME_NONE);
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->video_position)
      || rt > self->video_position) {
    self->video_position = rt;
    self->video_position_ms = cs_utc_map_to_ms (&self->utc, rt);
  }
  if (GST_BUFFER_DURATION_IS_VALID (buf)
      && (!GST_CLOCK_TIME_IS_VALID (self->video_end)
          || rt + GST_BUFFER_DURATION (buf) > self->video_end))
    self->video_end = rt + GST_BUFFER_DURATION (buf);
  was_open = self->open;

  while (!g_queue_is_empty (&self->pending)) {
    PendingTrigger *t = g_queue_peek_head (&self->pending);
    if (t->time_ms > self->video_position_ms)
      break;
    g_queue_pop_head (&self->pending);
    apply_trigger (self, t, rt, keyframe, &out, &msgs, &force_key_unit);
    g_free (t);
  }

  if (self->active_mode == GST_CS_EVENT_GATE_MODE_MARK) {
    g_queue_push_tail (&out, buf);
    self->video_passed++;
  } else if (self->open && keyframe && self->video_position_ms >=
      cs_event_rules_record_until (self->rules)
      && rt > g_array_index (self->windows, Window,
          self->windows->len - 1).start) {
    close_gate (self, rt, &out);
    g_queue_push_tail (&self->held, held_new (GST_MINI_OBJECT (buf), rt,
            TRUE));
    self->held_bytes += gst_buffer_get_size (buf);
  } else if (self->open) {
    g_queue_push_tail (&out, buf);
    self->video_passed++;
  } else if (keyframe || !g_queue_is_empty (&self->held)) {
    g_queue_push_tail (&self->held, held_new (GST_MINI_OBJECT (buf), rt,
            keyframe));
    self->held_bytes += gst_buffer_get_size (buf);
    prune_held (self, rt);
  } else {
    self->video_dropped++;      /* no keyframe to start from yet */
    gst_buffer_unref (buf);
  }

  /* An event is over once its interval and its recording are. */
  if ((self->active_mode == GST_CS_EVENT_GATE_MODE_MARK || !self->open)
      && cs_event_rules_advance (self->rules, self->video_position_ms,
          &ended))
    end_event (self, &ended, self->active_mode == GST_CS_EVENT_GATE_MODE_MARK
        ? MIN (self->video_position_ms, cs_event_rules_record_until
            (self->rules)) : self->close_ms, rt, &out, &msgs);
  recording_changed = was_open != self->open;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (force_key_unit)
    gst_pad_push_event (self->video_sinkpad,
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
  post_all (self, &msgs);
  if (recording_changed)
    g_object_notify_by_pspec (G_OBJECT (self), recording_pspec);
  while (!g_queue_is_empty (&out)) {
    GstMiniObject *obj = g_queue_pop_head (&out);
    if (GST_IS_BUFFER (obj)) {
      GstFlowReturn r = gst_pad_push (self->video_srcpad, GST_BUFFER (obj));
      if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
        ret = r;
    } else {
      gst_pad_push_event (self->video_srcpad, GST_EVENT (obj));
    }
  }
  return ret;
}

static void
reset_stream_state (GstCsEventGate * self)
{
  g_queue_clear_full (&self->held, (GDestroyNotify) held_free);
  self->held_bytes = 0;
  g_array_set_size (self->windows, 0);
  self->open = FALSE;
  self->video_eos = FALSE;
  self->told_no_video = FALSE;
  self->video_position = GST_CLOCK_TIME_NONE;
  self->video_position_ms = 0;
  self->video_end = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->video_segment, GST_FORMAT_UNDEFINED);
  for (GList * l = self->audio; l; l = l->next) {
    AudioStream *a = l->data;
    g_queue_clear_full (&a->held, (GDestroyNotify) held_free);
    a->inside = FALSE;
    gst_segment_init (&a->segment, GST_FORMAT_UNDEFINED);
  }
}

/* Wakes an audio pad waiting for the video. */
static void
set_flushing (GstCsEventGate * self)
{
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
video_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (parent);
  GQueue out = G_QUEUE_INIT, msgs = G_QUEUE_INIT;
  CsEventInfo ended;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      g_mutex_lock (&self->lock);
      gst_event_copy_segment (event, &self->video_segment);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_START:
      set_flushing (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      reset_stream_state (self);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_EOS:
      g_mutex_lock (&self->lock);
      if (cs_event_rules_advance (self->rules, G_MAXINT64, &ended)) {
        if (self->active_mode == GST_CS_EVENT_GATE_MODE_MARK) {
          /* Nothing closed: the event ends with the recording. */
          GstClockTime end = GST_CLOCK_TIME_IS_VALID (self->video_end) ?
              self->video_end : self->video_position;
          end_event (self, &ended, cs_utc_map_to_ms (&self->utc, end), end,
              &out, &msgs);
        } else {
          end_event (self, &ended, self->open ? self->video_position_ms :
              self->close_ms, self->video_position, &out, &msgs);
        }
      }
      self->video_eos = TRUE;
      self->triggers_rejected += g_queue_get_length (&self->pending);
      g_queue_clear_full (&self->pending, g_free);
      g_queue_clear_full (&self->held, (GDestroyNotify) held_free);
      self->held_bytes = 0;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      post_all (self, &msgs);
      push_all (self->video_srcpad, &out);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* How far audio may run: a little ahead of the video, or before the first
 * video frame a pre-roll's worth from the oldest audio held. */
static GstClockTime
audio_wait_limit (GstCsEventGate * self, AudioStream * a)
{
  Held *first = g_queue_peek_head (&a->held);

  if (GST_CLOCK_TIME_IS_VALID (self->video_position))
    return self->video_position + AUDIO_LEAD_MAX;
  if (first == NULL || !GST_CLOCK_TIME_IS_VALID (first->rt))
    return GST_CLOCK_TIME_NONE;
  return first->rt + self->active_pre_roll + AUDIO_LEAD_MAX;
}

static AudioStream *
audio_stream_of (GstPad * pad)
{
  return gst_pad_get_element_private (pad);
}

static GstFlowReturn
audio_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (parent);
  AudioStream *a = audio_stream_of (pad);
  GQueue out = G_QUEUE_INIT;
  GstClockTime rt;
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&a->push_lock);
  g_mutex_lock (&self->lock);
  if (self->active_mode == GST_CS_EVENT_GATE_MODE_MARK) {
    self->audio_passed++;
    g_mutex_unlock (&self->lock);
    ret = gst_pad_push (a->srcpad, buf);
    g_mutex_unlock (&a->push_lock);
    return ret;
  }
  rt = buffer_running_time (&a->segment, buf);
  g_queue_push_tail (&a->held, held_new (GST_MINI_OBJECT (buf), rt, FALSE));
  /* Waits for the video to decide; before its first frame (an encoder's
   * latency) the audio a pre-roll may need is kept. */
  while (!self->flushing && !self->video_eos && GST_CLOCK_TIME_IS_VALID (rt)
      && rt > audio_wait_limit (self, a)) {
    if (!GST_CLOCK_TIME_IS_VALID (self->video_position)
        && !self->told_no_video) {
      /* Audio alone cannot be gated: say so instead of waiting silently. */
      GstClockTime pre_roll = self->active_pre_roll;
      self->told_no_video = TRUE;
      g_mutex_unlock (&self->lock);
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Audio waits for video, and no video frame has come yet."),
          ("audio at %" GST_TIME_FORMAT ", pre-roll %" GST_TIME_FORMAT,
              GST_TIME_ARGS (rt), GST_TIME_ARGS (pre_roll)));
      g_mutex_lock (&self->lock);
      continue;
    }
    g_cond_wait (&self->cond, &self->lock);
  }
  if (self->flushing) {
    g_mutex_unlock (&self->lock);
    g_mutex_unlock (&a->push_lock);
    return GST_FLOW_FLUSHING;
  }
  collect_audio (self, a, &out);
  g_mutex_unlock (&self->lock);

  while (!g_queue_is_empty (&out)) {
    GstMiniObject *obj = g_queue_pop_head (&out);
    if (GST_IS_BUFFER (obj)) {
      GstFlowReturn r = gst_pad_push (a->srcpad, GST_BUFFER (obj));
      if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
        ret = r;
    } else {
      gst_pad_push_event (a->srcpad, GST_EVENT (obj));
    }
  }
  g_mutex_unlock (&a->push_lock);
  return ret;
}

static gboolean
audio_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (parent);
  AudioStream *a = audio_stream_of (pad);
  GQueue out = G_QUEUE_INIT;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      g_mutex_lock (&self->lock);
      gst_event_copy_segment (event, &a->segment);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_START:
      set_flushing (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      g_queue_clear_full (&a->held, (GDestroyNotify) held_free);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_EOS:
      /* After what is still held, pushed by this thread as the video
       * decides it: were the video thread to push it, it would wait in the
       * muxer for the audio it was to push next. */
      g_mutex_lock (&a->push_lock);
      g_mutex_lock (&self->lock);
      g_queue_push_tail (&a->held, held_new (GST_MINI_OBJECT (event),
              GST_CLOCK_TIME_NONE, FALSE));
      while (TRUE) {
        gboolean done;

        collect_audio (self, a, &out);
        done = self->flushing || g_queue_is_empty (&a->held);
        if (g_queue_is_empty (&out) && !done) {
          g_cond_wait (&self->cond, &self->lock);
          continue;
        }
        g_mutex_unlock (&self->lock);
        push_all (a->srcpad, &out);
        g_mutex_lock (&self->lock);
        if (done)
          break;
      }
      g_mutex_unlock (&self->lock);
      g_mutex_unlock (&a->push_lock);
      return TRUE;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstIterator *
iterate_internal_links (GstPad * pad, GstObject * parent)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (parent);
  GstPad *other = NULL;
  GstIterator *it = NULL;
  GValue v = G_VALUE_INIT;

  if (pad == self->video_sinkpad)
    other = self->video_srcpad;
  else if (pad == self->video_srcpad)
    other = self->video_sinkpad;
  else {
    AudioStream *a = audio_stream_of (pad);
    other = pad == a->sinkpad ? a->srcpad : a->sinkpad;
  }
  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, other);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

static GstPad *
gst_cs_event_gate_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (element);
  AudioStream *a = g_new0 (AudioStream, 1);
  g_autofree gchar *sink_name = NULL, *src_name = NULL;
  guint id;

  g_mutex_lock (&self->lock);
  id = self->audio_next_id++;
  g_mutex_unlock (&self->lock);
  sink_name = g_strdup_printf ("audio_sink_%u", id);
  src_name = g_strdup_printf ("audio_src_%u", id);

  g_mutex_init (&a->push_lock);
  g_queue_init (&a->held);
  gst_segment_init (&a->segment, GST_FORMAT_UNDEFINED);
  a->sinkpad = gst_pad_new_from_static_template (&audio_sink_template,
      sink_name);
  a->srcpad = gst_pad_new_from_static_template (&audio_src_template,
      src_name);
  gst_pad_set_element_private (a->sinkpad, a);
  gst_pad_set_element_private (a->srcpad, a);
  gst_pad_set_chain_function (a->sinkpad, GST_DEBUG_FUNCPTR (audio_chain));
  gst_pad_set_event_function (a->sinkpad,
      GST_DEBUG_FUNCPTR (audio_sink_event));
  gst_pad_set_iterate_internal_links_function (a->sinkpad,
      iterate_internal_links);
  gst_pad_set_iterate_internal_links_function (a->srcpad,
      iterate_internal_links);
  GST_PAD_SET_PROXY_CAPS (a->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (a->sinkpad);
  GST_PAD_SET_PROXY_SCHEDULING (a->sinkpad);
  GST_PAD_SET_PROXY_CAPS (a->srcpad);
  GST_PAD_SET_PROXY_SCHEDULING (a->srcpad);

  g_mutex_lock (&self->lock);
  self->audio = g_list_append (self->audio, a);
  g_mutex_unlock (&self->lock);

  gst_pad_set_active (a->srcpad, TRUE);
  gst_pad_set_active (a->sinkpad, TRUE);
  gst_element_add_pad (element, a->srcpad);
  gst_element_add_pad (element, a->sinkpad);
  return a->sinkpad;
}

static void
audio_stream_free (AudioStream * a)
{
  g_queue_clear_full (&a->held, (GDestroyNotify) held_free);
  g_mutex_clear (&a->push_lock);
  g_free (a);
}

static void
gst_cs_event_gate_release_pad (GstElement * element, GstPad * pad)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (element);
  AudioStream *a = audio_stream_of (pad);

  if (a == NULL || pad != a->sinkpad)
    return;
  g_mutex_lock (&self->lock);
  self->audio = g_list_remove (self->audio, a);
  g_mutex_unlock (&self->lock);
  gst_pad_set_active (a->sinkpad, FALSE);
  gst_pad_set_active (a->srcpad, FALSE);
  gst_element_remove_pad (element, a->srcpad);
  gst_element_remove_pad (element, a->sinkpad);
  audio_stream_free (a);
}

/* With the lock: would @t make more than max-pending-events events wait?
 * Repeats of a source within an event count once: the depth limits events,
 * not calls. */
static gboolean
too_many_events_locked (GstCsEventGate * self, const PendingTrigger * t)
{
  g_autoptr (GArray) times = NULL;
  gboolean added = FALSE;

  if (self->active_max_pending == 0)
    return FALSE;
  times = g_array_sized_new (FALSE, FALSE, sizeof (gint64),
      self->pending.length + 1);
  for (GList * l = self->pending.head; l; l = l->next) {
    const PendingTrigger *p = l->data;
    if (!added && t->time_ms < p->time_ms) {
      g_array_append_val (times, t->time_ms);
      added = TRUE;
    }
    g_array_append_val (times, p->time_ms);
  }
  if (!added)
    g_array_append_val (times, t->time_ms);
  return cs_event_rules_count_new_events (self->rules,
      (const gint64 *) times->data, times->len) > self->active_max_pending;
}

/* With the lock: the same source at the same time is waiting already. */
static gboolean
is_repeat_locked (GstCsEventGate * self, const PendingTrigger * t)
{
  for (GList * l = self->pending.head; l; l = l->next) {
    const PendingTrigger *p = l->data;
    if (p->trigger == t->trigger && p->time_ms == t->time_ms)
      return TRUE;
  }
  return FALSE;
}

/* The "trigger" action signal. */
static gint
gst_cs_event_gate_trigger (GstCsEventGate * self, guint trigger,
    guint64 utc_ms)
{
  PendingTrigger *t;
  GList *l;
  gint result = GST_CS_TRIGGER_OK;
  PendingTrigger candidate;

  g_mutex_lock (&self->lock);
  self->triggers++;
  candidate.trigger = trigger;
  candidate.time_ms = MIN (utc_ms, (guint64) G_MAXINT64);
  if (utc_ms == 0)
    candidate.time_ms = self->utc.valid ? self->video_position_ms :
        g_get_real_time () / 1000;
  if (!cs_event_trigger_is_single (trigger))
    result = GST_CS_TRIGGER_NOT_ONE_BIT;
  else if (!self->running || self->video_eos)
    result = GST_CS_TRIGGER_NOT_RUNNING;
  else if (too_many_events_locked (self, &candidate))
    result = GST_CS_TRIGGER_QUEUE_FULL;
  if (result != GST_CS_TRIGGER_OK) {
    self->triggers_rejected++;
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "trigger 0x%x refused: %d", trigger, result);
    return result;
  }
  /* It would change nothing: merged. */
  if (is_repeat_locked (self, &candidate)) {
    g_mutex_unlock (&self->lock);
    return GST_CS_TRIGGER_OK;
  }
  t = g_memdup2 (&candidate, sizeof candidate);
  /* By time; in call order among equal times. */
  for (l = self->pending.tail; l; l = l->prev)
    if (((PendingTrigger *) l->data)->time_ms <= t->time_ms)
      break;
  if (l)
    g_queue_insert_after (&self->pending, l, t);
  else
    g_queue_push_head (&self->pending, t);
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "trigger 0x%x at %" G_GINT64_FORMAT, trigger,
      candidate.time_ms);
  return GST_CS_TRIGGER_OK;
}

static gboolean
gst_cs_event_gate_start (GstCsEventGate * self)
{
  CsEventRulesConfig config;

  GST_OBJECT_LOCK (self);
  if (self->event_interval < self->min_record_time) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, CORE, FAILED,
        ("event-interval must be at least min-record-time."), (NULL));
    return FALSE;
  }
  config.min_record_ms = self->min_record_time * 1000;
  config.interval_ms = self->event_interval * 1000;
  memcpy (config.priority, self->priority, sizeof config.priority);
  g_mutex_lock (&self->lock);
  self->active_mode = self->mode;
  self->active_pre_roll = self->pre_roll;
  self->active_pre_roll_max_bytes = self->pre_roll_max_bytes;
  self->active_max_pending = self->max_pending_events;
  GST_OBJECT_UNLOCK (self);

  cs_event_rules_free (self->rules);
  self->rules = cs_event_rules_new (&config);
  reset_stream_state (self);
  if (self->active_mode == GST_CS_EVENT_GATE_MODE_MARK) {
    Window all = { 0, GST_CLOCK_TIME_NONE };
    g_array_append_val (self->windows, all);
  }
  self->utc.valid = FALSE;
  self->last_trigger_ms = 0;
  self->close_ms = 0;
  g_clear_pointer (&self->event_id, g_free);
  self->triggers = self->triggers_rejected = self->events = self->alarms = 0;
  self->video_passed = self->video_dropped = 0;
  self->audio_passed = self->audio_dropped = 0;
  self->running = TRUE;
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static GstStateChangeReturn
gst_cs_event_gate_change_state (GstElement * element,
    GstStateChange transition)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_cs_event_gate_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      g_mutex_lock (&self->lock);
      self->running = FALSE;
      g_mutex_unlock (&self->lock);
      set_flushing (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->lock);
    reset_stream_state (self);
    g_queue_clear_full (&self->pending, g_free);
    g_mutex_unlock (&self->lock);
  }
  return ret;
}

static GstStructure *
gst_cs_event_gate_make_stats (GstCsEventGate * self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("cseventgate-stats",
      "triggers", G_TYPE_UINT64, self->triggers,
      "triggers-rejected", G_TYPE_UINT64, self->triggers_rejected,
      "triggers-pending", G_TYPE_UINT, g_queue_get_length (&self->pending),
      "events", G_TYPE_UINT64, self->events,
      "alarms", G_TYPE_UINT64, self->alarms,
      "video-passed", G_TYPE_UINT64, self->video_passed,
      "video-dropped", G_TYPE_UINT64, self->video_dropped,
      "audio-passed", G_TYPE_UINT64, self->audio_passed,
      "audio-dropped", G_TYPE_UINT64, self->audio_dropped,
      "pre-roll-bytes", G_TYPE_UINT64, self->held_bytes, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_cs_event_gate_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_PRE_ROLL:
      self->pre_roll = g_value_get_uint64 (value);
      break;
    case PROP_PRE_ROLL_MAX_BYTES:
      self->pre_roll_max_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MIN_RECORD_TIME:
      self->min_record_time = g_value_get_uint (value);
      break;
    case PROP_EVENT_INTERVAL:
      self->event_interval = g_value_get_uint (value);
      break;
    case PROP_TRIGGER_PRIORITY:{
      guint n = gst_value_array_get_size (value);
      for (guint i = 0; i < CS_EVENT_MAX_TRIGGERS; i++)
        self->priority[i] = i < n ?
            CLAMP (g_value_get_int (gst_value_array_get_value (value, i)),
            -1, CS_EVENT_MAX_TRIGGERS - 1) : CS_EVENT_NO_PRIORITY;
      break;
    }
    case PROP_MAX_PENDING_EVENTS:
      self->max_pending_events = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cs_event_gate_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (object);

  switch (prop_id) {
    case PROP_RECORDING:
      g_mutex_lock (&self->lock);
      g_value_set_boolean (value, self->active_mode ==
          GST_CS_EVENT_GATE_MODE_MARK ? self->event_id != NULL : self->open);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_STATS:
      g_value_take_boxed (value, gst_cs_event_gate_make_stats (self));
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, self->pre_roll);
      break;
    case PROP_PRE_ROLL_MAX_BYTES:
      g_value_set_uint64 (value, self->pre_roll_max_bytes);
      break;
    case PROP_MIN_RECORD_TIME:
      g_value_set_uint (value, self->min_record_time);
      break;
    case PROP_EVENT_INTERVAL:
      g_value_set_uint (value, self->event_interval);
      break;
    case PROP_TRIGGER_PRIORITY:
      for (guint i = 0; i < CS_EVENT_MAX_TRIGGERS; i++) {
        GValue v = G_VALUE_INIT;
        g_value_init (&v, G_TYPE_INT);
        g_value_set_int (&v, self->priority[i]);
        gst_value_array_append_and_take_value (value, &v);
      }
      break;
    case PROP_MAX_PENDING_EVENTS:
      g_value_set_uint (value, self->max_pending_events);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cs_event_gate_finalize (GObject * object)
{
  GstCsEventGate *self = GST_CS_EVENT_GATE (object);

  g_list_free_full (self->audio, (GDestroyNotify) audio_stream_free);
  g_queue_clear_full (&self->held, (GDestroyNotify) held_free);
  g_queue_clear_full (&self->pending, g_free);
  g_array_unref (self->windows);
  cs_event_rules_free (self->rules);
  g_free (self->event_id);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cs_event_gate_init (GstCsEventGate * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->mode = DEFAULT_MODE;
  self->pre_roll = DEFAULT_PRE_ROLL;
  self->pre_roll_max_bytes = DEFAULT_PRE_ROLL_MAX_BYTES;
  self->min_record_time = DEFAULT_MIN_RECORD_TIME;
  self->event_interval = DEFAULT_EVENT_INTERVAL;
  self->max_pending_events = DEFAULT_MAX_PENDING_EVENTS;
  for (guint i = 0; i < CS_EVENT_MAX_TRIGGERS; i++)
    self->priority[i] = CS_EVENT_NO_PRIORITY;
  self->windows = g_array_new (FALSE, FALSE, sizeof (Window));
  self->video_position = GST_CLOCK_TIME_NONE;
  self->video_end = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->video_segment, GST_FORMAT_UNDEFINED);

  self->video_sinkpad = gst_pad_new_from_static_template (&video_sink_template,
      "video_sink");
  gst_pad_set_chain_function (self->video_sinkpad,
      GST_DEBUG_FUNCPTR (video_chain));
  gst_pad_set_event_function (self->video_sinkpad,
      GST_DEBUG_FUNCPTR (video_sink_event));
  gst_pad_set_iterate_internal_links_function (self->video_sinkpad,
      iterate_internal_links);
  GST_PAD_SET_PROXY_CAPS (self->video_sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->video_sinkpad);
  GST_PAD_SET_PROXY_SCHEDULING (self->video_sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->video_sinkpad);

  self->video_srcpad = gst_pad_new_from_static_template (&video_src_template,
      "video_src");
  gst_pad_set_iterate_internal_links_function (self->video_srcpad,
      iterate_internal_links);
  GST_PAD_SET_PROXY_CAPS (self->video_srcpad);
  GST_PAD_SET_PROXY_SCHEDULING (self->video_srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->video_srcpad);
}

static void
gst_cs_event_gate_class_init (GstCsEventGateClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_cs_event_gate_set_property;
  gobject_class->get_property = gst_cs_event_gate_get_property;
  gobject_class->finalize = gst_cs_event_gate_finalize;

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "gate: let the stream through only around events; mark: let "
          "everything through and only produce the events (full-time "
          "recording)", gst_cs_event_gate_mode_get_type (), DEFAULT_MODE,
          rw));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 ("pre-roll", "Pre-roll",
          "How much video before a trigger a recording starts with "
          "(from the keyframe at or before it), in ns", 0, 60 * GST_SECOND,
          DEFAULT_PRE_ROLL, rw));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL_MAX_BYTES,
      g_param_spec_uint64 ("pre-roll-max-bytes", "Pre-roll max bytes",
          "Most bytes of video kept for the pre-roll; beyond, the oldest "
          "GOP is dropped (0 = no limit)", 0, G_MAXUINT64,
          DEFAULT_PRE_ROLL_MAX_BYTES, rw));
  g_object_class_install_property (gobject_class, PROP_MIN_RECORD_TIME,
      g_param_spec_uint ("min-record-time", "Minimum record time",
          "Recording lasts until the last trigger + this, in s (whole "
          "seconds, as the reference API)",
          MIN_SECONDS, 24 * 3600, DEFAULT_MIN_RECORD_TIME, rw));
  g_object_class_install_property (gobject_class, PROP_EVENT_INTERVAL,
      g_param_spec_uint ("event-interval", "Event interval",
          "An event lasts this long from its first trigger, in s "
          "(at least min-record-time); a later trigger starts a new event",
          MIN_SECONDS, 24 * 3600, DEFAULT_EVENT_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_TRIGGER_PRIORITY,
      gst_param_spec_array ("trigger-priority", "Trigger priority",
          "Priority of each trigger bit (index 0 = bit 0), lower = higher, "
          "-1 = none: a picture is taken for a new trigger source without "
          "priority, or of a higher priority than those so far; missing "
          "entries are -1",
          g_param_spec_int ("priority", "Priority", "Priority of one bit",
              -1, CS_EVENT_MAX_TRIGGERS - 1, CS_EVENT_NO_PRIORITY,
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS), rw));
  g_object_class_install_property (gobject_class, PROP_MAX_PENDING_EVENTS,
      g_param_spec_uint ("max-pending-events", "Max pending events",
          "Most events waiting for the video to reach their triggers' time "
          "(repeats of a source within an event count once); a trigger "
          "that would make more is refused (0 = no limit)", 0, G_MAXUINT,
          DEFAULT_MAX_PENDING_EVENTS, rw));
  recording_pspec = g_param_spec_boolean ("recording", "Recording",
      "Whether an event is being recorded (gate: the gate is open)", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_RECORDING,
      recording_pspec);
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "cseventgate-stats: triggers, triggers-rejected, triggers-pending, "
          "events, alarms, video-passed, video-dropped, audio-passed, "
          "audio-dropped, pre-roll-bytes", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstCsEventGate::trigger:
   * @gate: the element
   * @trigger: the source, exactly one bit (bit 0 motion, 1 person, 2 sound,
   *   3 linkage, 16-31 custom)
   * @utc_ms: when it happened, UTC ms (0 = now)
   *
   * Returns: 0, or -1 (not exactly one bit), -2 (max-pending-events
   * reached), -3 (not running); a refused trigger has no other effect.
   */
  signals[SIGNAL_TRIGGER] = g_signal_new_class_handler ("trigger",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_cs_event_gate_trigger), NULL, NULL, NULL, G_TYPE_INT,
      2, G_TYPE_UINT, G_TYPE_UINT64);

  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Cloud storage event gate", "Filter/Video/Audio",
      "Lets encoded video and audio through around triggered events, with "
      "pre-roll, minimum record time and event intervals; posts "
      "cs-event-started, cs-event-alarm and cs-event-ended. Action signal: "
      "gint trigger (guint trigger: exactly one bit, 0 motion, 1 person, "
      "2 sound, 3 linkage, 16-31 custom; guint64 utc-ms: when, 0 = now) "
      "returns 0, or -1 not exactly one bit, -2 max-pending-events reached, "
      "-3 not running. Times: pre-roll in ns (a GstClockTime), "
      "min-record-time and event-interval in s",
      "gst-cloudstorage developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_cs_event_gate_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_cs_event_gate_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_cs_event_gate_release_pad);
  gst_type_mark_as_plugin_api (gst_cs_event_gate_mode_get_type (), 0);
}
