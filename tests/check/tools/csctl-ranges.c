/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl's options out of range, and what it says of a store it did not
 * expect: times past year 9999, event ids no time can be, --expires past
 * SigV4's 7 days, two recordings of one device that overlap.  Segments are
 * empty files with the layout's names: ls and playlist only read names. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

static gchar *store_dir, *uri;

/* Recording A: 22:13:20 to 22:13:23 in 1 s segments; recording B of the
 * same device from 22:13:22.5 for 2 s (0.5 s over A's end); then a 5.5 s
 * gap and one more segment. */
static void
setup (void)
{
  const gchar *names[] = { "1700000000000_1000.ts", "1700000001000_1000.ts",
    "1700000002000_1000.ts", "1700000002500_1000.ts", "1700000003500_1000.ts",
    "1700000010000_1000.ts", NULL
  };
  g_autofree gchar *dir = NULL;

  store_dir = g_dir_make_tmp ("csctl-ranges-XXXXXX", NULL);
  uri = g_strdup_printf ("file://%s", store_dir);
  dir = g_build_filename (store_dir, "cam1", "rec", "20231114", "22", NULL);
  fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
  for (const gchar ** n = names; *n; n++) {
    g_autofree gchar *path = g_build_filename (dir, *n, NULL);
    fail_unless (g_file_set_contents (path, "", 0, NULL));
  }
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&uri, g_free);
}

/* Refused before the store is read, in words, with no GLib CRITICAL and
 * no "(null)". */
GST_START_TEST (test_out_of_range)
{
  const struct
  {
    const gchar *args[6];
    const gchar *says;
  } cases[] = {
    {{"ls", "--from", "253402300800000", "--to", "253402300900000"},
        "not a time from 1970 to 9999"},
    {{"ls", "--from", "4611686018427387000", "--to", "4611686018427387900"},
        "not a time from 1970 to 9999"},
    {{"ls", "--from", "0", "--to", "99999999999999999999"},
        "not a time from 1970 to 9999"},
    {{"playlist", "--event", "4611686018427387000"}, "is not an event id"},
    {{"playlist", "--event", "99999999999999999999"}, "is not an event id"},
    {{"export", "--event", "253402300800000", "-o", "x.mp4"},
        "is not an event id"},
    {{"playlist", "--event", "1700000000000", "--expires", "604801"},
        "--expires must be 1 to 604800 s"},
    {{"playlist", "--event", "1700000000000", "--expires", "0"},
        "--expires must be 1 to 604800 s"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const gchar *const *a = cases[i].args;
    g_autofree gchar *out = NULL, *err = NULL;
    gint status = cs_test_csctl (&out, &err, a[0], uri, "cam1", a[1], a[2],
        a[3], a[4], a[5], NULL);

    fail_unless_equals_int (status, 2);
    fail_unless (strstr (err, cases[i].says) != NULL, "%u: %s", i, err);
    fail_unless (strstr (err, "CRITICAL") == NULL, "%u: %s", i, err);
    fail_unless (strstr (err, "(null)") == NULL, "%u: %s", i, err);
    fail_unless_equals_string (out, "");
  }
}

GST_END_TEST;

/* The last times csctl can show still work. */
GST_START_TEST (test_year_9999)
{
  g_autofree gchar *out = NULL, *err = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", uri, "cam1",
          "--from", "9999-12-31T00:00:00Z", "--to", "253402300799999",
          NULL), 1);
  fail_unless (strstr (err, "no recording of cam1 between 9999-12-31 "
          "00:00:00.000 and 9999-12-31 23:59:59.999 UTC") != NULL, "%s", err);
  fail_unless (strstr (err, "CRITICAL") == NULL, "%s", err);
}

GST_END_TEST;

/* Two recordings of one device that overlap: said as an overlap, with its
 * length (it was "gap -0.5 s"); in JSON apart from the gaps. */
GST_START_TEST (test_overlap)
{
  g_autofree gchar *out = NULL, *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root, *o;

  fail_unless_equals_int (cs_test_csctl (&out, NULL, "ls", uri, "cam1",
          "--from", "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z",
          NULL), 0);
  fail_unless (strstr (out, "3 recorded spans") != NULL, "%s", out);
  fail_unless (strstr (out, "  2023-11-14 22:13:20.000 - 2023-11-14 "
          "22:13:23.000  3.0 s in 3 segments\n  overlap 0.5 s\n  2023-11-14 "
          "22:13:22.500 - 2023-11-14 22:13:24.500  2.0 s in 2 segments\n"
          "  gap 5.5 s\n") != NULL, "%s", out);
  fail_unless (strstr (out, "gap -") == NULL, "%s", out);

  fail_unless_equals_int (cs_test_csctl (&json, NULL, "ls", uri, "cam1",
          "--from", "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z",
          "--json", NULL), 0);
  fail_unless (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "gaps")), 1);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "overlaps")), 1);
  o = json_array_get_object_element (json_object_get_array_member (root,
          "overlaps"), 0);
  fail_unless_equals_int64 (json_object_get_int_member (o, "start_ms"),
      G_GINT64_CONSTANT (1700000002500));
  fail_unless_equals_int64 (json_object_get_int_member (o, "end_ms"),
      G_GINT64_CONSTANT (1700000003000));
}

GST_END_TEST;

static Suite *
csctl_ranges_suite (void)
{
  Suite *s = suite_create ("csctl-ranges");
  TCase *tc = tcase_create ("ranges");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_out_of_range);
  tcase_add_test (tc, test_year_9999);
  tcase_add_test (tc, test_overlap);
  return s;
}

GST_CHECK_MAIN (csctl_ranges);
