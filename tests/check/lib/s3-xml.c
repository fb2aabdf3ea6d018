/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading S3's answers, well-formed and not. */
#include <gst/check/gstcheck.h>

#include "cs-s3-xml.h"
#include "cs-store-private.h"

#define LIST_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
  "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"

GST_START_TEST (test_list_pages)
{
  const gchar *page = LIST_HEAD "<IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/cam1/a.ts</Key><Size>10</Size></Contents>"
      "<Contents><Key>p/cam1/b&amp;c.ts</Key><Size>20</Size></Contents>"
      "<NextContinuationToken>tok/1=</NextContinuationToken>"
      "</ListBucketResult>";
  const gchar *last = LIST_HEAD "<IsTruncated>false</IsTruncated>"
      "<Contents><Key>p/cam1/d.ts</Key><Size>5</Size></Contents>"
      "</ListBucketResult>";
  g_autoptr (GPtrArray) objects = cs_store_object_array_new ();
  gchar *token = NULL;

  fail_unless (cs_s3_xml_parse_list (page, strlen (page), 2, objects, &token,
          NULL));
  fail_unless_equals_string (token, "tok/1=");
  g_free (token);
  fail_unless (cs_s3_xml_parse_list (last, strlen (last), 2, objects, &token,
          NULL));
  fail_unless (token == NULL);
  fail_unless_equals_int (objects->len, 3);
  fail_unless_equals_string (((CsStoreObject *) objects->pdata[1])->key,
      "cam1/b&c.ts");
  fail_unless_equals_int (((CsStoreObject *) objects->pdata[1])->size, 20);
}

GST_END_TEST;

GST_START_TEST (test_bad_documents)
{
  const gchar *bad[] = { "", "<?xml", "<ListBucketResult><Contents>",
    "not xml at all", "<a></b>",
    LIST_HEAD "<IsTruncated>true</IsTruncated></ListBucketResult>", NULL
  };

  for (guint i = 0; bad[i]; i++) {
    g_autoptr (GPtrArray) objects = cs_store_object_array_new ();
    g_autoptr (GError) error = NULL;
    gchar *token = NULL;

    fail_if (cs_s3_xml_parse_list (bad[i], strlen (bad[i]), 0, objects,
            &token, &error), "accepted '%s'", bad[i]);
    fail_unless (error != NULL);
    fail_unless (token == NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_error_document)
{
  const gchar *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
      "<Code>SignatureDoesNotMatch</Code><Message>no</Message>"
      "<RequestId>1</RequestId></Error>";
  gchar *code, *message;

  cs_s3_xml_parse_error (xml, strlen (xml), &code, &message);
  fail_unless_equals_string (code, "SignatureDoesNotMatch");
  fail_unless_equals_string (message, "no");
  g_free (code);
  g_free (message);
  cs_s3_xml_parse_error ("<html>", 6, &code, &message);
  fail_unless (code == NULL && message == NULL);
}

GST_END_TEST;

static Suite *
s3_xml_suite (void)
{
  Suite *s = suite_create ("s3-xml");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_list_pages);
  tcase_add_test (tc, test_bad_documents);
  tcase_add_test (tc, test_error_document);
  return s;
}

GST_CHECK_MAIN (s3_xml);
