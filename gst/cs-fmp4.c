/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csfmp4mux (cs-fmp4.h) without a thread of its own: each stream's frames
 * are written on the thread that brings them (the video leg's, the audio
 * leg's), merged in time order through one small queue per stream.
 *
 * Order: a frame is written when it is the earliest queued and every other
 * stream has come up to its time (a later frame, a gap, EOS).  From a live
 * source it also goes once it has waited "latency" (cssink sets
 * LIVE_MUX_LATENCY) and the encoders' latency by the clock since it came
 * (not since its time: an event's pre-roll comes seconds late): a stream
 * that stopped is not waited for longer.  From a file, a stream's thread
 * waits while its queue is "latency" (cssink: a segment's duration) ahead
 * of the other, as on an aggregator's pad.  A video frame counts at its
 * decode time, except the keyframe a segment starts at (the one after a
 * force-key-unit event), which counts at its presentation time: the audio
 * shown before it, however late it comes within the latency, is written
 * into the segment that ends.  The cutter's close mark counts at the end
 * of the video before it: it waits, as a frame would, for the audio up to
 * there (audio that came through the gate behind the video, on its own
 * thread, while the video thread ran ahead to the close), or for a gap (the
 * gate's close, the idle check's) or EOS on the audio saying none comes;
 * then the segment ends.  The live timeout is looked at whenever a thread
 * brings something: a close that waits for audio that stopped without a
 * gap goes out with the next frame or event.
 *
 * Threads and locks: the pads' functions run on the legs' streaming threads
 * (and the close mark on the idle ticker's); all state is under self->lock.
 * What is written is queued under it, in order, and pushed without it by
 * one thread at a time: the one that finds nobody pushing pushes until the
 * queue is empty, what the others wrote meanwhile too.  So the output keeps
 * its order whichever thread completes it, and no thread waits on the lock
 * for another's push (the cutter's segments, an EOS drain of the outbox:
 * the ticker's close mark is only queued then). */
#include "cs-fmp4.h"

#include "cs-cutter.h"
#include "cs-fmp4-writer.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (cs_fmp4_debug);
#define GST_CAT_DEFAULT cs_fmp4_debug

/* One queued frame, or the close mark (buf NULL). */
typedef struct
{
  GstBuffer *buf;
  GstEvent *event;              /* the force-key-unit before it, or the close */
  gint64 dts, pts;              /* running times */
  gint64 t;                     /* its place in the merged order */
  gint64 arrival;               /* running time it came at, live */
} Item;

/* A sink pad's stream (the pad's element_private). */
typedef struct
{
  GstPad *pad;
  GQueue items;
  GstSegment segment;
  gint64 reached;               /* the stream is known up to here */
  gint64 end;                   /* of its latest frame queued */
  gboolean video, eos;
  gboolean released;            /* its pad is being taken off */
  gboolean asked_live;          /* upstream asked whether it is live */
  GstEvent *cut;                /* a segment starts at its next keyframe */
} Stream;

typedef struct
{
  GstElement parent;

  GstPad *srcpad;
  GMutex lock;
  GCond cond;                   /* a stream's queue went down */
  /* Under the lock: */
  GPtrArray *streams;           /* Stream *, the video's first */
  CsFmp4Writer *writer;
  GstClockTime latency;
  gint64 video_end;             /* of the latest video frame written */
  gboolean open;                /* frames go into a segment */
  gboolean started;             /* stream-start, caps, segment pushed */
  gboolean ended;               /* EOS pushed */
  gboolean live;                /* a stream comes from a live source */
  GstClockTime upstream;        /* the streams' most latency upstream */
  gboolean flushing;            /* waiting threads return */
  guint waiters;                /* threads waiting on cond */
  GQueue out;                   /* written, to push: buffer lists, events */
  gboolean pushing;             /* a thread is pushing them */
  GstFlowReturn flow;           /* of the latest push */
  guint32 eos_seqnum;           /* of the latest EOS in */
  GError *error;                /* to post, the lock released */
  guint n_pads;
} CsFmp4Mux;

typedef struct
{
  GstElementClass parent_class;
} CsFmp4MuxClass;

enum
{
  PROP_0,
  PROP_LATENCY,
};

static GType cs_fmp4_mux_get_type (void);
#define CS_FMP4_MUX(obj) ((CsFmp4Mux *) (obj))

G_DEFINE_TYPE (CsFmp4Mux, cs_fmp4_mux, GST_TYPE_ELEMENT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%d",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "audio/mpeg, mpegversion = (int) 4, stream-format = (string) raw"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/quicktime, variant = (string) iso-fragmented"));

/* The running time of @ts in @s, signed (a decode time may be before the
 * segment's start). */
static gint64
running_time (Stream * s, GstClockTime ts)
{
  GstClockTime rt;
  gint sign = gst_segment_to_running_time_full (&s->segment, GST_FORMAT_TIME,
      ts, &rt);

  return sign >= 0 ? (gint64) rt : -(gint64) rt;
}

static void
item_free (gpointer data)
{
  Item *item = data;

  gst_clear_buffer (&item->buf);
  gst_clear_event (&item->event);
  g_free (item);
}

/* Queued, to go out in order (see push_out ()). */
static void
push_event (CsFmp4Mux * self, GstEvent * event)
{
  g_queue_push_tail (&self->out, event);
}

/* Pushes what was written, without the lock: one thread at a time (the one
 * that finds nobody pushing), taking what others queue meanwhile.  Returns
 * the latest push's result. */
static GstFlowReturn
push_out (CsFmp4Mux * self)
{
  GstMiniObject *obj;
  GstFlowReturn flow;

  g_mutex_lock (&self->lock);
  if (!self->pushing) {
    self->pushing = TRUE;
    while ((obj = g_queue_pop_head (&self->out)) != NULL) {
      g_mutex_unlock (&self->lock);
      flow = GST_FLOW_OK;
      if (GST_IS_EVENT (obj)) {
        if (!gst_pad_push_event (self->srcpad, GST_EVENT_CAST (obj)))
          GST_DEBUG_OBJECT (self, "an event was not taken downstream");
      } else
        flow = gst_pad_push_list (self->srcpad, GST_BUFFER_LIST_CAST (obj));
      g_mutex_lock (&self->lock);
      self->flow = flow;
    }
    self->pushing = FALSE;
  }
  flow = self->flow;
  g_mutex_unlock (&self->lock);
  return flow;
}

/* Once per run, before the first output. */
static void
push_sticky (CsFmp4Mux * self)
{
  GstSegment seg;
  gchar *id;

  if (self->started)
    return;
  self->started = TRUE;
  id = g_strdup_printf ("csfmp4mux-%08x", g_random_int ());
  push_event (self, gst_event_new_stream_start (id));
  g_free (id);
  push_event (self, gst_event_new_caps (gst_static_pad_template_get_caps
          (&src_template)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  push_event (self, gst_event_new_segment (&seg));
}

/* What the writer wrote goes out (queued from within the writer's calls,
 * pushed by push_out ()): its parts as they are
 * (headers, slices of the frames), as the memories of a list of buffers (a
 * buffer takes only so many without merging them), or a rewrite of the
 * segment's first bytes. */
static void
on_output (GBytes ** parts, guint n_parts, gboolean rewrite,
    gpointer user_data)
{
  CsFmp4Mux *self = user_data;
  GstBufferList *list;
  GstBuffer *buf = NULL;

  push_sticky (self);
  if (rewrite) {
    GST_DEBUG_OBJECT (self, "the init part again");
    push_event (self, cs_cutter_event_new_rewrite (parts[0]));
    return;
  }
  list = gst_buffer_list_new_sized (n_parts / gst_buffer_get_max_memory () +
      1);
  for (guint i = 0; i < n_parts; i++) {
    gsize size;
    gconstpointer data = g_bytes_get_data (parts[i], &size);

    if (buf == NULL || gst_buffer_n_memory (buf) ==
        gst_buffer_get_max_memory ()) {
      buf = gst_buffer_new ();
      gst_buffer_list_add (list, buf);
    }
    gst_buffer_append_memory (buf,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data,
            size, 0, size, g_bytes_ref (parts[i]),
            (GDestroyNotify) g_bytes_unref));
  }
  GST_LOG_OBJECT (self, "%u parts", n_parts);
  g_queue_push_tail (&self->out, list);
}

/* A frame's bytes for the writer, which holds a GOP of them: the buffer
 * itself, mapped, until the writer lets go; a copy when the buffer is
 * borrowed (see frame_is_borrowed ()). */
typedef struct
{
  GstBuffer *buf;
  GstMapInfo map;
} MappedFrame;

static void
mapped_frame_free (gpointer data)
{
  MappedFrame *m = data;

  gst_buffer_unmap (m->buf, &m->map);
  gst_buffer_unref (m->buf);
  g_free (m);
}

/* From a pool, or not plain system memory (a hardware encoder's output):
 * such an encoder has a few buffers, and would stall while a GOP of them is
 * held. */
static gboolean
frame_is_borrowed (GstBuffer * buf)
{
  if (buf->pool != NULL)
    return TRUE;
  for (guint i = 0; i < gst_buffer_n_memory (buf); i++)
    if (!gst_memory_is_type (gst_buffer_peek_memory (buf, i),
            GST_ALLOCATOR_SYSMEM))
      return TRUE;
  return FALSE;
}

static GBytes *
frame_bytes (GstBuffer * buf)
{
  MappedFrame *m = g_new (MappedFrame, 1);

  if (!gst_buffer_map (buf, &m->map, GST_MAP_READ)) {
    g_free (m);
    return NULL;
  }
  if (frame_is_borrowed (buf)) {
    GBytes *copy = g_bytes_new (m->map.data, m->map.size);

    gst_buffer_unmap (buf, &m->map);
    g_free (m);
    return copy;
  }
  m->buf = gst_buffer_ref (buf);
  return g_bytes_new_with_free_func (m->map.data, m->map.size,
      mapped_frame_free, m);
}

/* A write error, posted once the lock is released. */
static void
keep_error (CsFmp4Mux * self, GError * error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
}

static void
post_error (CsFmp4Mux * self)
{
  GError *error;

  g_mutex_lock (&self->lock);
  error = g_steal_pointer (&self->error);
  g_mutex_unlock (&self->lock);
  if (error)
    GST_ELEMENT_ERROR (self, STREAM, MUX,
        ("A segment could not be written as fragmented MP4."),
        ("%s", error->message));
  g_clear_error (&error);
}

/* The open segment ends: its last fragment pushed, before the mark that
 * follows. */
static void
end_segment (CsFmp4Mux * self)
{
  GError *error = NULL;

  self->open = FALSE;
  if (!cs_fmp4_writer_end_segment (self->writer, &error))
    keep_error (self, error);
}

static void
write_video (CsFmp4Mux * self, Item * item)
{
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (item->buf,
      GST_BUFFER_FLAG_DELTA_UNIT);
  gint64 duration = GST_BUFFER_DURATION_IS_VALID (item->buf) ?
      (gint64) GST_BUFFER_DURATION (item->buf) : -1;
  g_autoptr (GBytes) bytes = NULL;
  GError *error = NULL;

  if (item->event) {
    end_segment (self);
    push_sticky (self);
    push_event (self, g_steal_pointer (&item->event));
    self->open = TRUE;
  }
  /* Before the first cut, after a close: no segment. */
  if (!self->open || (bytes = frame_bytes (item->buf)) == NULL)
    return;
  self->video_end = MAX (self->video_end, item->pts + MAX (duration, 0));
  if (!cs_fmp4_writer_add_video (self->writer, bytes, item->dts, item->pts,
          duration, keyframe, &error))
    keep_error (self, error);
}

static void
write_audio (CsFmp4Mux * self, Item * item)
{
  g_autoptr (GBytes) bytes = NULL;

  if (!self->open) {
    GST_LOG_OBJECT (self, "audio at %" G_GINT64_FORMAT " outside a segment",
        item->pts);
    return;
  }
  if ((bytes = frame_bytes (item->buf)) != NULL)
    cs_fmp4_writer_add_audio (self->writer, bytes, item->pts,
        GST_BUFFER_DURATION_IS_VALID (item->buf) ?
        (gint64) GST_BUFFER_DURATION (item->buf) : -1);
}

/* The close mark, in time order after the audio before the video's end:
 * the segment ends, then the mark goes out. */
static void
write_close (CsFmp4Mux * self, Item * item)
{
  GST_DEBUG_OBJECT (self, "close after the video's end %" G_GINT64_FORMAT,
      self->video_end);
  end_segment (self);
  push_sticky (self);
  push_event (self, g_steal_pointer (&item->event));
}

/* The stream whose queued frame comes first (the video's on a tie). */
static Stream *
earliest (CsFmp4Mux * self)
{
  Stream *best = NULL;
  gint64 best_t = G_MAXINT64;

  for (guint i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    Item *head = g_queue_peek_head (&s->items);

    if (head && (best == NULL || head->t < best_t || (head->t == best_t
                && s->video))) {
      best = s;
      best_t = head->t;
    }
  }
  return best;
}

/* The running time now (live), or G_MININT64 without a clock. */
static gint64
now (CsFmp4Mux * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  gint64 t = G_MININT64;

  if (clock) {
    t = (gint64) gst_clock_get_time (clock) -
        (gint64) gst_element_get_base_time (GST_ELEMENT (self));
    gst_object_unref (clock);
  }
  return t;
}

/* Whether @item (first in time) may be written: every other stream has
 * reached its time or ended; from a live source, also once it has waited
 * the latency and the latency upstream (an encoder's) by the clock.  From
 * when it came, not from its time: cseventgate lets an event's pre-roll
 * through at once, seconds behind the clock, its audio on another thread
 * than its video; by its time the first stream's frames would not wait for
 * the other's at all (audio before the keyframe the segment starts at was
 * lost). */
static gboolean
may_write (CsFmp4Mux * self, Stream * s, Item * item)
{
  gboolean reached = TRUE;

  for (guint i = 0; i < self->streams->len && reached; i++) {
    Stream *o = g_ptr_array_index (self->streams, i);

    reached = o == s || o->eos || o->reached >= item->t;
  }
  return reached || (self->live && item->arrival != G_MININT64
      && now (self) - item->arrival >= (gint64) (self->latency +
          self->upstream));
}

/* Writes what may be written; at the end of every stream, the segment's
 * end and EOS. */
static void
drain (CsFmp4Mux * self)
{
  Stream *s;
  gboolean all_eos = TRUE;

  while ((s = earliest (self)) != NULL) {
    Item *item = g_queue_peek_head (&s->items);

    if (!may_write (self, s, item))
      break;
    g_queue_pop_head (&s->items);
    if (self->waiters > 0)
      g_cond_broadcast (&self->cond);
    if (item->buf == NULL)
      write_close (self, item);
    else if (s->video)
      write_video (self, item);
    else
      write_audio (self, item);
    item_free (item);
  }
  for (guint i = 0; i < self->streams->len; i++) {
    Stream *o = g_ptr_array_index (self->streams, i);

    all_eos &= o->eos && g_queue_is_empty (&o->items);
  }
  if (all_eos && self->streams->len > 0 && !self->ended) {
    GstEvent *eos = gst_event_new_eos ();

    self->ended = TRUE;
    end_segment (self);
    push_sticky (self);
    gst_event_set_seqnum (eos, self->eos_seqnum);
    push_event (self, eos);
  }
}

static void
reached (Stream * s, gint64 t)
{
  s->reached = MAX (s->reached, t);
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  CsFmp4Mux *self = CS_FMP4_MUX (parent);
  Stream *s = gst_pad_get_element_private (pad);
  GstFlowReturn flow;
  Item *item;

  g_mutex_lock (&self->lock);
  if (s->eos || !GST_BUFFER_PTS_IS_VALID (buf)) {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  item = g_new0 (Item, 1);
  item->buf = buf;
  item->pts = running_time (s, GST_BUFFER_PTS (buf));
  item->dts = running_time (s, GST_BUFFER_DTS_OR_PTS (buf));
  item->t = item->dts;
  item->arrival = self->live ? now (self) : G_MININT64;
  if (s->video && s->cut
      && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    item->event = g_steal_pointer (&s->cut);
    item->t = item->pts;
  }
  g_queue_push_tail (&s->items, item);
  reached (s, item->t);
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    s->end = MAX (s->end, item->pts + (gint64) GST_BUFFER_DURATION (buf));
  s->end = MAX (s->end, item->pts);
  drain (self);
  g_mutex_unlock (&self->lock);
  flow = push_out (self);
  g_mutex_lock (&self->lock);
  /* From a file, a stream runs ahead of the other by the latency at most
   * (a live one is not waited for longer than that). */
  while (!self->live && !self->flushing && !s->released && self->latency > 0
      && !g_queue_is_empty (&s->items)
      && ((Item *) g_queue_peek_tail (&s->items))->t -
      ((Item *) g_queue_peek_head (&s->items))->t > (gint64) self->latency) {
    self->waiters++;
    g_cond_wait (&self->cond, &self->lock);
    self->waiters--;
  }
  if (self->flushing)
    flow = GST_FLOW_FLUSHING;
  g_mutex_unlock (&self->lock);
  post_error (self);
  return flow;
}

/* A stream's caps: the writer's settings for its track. */
static void
set_caps (CsFmp4Mux * self, Stream * st, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  gint width = 0, height = 0, rate = 0, channels = 0;

  if (g_str_has_prefix (name, "video/")) {
    st->video = TRUE;
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    cs_fmp4_writer_set_video (self->writer, g_str_equal (name,
            "video/x-h265") ? CS_NAL_H265 : CS_NAL_H264, MAX (width, 0),
        MAX (height, 0));
  } else {
    const GValue *v = gst_structure_get_value (s, "codec_data");
    GstBuffer *codec_data = v && G_VALUE_HOLDS (v, GST_TYPE_BUFFER) ?
        gst_value_get_buffer (v) : NULL;
    GBytes *asc = NULL;
    GstMapInfo map;

    /* Announced caps (no codec_data) leave the track out until audio's own
     * come. */
    if (codec_data && gst_buffer_map (codec_data, &map, GST_MAP_READ)) {
      asc = g_bytes_new (map.data, map.size);
      gst_buffer_unmap (codec_data, &map);
    }
    gst_structure_get_int (s, "rate", &rate);
    gst_structure_get_int (s, "channels", &channels);
    cs_fmp4_writer_set_audio (self->writer, MAX (rate, 0), MAX (channels, 0),
        asc);
    g_clear_pointer (&asc, g_bytes_unref);
  }
}

static void
stream_reset (Stream * s)
{
  g_queue_clear_full (&s->items, item_free);
  gst_segment_init (&s->segment, GST_FORMAT_TIME);
  gst_clear_event (&s->cut);
  s->reached = s->end = G_MININT64;
  s->eos = s->asked_live = FALSE;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  CsFmp4Mux *self = CS_FMP4_MUX (parent);
  Stream *s = gst_pad_get_element_private (pad);
  GstClockTime ts, duration;
  GstCaps *caps;
  gboolean live = FALSE;
  GstClockTime upstream = 0;

  /* Whether to wait for a stream by the clock (live) or by its data. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS && !s->asked_live) {
    GstQuery *query = gst_query_new_latency ();

    if ((s->asked_live = gst_pad_peer_query (pad, query)))
      gst_query_parse_latency (query, &live, &upstream, NULL);
    gst_query_unref (query);
  }
  g_mutex_lock (&self->lock);
  self->live |= live;
  if (live && GST_CLOCK_TIME_IS_VALID (upstream))
    self->upstream = MAX (self->upstream, MIN (upstream, G_MAXINT64 / 2));
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      set_caps (self, s, caps);
      break;
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &s->segment);
      break;
    case GST_EVENT_GAP:
      /* The stream has nothing before the gap's end (audio the gate
       * closed): the other need not wait for it. */
      gst_event_parse_gap (event, &ts, &duration);
      if (GST_CLOCK_TIME_IS_VALID (ts)) {
        reached (s, running_time (s, ts) +
            (GST_CLOCK_TIME_IS_VALID (duration) ? (gint64) duration : 0));
        GST_DEBUG_OBJECT (pad, "a gap: known up to %" G_GINT64_FORMAT,
            s->reached);
        drain (self);
      }
      break;
    case GST_EVENT_EOS:
      s->eos = TRUE;
      self->eos_seqnum = gst_event_get_seqnum (event);
      drain (self);
      break;
    case GST_EVENT_FLUSH_START:
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      break;
    case GST_EVENT_FLUSH_STOP:
      stream_reset (s);
      self->flushing = FALSE;
      break;
    default:
      if (gst_video_event_is_force_key_unit (event))
        gst_event_replace (&s->cut, event);
      else if (cs_cutter_event_is_close (event)) {
        Item *item = g_new0 (Item, 1);

        /* After the audio up to the end of the video before it (a gap, the
         * gate's close or the idle check's, says when no more comes); the
         * stream has nothing more before that (the audio in between need
         * not wait for it). */
        item->event = g_steal_pointer (&event);
        item->t = MAX (s->reached, s->end);
        item->arrival = self->live ? now (self) : G_MININT64;
        GST_DEBUG_OBJECT (pad, "a close at %" G_GINT64_FORMAT, item->t);
        g_queue_push_tail (&s->items, item);
        reached (s, item->t);
        drain (self);
      }
      break;
  }
  g_mutex_unlock (&self->lock);
  gst_clear_event (&event);
  push_out (self);
  post_error (self);
  return TRUE;
}

static void
stream_free (gpointer data)
{
  Stream *s = data;

  stream_reset (s);
  g_free (s);
}

static GstPad *
cs_fmp4_mux_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  CsFmp4Mux *self = CS_FMP4_MUX (element);
  Stream *s = g_new0 (Stream, 1);
  gchar *pad_name;
  GstPad *pad;

  g_queue_init (&s->items);
  stream_reset (s);
  g_mutex_lock (&self->lock);
  pad_name = g_strdup_printf ("sink_%u", self->n_pads++);
  g_mutex_unlock (&self->lock);
  pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  s->pad = pad;
  gst_pad_set_element_private (pad, s);
  gst_pad_set_chain_function (pad, sink_chain);
  gst_pad_set_event_function (pad, sink_event);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->streams, s);
  g_mutex_unlock (&self->lock);
  gst_element_add_pad (element, pad);
  return pad;
}

/* A stream taken off (its frames dropped): the others need not wait for
 * it. */
static void
cs_fmp4_mux_release_pad (GstElement * element, GstPad * pad)
{
  CsFmp4Mux *self = CS_FMP4_MUX (element);
  Stream *s = gst_pad_get_element_private (pad);

  /* Its thread may be waiting for the other stream. */
  g_mutex_lock (&self->lock);
  s->released = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_pad_set_active (pad, FALSE);
  g_mutex_lock (&self->lock);
  g_ptr_array_remove (self->streams, s);
  drain (self);
  g_mutex_unlock (&self->lock);
  push_out (self);
  gst_element_remove_pad (element, pad);
  post_error (self);
}

static void
reset (CsFmp4Mux * self)
{
  g_mutex_lock (&self->lock);
  cs_fmp4_writer_free (self->writer);
  self->writer = cs_fmp4_writer_new (CS_FMP4_MUX_START_US, on_output, self);
  for (guint i = 0; i < self->streams->len; i++)
    stream_reset (g_ptr_array_index (self->streams, i));
  self->video_end = G_MININT64;
  self->open = self->started = self->ended = FALSE;
  self->live = self->flushing = FALSE;
  self->upstream = 0;
  g_queue_clear_full (&self->out, (GDestroyNotify) gst_mini_object_unref);
  self->flow = GST_FLOW_OK;
  g_clear_error (&self->error);
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
cs_fmp4_mux_change_state (GstElement * element, GstStateChange transition)
{
  CsFmp4Mux *self = CS_FMP4_MUX (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset (self);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->lock);
    self->flushing = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  ret = GST_ELEMENT_CLASS (cs_fmp4_mux_parent_class)->change_state (element,
      transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset (self);
  return ret;
}

static void
cs_fmp4_mux_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  CsFmp4Mux *self = CS_FMP4_MUX (object);

  if (prop_id != PROP_LATENCY) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  g_mutex_lock (&self->lock);
  self->latency = g_value_get_uint64 (value);
  g_mutex_unlock (&self->lock);
}

static void
cs_fmp4_mux_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  CsFmp4Mux *self = CS_FMP4_MUX (object);

  if (prop_id != PROP_LATENCY) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  g_mutex_lock (&self->lock);
  g_value_set_uint64 (value, self->latency);
  g_mutex_unlock (&self->lock);
}

static void
cs_fmp4_mux_finalize (GObject * object)
{
  CsFmp4Mux *self = CS_FMP4_MUX (object);

  cs_fmp4_writer_free (self->writer);
  g_ptr_array_unref (self->streams);
  g_queue_clear_full (&self->out, (GDestroyNotify) gst_mini_object_unref);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (cs_fmp4_mux_parent_class)->finalize (object);
}

static void
cs_fmp4_mux_class_init (CsFmp4MuxClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = cs_fmp4_mux_finalize;
  object_class->set_property = cs_fmp4_mux_set_property;
  object_class->get_property = cs_fmp4_mux_get_property;
  g_object_class_install_property (object_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "How long (ns) a frame waits for another stream that has not "
          "reached its time: from a live source by the clock, from a file as "
          "how far one stream's queue may run ahead", 0, G_MAXINT64, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_set_static_metadata (element_class,
      "cssink fragmented MP4 muxer", "Codec/Muxer",
      "Writes cssink's segments as self-contained fragmented MP4",
      "gst-cloudstorage");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  element_class->request_new_pad = cs_fmp4_mux_request_new_pad;
  element_class->release_pad = cs_fmp4_mux_release_pad;
  element_class->change_state = cs_fmp4_mux_change_state;
}

static void
cs_fmp4_mux_init (CsFmp4Mux * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->out);
  self->streams = g_ptr_array_new_with_free_func (stream_free);
  self->writer = cs_fmp4_writer_new (CS_FMP4_MUX_START_US, on_output, self);
  self->video_end = G_MININT64;
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

GstElement *
cs_fmp4_mux_new (void)
{
  static gsize debug_init = 0;

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (cs_fmp4_debug, "csfmp4", 0,
        "cssink's fragmented MP4 muxer");
    g_once_init_leave (&debug_init, 1);
  }
  return g_object_new (cs_fmp4_mux_get_type (), NULL);
}

GType
gst_cs_sink_container_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_CS_SINK_CONTAINER_MPEGTS, "MPEG transport stream (.ts)", "mpegts"},
    {GST_CS_SINK_CONTAINER_FMP4,
        "Fragmented MP4, each segment with its own init part (.mp4)", "fmp4"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstCsSinkContainer",
            values));
  return type;
}

const gchar *
gst_cs_sink_container_ext (GstCsSinkContainer container)
{
  return container == GST_CS_SINK_CONTAINER_FMP4 ? "mp4" : "ts";
}
