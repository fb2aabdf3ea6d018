/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-json.h"

static JsonNode *
value_member (JsonObject * obj, const gchar * name, GType type)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

gchar *
cs_json_builder_to_data (JsonBuilder * builder)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

gboolean
cs_json_get_int (JsonObject * obj, const gchar * name, gint64 fallback,
    gint64 * value)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
    *value = fallback;
    return TRUE;
  }
  node = value_member (obj, name, G_TYPE_INT64);
  if (node == NULL)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

const gchar *
cs_json_get_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = value_member (obj, name, G_TYPE_STRING);

  return node ? json_node_get_string (node) : NULL;
}

gboolean
cs_json_get_bool (JsonObject * obj, const gchar * name, gboolean fallback)
{
  JsonNode *node = value_member (obj, name, G_TYPE_BOOLEAN);

  return node ? json_node_get_boolean (node) : fallback;
}
