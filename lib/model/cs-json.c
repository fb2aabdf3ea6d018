/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-json.h"

#include <string.h>

/* The deepest nesting of arrays and objects in @json (strings skipped),
 * stopping once past CS_JSON_MAX_DEPTH. */
static guint
nesting_depth (const gchar * json, gsize len)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len && deepest <= CS_JSON_MAX_DEPTH; i++) {
    gchar c = json[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      depth++;
      deepest = MAX (deepest, depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

JsonNode *
cs_json_parse (const gchar * json, gssize len, const gchar * what,
    GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  gsize size = len < 0 ? strnlen (json, CS_JSON_MAX_BYTES + 1) : (gsize) len;

  if (size > CS_JSON_MAX_BYTES) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "%s: larger than %u bytes, not read (a document of the store is a "
        "few KiB)", what, CS_JSON_MAX_BYTES);
    return NULL;
  }
  if (nesting_depth (json, size) > CS_JSON_MAX_DEPTH) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "%s: nested more than %u levels deep, not read", what,
        CS_JSON_MAX_DEPTH);
    return NULL;
  }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, size, &parse_error)) {
    g_set_error (error, JSON_PARSER_ERROR, parse_error->code, "%s: %s", what,
        parse_error->message);
    return NULL;
  }
  if (json_parser_get_root (parser) == NULL) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "%s: empty", what);
    return NULL;
  }
  return json_parser_steal_root (parser);
}

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
