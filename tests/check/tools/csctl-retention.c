/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl retention against the real Ceph RGW: the lifecycle rules it sets
 * for one device or every device of a store, read back with curl (its own
 * SigV4) as GetBucketLifecycleConfiguration answers them; a rule someone
 * else set is kept exactly; --days 0 takes csctl's rules away. */
#include <gst/check/gstcheck.h>

#include "cs-store.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <string.h>

#define BUCKET "cs-test-retention"
/* A rule of someone else's, with what csctl does not know (a transition
 * would need a storage class RGW may lack: an abort of uploads). */
#define FOREIGN_RULE "<Rule><ID>theirs</ID><Filter><Prefix>other/</Prefix>" \
  "</Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload>" \
  "<DaysAfterInitiation>3</DaysAfterInitiation>" \
  "</AbortIncompleteMultipartUpload></Rule>"

static const gchar *endpoint, *access_key, *secret_key;

/* curl @method on @path of the endpoint, signed by curl; @body may be NULL.
 * Returns the HTTP status; the answer in *@out. */
static guint
curl_s3 (const gchar * method, const gchar * path, const gchar * body,
    gchar ** out)
{
  g_autofree gchar *url = g_strconcat (endpoint, path, NULL);
  g_autofree gchar *user = g_strconcat (access_key, ":", secret_key, NULL);
  g_autofree gchar *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      body ? body : "", -1);
  g_autofree gchar *sha_header = g_strconcat ("x-amz-content-sha256: ", sha,
      NULL);
  g_autofree gchar *md5_header = NULL, *text = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const gchar *status;
  gint wait;

  if (body != NULL) {
    g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
    guint8 digest[16];
    gsize len = sizeof (digest);
    g_autofree gchar *b64 = NULL;

    g_checksum_update (sum, (const guchar *) body, strlen (body));
    g_checksum_get_digest (sum, digest, &len);
    b64 = g_base64_encode (digest, len);
    md5_header = g_strconcat ("Content-MD5: ", b64, NULL);
  }
  for (const gchar * const *a = (const gchar *[]) {
  "curl", "-s", "-w", "\n%{http_code}", "-X", method, "--aws-sigv4",
          "aws:amz:us-east-1:s3", "--user", user, "-H", sha_header, NULL};
      *a; a++)
    g_ptr_array_add (argv, (gpointer) * a);
  if (body != NULL) {
    g_ptr_array_add (argv, (gpointer) "-H");
    g_ptr_array_add (argv, md5_header);
    g_ptr_array_add (argv, (gpointer) "--data-binary");
    g_ptr_array_add (argv, (gpointer) body);
  }
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &text, NULL, &wait, &error),
      "curl: %s", error ? error->message : "");
  status = strrchr (text, '\n');
  fail_unless (status != NULL);
  if (out != NULL)
    *out = g_strndup (text, status - text);
  return atoi (status + 1);
}

/* The bucket's lifecycle configuration as GetBucketLifecycleConfiguration
 * answers it ("" when it has none). */
static gchar *
lifecycle (void)
{
  gchar *xml = NULL;
  guint status = curl_s3 ("GET", "/" BUCKET "?lifecycle=", NULL, &xml);

  if (status == 404 && strstr (xml, "NoSuchLifecycleConfiguration")) {
    g_free (xml);
    return g_strdup ("");
  }
  fail_unless_equals_int (status, 200);
  return xml;
}

/* The rule for @prefix expires it after @days (0: there is no rule). */
static void
check_rule (const gchar * xml, const gchar * prefix, gint days)
{
  g_autofree gchar *filter = g_strdup_printf ("<Prefix>%s</Prefix>", prefix);
  g_autofree gchar *expiry = g_strdup_printf ("<Days>%d</Days>", days);
  const gchar *rule = strstr (xml, filter);
  const gchar *end = rule ? strstr (rule, "</Rule>") : NULL;

  if (days == 0) {
    fail_unless (rule == NULL, "a rule for %s is left:\n%s", prefix, xml);
    return;
  }
  fail_unless (end != NULL, "no rule for %s:\n%s", prefix, xml);
  fail_unless (g_strstr_len (rule, end - rule, expiry) != NULL
      && g_strstr_len (rule, end - rule, "Enabled") != NULL,
      "the rule for %s does not expire it after %d days:\n%s", prefix, days,
      xml);
}

/* The <Rule> whose ID is @id, as the bucket answers it. */
static gchar *
rule_of (const gchar * xml, const gchar * id)
{
  g_autofree gchar *tag = g_strdup_printf ("<ID>%s</ID>", id);
  const gchar *at = strstr (xml, tag), *start = at, *end;

  fail_unless (at != NULL, "no rule %s:\n%s", id, xml);
  while (start > xml && !g_str_has_prefix (start, "<Rule>"))
    start--;
  end = strstr (at, "</Rule>");
  fail_unless (end != NULL && g_str_has_prefix (start, "<Rule>"));
  return g_strndup (start, end + strlen ("</Rule>") - start);
}

static gchar *
csctl_ok (const gchar * device, const gchar * days)
{
  g_autofree gchar *err = NULL;
  gchar *out = NULL;
  const gchar *store = "s3://" BUCKET "/site";
  gint rc = device ? cs_test_csctl (&out, &err, "retention", store, device,
      "--endpoint", endpoint, "--days", days, NULL) :
      cs_test_csctl (&out, &err, "retention", store, "--endpoint", endpoint,
      days ? "--days" : NULL, days, NULL);

  fail_unless_equals_int (rc, 0);
  fail_unless (err == NULL || !strstr (err, secret_key));
  return out;
}

GST_START_TEST (test_retention)
{
  const gchar *const keys[] = { "site/cam1/rec/20231114/22/1_1.ts",
    "site/cam2/ev/20231114/5/event.json", "site/cam3/service.json", NULL
  };
  g_autofree gchar *xml = NULL, *out = NULL, *shown = NULL, *theirs = NULL,
      *before = NULL;
  g_autofree gchar *foreign = g_strdup_printf ("<LifecycleConfiguration>%s"
      "</LifecycleConfiguration>", FOREIGN_RULE);
  gchar *xml2, *xml3;

  g_setenv ("AWS_ACCESS_KEY_ID", access_key, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", secret_key, TRUE);
  for (const gchar * const *k = keys; *k; k++) {
    g_autofree gchar *path = g_strdup_printf ("/%s/%s", BUCKET, *k);
    fail_unless_equals_int (curl_s3 ("PUT", path, "x", NULL), 200);
  }
  fail_unless_equals_int (curl_s3 ("PUT", "/" BUCKET "?lifecycle=",
          foreign, NULL), 200);
  before = lifecycle ();
  theirs = rule_of (before, "theirs");
  fail_unless (strstr (theirs, "AbortIncompleteMultipartUpload") != NULL);

  /* Every device of the store (cam3 has neither rec/ nor ev/ yet: its
   * rules are set all the same). */
  out = csctl_ok (NULL, "7");
  xml = lifecycle ();
  for (const gchar * const *d = (const gchar *[]) {
  "cam1", "cam2", "cam3", NULL}; *d; d++)
    for (const gchar * const *kind = (const gchar *[]) {
    "rec", "ev", NULL}; *kind; kind++) {
      g_autofree gchar *prefix = g_strdup_printf ("site/%s/%s/", *d, *kind);
      check_rule (xml, prefix, 7);
      fail_unless (strstr (out, prefix) != NULL, "not shown: %s\n%s", prefix,
          out);
    }
  fail_unless (strstr (xml, theirs) != NULL, "the other rule changed:\n%s",
      xml);
  /* Nothing else: not the store's own prefix, nor the bucket. */
  check_rule (xml, "site/", 0);
  check_rule (xml, "", 0);

  /* One device: its rules change, the others' stay. */
  g_free (out);
  out = csctl_ok ("cam1", "30");
  xml2 = lifecycle ();
  check_rule (xml2, "site/cam1/rec/", 30);
  check_rule (xml2, "site/cam1/ev/", 30);
  check_rule (xml2, "site/cam2/rec/", 7);
  fail_unless (strstr (xml2, theirs) != NULL);
  g_free (xml2);

  /* Without --days: shown, unchanged. */
  shown = csctl_ok (NULL, NULL);
  fail_unless (strstr (shown, "site/cam1/rec/  expire after 30 days"),
      "%s", shown);
  fail_unless (strstr (shown, "other/") != NULL, "%s", shown);

  /* --days 0: csctl's rules go, the other stays. */
  g_free (out);
  out = csctl_ok ("cam2", "0");
  g_free (out);
  out = csctl_ok (NULL, "0");
  xml3 = lifecycle ();
  check_rule (xml3, "site/cam1/rec/", 0);
  check_rule (xml3, "site/cam2/ev/", 0);
  fail_unless (strstr (xml3, theirs) != NULL, "%s", xml3);
  g_free (xml3);
}

GST_END_TEST;

/* A file:// store has no lifecycle: said, with what to use instead. */
GST_START_TEST (test_retention_file_store)
{
  g_autofree gchar *out = NULL, *err = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "retention",
          "file:///tmp", "--days", "3", NULL), 1);
  fail_unless (strstr (err, "csctl prune") != NULL, "%s", err);
}

GST_END_TEST;

static void
setup (void)
{
  guint status;

  cs_test_require_env ((const gchar *[]) {
      "CS_TEST_S3_ENDPOINT", "CS_TEST_S3_ACCESS_KEY", "CS_TEST_S3_SECRET_KEY",
      NULL});
  endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  /* A bucket of its own: a lifecycle is the whole bucket's. */
  status = curl_s3 ("PUT", "/" BUCKET, NULL, NULL);
  fail_unless (status == 200 || status == 409, "HTTP %u", status);
  curl_s3 ("DELETE", "/" BUCKET "?lifecycle=", NULL, NULL);
}

static Suite *
csctl_retention_suite (void)
{
  Suite *s = suite_create ("csctl-retention");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_retention);
  tcase_add_test (tc, test_retention_file_store);
  return s;
}

GST_CHECK_MAIN (csctl_retention);
