/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl export over a store that another tool wrote to as well: objects
 * named like segments that are no MPEG-TS (an empty upload, a stray file,
 * bytes of something else) are named on stderr and left out, and every
 * frame of the real segments is exported (exit status 0: the MP4 holds all
 * there is, and csctl serve's page gets it too).  One such object once made the whole export fail
 * with "Internal data stream error." and no MP4, naming no segment. */
#include <gst/check/gstcheck.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

static gchar *store_dir;

/* Two recordings of 2 s (60 frames), the second 3 s after the first ends;
 * in the gap, two objects named like segments: one empty, one of bytes
 * that are not MPEG-TS. */
static void
setup (void)
{
  gint64 starts[] = { T0, T0 + 5000 };
  g_autofree gchar *hour = NULL, *empty = NULL, *junk = NULL;
  guint8 bytes[4096];

  store_dir = g_dir_make_tmp ("csctl-foreign-XXXXXX", NULL);
  cs_test_record_spans (store_dir, starts, G_N_ELEMENTS (starts));
  hour = g_build_filename (store_dir, "cam1", "rec", "20231114", "22", NULL);
  empty = g_build_filename (hour, "1700000003000_1000.ts", NULL);
  junk = g_build_filename (hour, "1700000004000_1000.ts", NULL);
  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) (i * 7 + 1);
  fail_unless (g_file_set_contents (empty, "", 0, NULL));
  fail_unless (g_file_set_contents (junk, (const gchar *) bytes,
          sizeof bytes, NULL));
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
}

GST_START_TEST (test_export_skips_what_is_not_a_segment)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "all.mp4", NULL);
  g_autofree gchar *err = NULL;
  CsProbe v;

  fail_unless_equals_int (cs_test_csctl (NULL, &err, "export", uri, "cam1",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          "-o", mp4, NULL), 0);
  fail_unless (strstr (err, "cam1/rec/20231114/22/1700000003000_1000.ts")
      != NULL, "%s", err);
  fail_unless (strstr (err, "cam1/rec/20231114/22/1700000004000_1000.ts")
      != NULL, "%s", err);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &v), "no MP4: %s", err);
  fail_unless_equals_int (v.frames, 120);
}

GST_END_TEST;

/* A range of nothing but such objects: an error that says so, no MP4. */
GST_START_TEST (test_export_nothing_readable)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "none.mp4", NULL);
  g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 3000);
  g_autofree gchar *to = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 5000);
  g_autofree gchar *err = NULL;

  fail_unless_equals_int (cs_test_csctl (NULL, &err, "export", uri, "cam1",
          "--from", from, "--to", to, "-o", mp4, NULL), 1);
  fail_unless (strstr (err, "1700000004000_1000.ts") != NULL, "%s", err);
  fail_unless (strstr (err, "no segment in the range can be read") != NULL,
      "%s", err);
  fail_if (g_file_test (mp4, G_FILE_TEST_EXISTS));
}

GST_END_TEST;

static Suite *
csctl_foreign_suite (void)
{
  Suite *s = suite_create ("csctl-foreign");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_export_skips_what_is_not_a_segment);
  tcase_add_test (tc, test_export_nothing_readable);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (csctl_foreign);
