/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Events in the store: <device>/ev/<YYYYMMDD>/<id>/event.json and the
 * segments beside it (event video) or in rec/ (full-time). */
#include "csctl.h"
#include "cs-key.h"

#include <string.h>

#define DAY_MS (24 * 3600 * G_GINT64_CONSTANT (1000))

GPtrArray *
csctl_list_event_days (CsStore * store, const gchar * device, gint64 from,
    gint64 to, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (g_free);

  /* From the day before: an event filed then may reach into @from. */
  for (gint64 d = MAX (from - from % DAY_MS - DAY_MS, 0); d < to;
      d += DAY_MS) {
    g_autofree gchar *prefix = cs_key_events_day (device, d);
    g_autoptr (GPtrArray) objects = cs_store_list (store, prefix,
        cancellable, error);

    if (objects == NULL)
      return NULL;
    for (guint i = 0; i < objects->len; i++)
      g_ptr_array_add (all, g_strdup (((CsStoreObject *)
                  g_ptr_array_index (objects, i))->key));
  }
  return g_steal_pointer (&all);
}

static CsEventRecord *
read_event (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) data = csctl_read_object (store, key, cancellable,
      error);
  g_autoptr (GError) parse_error = NULL;
  CsEventRecord *r;

  if (data == NULL)
    return NULL;
  r = cs_event_record_parse (g_bytes_get_data (data, NULL),
      g_bytes_get_size (data), &parse_error);
  if (r == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s is not a valid event.json (%s)", key, parse_error->message);
  return r;
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const CsEventRecord *ra = *(CsEventRecord **) a, *rb = *(CsEventRecord **) b;
  return ra->start_ms < rb->start_ms ? -1 : ra->start_ms > rb->start_ms;
}

GPtrArray *
csctl_find_events (CsStore * store, const gchar * device, gint64 from,
    gint64 to, guint * unreadable, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) keys = csctl_list_event_days (store, device, from,
      to, cancellable, error);
  g_autoptr (GPtrArray) events = NULL;

  if (keys == NULL)
    return NULL;
  events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_event_record_free);
  *unreadable = 0;
  for (guint i = 0; i < keys->len; i++) {
    const gchar *key = g_ptr_array_index (keys, i);
    g_autoptr (GError) bad = NULL;
    CsEventRecord *r;

    if (!g_str_has_suffix (key, "/" CS_KEY_EVENT_JSON))
      continue;
    r = read_event (store, key, cancellable, &bad);
    if (r == NULL) {
      /* One bad document must not hide the others. */
      g_printerr ("csctl: skipping %s\n", bad->message);
      (*unreadable)++;
      continue;
    }
    if (r->start_ms < to && (r->end_ms < 0 ? r->start_ms : r->end_ms) >= from)
      g_ptr_array_add (events, r);
    else
      cs_event_record_free (r);
  }
  g_ptr_array_sort (events, by_start);
  return g_steal_pointer (&events);
}

/* The event's event.json: its id names the day it started (an id is its
 * first trigger's ms), else every day is searched. */
static CsEventRecord *
find_event (CsStore * store, const gchar * device, const gchar * id,
    GCancellable * cancellable, GError ** error)
{
  guint64 start;
  g_autoptr (GError) local = NULL;
  CsEventRecord *r = NULL;

  if (!csctl_check_event_id (id, error))
    return NULL;
  if (g_ascii_string_to_unsigned (id, 10, 0, CSCTL_MAX_TIME_MS, &start,
          NULL)) {
    g_autofree gchar *dir = cs_key_event_dir (device, id, start);
    g_autofree gchar *key = g_strconcat (dir, CS_KEY_EVENT_JSON, NULL);

    r = read_event (store, key, cancellable, &local);
    if (r != NULL || !g_error_matches (local, CS_STORE_ERROR,
            CS_STORE_ERROR_NOT_FOUND)) {
      if (r == NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return r;
    }
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "no event %s of %s", id, device);
  return NULL;
}

/* Fails when a key of @keys is not in the store, so that a player is never
 * handed a playlist with holes.  Stores that cannot list are trusted.  The
 * listed sizes go to @sizes (key -> guint64): a fragmented MP4 segment's
 * media part is stated by its byte range, which hlsdemux needs. */
static gboolean
check_present (CsStore * store, const gchar * id, GPtrArray * keys,
    GHashTable * sizes, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);

  for (guint i = 0; i < keys->len; i++) {
    const gchar *key = g_ptr_array_index (keys, i);
    g_autofree gchar *dir = g_strndup (key, strrchr (key, '/') - key + 1);
    g_autoptr (GError) list_error = NULL;

    if (!g_hash_table_contains (listed, dir)) {
      g_autoptr (GPtrArray) objects = cs_store_list (store, dir, cancellable,
          &list_error);
      if (objects == NULL && g_error_matches (list_error, CS_STORE_ERROR,
              CS_STORE_ERROR_NOT_SUPPORTED))
        return TRUE;
      if (objects == NULL) {
        g_propagate_error (error, g_steal_pointer (&list_error));
        return FALSE;
      }
      for (guint j = 0; j < objects->len; j++) {
        CsStoreObject *o = g_ptr_array_index (objects, j);
        g_hash_table_insert (sizes, g_strdup (o->key),
            g_memdup2 (&o->size, sizeof o->size));
      }
      g_hash_table_add (listed, g_strdup (dir));
    }
    if (!g_hash_table_contains (sizes, key)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "event %s: its segment %s is missing from the store", id, key);
      return FALSE;
    }
  }
  return TRUE;
}

GArray *
csctl_event_segments (CsStore * store, const gchar * device,
    const gchar * id, gboolean urls, gint64 * from, gint64 * to,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (CsEventRecord) r = find_event (store, device, id, cancellable,
      error);
  g_autoptr (GArray) found = NULL;
  g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);

  if (r == NULL)
    return NULL;
  if (r->segments->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "event %s has no segments (yet)", id);
    return NULL;
  }
  if (!check_present (store, id, r->segments, sizes, cancellable, error))
    return NULL;
  found = g_array_new (FALSE, TRUE, sizeof (CsPlaylistEntry));
  g_array_set_clear_func (found, (GDestroyNotify) csctl_playlist_entry_clear);
  for (guint i = 0; i < r->segments->len; i++) {
    const gchar *key = g_ptr_array_index (r->segments, i);
    CsPlaylistEntry e = { NULL, 0, 0 };
    const guint64 *size = g_hash_table_lookup (sizes, key);

    if (!cs_key_parse_segment (key, &e.start_ms, &e.duration_ms))
      continue;
    e.fmp4 = cs_key_segment_is_fmp4 (key);
    e.size = size ? *size : 0;
    if (!urls)
      e.uri = g_strdup (key);
    else if (!(e.uri = cs_store_get_url (store, key, csctl_url_expiry (),
                error)))
      return NULL;
    e.key_uri = cs_playlist_key_uri (key, csctl_key_uri ());
    g_array_append_val (found, e);
  }
  g_array_sort (found, csctl_compare_entries);
  *from = g_array_index (found, CsPlaylistEntry, 0).start_ms;
  *to = g_array_index (found, CsPlaylistEntry, found->len - 1).start_ms +
      g_array_index (found, CsPlaylistEntry, found->len - 1).duration_ms;
  return g_steal_pointer (&found);
}

gchar *
csctl_describe_triggers (guint32 triggers)
{
  static const gchar *const names[] = { "motion", "person", "sound",
    "linkage"
  };
  GString *s = g_string_new (NULL);

  for (guint bit = 0; bit < 32; bit++) {
    if (!(triggers & (1u << bit)))
      continue;
    if (s->len)
      g_string_append_c (s, '+');
    if (bit < G_N_ELEMENTS (names))
      g_string_append (s, names[bit]);
    else
      g_string_append_printf (s, "bit%u", bit);
  }
  return g_string_free (s, FALSE);
}
