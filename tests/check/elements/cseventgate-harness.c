/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cseventgate alone in a GstHarness: timestamped buffers in (25 fps, a
 * keyframe every second, each with its UTC in a timestamp/x-unix meta),
 * `trigger`, and what comes out: which frames, and the events downstream. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

/* The gate's custom downstream events (gst/cs-gate-events.h). */
#define CS_EVENT_STARTED "cs-event-started"
#define CS_EVENT_ENDED "cs-event-ended"
#define CS_GATE_OPEN "cs-gate-open"
#define CS_GATE_CLOSE "cs-gate-close"

#define BASE_MS G_GINT64_CONSTANT (1700000000000)
#define FPS 25
#define FRAME (GST_SECOND / FPS)
#define MD (1u << 0)
#define PD (1u << 1)

static GstHarness *
new_gate (const gchar * props)
{
  GstElement *gate = gst_element_factory_make ("cseventgate", NULL);
  g_auto (GStrv) settings = g_strsplit (props, " ", -1);
  GstHarness *h;

  /* Before the harness starts it: they take effect at start. */
  for (guint i = 0; settings[i]; i++) {
    g_auto (GStrv) kv = g_strsplit (settings[i], "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg (G_OBJECT (gate), kv[0], kv[1]);
  }
  h = gst_harness_new_with_element (gate, "video_sink", "video_src");
  gst_object_unref (gate);

  gst_harness_set_src_caps_str (h, "video/x-h264, stream-format=byte-stream,"
      " alignment=au");
  return h;
}

/* Frame @n: PTS n/25 s, a keyframe each second, UTC BASE_MS + its PTS. */
static void
push_frames (GstHarness * h, guint from, guint to)
{
  static GstCaps *unix_caps;

  if (unix_caps == NULL)
    unix_caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  for (guint n = from; n < to; n++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = n * FRAME;
    GST_BUFFER_DURATION (buf) = FRAME;
    if (n % FPS != 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
        BASE_MS * GST_MSECOND + n * FRAME, GST_CLOCK_TIME_NONE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
}

static gint
trigger (GstHarness * h, guint bits, gdouble at_s)
{
  gint result = 99;

  g_signal_emit_by_name (h->element, "trigger", bits,
      (guint64) (BASE_MS + at_s * 1000), &result);
  return result;
}

/* The PTS of the frames that came out, in order, and the names of the
 * gate's events among them (as "name@frame-index"). */
static void
pull_all (GstHarness * h, GArray * pts, GString * events)
{
  GstBuffer *buf;
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM && s != NULL
        && events != NULL)
      g_string_append_printf (events, "%s%s", events->len ? " " : "",
          gst_structure_get_name (s));
    gst_event_unref (ev);
  }
  while ((buf = gst_harness_try_pull (h)) != NULL) {
    GstClockTime t = GST_BUFFER_PTS (buf);
    g_array_append_val (pts, t);
    gst_buffer_unref (buf);
  }
}

/* A trigger at exactly a keyframe's time with no pre-roll: the recording
 * starts at that keyframe (3.0 s), not at the one before it, and lasts the
 * minimum record time (to the keyframe at 7.0 s). */
GST_START_TEST (test_trigger_at_keyframe)
{
  GstHarness *h = new_gate ("pre-roll=0 min-record-time=4 event-interval=4");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

  fail_unless_equals_int (trigger (h, MD, 3.0), 0);
  push_frames (h, 0, 10 * FPS);
  pull_all (h, pts, NULL);
  fail_unless (pts->len > 0);
  fail_unless_equals_uint64 (g_array_index (pts, GstClockTime, 0),
      3 * GST_SECOND);
  fail_unless_equals_int (pts->len, 4 * FPS);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* No trigger: nothing passes. */
GST_START_TEST (test_closed_without_trigger)
{
  GstHarness *h = new_gate ("");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  gboolean recording = TRUE;

  push_frames (h, 0, 10 * FPS);
  pull_all (h, pts, NULL);
  fail_unless_equals_int (pts->len, 0);
  g_object_get (h->element, "recording", &recording, NULL);
  fail_if (recording);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A trigger at 2.2 s with 1 s of pre-roll and 4 s of minimum record time:
 * from the keyframe at or before 1.2 s (1.0 s) to before the first
 * keyframe at or after 6.2 s (7.0 s), every frame, in order; the recording
 * starts on a keyframe and the event is told downstream. */
GST_START_TEST (test_trigger_opens_with_pre_roll)
{
  GstHarness *h = new_gate ("pre-roll=1000000000 min-record-time=4 "
      "event-interval=4");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  g_autoptr (GString) events = g_string_new (NULL);

  fail_unless_equals_int (trigger (h, MD, 2.2), 0);
  push_frames (h, 0, 12 * FPS);
  pull_all (h, pts, events);
  fail_unless_equals_int (pts->len, 6 * FPS);
  fail_unless_equals_uint64 (g_array_index (pts, GstClockTime, 0),
      1 * GST_SECOND);
  for (guint i = 1; i < pts->len; i++)
    fail_unless_equals_uint64 (g_array_index (pts, GstClockTime, i),
        GST_SECOND + i * FRAME);
  fail_unless (strstr (events->str, CS_GATE_OPEN) != NULL, "%s",
      events->str);
  fail_unless (strstr (events->str, CS_EVENT_STARTED) != NULL, "%s",
      events->str);
  fail_unless (strstr (events->str, CS_GATE_CLOSE) != NULL, "%s",
      events->str);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A repeated trigger extends the recording: from the keyframe at or before
 * the first (2.1 s, no pre-roll: 2.0 s) until the last trigger + the
 * minimum record time (5.0 + 4 = 9.0 s, a keyframe: it stops there). */
GST_START_TEST (test_repeat_extends)
{
  GstHarness *h = new_gate ("pre-roll=0 min-record-time=4 "
      "event-interval=60");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

  fail_unless_equals_int (trigger (h, MD, 2.1), 0);
  fail_unless_equals_int (trigger (h, MD, 5.0), 0);
  push_frames (h, 0, 12 * FPS);
  pull_all (h, pts, NULL);
  fail_unless_equals_uint64 (g_array_index (pts, GstClockTime, 0),
      2 * GST_SECOND);
  fail_unless_equals_int (pts->len, 7 * FPS);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A trigger must be one bit: anything else is refused, with no effect. */
GST_START_TEST (test_trigger_needs_one_bit)
{
  GstHarness *h = new_gate ("");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

  fail_unless_equals_int (trigger (h, MD | PD, 1.0), -1);
  fail_unless_equals_int (trigger (h, 0, 1.0), -1);
  push_frames (h, 0, 5 * FPS);
  pull_all (h, pts, NULL);
  fail_unless_equals_int (pts->len, 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* mark mode: everything passes untouched; the events are still told. */
GST_START_TEST (test_mark_passes_everything)
{
  GstHarness *h = new_gate ("mode=mark min-record-time=4 event-interval=4");
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  g_autoptr (GString) events = g_string_new (NULL);

  fail_unless_equals_int (trigger (h, MD, 2.0), 0);
  push_frames (h, 0, 10 * FPS);
  pull_all (h, pts, events);
  fail_unless_equals_int (pts->len, 10 * FPS);
  fail_unless (strstr (events->str, CS_EVENT_STARTED) != NULL, "%s",
      events->str);
  fail_unless (strstr (events->str, CS_EVENT_ENDED) != NULL, "%s",
      events->str);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
cseventgate_harness_suite (void)
{
  Suite *s = suite_create ("cseventgate-harness");
  TCase *tc = tcase_create ("gate");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_closed_without_trigger);
  tcase_add_test (tc, test_trigger_opens_with_pre_roll);
  tcase_add_test (tc, test_trigger_at_keyframe);
  tcase_add_test (tc, test_repeat_extends);
  tcase_add_test (tc, test_trigger_needs_one_bit);
  tcase_add_test (tc, test_mark_passes_everything);
  return s;
}

GST_CHECK_MAIN (cseventgate_harness);
