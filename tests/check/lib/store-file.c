/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store client on file:// and on bad URIs. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-util.h"

static gchar *root;

static CsStore *
open_root (void)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s/sub", root);
  g_autoptr (GError) error = NULL;
  CsStore *store = cs_store_new (uri, NULL, &error);
  fail_unless (store != NULL, "%s", error ? error->message : "");
  return store;
}

GST_START_TEST (test_put_get_list_delete)
{
  g_autoptr (CsStore) store = open_root ();
  g_autoptr (GBytes) data = g_bytes_new_static ("hello", 5);
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GPtrArray) all = NULL, hour = NULL, none = NULL;
  g_autoptr (GError) error = NULL;

  fail_unless (cs_store_put (store, "cam1/rec/20261124/05/2_1.ts", data,
          NULL, NULL, NULL));
  fail_unless (cs_store_put (store, "cam1/rec/20261124/05/1_1.ts", data,
          NULL, NULL, NULL));
  fail_unless (cs_store_put (store, "cam1/rec/20261124/06/3_1.ts", data,
          NULL, NULL, NULL));
  fail_unless (cs_store_put (store, "cam10/service.json", data, NULL, NULL,
          NULL));
  back = cs_store_get (store, "cam1/rec/20261124/05/1_1.ts", NULL, NULL);
  fail_unless (back && g_bytes_equal (back, data));

  all = cs_store_list (store, "", NULL, NULL);
  fail_unless_equals_int (all->len, 4);
  hour = cs_store_list (store, "cam1/rec/20261124/05/", NULL, NULL);
  fail_unless_equals_int (hour->len, 2);
  fail_unless_equals_string (((CsStoreObject *) hour->pdata[0])->key,
      "cam1/rec/20261124/05/1_1.ts");
  fail_unless_equals_int (((CsStoreObject *) hour->pdata[0])->size, 5);
  /* A prefix is a string prefix, like S3's: "cam1" also finds "cam10". */
  g_clear_pointer (&all, g_ptr_array_unref);
  all = cs_store_list (store, "cam1", NULL, NULL);
  fail_unless_equals_int (all->len, 4);
  none = cs_store_list (store, "cam2/", NULL, NULL);
  fail_unless_equals_int (none->len, 0);

  fail_unless (cs_store_delete (store, "cam10/service.json", NULL, NULL));
  fail_if (cs_store_get (store, "cam10/service.json", NULL, &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_FOUND));
  g_clear_error (&error);
  fail_if (cs_store_delete (store, "cam10/service.json", NULL, &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_FOUND));
}

GST_END_TEST;

GST_START_TEST (test_keys_are_checked)
{
  g_autoptr (CsStore) store = open_root ();
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);
  const gchar *bad[] = { "../escape", "a/../../b", "/abs", "a//b", "", NULL };

  for (guint i = 0; bad[i]; i++) {
    g_autoptr (GError) error = NULL;
    fail_if (cs_store_put (store, bad[i], data, NULL, NULL, &error));
    fail_unless (g_error_matches (error, CS_STORE_ERROR,
            CS_STORE_ERROR_INVALID_ARGUMENT));
  }
  fail_if (cs_store_list (store, "../", NULL, NULL));
}

GST_END_TEST;

GST_START_TEST (test_bad_uris)
{
  const gchar *bad[] = { NULL, "", "nothing", "ftp://host/x",
    "file://relative/path", "s3://UPPER/x", "s3://ab/x", "s3://bucket/../x",
    "http://user:secret@host/x", "http:///nohost", NULL
  };
  CsStoreConfig s3 = {.access_key = "a",.secret_key = "b" };

  for (guint i = 1; bad[i]; i++) {
    g_autoptr (GError) error = NULL;
    fail_if (cs_store_new (bad[i], &s3, &error), "accepted %s", bad[i]);
    fail_unless (g_error_matches (error, CS_STORE_ERROR,
            CS_STORE_ERROR_INVALID_ARGUMENT), "%s", bad[i]);
    fail_if (strstr (error->message, "secret") && strstr (bad[i], "secret")
        && strstr (error->message, "user:secret"), "secret in the message");
  }
  fail_if (cs_store_new (bad[0], NULL, NULL));
  /* s3:// without credentials, endpoint that is not http(s). */
  fail_if (cs_store_new ("s3://bucket/x", NULL, NULL));
  {
    CsStoreConfig ep = {.endpoint = "ftp://h",.access_key = "a",
      .secret_key = "b"
    };
    fail_if (cs_store_new ("s3://bucket/x", &ep, NULL));
  }
}

GST_END_TEST;

static Suite *
store_suite (void)
{
  Suite *s = suite_create ("store-file");
  TCase *tc = tcase_create ("general");

  cs_test_add_tmp_dir_fixture (tc, &root, NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_put_get_list_delete);
  tcase_add_test (tc, test_keys_are_checked);
  tcase_add_test (tc, test_bad_uris);
  return s;
}

GST_CHECK_MAIN (store);
