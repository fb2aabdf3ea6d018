/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lifecycle rules read and written: csctl's rules set per device, others
 * put back exactly as the bucket gave them, names escaped. */
#include <gst/check/gstcheck.h>

#include "cs-s3-lifecycle.h"
#include "cs-s3-xml.h"

#include <string.h>

#define THEIRS "<Rule><ID>theirs</ID><Filter><And><Prefix>x/</Prefix><Tag>" \
  "<Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled" \
  "</Status><Transition><Days>9</Days><StorageClass>GLACIER</StorageClass>" \
  "</Transition></Rule>"

static GPtrArray *
parse (const gchar * xml)
{
  GPtrArray *rules =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cs_lifecycle_rule_free);
  g_autoptr (GError) error = NULL;

  fail_unless (cs_s3_xml_parse_lifecycle (xml, strlen (xml), rules, &error),
      "%s", error ? error->message : "");
  return rules;
}

GST_START_TEST (test_round_trip)
{
  const gchar *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<LifecycleConfiguration>" THEIRS "<Rule><ID>csctl p/cam1/rec/</ID>"
      "<Prefix>p/cam1/rec/</Prefix><Status>Disabled</Status><Expiration>"
      "<Days>7</Days></Expiration></Rule></LifecycleConfiguration>";
  g_autoptr (GPtrArray) rules = parse (doc);
  g_autoptr (GPtrArray) again = NULL;
  g_autofree gchar *xml = NULL;
  CsLifecycleRule *r;

  fail_unless_equals_int (rules->len, 2);
  r = g_ptr_array_index (rules, 1);
  fail_unless_equals_string (r->id, "csctl p/cam1/rec/");
  fail_unless_equals_string (r->prefix, "p/cam1/rec/");
  fail_unless_equals_int (r->days, 7);
  fail_unless (!r->enabled);
  g_ptr_array_add (rules, cs_lifecycle_rule_new ("csctl a&b<", "a&b</", 3));
  xml = cs_s3_lifecycle_to_xml (rules);
  /* Theirs as it was, with what csctl does not know. */
  fail_unless (strstr (xml, THEIRS) != NULL, "%s", xml);
  fail_unless (strstr (xml, "<ID>csctl a&amp;b&lt;</ID><Filter><Prefix>"
          "a&amp;b&lt;/</Prefix></Filter><Status>Enabled</Status>"
          "<Expiration><Days>3</Days></Expiration>") != NULL, "%s", xml);
  again = parse (xml);
  fail_unless_equals_int (again->len, 3);
  fail_unless_equals_string (((CsLifecycleRule *) g_ptr_array_index (again,
              2))->prefix, "a&b</");
}

GST_END_TEST;

GST_START_TEST (test_bad_documents)
{
  g_autoptr (GPtrArray) rules =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cs_lifecycle_rule_free);
  const gchar *unended = "<LifecycleConfiguration><Rule><ID>a</ID>";
  const gchar *broken = "<LifecycleConfiguration><Rule><ID>a</Rule>";

  fail_if (cs_s3_xml_parse_lifecycle (unended, strlen (unended), rules,
          NULL));
  fail_if (cs_s3_xml_parse_lifecycle (broken, strlen (broken), rules, NULL));
}

GST_END_TEST;

static Suite *
s3_lifecycle_suite (void)
{
  Suite *s = suite_create ("s3-lifecycle");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_bad_documents);
  return s;
}

GST_CHECK_MAIN (s3_lifecycle);
