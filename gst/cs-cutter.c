/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-cutter.h"

#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (cs_cutter_debug);
#define GST_CAT_DEFAULT cs_cutter_debug

/* The marker that ends a segment without a keyframe after it. */
#define CLOSE_EVENT "cs-cutter-close"
/* A muxer's new first bytes for the segment being written. */
#define REWRITE_EVENT "cs-cutter-rewrite"
/* A gap in the video longer than this is a jump, not a frame's length. */
#define JUMP (GST_SECOND)
/* A keyframe this close to the target duration is taken as reaching it
 * (timestamps rounded to a frame rate that does not divide a second). */
#define DURATION_SLACK (GST_MSECOND)

/* What the muxer will pass on, in the order it was sent: where the segment
 * being written ends (NONE: none was open), and whether (and where) the
 * next starts. */
typedef struct
{
  GstClockTime end_rt;
  gboolean starts;
  GstClockTime start_rt;
} Mark;

struct _CsCutter
{
  GMutex lock;
  GstElement *muxer;
  GstPad *muxsrc;
  GstPad *sinkpad;              /* ours, the muxer's peer */
  GstClockTime duration;
  CsCutterSegmentFunc segment_func;
  CsCutterEosFunc eos_func;
  gpointer user_data;
  gchar *dir;                   /* where segments are written; NULL: memory */

  /* Input side, in the video leg's stream order. */
  gboolean open;                /* frames are fed into a segment */
  gboolean split;               /* the next keyframe starts a segment */
  GstClockTime start_rt;        /* of the segment fed */
  GstClockTime video_end;       /* end of the last frame let in */
  GQueue marks;                 /* Mark: sent, not yet out of the muxer */

  /* Output side, on the muxer's thread. */
  CsPageBuffer *bytes;          /* the segment written; NULL: between two */
  GstClockTime bytes_start_rt;
};

static void
push_mark (CsCutter * c, GstClockTime end_rt, gboolean starts,
    GstClockTime start_rt)
{
  Mark *m = g_new (Mark, 1);

  m->end_rt = end_rt;
  m->starts = starts;
  m->start_rt = start_rt;
  g_queue_push_tail (&c->marks, m);
}

/* Output side: the segment written is complete at @mark (or at EOS, with
 * @mark NULL and its end @eos_end). */
static void
at_mark (CsCutter * c, const Mark * mark, GstClockTime eos_end)
{
  CsPageBuffer *done;
  GstClockTime start_rt, end_rt;
  gsize size;

  g_mutex_lock (&c->lock);
  done = g_steal_pointer (&c->bytes);
  start_rt = c->bytes_start_rt;
  end_rt = mark ? mark->end_rt : eos_end;
  if (mark && mark->starts) {
    c->bytes = cs_page_buffer_new_in (c->dir);
    c->bytes_start_rt = mark->start_rt;
  }
  g_mutex_unlock (&c->lock);

  if (done == NULL)
    return;
  size = cs_page_buffer_get_size (done);
  if (size == 0 || !GST_CLOCK_TIME_IS_VALID (end_rt)) {
    cs_page_buffer_free (done);
    return;
  }
  GST_DEBUG ("segment %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT ": %"
      G_GSIZE_FORMAT " bytes", GST_TIME_ARGS (start_rt),
      GST_TIME_ARGS (end_rt), size);
  c->segment_func (done, start_rt, end_rt, c->user_data);
}

/* Appends @buf to the segment written, if one is; c->lock held.  Memory
 * by memory: a fragment of csfmp4mux comes in several, which mapping the
 * buffer whole would copy into one first. */
static void
append_locked (CsCutter * c, GstBuffer * buf)
{
  guint n = gst_buffer_n_memory (buf);
  GstMapInfo map;

  /* Between a close and the next keyframe: nothing of a segment (the
   * muxer's tables, audio after the video ended). */
  for (guint i = 0; c->bytes && i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);

    if (gst_memory_map (mem, &map, GST_MAP_READ)) {
      cs_page_buffer_append (c->bytes, map.data, map.size);
      gst_memory_unmap (mem, &map);
    }
  }
}

/* The segment written starts with @headers from now on (a rewrite event). */
static void
rewrite (CsCutter * c, GstEvent * event)
{
  const GValue *v = gst_structure_get_value (gst_event_get_structure (event),
      "headers");
  GBytes *headers = v && G_VALUE_HOLDS (v, G_TYPE_BYTES) ?
      g_value_get_boxed (v) : NULL;
  gsize len = headers ? g_bytes_get_size (headers) : 0;

  g_mutex_lock (&c->lock);
  if (c->bytes && len > 0 && len <= cs_page_buffer_get_size (c->bytes))
    cs_page_buffer_overwrite (c->bytes, g_bytes_get_data (headers, NULL),
        len);
  else
    GST_WARNING ("%" G_GSIZE_FORMAT " bytes of headers for no segment", len);
  g_mutex_unlock (&c->lock);
}

static GstFlowReturn
cutter_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  CsCutter *c = gst_pad_get_element_private (pad);

  g_mutex_lock (&c->lock);
  append_locked (c, buf);
  g_mutex_unlock (&c->lock);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* mpegtsmux pushes the packets of each round as one list of 188-byte
 * buffers, csfmp4mux a fragment's parts as one list: taken at once, not a
 * pad call and a lock per buffer. */
static GstFlowReturn
cutter_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  CsCutter *c = gst_pad_get_element_private (pad);
  guint i, n = gst_buffer_list_length (list);

  g_mutex_lock (&c->lock);
  for (i = 0; i < n; i++)
    append_locked (c, gst_buffer_list_get (list, i));
  g_mutex_unlock (&c->lock);
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static gboolean
cutter_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  CsCutter *c = gst_pad_get_element_private (pad);
  gboolean is_mark = gst_video_event_is_force_key_unit (event)
      || cs_cutter_event_is_close (event);

  if (is_mark) {
    Mark *m;

    g_mutex_lock (&c->lock);
    m = g_queue_pop_head (&c->marks);
    g_mutex_unlock (&c->lock);
    if (m)
      at_mark (c, m, GST_CLOCK_TIME_NONE);
    else
      GST_WARNING ("a cut came out of the muxer that was never sent");
    g_free (m);
  } else if (gst_event_has_name (event, REWRITE_EVENT)) {
    rewrite (c, event);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    at_mark (c, NULL, cs_cutter_video_end (c));
    c->eos_func (gst_event_get_seqnum (event), c->user_data);
  }
  gst_event_unref (event);
  return TRUE;
}

CsCutter *
cs_cutter_new (GstElement * muxer, GstClockTime duration, const gchar * dir,
    CsCutterSegmentFunc segment_func, CsCutterEosFunc eos_func,
    gpointer user_data)
{
  CsCutter *c = g_new0 (CsCutter, 1);
  static gsize debug_init = 0;

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (cs_cutter_debug, "cscutter", 0,
        "cssink's segment cutter");
    g_once_init_leave (&debug_init, 1);
  }
  g_mutex_init (&c->lock);
  g_queue_init (&c->marks);
  c->muxer = gst_object_ref (muxer);
  c->duration = duration;
  c->dir = g_strdup (dir);
  c->segment_func = segment_func;
  c->eos_func = eos_func;
  c->user_data = user_data;
  c->start_rt = GST_CLOCK_TIME_NONE;
  c->video_end = GST_CLOCK_TIME_NONE;
  c->bytes_start_rt = GST_CLOCK_TIME_NONE;

  c->sinkpad = gst_pad_new ("cutter", GST_PAD_SINK);
  gst_pad_set_element_private (c->sinkpad, c);
  gst_pad_set_chain_function (c->sinkpad, cutter_chain);
  gst_pad_set_chain_list_function (c->sinkpad, cutter_chain_list);
  gst_pad_set_event_function (c->sinkpad, cutter_event);
  gst_pad_set_active (c->sinkpad, TRUE);
  c->muxsrc = gst_element_get_static_pad (muxer, "src");
  gst_pad_link (c->muxsrc, c->sinkpad);
  return c;
}

void
cs_cutter_free (CsCutter * c)
{
  if (c == NULL)
    return;
  gst_pad_unlink (c->muxsrc, c->sinkpad);
  gst_pad_set_active (c->sinkpad, FALSE);
  gst_object_unref (c->sinkpad);
  gst_object_unref (c->muxsrc);
  gst_object_unref (c->muxer);
  g_queue_clear_full (&c->marks, g_free);
  cs_page_buffer_free (c->bytes);
  g_free (c->dir);
  g_mutex_clear (&c->lock);
  g_free (c);
}

CsCutterVerdict
cs_cutter_video_frame (CsCutter * c, GstPad * muxpad, GstBuffer * buf,
    GstClockTime rt, GstClockTime * next_cut_rt)
{
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buf,
      GST_BUFFER_FLAG_DELTA_UNIT);
  GstClockTime end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : 0);
  GstClockTime prev_end;
  gboolean cut = FALSE, jump;
  GstEvent *fku;

  *next_cut_rt = GST_CLOCK_TIME_NONE;
  g_mutex_lock (&c->lock);
  if (!c->open && !keyframe) {
    g_mutex_unlock (&c->lock);
    return CS_CUTTER_DROP;
  }
  prev_end = c->video_end;
  jump = c->open && GST_CLOCK_TIME_IS_VALID (prev_end) && rt > prev_end + JUMP;
  if (keyframe) {
    /* Why a segment starts here: there is none (the first, or after a
     * close); events asked for it; it is long enough; or the timestamps
     * jumped ahead (one segment must not hold both sides of a jump). */
    cut = !c->open || c->split
        || rt + DURATION_SLACK >= c->start_rt + c->duration || jump;
  }
  if (cut) {
    /* The segment ends where its last frame ended: at this keyframe, or
     * before a jump at its last frame. */
    GstClockTime seg_end = !c->open ? GST_CLOCK_TIME_NONE : jump ? prev_end :
        rt;
    if (jump)
      GST_WARNING ("the video jumps by %" GST_TIME_FORMAT ": the segment "
          "ends at its last frame", GST_TIME_ARGS (rt - prev_end));
    push_mark (c, seg_end, TRUE, rt);
    c->open = TRUE;
    c->split = FALSE;
    c->start_rt = rt;
    *next_cut_rt = rt + c->duration;
  }
  /* The latest end in presentation order: B-frames come out of order. */
  if (!GST_CLOCK_TIME_IS_VALID (c->video_end) || end > c->video_end
      || cut)
    c->video_end = end;
  g_mutex_unlock (&c->lock);

  if (cut) {
    /* all-headers: the muxer writes its tables (PAT/PMT) again first. */
    fku = gst_video_event_new_downstream_force_key_unit (GST_BUFFER_PTS (buf),
        GST_CLOCK_TIME_NONE, rt, TRUE, 0);
    gst_pad_send_event (muxpad, fku);
  }
  return CS_CUTTER_KEEP;
}

void
cs_cutter_split (CsCutter * c)
{
  g_mutex_lock (&c->lock);
  c->split = TRUE;
  g_mutex_unlock (&c->lock);
}

gboolean
cs_cutter_close (CsCutter * c, GstPad * muxpad, GstClockTime end_rt)
{
  gboolean was_open;

  g_mutex_lock (&c->lock);
  was_open = c->open;
  if (was_open) {
    push_mark (c, end_rt, FALSE, GST_CLOCK_TIME_NONE);
    c->open = FALSE;
  }
  g_mutex_unlock (&c->lock);
  if (was_open)
    gst_pad_send_event (muxpad,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            gst_structure_new_empty (CLOSE_EVENT)));
  return was_open;
}

gboolean
cs_cutter_is_open (CsCutter * c)
{
  gboolean open;

  g_mutex_lock (&c->lock);
  open = c->open;
  g_mutex_unlock (&c->lock);
  return open;
}

GstClockTime
cs_cutter_video_end (CsCutter * c)
{
  GstClockTime end;

  g_mutex_lock (&c->lock);
  end = c->video_end;
  g_mutex_unlock (&c->lock);
  return end;
}

gboolean
cs_cutter_event_is_close (GstEvent * event)
{
  return gst_event_has_name (event, CLOSE_EVENT);
}

GstEvent *
cs_cutter_event_new_rewrite (GBytes * headers)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new (REWRITE_EVENT, "headers", G_TYPE_BYTES, headers,
          NULL));
}
