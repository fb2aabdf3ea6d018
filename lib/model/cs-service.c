/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-service.h"
#include "cs-key.h"
#include "cs-json.h"

#include <json-glib/json-glib.h>

struct _CsService {
  gchar *device_id;
  GHashTable *channels;         /* name -> gint64 until_ms */
  GHashTable *ai;
};

static const gchar *const channels[] = { "full-time", "event-video",
  "event-pic", NULL
};

gboolean
cs_service_channel_is_valid (const gchar * channel)
{
  return channel != NULL && g_strv_contains (channels, channel);
}

static GHashTable *
until_table (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

CsService *
cs_service_new (const gchar * device_id)
{
  CsService *svc = g_new0 (CsService, 1);

  svc->device_id = g_strdup (device_id);
  svc->channels = until_table ();
  svc->ai = until_table ();
  return svc;
}

void
cs_service_free (CsService * svc)
{
  if (svc == NULL)
    return;
  g_free (svc->device_id);
  g_hash_table_unref (svc->channels);
  g_hash_table_unref (svc->ai);
  g_free (svc);
}

static void
set_until (GHashTable * table, const gchar * name, gint64 until_ms)
{
  g_hash_table_insert (table, g_strdup (name),
      g_memdup2 (&until_ms, sizeof until_ms));
}

static gboolean
is_active (GHashTable * table, const gchar * name, gint64 now_ms)
{
  gint64 *until = g_hash_table_lookup (table, name);
  return until != NULL && (*until == 0 || now_ms < *until);
}

void
cs_service_activate (CsService * svc, const gchar * channel, gint64 until_ms)
{
  g_return_if_fail (cs_service_channel_is_valid (channel));
  set_until (svc->channels, channel, MAX (until_ms, 0));
}

void
cs_service_deactivate (CsService * svc, const gchar * channel)
{
  g_hash_table_remove (svc->channels, channel);
}

gboolean
cs_service_is_active (CsService * svc, const gchar * channel, gint64 now_ms)
{
  return is_active (svc->channels, channel, now_ms);
}

void
cs_service_activate_ai (CsService * svc, const gchar * ai, gint64 until_ms)
{
  g_return_if_fail (cs_key_name_is_valid (ai));
  set_until (svc->ai, ai, MAX (until_ms, 0));
}

void
cs_service_deactivate_ai (CsService * svc, const gchar * ai)
{
  g_hash_table_remove (svc->ai, ai);
}

gboolean
cs_service_ai_is_active (CsService * svc, const gchar * ai, gint64 now_ms)
{
  return is_active (svc->ai, ai, now_ms);
}

GList *
cs_service_ai_names (CsService * svc)
{
  return g_list_sort (g_hash_table_get_keys (svc->ai),
      (GCompareFunc) g_strcmp0);
}

gint64
cs_service_ai_until (CsService * svc, const gchar * ai)
{
  gint64 *until = g_hash_table_lookup (svc->ai, ai);

  return until ? *until : -1;
}

static void
add_table (JsonBuilder * b, const gchar * member, GHashTable * table)
{
  g_autoptr (GList) names = g_hash_table_get_keys (table);

  names = g_list_sort (names, (GCompareFunc) g_strcmp0);
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  for (GList * l = names; l; l = l->next) {
    json_builder_set_member_name (b, l->data);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "until_ms");
    json_builder_add_int_value (b,
        *(gint64 *) g_hash_table_lookup (table, l->data));
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
}

gchar *
cs_service_to_json (CsService * svc, gint64 now_ms)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, svc->device_id);
  json_builder_set_member_name (b, "updated_ms");
  json_builder_add_int_value (b, now_ms);
  add_table (b, "channels", svc->channels);
  add_table (b, "ai", svc->ai);
  json_builder_end_object (b);
  return cs_json_builder_to_data (b);
}

/* Reads {"name": {"until_ms": N}, ...}; names must pass @valid. */
static gboolean
read_table (JsonObject * root, const gchar * member, GHashTable * table,
    gboolean (*valid) (const gchar *), GError ** error)
{
  JsonNode *node = json_object_get_member (root, member);
  JsonObject *obj;
  g_autoptr (GList) names = NULL;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  obj = json_node_get_object (node);
  names = json_object_get_members (obj);
  for (GList * l = names; l; l = l->next) {
    JsonNode *entry = json_object_get_member (obj, l->data);
    gint64 until;

    if (!valid (l->data) || !JSON_NODE_HOLDS_OBJECT (entry))
      goto bad;
    if (!cs_json_get_int (json_node_get_object (entry), "until_ms", 0,
            &until))
      goto bad;
    set_until (table, l->data, MAX (until, 0));
  }
  return TRUE;

bad:
  g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
      "service.json: '%s' is not a map of names to {\"until_ms\": N}",
      member);
  return FALSE;
}

CsService *
cs_service_parse (const gchar * json, gsize len, GError ** error)
{
  g_autoptr (JsonNode) root = cs_json_parse (json, len, "service.json",
      error);
  g_autoptr (CsService) svc = NULL;
  const gchar *device;

  if (root == NULL)
    return NULL;
  device = JSON_NODE_HOLDS_OBJECT (root) ?
      cs_json_get_string (json_node_get_object (root), "device") : NULL;
  if (!cs_key_name_is_valid (device)) {
    g_set_error_literal (error, JSON_PARSER_ERROR,
        JSON_PARSER_ERROR_INVALID_DATA,
        "service.json: not an object with a valid \"device\"");
    return NULL;
  }
  svc = cs_service_new (device);
  if (!read_table (json_node_get_object (root), "channels", svc->channels,
          cs_service_channel_is_valid, error)
      || !read_table (json_node_get_object (root), "ai", svc->ai,
          cs_key_name_is_valid, error))
    return NULL;
  return g_steal_pointer (&svc);
}
