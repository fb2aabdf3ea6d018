/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a gst-launch-1.0 user sees when the store refuses every upload of a
 * live recording: the drain-timeout warning at EOS says what the store
 * answered (each failed attempt is only an element message, which
 * gst-launch-1.0 does not print).  It once said "3 segments were not
 * uploaded before the drain timeout." and nothing of why. */
#include <gst/check/gstcheck.h>

#include "cs-test-server.h"

static CsTestServer *srv;

/* Records 3 s of live video to the test server, and returns the debug
 * details of the drain-timeout warning (fails when there is none). */
static gchar *
drain_warning_details (void)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "num-buffers=75 ! video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 bframes=0 speed-preset=ultrafast "
      "tune=zerolatency ! h264parse ! cssink location=%s device-id=cam "
      "segment-duration=1000000000 timeout=2 drain-timeout=3000000000", uri);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus;
  gchar *details = NULL;
  gboolean done = FALSE;

  fail_unless (pipeline != NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    fail_unless (msg != NULL, "no EOS");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_warning (msg, &error, &debug);
      if (strstr (error->message, "drain timeout") && details == NULL)
        details = g_strdup (debug ? debug : "");
    } else {
      fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
          "%" GST_PTR_FORMAT, msg);
      done = TRUE;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  fail_unless (details != NULL, "no drain-timeout warning");
  return details;
}

GST_START_TEST (test_drain_warning_says_the_answer)
{
  g_autofree gchar *details = NULL;

  cs_test_server_refuse_next (srv, 1000, 500);
  details = drain_warning_details ();
  fail_unless (strstr (details, "500 Internal Server Error") != NULL,
      "the warning does not say what the store answered: '%s'", details);
}

GST_END_TEST;

GST_START_TEST (test_drain_warning_no_answer)
{
  g_autofree gchar *details = NULL;

  srv->hang = TRUE;
  details = drain_warning_details ();
  cs_test_server_release_held (srv);
  fail_unless (strstr (details, "no answer") != NULL
      || strstr (details, "timed out") != NULL, "'%s'", details);
}

GST_END_TEST;

static Suite *
cssink_drain_reason_suite (void)
{
  Suite *s = suite_create ("cssink-drain-reason");
  TCase *tc = tcase_create ("general");

  cs_test_server_add_fixture (tc, &srv);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_drain_warning_says_the_answer);
  tcase_add_test (tc, test_drain_warning_no_answer);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_drain_reason);
