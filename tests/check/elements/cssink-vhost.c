/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Settings as awss3sink names them (endpoint-uri, secret-access-key,
 * force-path-style), and virtual-hosted style requests against the real
 * Ceph RGW (its rgw dns name is localhost): with force-path-style=false and
 * the endpoint http://localhost:PORT, requests go to
 * http://cs-test.localhost:PORT/prefix/key (GLib resolves every .localhost
 * name to the loopback, RFC 6761).  The gateway takes the bucket from the
 * Host, as signed: a path-style reading of "/prefix/key" would name another
 * bucket, and a signature over another Host would be refused. */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "cs-store.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <string.h>

#define VIDEO_H264 "videotestsrc num-buffers=%d ! " \
  "video/x-raw,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "

static const gchar *endpoint, *access_key, *secret_key, *bucket;
static gchar *local_endpoint;   /* http://localhost:PORT */

static CsStore *
store_new (const gchar * prefix, gboolean virtual_hosted, GError ** error)
{
  g_autofree gchar *uri = g_strdup_printf ("s3://%s/%s", bucket, prefix);
  CsStoreConfig config = {.endpoint = virtual_hosted ? local_endpoint :
        endpoint,.access_key = access_key,.secret_key = secret_key,
    .virtual_hosted = virtual_hosted
  };

  return cs_store_new (uri, &config, error);
}

GST_START_TEST (test_aliases)
{
  GstElement *sink = gst_element_factory_make ("cssink", NULL);
  g_autofree gchar *got = NULL;
  gboolean path_style = FALSE;

  g_object_get (sink, "force-path-style", &path_style, NULL);
  fail_unless (path_style, "force-path-style is not true by default");
  g_object_set (sink, "endpoint-uri", "http://127.0.0.1:9", NULL);
  g_object_get (sink, "endpoint", &got, NULL);
  fail_unless_equals_string (got, "http://127.0.0.1:9");
  /* Write-only, as secret-key. */
  fail_if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
          "secret-access-key")->flags & G_PARAM_READABLE);
  gst_object_unref (sink);
}

GST_END_TEST;

/* The store client: put, list, get and a presigned URL, each read back
 * path-style. */
GST_START_TEST (test_store_virtual_hosted)
{
  g_autofree gchar *prefix = g_strdup_printf ("vh-%" G_GINT64_FORMAT,
      g_get_real_time ());
  g_autoptr (GError) error = NULL;
  g_autoptr (CsStore) vh = store_new (prefix, TRUE, &error);
  g_autoptr (CsStore) path = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("hello", 5), got = NULL,
      body = NULL;
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree gchar *url = NULL;

  fail_unless (vh != NULL, "%s", error ? error->message : "");
  fail_unless (cs_store_put (vh, "cam1/a.ts", data, "video/mp2t", NULL,
          &error), "%s", error ? error->message : "");
  path = store_new (prefix, FALSE, &error);
  got = cs_store_get (path, "cam1/a.ts", NULL, &error);
  fail_unless (got != NULL && g_bytes_equal (got, data), "%s",
      error ? error->message : "not the bytes put");
  listed = cs_store_list (vh, "cam1/", NULL, &error);
  fail_unless (listed != NULL && listed->len == 1, "%s",
      error ? error->message : "not one object");
  url = cs_store_get_url (vh, "cam1/a.ts", 600, &error);
  fail_unless (g_str_has_prefix (url, "http://"), "%s", url);
  {
    g_autofree gchar *host = g_strdup_printf ("http://%s.localhost:", bucket);
    fail_unless (g_str_has_prefix (url, host), "%s", url);
  }
  msg = soup_message_new ("GET", url);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (g_bytes_equal (body, data));
  fail_unless (cs_store_delete (vh, "cam1/a.ts", NULL, &error), "%s",
      error ? error->message : "");
}

GST_END_TEST;

/* A bucket name that cannot be a host name is refused, not sent. */
GST_START_TEST (test_bucket_not_a_host_name)
{
  CsStoreConfig config = {.endpoint = local_endpoint,.access_key = "a",
    .secret_key = "b",.virtual_hosted = TRUE
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (CsStore) store = cs_store_new ("s3://My_Bucket/p", &config,
      &error);

  fail_unless (store == NULL);
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "My_Bucket") != NULL, "%s",
      error->message);
}

GST_END_TEST;

/* cssink with awss3sink's names: every segment stored. */
GST_START_TEST (test_cssink_virtual_hosted)
{
  g_autofree gchar *prefix = g_strdup_printf ("vhsink-%" G_GINT64_FORMAT,
      g_get_real_time ());
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264 "cssink name=s "
      "location=s3://%s/%s endpoint-uri=%s access-key=%s "
      "secret-access-key=%s force-path-style=false device-id=cam1 "
      "segment-duration=1000000000", 90, bucket, prefix, local_endpoint,
      access_key, secret_key);
  g_autoptr (GError) error = NULL;
  g_autoptr (CsStore) store = store_new (prefix, FALSE, &error);
  CsRun run;
  guint n;

  cs_test_run (desc, 0, 90, NULL, NULL, &run);
  fail_unless (run.error == NULL, "%s", run.error ? run.error->message : "");
  n = cs_test_check_recording (store, "cam1", &run, 1000, 500,
      "video/x-h264", FALSE);
  fail_unless (n >= 2, "%u segments", n);
  fail_unless_equals_int (cs_run_stat (&run, "segments-uploaded"), n);
  cs_run_clear (&run);

  /* csctl reads it the same way. */
  {
    g_autofree gchar *uri = g_strdup_printf ("s3://%s/%s", bucket, prefix);
    g_autofree gchar *out = NULL, *err = NULL;

    g_setenv ("AWS_ACCESS_KEY_ID", access_key, TRUE);
    g_setenv ("AWS_SECRET_ACCESS_KEY", secret_key, TRUE);
    fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", uri, "cam1",
            "--endpoint", local_endpoint, "--virtual-hosted", "--json",
            NULL), 0);
    fail_unless (strstr (out, "\"segments\" : ") != NULL, "%s%s", out, err);
  }
}

GST_END_TEST;

static void
setup (void)
{
  g_autoptr (GUri) uri = NULL;

  cs_test_require_env ((const gchar *[]) {
      "CS_TEST_S3_ENDPOINT", "CS_TEST_S3_ACCESS_KEY", "CS_TEST_S3_SECRET_KEY",
      "CS_TEST_S3_BUCKET", NULL});
  endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  bucket = cs_test_env ("CS_TEST_S3_BUCKET");
  uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);
  local_endpoint = g_strdup_printf ("http://localhost:%d",
      g_uri_get_port (uri));
}

static void
teardown (void)
{
  g_clear_pointer (&local_endpoint, g_free);
}

static Suite *
cssink_vhost_suite (void)
{
  Suite *s = suite_create ("cssink-vhost");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_aliases);
  tcase_add_test (tc, test_store_virtual_hosted);
  tcase_add_test (tc, test_bucket_not_a_host_name);
  tcase_add_test (tc, test_cssink_virtual_hosted);
  return s;
}

GST_CHECK_MAIN (cssink_vhost);
