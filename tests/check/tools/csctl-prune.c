/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl prune on a file:// store: only whole days older than asked, only
 * the layout's day folders (DEVICE/rec/YYYYMMDD, DEVICE/ev/YYYYMMDD), a
 * dry run unless --yes, and never through a symbolic link. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <string.h>

static gchar *tmp, *store, *store_uri;

static void
put (const gchar * rel, const gchar * text)
{
  g_autofree gchar *path = g_build_filename (tmp, rel, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);

  fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
}

static gboolean
exists (const gchar * rel)
{
  g_autofree gchar *path = g_build_filename (tmp, rel, NULL);
  GStatBuf st;

  return g_lstat (path, &st) == 0;
}

/* "store/cam1/rec/<the day @days_ago days ago, UTC>" + @rest. */
static gchar *
day_path (const gchar * device, const gchar * kind, gint days_ago,
    const gchar * rest)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = g_date_time_add_days (now, -days_ago);
  g_autofree gchar *day = g_date_time_format (then, "%Y%m%d");

  return g_strdup_printf ("store/%s/%s/%s%s", device, kind, day, rest);
}

static void
setup (void)
{
  g_autofree gchar *outside = NULL, *link = NULL, *link_in = NULL;

  tmp = g_dir_make_tmp ("csctl-prune-XXXXXX", NULL);
  fail_unless (tmp != NULL);
  store = g_build_filename (tmp, "store", NULL);
  store_uri = g_filename_to_uri (store, NULL, NULL);
  put ("store/cam1/rec/20200101/00/1577836800000_1000.ts", "old");
  put ("store/cam1/ev/20200102/1577923200000/event.json", "{}");
  put ("store/cam2/rec/20200103/05/1578027600000_1000.ts", "old");
  put ("store/cam1/service.json", "{}");
  put ("store/cam1/rec/notaday/x.ts", "kept");
  put ("store/cam1/rec/20201399/x.ts", "kept: no such date");
  put ("store/cam1/rec/20200101x/x.ts", "kept");
  put ("outside/precious", "never deleted");
  {
    /* Days recent enough: kept with --older-than 3. */
    g_autofree gchar *d2 = day_path ("cam1", "rec", 2, "/00/x.ts");
    g_autofree gchar *d0 = day_path ("cam1", "ev", 0, "/1/event.json");
    put (d2, "recent");
    put (d0, "today");
  }
  /* A link named as an old day, and one inside an old day: what they
   * point at stays. */
  outside = g_build_filename (tmp, "outside", NULL);
  link = g_build_filename (store, "cam1", "rec", "20190101", NULL);
  link_in = g_build_filename (store, "cam1", "rec", "20200101", "00",
      "link", NULL);
  fail_unless (symlink (outside, link) == 0);
  fail_unless (symlink (outside, link_in) == 0);
  /* A device folder that is a link is not entered. */
  link = (g_free (link), g_build_filename (store, "cam9", NULL));
  fail_unless (symlink (outside, link) == 0);
  put ("outside/rec/20200101/x.ts", "never deleted either");
}

static void
teardown (void)
{
  cs_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&store, g_free);
  g_clear_pointer (&store_uri, g_free);
}

static void
check_kept_always (void)
{
  g_autofree gchar *d2 = day_path ("cam1", "rec", 2, "/00/x.ts");
  g_autofree gchar *d0 = day_path ("cam1", "ev", 0, "/1/event.json");

  for (const gchar * const *k = (const gchar *[]) {
  "store/cam1/service.json", "store/cam1/rec/notaday/x.ts",
          "store/cam1/rec/20201399/x.ts", "store/cam1/rec/20200101x/x.ts",
          "store/cam1/rec/20190101", "outside/precious",
          "outside/rec/20200101/x.ts", d2, d0, NULL}; *k; k++)
    fail_unless (exists (*k), "%s was deleted", *k);
}

GST_START_TEST (test_dry_run_then_yes)
{
  g_autofree gchar *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  const gchar *old[] = { "store/cam1/rec/20200101", "store/cam1/ev/20200102",
    "store/cam2/rec/20200103", NULL
  };

  /* Dry run: said, nothing deleted. */
  fail_unless_equals_int (cs_test_csctl (&out, &err, "prune", store_uri,
          "--older-than", "3", NULL), 0);
  for (const gchar ** o = old; *o; o++) {
    fail_unless (exists (*o));
    fail_unless (strstr (out, *o + strlen ("store/")) != NULL, "%s not "
        "listed:\n%s", *o, out);
  }
  fail_unless (strstr (out, "3 day folders") && strstr (out, "--yes"), "%s",
      out);
  check_kept_always ();

  fail_unless_equals_int (cs_test_csctl (&out2, &err2, "prune", store_uri,
          "--older-than", "3", "--yes", NULL), 0);
  for (const gchar ** o = old; *o; o++)
    fail_unless (!exists (*o), "%s is still there:\n%s%s", *o, out2, err2);
  check_kept_always ();
}

GST_END_TEST;

GST_START_TEST (test_one_device)
{
  g_autofree gchar *out = NULL, *err = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "prune", store_uri,
          "cam2", "--older-than", "3", "--yes", NULL), 0);
  fail_unless (!exists ("store/cam2/rec/20200103"));
  fail_unless (exists ("store/cam1/rec/20200101"));
  check_kept_always ();
}

GST_END_TEST;

/* A device that is a link, named: not entered. */
GST_START_TEST (test_linked_device)
{
  g_autofree gchar *out = NULL, *err = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "prune", store_uri,
          "cam9", "--older-than", "3", "--yes", NULL), 0);
  fail_unless (strstr (out, "0 day folders") != NULL, "%s", out);
  check_kept_always ();
}

GST_END_TEST;

GST_START_TEST (test_misuse)
{
  g_autofree gchar *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL,
      *o3 = NULL, *e3 = NULL;

  /* No --older-than: refused, nothing deleted. */
  fail_unless_equals_int (cs_test_csctl (&o1, &e1, "prune", store_uri,
          "--yes", NULL), 2);
  fail_unless (strstr (e1, "--older-than") != NULL, "%s", e1);
  fail_unless_equals_int (cs_test_csctl (&o2, &e2, "prune",
          "s3://bucket/x", "--older-than", "3", NULL), 2);
  fail_unless (strstr (e2, "csctl retention") != NULL, "%s", e2);
  fail_unless_equals_int (cs_test_csctl (&o3, &e3, "prune", store_uri,
          "../cam1", "--older-than", "3", NULL), 2);
  fail_unless (exists ("store/cam1/rec/20200101"));
  check_kept_always ();
}

GST_END_TEST;

static Suite *
csctl_prune_suite (void)
{
  Suite *s = suite_create ("csctl-prune");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_dry_run_then_yes);
  tcase_add_test (tc, test_one_device);
  tcase_add_test (tc, test_linked_device);
  tcase_add_test (tc, test_misuse);
  return s;
}

GST_CHECK_MAIN (csctl_prune);
