/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-event-record.h"
#include "cs-json.h"
#include "cs-key.h"

CsEventRecord *
cs_event_record_new (const gchar * device_id, const gchar * id,
    gint64 start_ms)
{
  CsEventRecord *r = g_new0 (CsEventRecord, 1);

  r->device_id = g_strdup (device_id);
  r->id = g_strdup (id);
  r->start_ms = start_ms;
  r->end_ms = -1;
  r->alarms = g_array_new (FALSE, TRUE, sizeof (CsEventAlarm));
  r->segments = g_ptr_array_new_with_free_func (g_free);
  return r;
}

void
cs_event_record_free (CsEventRecord * r)
{
  if (r == NULL)
    return;
  g_free (r->id);
  g_free (r->device_id);
  g_free (r->snapshot);
  g_array_unref (r->alarms);
  g_ptr_array_unref (r->segments);
  g_free (r);
}

static void
add_int (JsonBuilder * b, const gchar * name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string_or_null (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

gchar *
cs_event_record_to_json (const CsEventRecord * r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string_or_null (b, "id", r->id);
  add_string_or_null (b, "device", r->device_id);
  add_int (b, "triggers", r->triggers);
  add_int (b, "start_ms", r->start_ms);
  json_builder_set_member_name (b, "end_ms");
  if (r->end_ms >= 0)
    json_builder_add_int_value (b, r->end_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "ended");
  json_builder_add_boolean_value (b, r->ended);
  json_builder_set_member_name (b, "alarms");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->alarms->len; i++) {
    CsEventAlarm *a = &g_array_index (r->alarms, CsEventAlarm, i);
    json_builder_begin_object (b);
    add_int (b, "trigger", a->trigger);
    add_int (b, "time_ms", a->time_ms);
    json_builder_set_member_name (b, "snapshot");
    json_builder_add_boolean_value (b, a->snapshot);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  add_string_or_null (b, "snapshot", r->snapshot);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->segments->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (r->segments, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return cs_json_builder_to_data (b);
}

/* The array member @name in @arr (NULL when absent); FALSE when it is there
 * but not an array. */
static gboolean
array_member (JsonObject * root, const gchar * name, JsonArray ** arr)
{
  JsonNode *node = json_object_get_member (root, name);

  *arr = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  *arr = json_node_get_array (node);
  return TRUE;
}

static gboolean
read_alarms (JsonObject * root, CsEventRecord * r)
{
  JsonArray *arr;

  if (!array_member (root, "alarms", &arr))
    return FALSE;
  for (guint i = 0; arr && i < json_array_get_length (arr); i++) {
    JsonNode *e = json_array_get_element (arr, i);
    CsEventAlarm a = { 0 };
    gint64 trigger;

    if (!JSON_NODE_HOLDS_OBJECT (e)
        || !cs_json_get_int (json_node_get_object (e), "trigger", 0, &trigger)
        || !cs_json_get_int (json_node_get_object (e), "time_ms", -1,
            &a.time_ms)
        || trigger <= 0 || trigger > G_MAXUINT32)
      return FALSE;
    a.trigger = trigger;
    a.snapshot = cs_json_get_bool (json_node_get_object (e), "snapshot",
        FALSE);
    g_array_append_val (r->alarms, a);
  }
  return TRUE;
}

static gboolean
read_segments (JsonObject * root, CsEventRecord * r)
{
  JsonArray *arr;

  if (!array_member (root, "segments", &arr))
    return FALSE;
  for (guint i = 0; arr && i < json_array_get_length (arr); i++) {
    JsonNode *e = json_array_get_element (arr, i);
    const gchar *key;

    if (!JSON_NODE_HOLDS_VALUE (e)
        || json_node_get_value_type (e) != G_TYPE_STRING)
      return FALSE;
    key = json_node_get_string (e);
    if (!cs_key_is_valid (key))
      return FALSE;
    g_ptr_array_add (r->segments, g_strdup (key));
  }
  return TRUE;
}

CsEventRecord *
cs_event_record_parse (const gchar * json, gsize len, GError ** error)
{
  g_autoptr (JsonNode) node = cs_json_parse (json, len, "event.json", error);
  g_autoptr (CsEventRecord) r = NULL;
  JsonObject *root;
  const gchar *id, *device, *snapshot;
  gint64 triggers, start_ms, end_ms;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  root = json_node_get_object (node);
  id = cs_json_get_string (root, "id");
  device = cs_json_get_string (root, "device");
  snapshot = cs_json_get_string (root, "snapshot");
  if (!cs_key_name_is_valid (id) || !cs_key_name_is_valid (device)
      || (snapshot != NULL && !cs_key_is_valid (snapshot))
      || !cs_json_get_int (root, "start_ms", -1, &start_ms) || start_ms < 0
      || !cs_json_get_int (root, "end_ms", -1, &end_ms)
      || !cs_json_get_int (root, "triggers", 0, &triggers)
      || triggers < 0 || triggers > G_MAXUINT32)
    goto bad;
  r = cs_event_record_new (device, id, start_ms);
  r->end_ms = end_ms < 0 ? -1 : end_ms;
  r->triggers = triggers;
  r->ended = cs_json_get_bool (root, "ended", FALSE);
  r->snapshot = g_strdup (snapshot);
  if (!read_alarms (root, r) || !read_segments (root, r))
    goto bad;
  return g_steal_pointer (&r);

bad:
  g_set_error_literal (error, JSON_PARSER_ERROR,
      JSON_PARSER_ERROR_INVALID_DATA,
      "event.json: not an event (id, device, start_ms, alarms, segments)");
  return NULL;
}
