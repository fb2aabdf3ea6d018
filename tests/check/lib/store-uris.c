/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A store says what is really wrong: a read-only store directory is not a
 * matter of credentials; a URI whose escaped dot segments would leave its
 * directory, or whose parts would be dropped (an s3:// port, a query, a
 * fragment, an endpoint's path), is refused with the reason. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-tmpfs.h"
#include "cs-test-util.h"

static gchar *root;

static void
setup (void)
{
  root = g_dir_make_tmp ("cs-store-uris-XXXXXX", NULL);
}

static void
teardown (void)
{
  g_autofree gchar *ro = g_build_filename (root, "ro", NULL);

  cs_test_unmount (ro);
  cs_test_remove_tree (root);
  g_clear_pointer (&root, g_free);
}

/* A store directory on a read-only filesystem: the error says so, and is
 * not NOT_AUTHORIZED (which cssink reports as refused credentials). */
GST_START_TEST (test_read_only_store)
{
  g_autofree gchar *ro = g_build_filename (root, "ro", NULL);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", ro);
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr (GError) error = NULL;

  cs_test_mount_tmpfs (ro, "64k", TRUE);
  store = cs_store_new (uri, NULL, &error);
  fail_unless (store != NULL, "%s", error ? error->message : "");
  fail_if (cs_store_put (store, "cam1/a.json", data, NULL, NULL, &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_FAILED), "%d: %s", error->code, error->message);
  fail_unless (strstr (error->message, "Read-only file system") != NULL,
      "%s", error->message);
}

GST_END_TEST;

/* cssink on it: an error about the store, not about credentials. */
GST_START_TEST (test_cssink_read_only_store)
{
  g_autofree gchar *ro = g_build_filename (root, "ro", NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! "
      "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc "
      "key-int-max=25 speed-preset=ultrafast ! h264parse ! cssink name=s "
      "location=file://%s device-id=cam1", ro);
  CsRun run;

  cs_test_mount_tmpfs (ro, "64k", TRUE);
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error != NULL);
  fail_if (strstr (run.error->message, "credentials") != NULL, "%s",
      run.error->message);
  fail_unless (run.error_debug != NULL && strstr (run.error_debug,
          "Read-only file system") != NULL, "%s", run.error_debug);
  cs_run_clear (&run);
}

GST_END_TEST;

/* "%2F..%2F" is "/../" once unescaped, the way a file store uses its
 * path: refused, and nothing made outside the directory. */
GST_START_TEST (test_escaped_dot_segments)
{
  const gchar *tails[] = { "sub%2F..%2F..%2F", "sub/%2E%2E/",
    "sub/%2e%2E%2f", "sub%00", NULL
  };
  /* Beside the test's directory, named after it. */
  g_autofree gchar *name = g_path_get_basename (root);
  g_autofree gchar *escaped = g_strconcat ("escaped-", name, NULL);
  g_autofree gchar *outside = g_build_filename (root, "..", escaped, NULL);

  for (guint i = 0; tails[i]; i++) {
    g_autofree gchar *tail = g_strconcat (tails[i], escaped, NULL);
    g_autofree gchar *uri = g_strdup_printf ("file://%s/%s", root, tail);
    g_autoptr (GError) error = NULL;
    g_autoptr (CsStore) store = cs_store_new (uri, NULL, &error);

    fail_unless (store == NULL, "accepted %s", uri);
    fail_unless (g_error_matches (error, CS_STORE_ERROR,
            CS_STORE_ERROR_INVALID_ARGUMENT), "%s", error->message);
  }
  fail_if (g_file_test (outside, G_FILE_TEST_EXISTS));
  fail_if (cs_store_new ("http://host/a/%2E%2E/b", NULL, NULL));
}

GST_END_TEST;

/* Parts a store would drop are refused, each with its reason. */
GST_START_TEST (test_dropped_parts_refused)
{
  const gchar *bad[][2] = {
    {"s3://bucket:9000/cams", "port"},
    {"s3://bucket/cams?versionId=1", "query"},
    {"s3://bucket/cams#x", "fragment"},
    {"file:///var/lib/cs?x=1", "query"},
    {"http://host/store/#x", "fragment"},
  };
  const gchar *bad_endpoints[] = { "http://127.0.0.1:7480/path",
    "http://127.0.0.1:7480/?x=1", "https://h/#f", "http://u:p@h:1/", NULL
  };
  const gchar *good_endpoints[] = { "http://127.0.0.1:7480",
    "http://127.0.0.1:7480/", NULL
  };
  CsStoreConfig s3 = {.endpoint = "http://127.0.0.1:7480",.access_key = "a",
    .secret_key = "b"
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    fail_if (cs_store_new (bad[i][0], &s3, &error), "accepted %s", bad[i][0]);
    fail_unless (g_error_matches (error, CS_STORE_ERROR,
            CS_STORE_ERROR_INVALID_ARGUMENT), "%s", bad[i][0]);
    fail_unless (strstr (error->message, bad[i][1]) != NULL, "%s: %s",
        bad[i][0], error->message);
  }
  for (guint i = 0; bad_endpoints[i]; i++) {
    g_autoptr (GError) error = NULL;

    s3.endpoint = bad_endpoints[i];
    fail_if (cs_store_new ("s3://bucket/cams", &s3, &error), "accepted %s",
        bad_endpoints[i]);
    fail_unless (strstr (error->message, "endpoint") != NULL
        && strstr (error->message, "u:p") == NULL, "%s", error->message);
  }
  for (guint i = 0; good_endpoints[i]; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CsStore) store = NULL;

    s3.endpoint = good_endpoints[i];
    store = cs_store_new ("s3://bucket/cams", &s3, &error);
    fail_unless (store != NULL, "%s", error ? error->message : "");
  }
}

GST_END_TEST;

static Suite *
store_uris_suite (void)
{
  Suite *s = suite_create ("store-uris");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_read_only_store);
  tcase_add_test (tc, test_cssink_read_only_store);
  tcase_add_test (tc, test_escaped_dot_segments);
  tcase_add_test (tc, test_dropped_parts_refused);
  return s;
}

GST_CHECK_MAIN (store_uris);
