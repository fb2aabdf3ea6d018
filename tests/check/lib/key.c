/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Object keys only from validated names. */
#include <gst/check/gstcheck.h>

#include "cs-key.h"

GST_START_TEST (test_names)
{
  g_autofree gchar *long_ok = g_strnfill (CS_KEY_MAX_NAME_LEN, 'a');
  g_autofree gchar *too_long = g_strnfill (CS_KEY_MAX_NAME_LEN + 1, 'a');
  const gchar *bad[] = { "", ".", "..", ".hidden", "a/b", "a b", "a\nb",
    "a\\b", "caf\xc3\xa9", "a%2e", "a:b", NULL
  };

  fail_unless (cs_key_name_is_valid ("cam-01_A.b"));
  fail_unless (cs_key_name_is_valid (long_ok));
  fail_if (cs_key_name_is_valid (too_long));
  fail_if (cs_key_name_is_valid (NULL));
  for (guint i = 0; bad[i]; i++)
    fail_if (cs_key_name_is_valid (bad[i]), "'%s' accepted", bad[i]);
}

GST_END_TEST;

GST_START_TEST (test_prefixes_and_keys)
{
  const gchar *bad[] = { "/a", "a/", "a//b", "a/../b", "a/./b", "a/\x01",
    NULL
  };

  fail_unless (cs_key_prefix_is_valid (""));
  fail_unless (cs_key_prefix_is_valid ("site1/floor-2"));
  fail_if (cs_key_is_valid (""));
  fail_unless (cs_key_is_valid ("cam1/rec/20261124/05/1_2.ts"));
  for (guint i = 0; bad[i]; i++) {
    fail_if (cs_key_prefix_is_valid (bad[i]), "'%s' accepted", bad[i]);
    fail_if (cs_key_is_valid (bad[i]), "'%s' accepted", bad[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_segment_key)
{
  g_autofree gchar *k = cs_key_recording_segment ("cam1", 1700000000000,
      4000, CS_KEY_NO_KEY_ID, "ts");
  g_autofree gchar *midnight = cs_key_recording_segment ("cam1",
      1700006399999, 1, CS_KEY_NO_KEY_ID, "ts");

  fail_unless_equals_string (k, "cam1/rec/20231114/22/1700000000000_4000.ts");
  fail_unless_equals_string (midnight,
      "cam1/rec/20231114/23/1700006399999_1.ts");
}

GST_END_TEST;

GST_START_TEST (test_parse_segment)
{
  const gchar *bad[] = { "x.ts", "1_.ts", "_1.ts", "1-2.ts", "1_2", "a1_2.ts",
    "99999999999999999999_1.ts", "cam1/rec/-1_2.ts",
    /* a span of 31 years: a foreign name, not a segment */
    "1796437000000_999999999999.ts", NULL
  };
  gint64 start = 0, dur = 0;
  g_autofree gchar *hour = cs_key_recording_hour ("cam1", 1700000000000);

  fail_unless (cs_key_parse_segment ("cam1/rec/20231114/22/1700000000000_4000.ts",
          &start, &dur));
  fail_unless_equals_int64 (start, 1700000000000);
  fail_unless_equals_int64 (dur, 4000);
  fail_unless (cs_key_parse_segment ("1700000000000_86400000.mp4", &start,
          &dur));
  for (guint i = 0; bad[i]; i++)
    fail_if (cs_key_parse_segment (bad[i], &start, &dur), "%s", bad[i]);
  fail_unless_equals_string (hour, "cam1/rec/20231114/22/");
}

GST_END_TEST;

static Suite *
key_suite (void)
{
  Suite *s = suite_create ("key");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_names);
  tcase_add_test (tc, test_prefixes_and_keys);
  tcase_add_test (tc, test_segment_key);
  tcase_add_test (tc, test_parse_segment);
  return s;
}

GST_CHECK_MAIN (key);
