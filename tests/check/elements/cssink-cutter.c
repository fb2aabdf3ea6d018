/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's cutter (gst/cs-cutter.c) around a real mpegtsmux in a GstHarness,
 * real x264 frames in, one test per rule for where a segment ends:
 *
 * - at the first keyframe after the segment duration (the force-key-unit the
 *   cutter sends the muxer comes out at that keyframe), as soon as the muxer
 *   has written it, with no frame after it needed;
 * - at the next keyframe when asked (cs_cutter_split: an event starts);
 * - before a jump of the timestamps (at the last frame before it);
 * - at a close marker (a gate close, an idle camera: cssink's idle check
 *   closes at cs_cutter_video_end ()), at once, the frames after it dropped
 *   up to the next keyframe;
 * - at EOS, then the EOS callback.
 *
 * Every segment is read back with tsdemux: it starts with a keyframe, and
 * frames in = frames stored. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "cs-cutter.h"
#include "cs-test-frames.h"
#include "cs-test-util.h"

#define FPS 25
#define FRAME (GST_SECOND / FPS)
/* Generous: the muxer's thread, on a loaded machine. */
#define WAIT_S 20

typedef struct
{
  GBytes *data;
  GstClockTime start, end;
} Segment;

typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *segments;             /* Segment, as closed */
  gboolean eos;
  guint32 eos_seqnum;
  guint segments_at_eos;
} Out;

typedef struct
{
  GstHarness *h;
  GstPad *muxpad;
  CsCutter *cutter;
  Out out;
} Fixture;

/* Encoded once: 4 s of 320x240 video, a keyframe each second. */
static GPtrArray *frames;

static void
segment_clear (Segment * s)
{
  g_bytes_unref (s->data);
}

static void
on_segment (CsPageBuffer * data, GstClockTime start, GstClockTime end,
    gpointer user_data)
{
  Out *out = user_data;
  Segment s = { cs_page_buffer_free_to_bytes (data), start, end };

  g_mutex_lock (&out->lock);
  g_array_append_val (out->segments, s);
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->lock);
}

static void
on_eos (guint32 seqnum, gpointer user_data)
{
  Out *out = user_data;

  g_mutex_lock (&out->lock);
  out->eos = TRUE;
  out->eos_seqnum = seqnum;
  out->segments_at_eos = out->segments->len;
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->lock);
}

static void
setup (Fixture * f, GstClockTime duration)
{
  GstElement *mux = gst_element_factory_make ("mpegtsmux", NULL);
  GstSample *first;

  if (frames == NULL)
    frames = cs_test_encode_h264 (100, FPS);
  memset (f, 0, sizeof *f);
  g_mutex_init (&f->out.lock);
  g_cond_init (&f->out.cond);
  f->out.segments = g_array_new (FALSE, FALSE, sizeof (Segment));
  g_array_set_clear_func (f->out.segments, (GDestroyNotify) segment_clear);
  /* The harness feeds the muxer; the cutter takes its output. */
  f->h = gst_harness_new_with_element (mux, "sink_%d", NULL);
  f->cutter = cs_cutter_new (mux, duration, NULL, on_segment, on_eos, &f->out);
  gst_object_unref (mux);
  f->muxpad = gst_pad_get_peer (f->h->srcpad);
  first = g_ptr_array_index (frames, 0);
  gst_harness_set_src_caps (f->h, gst_caps_copy (gst_sample_get_caps
          (first)));
  gst_harness_play (f->h);
}

static void
teardown (Fixture * f)
{
  gst_harness_teardown (f->h);
  cs_cutter_free (f->cutter);
  gst_object_unref (f->muxpad);
  g_array_unref (f->out.segments);
  g_mutex_clear (&f->out.lock);
  g_cond_clear (&f->out.cond);
}

/* Frame @n of the encoded ones, at @pts, shown to the cutter as cssink
 * does, and into the muxer when kept.  TRUE when kept. */
static gboolean
push_frame_at (Fixture * f, guint n, GstClockTime pts,
    GstClockTime * next_cut)
{
  GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer
      (g_ptr_array_index (frames, n)));
  GstClockTime ignored;

  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = FRAME;
  if (cs_cutter_video_frame (f->cutter, f->muxpad, buf, pts,
          next_cut ? next_cut : &ignored) == CS_CUTTER_DROP) {
    gst_buffer_unref (buf);
    return FALSE;
  }
  fail_unless_equals_int (gst_harness_push (f->h, buf), GST_FLOW_OK);
  return TRUE;
}

/* Frames @from to @to (excluded) at their own times; how many were kept. */
static guint
push_frames (Fixture * f, guint from, guint to)
{
  guint kept = 0;

  for (guint n = from; n < to; n++)
    kept += push_frame_at (f, n, n * FRAME, NULL);
  return kept;
}

/* Waits until @n segments are closed; FALSE when they were not in time. */
static gboolean
wait_segments (Fixture * f, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&f->out.lock);
  while (f->out.segments->len < n && ok)
    ok = g_cond_wait_until (&f->out.cond, &f->out.lock, deadline);
  ok = f->out.segments->len >= n;
  g_mutex_unlock (&f->out.lock);
  return ok;
}

static void
push_eos_and_wait (Fixture * f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;

  fail_unless (gst_harness_push_event (f->h, gst_event_new_eos ()));
  g_mutex_lock (&f->out.lock);
  while (!f->out.eos
      && g_cond_wait_until (&f->out.cond, &f->out.lock, deadline));
  fail_unless (f->out.eos, "the EOS callback never came");
  g_mutex_unlock (&f->out.lock);
}

static Segment *
seg (Fixture * f, guint i)
{
  fail_unless (i < f->out.segments->len);
  return &g_array_index (f->out.segments, Segment, i);
}

/* Segment @i spans @from to @to and holds @frames video frames, the first
 * a keyframe (tsdemux reads it on its own). */
static void
check_segment (Fixture * f, guint i, GstClockTime from, GstClockTime to,
    guint n_frames)
{
  Segment *s = seg (f, i);
  CsMediaInfo info;

  fail_unless_equals_uint64 (s->start, from);
  fail_unless_equals_uint64 (s->end, to);
  fail_unless (cs_test_read_ts (s->data, &info), "segment %u unreadable", i);
  fail_unless_equals_int (info.video_frames, n_frames);
  fail_unless (info.first_video_is_keyframe, "segment %u starts without a "
      "keyframe", i);
  cs_media_info_clear (&info);
}

/* A segment ends at the first keyframe at or after its duration, and is
 * handed over once the muxer wrote that keyframe's cut: before any frame
 * after the keyframe is pushed.  The keyframe request for the encoder names
 * where the next cut is due. */
GST_START_TEST (test_cut_at_keyframe_after_duration)
{
  Fixture f;
  GstClockTime next_cut = GST_CLOCK_TIME_NONE;

  setup (&f, GST_SECOND);
  push_frame_at (&f, 0, 0, &next_cut);
  fail_unless_equals_uint64 (next_cut, GST_SECOND);
  push_frames (&f, 1, FPS);
  fail_unless_equals_int (f.out.segments->len, 0);
  /* The keyframe at 1 s: the first segment is closed, nothing more in. */
  push_frame_at (&f, FPS, FPS * FRAME, &next_cut);
  fail_unless_equals_uint64 (next_cut, 2 * GST_SECOND);
  fail_unless (wait_segments (&f, 1), "not closed at the next keyframe");
  check_segment (&f, 0, 0, GST_SECOND, FPS);
  push_frames (&f, FPS + 1, 3 * FPS);
  fail_unless (wait_segments (&f, 2));
  push_eos_and_wait (&f);
  check_segment (&f, 1, GST_SECOND, 2 * GST_SECOND, FPS);
  check_segment (&f, 2, 2 * GST_SECOND, 3 * GST_SECOND, FPS);
  teardown (&f);
}

GST_END_TEST;

/* Asked to split (an event starts): the next keyframe starts a segment,
 * long before the duration. */
GST_START_TEST (test_split_at_next_keyframe)
{
  Fixture f;

  setup (&f, 60 * GST_SECOND);
  push_frames (&f, 0, 10);
  cs_cutter_split (f.cutter);
  push_frames (&f, 10, 2 * FPS + 1);
  fail_unless (wait_segments (&f, 1), "no cut at the keyframe after split");
  push_eos_and_wait (&f);
  fail_unless_equals_int (f.out.segments->len, 2);
  check_segment (&f, 0, 0, GST_SECOND, FPS);
  /* Only the split's keyframe: the one at 2 s did not cut. */
  check_segment (&f, 1, GST_SECOND, 2 * GST_SECOND + FRAME, FPS + 1);
  teardown (&f);
}

GST_END_TEST;

/* The timestamps jump ahead (a camera's clock set forward): the segment
 * ends at its last frame before the jump, not at the keyframe after it. */
GST_START_TEST (test_jump_ends_at_last_frame)
{
  Fixture f;

  setup (&f, 60 * GST_SECOND);
  push_frames (&f, 0, FPS);
  /* The next GOP comes 5 s later than it should. */
  for (guint n = FPS; n < 2 * FPS; n++)
    push_frame_at (&f, n, n * FRAME + 5 * GST_SECOND, NULL);
  push_eos_and_wait (&f);
  fail_unless_equals_int (f.out.segments->len, 2);
  check_segment (&f, 0, 0, GST_SECOND, FPS);
  check_segment (&f, 1, 6 * GST_SECOND, 7 * GST_SECOND, FPS);
  teardown (&f);
}

GST_END_TEST;

/* A close (the gate closed, the camera went idle: cssink closes at
 * cs_cutter_video_end ()): the segment is handed over at once, ending at
 * the end of its last frame; the frames after it up to the next keyframe
 * are dropped (no segment holds them), and that keyframe starts the next. */
GST_START_TEST (test_close_marker_ends_at_once)
{
  Fixture f;
  guint kept;

  setup (&f, 60 * GST_SECOND);
  push_frames (&f, 0, 38);
  fail_unless (cs_cutter_is_open (f.cutter));
  fail_unless_equals_uint64 (cs_cutter_video_end (f.cutter), 38 * FRAME);
  fail_unless (cs_cutter_close (f.cutter, f.muxpad,
          cs_cutter_video_end (f.cutter)));
  fail_if (cs_cutter_is_open (f.cutter));
  /* No frame after it, no EOS: the marker alone closes it. */
  fail_unless (wait_segments (&f, 1), "not closed by the marker");
  check_segment (&f, 0, 0, 38 * FRAME, 38);
  /* Closing again closes nothing. */
  fail_if (cs_cutter_close (f.cutter, f.muxpad, 40 * FRAME));

  kept = push_frames (&f, 38, 2 * FPS);
  fail_unless_equals_int (kept, 0);
  kept = push_frames (&f, 2 * FPS, 3 * FPS);
  fail_unless_equals_int (kept, FPS);
  push_eos_and_wait (&f);
  fail_unless_equals_int (f.out.segments->len, 2);
  check_segment (&f, 1, 2 * GST_SECOND, 3 * GST_SECOND, FPS);
  teardown (&f);
}

GST_END_TEST;

/* EOS: the segment being written is handed over, ending at its last frame,
 * before the EOS callback (with the seqnum of the muxer's EOS, which
 * cssink's own EOS message carries). */
GST_START_TEST (test_eos_hands_over_last_segment)
{
  Fixture f;
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;

  setup (&f, 60 * GST_SECOND);
  push_frames (&f, 0, 38);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  g_mutex_lock (&f.out.lock);
  while (!f.out.eos
      && g_cond_wait_until (&f.out.cond, &f.out.lock, deadline));
  g_mutex_unlock (&f.out.lock);
  fail_unless (f.out.eos);
  fail_unless (f.out.eos_seqnum != GST_SEQNUM_INVALID);
  fail_unless_equals_int (f.out.segments_at_eos, 1);
  check_segment (&f, 0, 0, 38 * FRAME, 38);
  teardown (&f);
}

GST_END_TEST;

/* Before the first keyframe nothing can start a segment. */
GST_START_TEST (test_no_segment_before_keyframe)
{
  Fixture f;

  setup (&f, 60 * GST_SECOND);
  fail_unless_equals_int (push_frames (&f, 5, FPS), 0);
  fail_if (cs_cutter_is_open (f.cutter));
  fail_unless_equals_int (push_frames (&f, FPS, 2 * FPS), FPS);
  push_eos_and_wait (&f);
  fail_unless_equals_int (f.out.segments->len, 1);
  check_segment (&f, 0, GST_SECOND, 2 * GST_SECOND, FPS);
  teardown (&f);
}

GST_END_TEST;

static Suite *
cutter_suite (void)
{
  Suite *s = suite_create ("cssink-cutter");
  TCase *tc = tcase_create ("general");

  tcase_add_test (tc, test_cut_at_keyframe_after_duration);
  tcase_add_test (tc, test_split_at_next_keyframe);
  tcase_add_test (tc, test_jump_ends_at_last_frame);
  tcase_add_test (tc, test_close_marker_ends_at_once);
  tcase_add_test (tc, test_eos_hands_over_last_segment);
  tcase_add_test (tc, test_no_segment_before_keyframe);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cutter);
