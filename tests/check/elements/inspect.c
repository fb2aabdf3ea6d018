/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What gst-inspect-1.0 tells about cssink and cseventgate: time
 * properties say their unit the same way ("in ns" for a GstClockTime,
 * "in s" for whole seconds), the signals' arguments are named in the
 * description (gst-inspect shows only their types) and match the signals
 * as registered, and the gate's pad templates say what they accept. */
#include <gst/check/gstcheck.h>

#include <string.h>

/* @text has @unit ("in ns") not followed by a letter. */
static gboolean
says_unit (const gchar * text, const gchar * unit)
{
  for (const gchar * at = strstr (text, unit); at; at = strstr (at + 1,
          unit))
    if (!g_ascii_isalpha (at[strlen (unit)]))
      return TRUE;
  return FALSE;
}

static gboolean
is_time (const gchar * name)
{
  return !strstr (name, "bytes") && (strstr (name, "duration")
      || strstr (name, "timeout") || strstr (name, "time")
      || strstr (name, "interval") || strstr (name, "roll"));
}

static void
check_time_units (const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  guint n, times = 0;
  GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS
      (e), &n);

  for (guint i = 0; i < n; i++) {
    const gchar *name = g_param_spec_get_name (specs[i]);
    const gchar *blurb = g_param_spec_get_blurb (specs[i]);

    if (!is_time (name))
      continue;
    times++;
    if (G_PARAM_SPEC_VALUE_TYPE (specs[i]) == G_TYPE_UINT64)
      fail_unless (says_unit (blurb, "in ns") && !says_unit (blurb, "in s"),
          "%s %s: \"%s\" does not say in ns", factory, name, blurb);
    else
      fail_unless (says_unit (blurb, "in s") && !says_unit (blurb, "in ns"),
          "%s %s: \"%s\" does not say in s", factory, name, blurb);
    fail_if (says_unit (blurb, "in seconds") || strstr (blurb, "(ns)"),
        "%s %s: \"%s\" says its unit another way", factory, name, blurb);
  }
  fail_unless (times >= 3, "%s: %u time properties", factory, times);
  g_free (specs);
  gst_object_unref (e);
}

GST_START_TEST (test_time_units)
{
  check_time_units ("cssink");
  check_time_units ("cseventgate");
}

GST_END_TEST;

/* @signal of @type has these parameter and return types, and @factory's
 * description names its arguments as @doc does. */
static void
check_signal (const gchar * factory, GType type, const gchar * signal,
    GType ret, GType p0, GType p1, const gchar * doc)
{
  GstElementFactory *f = gst_element_factory_find (factory);
  const gchar *description = gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_DESCRIPTION);
  GSignalQuery q;

  g_signal_query (g_signal_lookup (signal, type), &q);
  fail_unless (q.signal_id != 0, "no signal %s", signal);
  fail_unless_equals_int (q.n_params, 2);
  fail_unless (q.return_type == ret && q.param_types[0] == p0
      && q.param_types[1] == p1, "%s changed its types", signal);
  fail_unless (strstr (description, doc) != NULL, "%s's description does "
      "not say \"%s\":\n%s", factory, doc, description);
  gst_object_unref (f);
}

GST_START_TEST (test_signals_named)
{
  GstElement *sink = gst_element_factory_make ("cssink", NULL);
  GstElement *gate = gst_element_factory_make ("cseventgate", NULL);

  check_signal ("cssink", G_OBJECT_TYPE (sink), "capture-snapshot",
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT,
      "gchararray capture-snapshot (gchararray event-id, guint trigger)");
  check_signal ("cssink", G_OBJECT_TYPE (sink), "snapshot-result",
      G_TYPE_NONE, G_TYPE_STRING, G_TYPE_INT, "snapshot-result (gchararray "
      "path, gint result: 0 stored, 1 timed out, 2 expired, 3 no such file)");
  check_signal ("cseventgate", G_OBJECT_TYPE (gate), "trigger", G_TYPE_INT,
      G_TYPE_UINT, G_TYPE_UINT64, "gint trigger (guint trigger: exactly one "
      "bit");
  check_signal ("cseventgate", G_OBJECT_TYPE (gate), "trigger", G_TYPE_INT,
      G_TYPE_UINT, G_TYPE_UINT64, "guint64 utc-ms: when, 0 = now) returns "
      "0, or -1 not exactly one bit, -2 max-pending-events reached, -3 not "
      "running");
  gst_object_unref (sink);
  gst_object_unref (gate);
}

GST_END_TEST;

GST_START_TEST (test_gate_templates)
{
  GstElement *gate = gst_element_factory_make ("cseventgate", NULL);
  GstPad *video = gst_element_get_static_pad (gate, "video_sink");
  GstPad *out = gst_element_get_static_pad (gate, "video_src");
  GstPadTemplate *audio = gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (gate), "audio_sink_%u");
  GstCaps *h264 = gst_caps_from_string ("video/x-h264, "
      "stream-format=byte-stream, alignment=au");
  GstCaps *raw = gst_caps_from_string ("video/x-raw, format=I420");
  GstCaps *aac = gst_caps_from_string ("audio/mpeg, mpegversion=4");
  GstCaps *audio_caps = gst_pad_template_get_caps (audio);

  fail_if (gst_caps_is_any (audio_caps));
  fail_unless (gst_caps_can_intersect (audio_caps, aac));
  fail_unless (gst_pad_query_accept_caps (video, h264));
  /* Raw video has no keyframes to cut at. */
  fail_if (gst_pad_query_accept_caps (video, raw));
  fail_if (gst_caps_is_any (gst_pad_get_pad_template_caps (out)));
  gst_caps_unref (h264);
  gst_caps_unref (raw);
  gst_caps_unref (aac);
  gst_caps_unref (audio_caps);
  gst_object_unref (video);
  gst_object_unref (out);
  gst_object_unref (gate);
}

GST_END_TEST;

static Suite *
inspect_suite (void)
{
  Suite *s = suite_create ("inspect");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_time_units);
  tcase_add_test (tc, test_signals_named);
  tcase_add_test (tc, test_gate_templates);
  return s;
}

GST_CHECK_MAIN (inspect);
