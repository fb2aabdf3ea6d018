/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.json: written by the operator's tool, read by the device. */
#include <gst/check/gstcheck.h>

#include "cs-service.h"

GST_START_TEST (test_round_trip)
{
  g_autoptr (CsService) svc = cs_service_new ("cam1");
  g_autoptr (CsService) back = NULL;
  g_autofree gchar *json = NULL;

  cs_service_activate (svc, "full-time", 2000);
  cs_service_activate (svc, "event-video", 0);
  cs_service_activate_ai (svc, "person", 1500);
  json = cs_service_to_json (svc, 1000);
  back = cs_service_parse (json, -1, NULL);
  fail_unless (back != NULL);
  fail_unless (cs_service_is_active (back, "full-time", 1999));
  fail_if (cs_service_is_active (back, "full-time", 2000));
  fail_unless (cs_service_is_active (back, "event-video", G_MAXINT64));
  fail_if (cs_service_is_active (back, "event-pic", 0));
  fail_unless (cs_service_ai_is_active (back, "person", 1000));
  fail_if (cs_service_ai_is_active (back, "person", 1500));
  fail_if (cs_service_ai_is_active (back, "car", 0));
  cs_service_deactivate (back, "full-time");
  fail_if (cs_service_is_active (back, "full-time", 0));
}

GST_END_TEST;

GST_START_TEST (test_bad_documents)
{
  const gchar *bad[] = { "", "{bad", "[]", "{}", "{\"device\": 5}",
    "{\"device\": \"../x\"}",
    "{\"device\": \"c\", \"channels\": []}",
    "{\"device\": \"c\", \"channels\": {\"bogus\": {}}}",
    "{\"device\": \"c\", \"channels\": {\"full-time\": 1}}",
    "{\"device\": \"c\", \"channels\": {\"full-time\": {\"until_ms\": \"x\"}}}",
    "{\"device\": \"c\", \"channels\": {\"full-time\": {\"until_ms\": 1.5}}}",
    "{\"device\": \"c\", \"ai\": {\"a/b\": {}}}", NULL
  };

  for (guint i = 0; bad[i]; i++) {
    g_autoptr (GError) error = NULL;
    fail_if (cs_service_parse (bad[i], -1, &error), "accepted %s", bad[i]);
    fail_unless (error != NULL);
  }
}

GST_END_TEST;

static Suite *
service_suite (void)
{
  Suite *s = suite_create ("service");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_bad_documents);
  return s;
}

GST_CHECK_MAIN (service);
