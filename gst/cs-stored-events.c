/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-stored-events.h"

/* Lost objects remembered for events that finish later; a segment is lost
 * long before its event ends only in an outage, and then the newest count. */
#define MAX_LOST 256

typedef struct
{
  gchar *event_id;
  gchar *json_key;
  GStrv keys;
} Waiting;

struct _CsStoredEvents
{
  GHashTable *pending;          /* key -> number of sends without outcome */
  GHashTable *lost;             /* key (owned by lost_order) */
  GQueue lost_order;
  GList *waiting;               /* Waiting, oldest first */
};

static void
waiting_free (Waiting * w)
{
  g_free (w->event_id);
  g_free (w->json_key);
  g_strfreev (w->keys);
  g_free (w);
}

CsStoredEvents *
cs_stored_events_new (void)
{
  CsStoredEvents *se = g_new0 (CsStoredEvents, 1);

  se->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  se->lost = g_hash_table_new (g_str_hash, g_str_equal);
  return se;
}

void
cs_stored_events_free (CsStoredEvents * se)
{
  if (se == NULL)
    return;
  g_hash_table_unref (se->pending);
  g_hash_table_unref (se->lost);
  g_queue_clear_full (&se->lost_order, g_free);
  g_list_free_full (se->waiting, (GDestroyNotify) waiting_free);
  g_free (se);
}

void
cs_stored_events_sent (CsStoredEvents * se, const gchar * key)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (se->pending, key));

  g_hash_table_insert (se->pending, g_strdup (key), GUINT_TO_POINTER (n + 1));
}

void
cs_stored_events_outcome (CsStoredEvents * se, const gchar * key,
    gboolean stored)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (se->pending, key));

  if (n <= 1)
    g_hash_table_remove (se->pending, key);
  else
    g_hash_table_insert (se->pending, g_strdup (key), GUINT_TO_POINTER (n - 1));
  if (stored || g_hash_table_contains (se->lost, key))
    return;
  g_queue_push_tail (&se->lost_order, g_strdup (key));
  g_hash_table_add (se->lost, se->lost_order.tail->data);
  if (g_queue_get_length (&se->lost_order) > MAX_LOST) {
    gchar *old = g_queue_pop_head (&se->lost_order);
    g_hash_table_remove (se->lost, old);
    g_free (old);
  }
}

void
cs_stored_events_wait (CsStoredEvents * se, const gchar * event_id,
    const gchar * json_key, GStrv keys)
{
  Waiting *w = g_new0 (Waiting, 1);

  w->event_id = g_strdup (event_id);
  w->json_key = g_strdup (json_key);
  w->keys = keys;
  se->waiting = g_list_append (se->waiting, w);
}

GPtrArray *
cs_stored_events_take_whole (CsStoredEvents * se)
{
  GPtrArray *whole = NULL;
  GList *l = se->waiting;

  while (l) {
    Waiting *w = l->data;
    GList *next = l->next;
    gboolean complete = TRUE;
    guint i;

    for (i = 0; w->keys[i]; i++) {
      if (g_hash_table_contains (se->pending, w->keys[i]))
        break;
      complete &= !g_hash_table_contains (se->lost, w->keys[i]);
    }
    if (w->keys[i] == NULL) {
      if (whole == NULL)
        whole = g_ptr_array_new_with_free_func ((GDestroyNotify)
            gst_structure_free);
      g_ptr_array_add (whole, gst_structure_new ("cs-event-stored",
              "event-id", G_TYPE_STRING, w->event_id,
              "key", G_TYPE_STRING, w->json_key,
              "complete", G_TYPE_BOOLEAN, complete, NULL));
      se->waiting = g_list_delete_link (se->waiting, l);
      waiting_free (w);
    }
    l = next;
  }
  return whole;
}
