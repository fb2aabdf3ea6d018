/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: what an S3 server (or anything posing as one) answers:
 * listings, errors, lifecycle configurations. */
#include "cs-s3-lifecycle.h"
#include "cs-s3-xml.h"
#include "cs-store-private.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GPtrArray) objects = cs_store_object_array_new ();
  g_autoptr (GPtrArray) rules =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cs_lifecycle_rule_free);
  g_autofree gchar *code = NULL, *message = NULL, *token = NULL;

  cs_s3_xml_parse_list ((const gchar *) data, size, 2, objects, &token, NULL);
  cs_s3_xml_parse_error ((const gchar *) data, size, &code, &message);
  cs_s3_xml_parse_lifecycle ((const gchar *) data, size, rules, NULL);
  return 0;
}
