/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's fMP4 muxer (csfmp4mux, gst/cs-fmp4.c) writes a segment as it
 * comes, into the cutter (gst/cs-cutter.c) as mpegtsmux's packets do,
 * around it in a GstHarness with real x264 frames: the init part (exactly
 * its stored size) at the segment's first keyframe, each GOP at the next
 * keyframe, the last at the segment's end; the segment handed over is those
 * bytes and nothing else, and qtdemux reads every frame of it from a
 * keyframe on.  Only a GOP is held outside the cutter's pages. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "cs-cutter.h"
#include "cs-fmp4.h"
#include "cs-key.h"
#include "cs-test-frames.h"
#include "cs-test-util.h"

#define FPS 25
#define FRAME (GST_SECOND / FPS)
/* Generous: the muxer's thread, on a loaded machine. */
#define WAIT_S 20

typedef struct
{
  GMutex lock;
  GCond cond;
  GByteArray *passed;           /* what the muxer pushed, back to back */
  GPtrArray *buffers;           /* each push's first 8 bytes */
  guint segments_at_second;     /* segments closed when the 2nd came out */
  GPtrArray *segments;          /* GBytes, as closed */
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
on_segment (CsPageBuffer * data, GstClockTime start, GstClockTime end,
    gpointer user_data)
{
  Out *out = user_data;

  g_mutex_lock (&out->lock);
  g_ptr_array_add (out->segments, cs_page_buffer_free_to_bytes (data));
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->lock);
}

static void
on_eos (guint32 seqnum, gpointer user_data)
{
}

/* On the muxer's source pad, before the cutter: each push (a buffer or a
 * list of them), its bytes. */
static GstPadProbeReturn
on_muxer_push (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Out *out = user_data;
  GstBufferList *list = GST_PAD_PROBE_INFO_TYPE (info) &
      GST_PAD_PROBE_TYPE_BUFFER_LIST ? gst_buffer_list_ref
      (GST_PAD_PROBE_INFO_BUFFER_LIST (info)) : gst_buffer_list_new ();
  guint was;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    gst_buffer_list_add (list,
        gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  g_mutex_lock (&out->lock);
  was = out->passed->len;
  for (guint i = 0; i < gst_buffer_list_length (list); i++) {
    GstBuffer *buf = gst_buffer_list_get (list, i);
    gsize size = gst_buffer_get_size (buf);

    g_byte_array_set_size (out->passed, out->passed->len + size);
    gst_buffer_extract (buf, 0, out->passed->data + out->passed->len - size,
        size);
  }
  g_ptr_array_add (out->buffers, g_bytes_new (out->passed->data + was,
          MIN (out->passed->len - was, 8)));
  if (out->buffers->len == 2)
    out->segments_at_second = out->segments->len;
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->lock);
  gst_buffer_list_unref (list);
  return GST_PAD_PROBE_OK;
}

/* The muxer's rewrite of the segment's first bytes (its init part, at its
 * end), applied to what it pushed. */
static GstPadProbeReturn
on_muxer_rewrite (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Out *out = user_data;
  const GstStructure *s =
      gst_event_get_structure (GST_PAD_PROBE_INFO_EVENT (info));
  GBytes *headers;

  if (s == NULL || !gst_structure_has_field_typed (s, "headers",
          G_TYPE_BYTES))
    return GST_PAD_PROBE_OK;
  headers = g_value_get_boxed (gst_structure_get_value (s, "headers"));
  g_mutex_lock (&out->lock);
  fail_unless (g_bytes_get_size (headers) <= out->passed->len);
  memcpy (out->passed->data, g_bytes_get_data (headers, NULL),
      g_bytes_get_size (headers));
  g_mutex_unlock (&out->lock);
  return GST_PAD_PROBE_OK;
}

static void
setup (Fixture * f, GstClockTime duration)
{
  GstElement *mux = cs_fmp4_mux_new ();
  GstPad *src;

  if (frames == NULL)
    frames = cs_test_encode_h264 (100, FPS);
  memset (f, 0, sizeof *f);
  g_mutex_init (&f->out.lock);
  g_cond_init (&f->out.cond);
  f->out.passed = g_byte_array_new ();
  f->out.buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  f->out.segments = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  /* The harness feeds the muxer; the cutter takes its output. */
  gst_object_ref_sink (mux);
  f->h = gst_harness_new_with_element (mux, "sink_%d", NULL);
  f->cutter = cs_cutter_new (mux, duration, NULL, on_segment, on_eos, &f->out);
  src = gst_element_get_static_pad (mux, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, on_muxer_push, &f->out, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_muxer_rewrite, &f->out, NULL);
  gst_object_unref (src);
  gst_object_unref (mux);
  f->muxpad = gst_pad_get_peer (f->h->srcpad);
  gst_harness_set_src_caps (f->h, gst_caps_copy (gst_sample_get_caps
          (g_ptr_array_index (frames, 0))));
  gst_harness_play (f->h);
}

static void
teardown (Fixture * f)
{
  gst_harness_teardown (f->h);
  cs_cutter_free (f->cutter);
  gst_object_unref (f->muxpad);
  g_byte_array_unref (f->out.passed);
  g_ptr_array_unref (f->out.buffers);
  g_ptr_array_unref (f->out.segments);
  g_mutex_clear (&f->out.lock);
  g_cond_clear (&f->out.cond);
}

/* Frames @from to @to (excluded) at their own times, shown to the cutter as
 * cssink does, and into the muxer. */
static void
push_frames (Fixture * f, guint from, guint to)
{
  for (guint n = from; n < to; n++) {
    GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer
        (g_ptr_array_index (frames, n)));
    GstClockTime next_cut;

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = n * FRAME;
    GST_BUFFER_DURATION (buf) = FRAME;
    fail_unless (cs_cutter_video_frame (f->cutter, f->muxpad, buf,
            n * FRAME, &next_cut) == CS_CUTTER_KEEP);
    fail_unless_equals_int (gst_harness_push (f->h, buf), GST_FLOW_OK);
  }
}

/* Waits until the muxer pushed @n buffers and @segments were closed. */
static gboolean
wait_out (Fixture * f, guint n, guint segments)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&f->out.lock);
  while ((f->out.buffers->len < n || f->out.segments->len < segments) && ok)
    ok = g_cond_wait_until (&f->out.cond, &f->out.lock, deadline);
  ok = f->out.buffers->len >= n && f->out.segments->len >= segments;
  g_mutex_unlock (&f->out.lock);
  return ok;
}

static gboolean
starts_with_box (GBytes * bytes, const gchar * type)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  return len >= 8 && memcmp (d + 4, type, 4) == 0;
}

/* The init part at the first keyframe, the first GOP as soon as the second
 * keyframe is in, before the segment ends; the segment handed over at EOS
 * is what went through, read whole from its keyframe. */
GST_START_TEST (test_gop_by_gop)
{
  Fixture f;
  GBytes *segment;
  CsMediaInfo info;

  setup (&f, 60 * GST_SECOND);
  push_frames (&f, 0, 1);
  fail_unless (wait_out (&f, 1, 0), "no init part at the first keyframe");
  fail_unless (starts_with_box (g_ptr_array_index (f.out.buffers, 0),
          "ftyp"));
  fail_unless_equals_int (f.out.passed->len, CS_KEY_FMP4_INIT_SIZE);

  /* The rest of the first GOP and the second's keyframe. */
  push_frames (&f, 1, FPS + 1);
  fail_unless (wait_out (&f, 2, 0), "the first GOP was held back");
  fail_unless (starts_with_box (g_ptr_array_index (f.out.buffers, 1),
          "moof"));
  fail_unless_equals_int (f.out.segments_at_second, 0);

  push_frames (&f, FPS + 1, 3 * FPS);
  fail_unless (wait_out (&f, 3, 0));
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless (wait_out (&f, 4, 1), "the last GOP or the segment missing");
  fail_unless_equals_int (f.out.buffers->len, 4);
  fail_unless_equals_int (f.out.segments->len, 1);

  segment = g_ptr_array_index (f.out.segments, 0);
  fail_unless (g_bytes_get_size (segment) == f.out.passed->len
      && memcmp (g_bytes_get_data (segment, NULL), f.out.passed->data,
          f.out.passed->len) == 0, "the segment is not what the muxer wrote");
  fail_unless (cs_test_read_ts (segment, &info), "the segment is unreadable");
  fail_unless_equals_int (info.video_frames, 3 * FPS);
  fail_unless (info.first_video_is_keyframe);
  cs_media_info_clear (&info);
  teardown (&f);
}

GST_END_TEST;

/* A cut (the force-key-unit the cutter sends at the duration): the first
 * segment's last GOP comes before the mark, the next segment's init part
 * after it; each segment is whole and alone. */
GST_START_TEST (test_cut_between_segments)
{
  Fixture f;
  CsMediaInfo info;

  setup (&f, 2 * GST_SECOND);
  push_frames (&f, 0, 2 * FPS + 1);
  fail_unless (wait_out (&f, 4, 1), "not closed at the cut's keyframe");
  push_frames (&f, 2 * FPS + 1, 4 * FPS);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless (wait_out (&f, 6, 2));
  for (guint i = 0; i < 2; i++) {
    GBytes *segment = g_ptr_array_index (f.out.segments, i);

    fail_unless (starts_with_box (segment, "ftyp"));
    fail_unless (cs_test_read_ts (segment, &info), "segment %u unreadable",
        i);
    fail_unless_equals_int (info.video_frames, 2 * FPS);
    fail_unless (info.first_video_is_keyframe);
    cs_media_info_clear (&info);
  }
  teardown (&f);
}

GST_END_TEST;

/* A frame from @pool (filled with frame @n), waiting at most 5 s for one
 * to come back; NULL when none did. */
static GstBuffer *
pooled_frame (GstBufferPool * pool, guint n)
{
  GstBuffer *in = gst_sample_get_buffer (g_ptr_array_index (frames, n));
  GstBufferPoolAcquireParams params = {.flags =
        GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT };
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  GstBuffer *buf = NULL;
  GstMapInfo map;

  while (gst_buffer_pool_acquire_buffer (pool, &buf, &params) != GST_FLOW_OK) {
    if (g_get_monotonic_time () > deadline)
      return NULL;
    g_usleep (10000);
  }
  gst_buffer_map (in, &map, GST_MAP_READ);
  gst_buffer_fill (buf, 0, map.data, map.size);
  gst_buffer_set_size (buf, map.size);
  gst_buffer_unmap (in, &map);
  GST_BUFFER_FLAGS (buf) = GST_BUFFER_FLAGS (in);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = n * FRAME;
  GST_BUFFER_DURATION (buf) = FRAME;
  return buf;
}

/* An encoder with a few output buffers of its own (a hardware encoder's
 * pool) goes on: the muxer holds a GOP, but not the encoder's buffers. */
GST_START_TEST (test_pooled_frames_not_held)
{
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  gsize largest = 0;
  Fixture f;

  setup (&f, 60 * GST_SECOND);
  for (guint n = 0; n < frames->len; n++)
    largest = MAX (largest, gst_buffer_get_size (gst_sample_get_buffer
            (g_ptr_array_index (frames, n))));
  gst_buffer_pool_config_set_params (config, NULL, largest, 4, 4);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  for (guint n = 0; n < 2 * FPS; n++) {
    GstBuffer *buf = pooled_frame (pool, n);
    GstClockTime next_cut;

    fail_unless (buf != NULL, "frame %u: the encoder's 4 buffers are all "
        "held", n);
    fail_unless (cs_cutter_video_frame (f.cutter, f.muxpad, buf, n * FRAME,
            &next_cut) == CS_CUTTER_KEEP);
    fail_unless_equals_int (gst_harness_push (f.h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless (wait_out (&f, 3, 1));
  teardown (&f);
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
}

GST_END_TEST;

static Suite *
cssink_fmp4_stream_suite (void)
{
  Suite *s = suite_create ("cssink-fmp4-stream");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gop_by_gop);
  tcase_add_test (tc, test_cut_between_segments);
  tcase_add_test (tc, test_pooled_frames_not_held);
  return s;
}

GST_CHECK_MAIN (cssink_fmp4_stream);
