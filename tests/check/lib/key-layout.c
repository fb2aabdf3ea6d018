/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one home of the store layout's names: object types by key, the
 * service document, and the paths an event's playlist uses. */
#include <gst/check/gstcheck.h>

#include "cs-key.h"

GST_START_TEST (test_content_types)
{
  fail_unless_equals_string (cs_key_content_type
      ("cam/rec/20260101/00/1_2.ts"), "video/mp2t");
  fail_unless_equals_string (cs_key_content_type ("cam/ev/20260101/e/"
          CS_KEY_EVENT_SNAPSHOT), "image/jpeg");
  fail_unless_equals_string (cs_key_content_type ("cam/ev/20260101/e/"
          CS_KEY_EVENT_PLAYLIST), "application/vnd.apple.mpegurl");
  fail_unless_equals_string (cs_key_content_type ("cam/ev/20260101/e/"
          CS_KEY_EVENT_JSON), "application/json");
  fail_unless_equals_string (cs_key_content_type ("cam/notes.txt"),
      "application/octet-stream");
}

GST_END_TEST;

GST_START_TEST (test_service_key)
{
  g_autofree gchar *key = cs_key_service ("cam1");

  fail_unless_equals_string (key, "cam1/service.json");
}

GST_END_TEST;

/* An event's own segments by name; full-time ones up to the device's
 * directory, whatever the depth of the event directory's names. */
GST_START_TEST (test_relative_to_event_dir)
{
  g_autofree gchar *dir = cs_key_event_dir ("cam1", "e7", 1700000000000);
  g_autofree gchar *own = g_strconcat (dir, "1700000000000_4000.ts", NULL);
  g_autofree gchar *full_time = cs_key_recording_segment ("cam1",
      1700000000000, 4000, CS_KEY_NO_KEY_ID, "ts");
  g_autofree gchar *a = cs_key_relative_to_event_dir (dir, "cam1", own);
  g_autofree gchar *b = cs_key_relative_to_event_dir (dir, "cam1",
      full_time);
  g_autofree gchar *resolved = NULL;

  fail_unless_equals_string (a, "1700000000000_4000.ts");
  fail_unless_equals_string (b,
      "../../../rec/20231114/22/1700000000000_4000.ts");
  /* What a player makes of it: the full-time key again. */
  resolved = g_uri_resolve_relative ("http://h/cam1/ev/20231114/e7/", b,
      G_URI_FLAGS_NONE, NULL);
  fail_unless_equals_string (resolved, "http://h/cam1/rec/20231114/22/"
      "1700000000000_4000.ts");
  fail_unless (g_str_has_prefix (dir, "cam1/ev/20231114/e7/"));
}

GST_END_TEST;

static Suite *
key_layout_suite (void)
{
  Suite *s = suite_create ("key-layout");
  TCase *tc = tcase_create ("layout");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_content_types);
  tcase_add_test (tc, test_service_key);
  tcase_add_test (tc, test_relative_to_event_dir);
  return s;
}

GST_CHECK_MAIN (key_layout);
