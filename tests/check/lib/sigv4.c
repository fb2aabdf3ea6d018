/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SigV4 against the examples published in AWS's S3 documentation. */
#include <gst/check/gstcheck.h>

#include "cs-sigv4.h"

#define EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static gchar *
sign_example (const gchar * const *query, const gchar * token)
{
  g_autofree gchar *canonical_query = cs_sigv4_canonical_query (query);
  CsSigV4Request r = {
    .method = "GET",.canonical_uri = "/",.canonical_query = canonical_query,
    .host = "examplebucket.s3.amazonaws.com",.payload_sha256 = EMPTY_SHA256,
    .amz_date = "20130524T000000Z",.session_token = token,
    .region = "us-east-1",.access_key = "AKIAIOSFODNN7EXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  };
  return cs_sigv4_authorization (&r);
}

GST_START_TEST (test_aws_examples)
{
  const gchar *lifecycle[] = { "lifecycle", "", NULL };
  const gchar *list[] = { "prefix", "J", "max-keys", "2", NULL };
  g_autofree gchar *a = sign_example (lifecycle, NULL);
  g_autofree gchar *b = sign_example (list, NULL);

  fail_unless_equals_string (a, "AWS4-HMAC-SHA256 "
      "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
      "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  fail_unless (g_str_has_suffix (b, "Signature="
          "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

GST_END_TEST;

GST_START_TEST (test_session_token_is_signed)
{
  const gchar *q[] = { NULL };
  g_autofree gchar *plain = sign_example (q, NULL);
  g_autofree gchar *with_token = sign_example (q, "TOKEN");

  fail_unless (strstr (with_token,
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
          "x-amz-security-token,") != NULL);
  fail_if (g_str_equal (plain + strlen (plain) - 64,
          with_token + strlen (with_token) - 64));
}

GST_END_TEST;

GST_START_TEST (test_encoding)
{
  const gchar *q[] = { "prefix", "a/b c", "continuation-token", "x+y=", NULL };
  g_autofree gchar *path = cs_sigv4_uri_encode ("/bkt/a b/ü~.-_", TRUE);
  g_autofree gchar *query = cs_sigv4_canonical_query (q);
  g_autofree gchar *date = cs_sigv4_amz_date (1369353600);

  fail_unless_equals_string (path, "/bkt/a%20b/%C3%BC~.-_");
  fail_unless_equals_string (query,
      "continuation-token=x%2By%3D&prefix=a%2Fb%20c");
  fail_unless_equals_string (date, "20130524T000000Z");
}

GST_END_TEST;

GST_START_TEST (test_presigned_example)
{
  CsSigV4Request r = {
    .method = "GET",.canonical_uri = "/test.txt",
    .host = "examplebucket.s3.amazonaws.com",.amz_date = "20130524T000000Z",
    .region = "us-east-1",.access_key = "AKIAIOSFODNN7EXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  };
  g_autofree gchar *q = cs_sigv4_presigned_query (&r, 86400);

  fail_unless_equals_string (q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&"
      "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
      "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
      "X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

GST_END_TEST;

GST_START_TEST (test_payload_digest)
{
  g_autofree gchar *empty = cs_sigv4_sha256_hex ((const guint8 *) "", 0);
  g_autofree gchar *abc = cs_sigv4_sha256_hex ((const guint8 *) "abc", 3);

  fail_unless_equals_string (empty, EMPTY_SHA256);
  fail_unless_equals_string (abc,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

GST_END_TEST;

static Suite *
sigv4_suite (void)
{
  Suite *s = suite_create ("sigv4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_aws_examples);
  tcase_add_test (tc, test_session_token_is_signed);
  tcase_add_test (tc, test_encoding);
  tcase_add_test (tc, test_payload_digest);
  tcase_add_test (tc, test_presigned_example);
  return s;
}

GST_CHECK_MAIN (sigv4);
