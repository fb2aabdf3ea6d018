/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-s3-lifecycle.h"
#include "cs-key.h"
#include "cs-s3-xml.h"
#include "cs-sigv4.h"
#include "cs-store-private.h"

#include <string.h>

void
cs_lifecycle_rule_free (CsLifecycleRule * rule)
{
  g_free (rule->id);
  g_free (rule->prefix);
  g_free (rule->xml);
  g_free (rule);
}

CsLifecycleRule *
cs_lifecycle_rule_new (const gchar * id, const gchar * prefix, gint days)
{
  CsLifecycleRule *rule = g_new0 (CsLifecycleRule, 1);

  rule->id = g_strdup (id);
  rule->prefix = g_strdup (prefix);
  rule->days = days;
  rule->enabled = TRUE;
  return rule;
}

GPtrArray *
cs_s3_lifecycle_get (CsStore * store, GCancellable * cancellable,
    GError ** error)
{
  const gchar *query[] = { "lifecycle", "", NULL };
  g_autoptr (GPtrArray) rules =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cs_lifecycle_rule_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autofree gchar *code = NULL;
  gsize len;
  const gchar *xml;

  reply = cs_store_s3_bucket_request (store, "GET", query, NULL,
      "lifecycle configuration", &code, cancellable, &local);
  if (reply == NULL) {
    if (g_strcmp0 (code, "NoSuchLifecycleConfiguration") == 0)
      return g_steal_pointer (&rules);
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  xml = g_bytes_get_data (reply, &len);
  if (!cs_s3_xml_parse_lifecycle (xml ? xml : "", len, rules, &parse_error)) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_FAILED,
        "the bucket's lifecycle configuration is not readable: %s",
        parse_error->message);
    return NULL;
  }
  return g_steal_pointer (&rules);
}

/* csctl's rule for the keys under @prefix: its ID names the prefix (a
 * digest of a long one: S3 takes 255 characters). */
static gchar *
rule_id (const gchar * prefix)
{
  g_autofree gchar *digest = NULL;

  if (strlen (prefix) <= 200)
    return g_strconcat ("csctl ", prefix, NULL);
  digest = cs_sigv4_sha256_hex ((const guint8 *) prefix, strlen (prefix));
  return g_strconcat ("csctl ", digest, NULL);
}

void
cs_s3_lifecycle_set_device (CsStore * store, GPtrArray * rules,
    const gchar * device, gint days)
{
  static const gchar *const kinds[] = { "rec", "ev" };
  const gchar *store_prefix = cs_store_s3_get_prefix (store);

  g_return_if_fail (store_prefix != NULL);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autofree gchar *prefix = g_strdup_printf ("%s%s/%s/", store_prefix,
        device, kinds[k]);
    g_autofree gchar *id = rule_id (prefix);

    for (guint i = rules->len; i-- > 0;)
      if (g_strcmp0 (((CsLifecycleRule *) g_ptr_array_index (rules,
                      i))->id, id) == 0)
        g_ptr_array_remove_index (rules, i);
    if (days > 0)
      g_ptr_array_add (rules, cs_lifecycle_rule_new (id, prefix, days));
  }
}

gchar *
cs_s3_lifecycle_to_xml (GPtrArray * rules)
{
  GString *xml = g_string_new ("<LifecycleConfiguration "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");

  for (guint i = 0; i < rules->len; i++) {
    CsLifecycleRule *r = g_ptr_array_index (rules, i);

    if (r->xml != NULL) {
      g_string_append (xml, r->xml);
      continue;
    }
    g_autofree gchar *id = g_markup_escape_text (r->id ? r->id : "", -1);
    g_autofree gchar *prefix = g_markup_escape_text (r->prefix ?
        r->prefix : "", -1);

    g_string_append_printf (xml, "<Rule><ID>%s</ID><Filter><Prefix>%s"
        "</Prefix></Filter>", id, prefix);
    g_string_append_printf (xml, "<Status>%s</Status>"
        "<Expiration><Days>%d</Days></Expiration></Rule>",
        r->enabled ? "Enabled" : "Disabled", r->days);
  }
  g_string_append (xml, "</LifecycleConfiguration>");
  return g_string_free (xml, FALSE);
}

gboolean
cs_s3_lifecycle_put (CsStore * store, GPtrArray * rules,
    GCancellable * cancellable, GError ** error)
{
  const gchar *query[] = { "lifecycle", "", NULL };
  g_autoptr (GBytes) body = NULL, reply = NULL;
  gchar *xml;

  if (rules->len == 0) {
    reply = cs_store_s3_bucket_request (store, "DELETE", query, NULL,
        "lifecycle configuration", NULL, cancellable, error);
    return reply != NULL;
  }
  xml = cs_s3_lifecycle_to_xml (rules);
  body = g_bytes_new_take (xml, strlen (xml));
  reply = cs_store_s3_bucket_request (store, "PUT", query, body,
      "lifecycle configuration", NULL, cancellable, error);
  return reply != NULL;
}
