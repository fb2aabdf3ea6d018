/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* https is verified: a server with a self-signed certificate is refused,
 * unless that certificate is given as tls-ca-file. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-server.h"

static gchar *dir, *cert_file, *key_file;
static CsTestServer *srv;

static void
setup (void)
{
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048",
    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
    "subjectAltName=IP:127.0.0.1", "-keyout", NULL, "-out", NULL, NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) cert = NULL;
  gint status;

  dir = g_dir_make_tmp ("cs-tls-XXXXXX", NULL);
  key_file = g_build_filename (dir, "key.pem", NULL);
  cert_file = g_build_filename (dir, "cert.pem", NULL);
  argv[13] = key_file;
  argv[15] = cert_file;
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL), "openssl failed");
  cert = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  fail_unless (cert != NULL, "%s", error ? error->message : "");
  srv = cs_test_server_start (cert);
}

static void
teardown (void)
{
  cs_test_server_stop (srv);
  g_unlink (key_file);
  g_unlink (cert_file);
  g_rmdir (dir);
  g_clear_pointer (&key_file, g_free);
  g_clear_pointer (&cert_file, g_free);
  g_clear_pointer (&dir, g_free);
}

static gboolean
put_with_ca (const gchar * ca_file, GError ** error)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  CsStoreConfig config = {.timeout_s = 5,.tls_ca_file = ca_file };
  g_autoptr (CsStore) store = cs_store_new (uri, &config, error);
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);

  fail_unless (store != NULL);
  return cs_store_put (store, "cam1/x.ts", data, NULL, NULL, error);
}

GST_START_TEST (test_untrusted_certificate_refused)
{
  g_autoptr (GError) error = NULL;

  fail_if (put_with_ca (NULL, &error));
  /* Permanent, not retried: waiting will not make the certificate valid. */
  fail_unless (g_error_matches (error, CS_STORE_ERROR, CS_STORE_ERROR_FAILED),
      "%s", error->message);
  fail_unless (strstr (error->message, "tls-ca-file") != NULL, "%s",
      error->message);
  fail_unless_equals_int (srv->stored->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_private_ca_accepted)
{
  g_autoptr (GError) error = NULL;

  fail_unless (put_with_ca (cert_file, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (srv->stored->len, 1);
  fail_unless_equals_string (g_ptr_array_index (srv->stored, 0), "cam1/x.ts");
}

GST_END_TEST;

GST_START_TEST (test_bad_ca_file)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  CsStoreConfig config = {.tls_ca_file = "/nonexistent/ca.pem" };
  g_autoptr (GError) error = NULL;

  fail_if (cs_store_new (uri, &config, &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_INVALID_ARGUMENT));
}

GST_END_TEST;

static Suite *
store_tls_suite (void)
{
  Suite *s = suite_create ("store-tls");
  TCase *tc = tcase_create ("https");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_untrusted_certificate_refused);
  tcase_add_test (tc, test_private_ca_accepted);
  tcase_add_test (tc, test_bad_ca_file);
  return s;
}

GST_CHECK_MAIN (store_tls);
