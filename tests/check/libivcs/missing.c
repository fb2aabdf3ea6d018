/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A GStreamer element libivcs needs is not installed: iv_cs_init says so
 * with its code and one clear line on stderr, and nothing is leaked
 * (tests/sanitize.sh runs this under LSan). */
#include <gst/check/gstcheck.h>

#include "ivcs-test.h"

static void
remove_element (const gchar * name)
{
  GstRegistry *registry = gst_registry_get ();
  GstPluginFeature *feature = gst_registry_lookup_feature (registry, name);

  fail_unless (feature != NULL, "%s is not installed here", name);
  gst_registry_remove_feature (registry, feature);
  gst_object_unref (feature);
}

GST_START_TEST (test_aacparse_missing)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();
  g_autofree gchar *store = ivcs_test_store_new ("full-time");

  remove_element ("aacparse");
  ivcs_test_watch_messages ();
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_PIPELINE);
  fail_unless_equals_int (ivcs_test_messages ("aacparse is missing"), 1);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NOT_INIT);
  ivcs_test_store_free (g_steal_pointer (&store));
}

GST_END_TEST;

static Suite *
ivcs_missing_suite (void)
{
  Suite *s = suite_create ("ivcs-missing");
  TCase *tc = tcase_create ("missing");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_aacparse_missing);
  return s;
}

GST_CHECK_MAIN (ivcs_missing);
