/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cs_store_list_names: a store's devices a page at a time, without listing
 * what lies below them; on a file store and on the real S3 server (Ceph
 * RGW, when tests/run-tests.sh runs it). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-util.h"

#include <string.h>

/* Devices whose names sort around '/' ("cam1-x/" < "cam1/" < "cam10/"),
 * each with keys in two levels, and an object at the top (not a device). */
static const gchar *const devices[] = { "cam1", "cam1-x", "cam1.y", "cam10",
  "cam2", NULL
};

static void
put_devices (CsStore * store)
{
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);

  for (const gchar * const *d = devices; *d; d++)
    for (guint i = 0; i < 3; i++) {
      g_autofree gchar *key = g_strdup_printf ("%s/rec/20231114/22/"
          "170000000%u000_1000.ts", *d, i);
      fail_unless (cs_store_put (store, key, data, NULL, NULL, NULL));
    }
  fail_unless (cs_store_put (store, "top.json", data, NULL, NULL, NULL));
}

/* Every page of @max names joins up to the devices, each once, in the
 * order of their keys. */
static void
check_pages (CsStore * store, guint max)
{
  g_autoptr (GString) all = g_string_new (NULL);
  g_autofree gchar *after = NULL;
  guint pages = 0;

  for (;;) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) names = cs_store_list_names (store, after, max,
        NULL, &error);

    fail_unless (names != NULL, "%s", error ? error->message : "");
    fail_unless (names->len <= max);
    for (guint i = 0; i < names->len; i++)
      g_string_append_printf (all, "%s ", (gchar *) names->pdata[i]);
    pages++;
    if (names->len < max)
      break;
    g_free (after);
    after = g_strdup (names->pdata[names->len - 1]);
    fail_unless (pages < 10, "pages never end: %s", all->str);
  }
  fail_unless_equals_string (all->str, "cam1-x cam1.y cam1 cam10 cam2 ");
  fail_unless_equals_int (pages, 5 / max + 1);
}

GST_START_TEST (test_file_names)
{
  g_autofree gchar *dir = g_dir_make_tmp ("store-names-XXXXXX", NULL);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", dir);
  g_autofree gchar *link = g_build_filename (dir, "linked", NULL);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  g_autoptr (GError) error = NULL;

  put_devices (store);
  /* A link to a device is none: it could lead anywhere. */
  fail_unless (symlink ("cam1", link) == 0);
  for (guint max = 1; max <= 6; max++)
    check_pages (store, max);
  fail_if (cs_store_list_names (store, "../etc", 10, NULL, &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_INVALID_ARGUMENT));
  cs_test_remove_tree (dir);
}

GST_END_TEST;

GST_START_TEST (test_s3_names)
{
  const gchar *endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  g_autofree gchar *uri = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GError) error = NULL;
  CsStoreConfig config = { 0 };

  if (endpoint == NULL) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "CS_TEST_S3_ENDPOINT is not set");
    return;                     /* run alone, without tests/run-tests.sh */
  }
  /* A prefix of its own: the names are the first level under it. */
  uri = g_strdup_printf ("s3://%s/names-%" G_GINT64_FORMAT,
      cs_test_env ("CS_TEST_S3_BUCKET"), g_get_real_time ());
  config.endpoint = endpoint;
  config.access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  config.secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  store = cs_store_new (uri, &config, &error);
  fail_unless (store != NULL, "%s", error ? error->message : "");
  put_devices (store);
  for (guint max = 1; max <= 6; max++)
    check_pages (store, max);
}

GST_END_TEST;

static Suite *
store_names_suite (void)
{
  Suite *s = suite_create ("store-names");
  TCase *tc = tcase_create ("names");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_file_names);
  tcase_add_test (tc, test_s3_names);
  return s;
}

GST_CHECK_MAIN (store_names);
