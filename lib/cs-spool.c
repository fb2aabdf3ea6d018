/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-spool.h"
#include "cs-key.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* Keys hold no '%', so it stands for '/' in a file name. */
#define SEP '%'

typedef struct
{
  gchar *key;
  guint64 size;
  guint64 order;                /* writing order: mtime, then sequence */
} Entry;

struct _CsSpool
{
  gchar *dir;
  guint64 max_bytes;            /* 0: no limit */
  GMutex lock;
  GList *entries;               /* Entry, oldest first */
  guint64 bytes;
  guint64 sequence;
};

static void
entry_free (Entry * e)
{
  g_free (e->key);
  g_free (e);
}

static gchar *
file_of (CsSpool * spool, const gchar * key)
{
  g_autofree gchar *name = g_strdup (key);

  g_strdelimit (name, "/", SEP);
  return g_build_filename (spool->dir, name, NULL);
}

/* The key a file name stands for, or NULL (a temporary or foreign file). */
static gchar *
key_of (const gchar * name)
{
  gchar *key = g_strdup (name);
  static const gchar *const kinds[] = { ".ts", ".json", ".jpg", ".m3u8",
    NULL
  };
  gboolean known = FALSE;

  g_strdelimit (key, "%", '/');
  for (const gchar * const *k = kinds; *k; k++)
    known |= g_str_has_suffix (key, *k);
  if (!known || !cs_key_is_valid (key)) {
    g_free (key);
    return NULL;
  }
  return key;
}

static gint
by_order (gconstpointer a, gconstpointer b)
{
  const Entry *ea = a, *eb = b;
  return ea->order < eb->order ? -1 : ea->order > eb->order;
}

CsSpool *
cs_spool_open (const gchar * dir, guint64 max_bytes, guint * discarded,
    GError ** error)
{
  g_autoptr (GDir) d = NULL;
  CsSpool *spool;
  const gchar *name;

  *discarded = 0;
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot create the spool directory %s: %s", dir, g_strerror (errno));
    return NULL;
  }
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  spool = g_new0 (CsSpool, 1);
  spool->dir = g_strdup (dir);
  spool->max_bytes = max_bytes;
  g_mutex_init (&spool->lock);
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    gchar *key = key_of (name);
    GStatBuf st;
    Entry *e;

    if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
      g_free (key);
      continue;
    }
    if (key == NULL) {
      /* What a crash left half-written: never uploaded as it is. */
      g_unlink (path);
      (*discarded)++;
      continue;
    }
    e = g_new0 (Entry, 1);
    e->key = key;
    e->size = st.st_size;
    e->order = (guint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
        st.st_mtim.tv_nsec / 1000;
    spool->entries = g_list_prepend (spool->entries, e);
    spool->bytes += e->size;
  }
  spool->entries = g_list_sort (spool->entries, by_order);
  spool->sequence = g_get_real_time ();
  return spool;
}

void
cs_spool_free (CsSpool * spool)
{
  if (spool == NULL)
    return;
  g_list_free_full (spool->entries, (GDestroyNotify) entry_free);
  g_mutex_clear (&spool->lock);
  g_free (spool->dir);
  g_free (spool);
}

static GList *
find (CsSpool * spool, const gchar * key)
{
  for (GList * l = spool->entries; l; l = l->next)
    if (g_str_equal (((Entry *) l->data)->key, key))
      return l;
  return NULL;
}

/* With the lock. */
static void
remove_entry (CsSpool * spool, GList * link)
{
  Entry *e = link->data;
  g_autofree gchar *path = file_of (spool, e->key);

  g_unlink (path);
  spool->bytes -= e->size;
  spool->entries = g_list_delete_link (spool->entries, link);
  entry_free (e);
}

gboolean
cs_spool_write (CsSpool * spool, const gchar * key, GBytes * data,
    GPtrArray * dropped, GError ** error)
{
  g_autofree gchar *path = file_of (spool, key);
  gsize size = g_bytes_get_size (data);
  GList *old;
  Entry *e;

  g_return_val_if_fail (cs_key_is_valid (key), FALSE);
  g_mutex_lock (&spool->lock);
  if ((old = find (spool, key)))
    remove_entry (spool, old);
  while (spool->max_bytes > 0 && spool->entries
      && spool->bytes + size > spool->max_bytes) {
    g_ptr_array_add (dropped, g_strdup (((Entry *)
                spool->entries->data)->key));
    remove_entry (spool, spool->entries);
  }
  g_mutex_unlock (&spool->lock);

  /* A temporary name, fsync, rename: a crash leaves the old state or the
   * new one, and a temporary file that open () discards. */
  if (!g_file_set_contents_full (path, g_bytes_get_data (data, NULL), size,
          G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
          error))
    return FALSE;

  e = g_new0 (Entry, 1);
  e->key = g_strdup (key);
  e->size = size;
  g_mutex_lock (&spool->lock);
  e->order = ++spool->sequence;
  spool->entries = g_list_append (spool->entries, e);
  spool->bytes += size;
  g_mutex_unlock (&spool->lock);
  return TRUE;
}

GBytes *
cs_spool_read (CsSpool * spool, const gchar * key, GError ** error)
{
  g_autofree gchar *path = file_of (spool, key);
  gchar *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  return g_bytes_new_take (contents, len);
}

void
cs_spool_remove (CsSpool * spool, const gchar * key)
{
  GList *link;

  g_mutex_lock (&spool->lock);
  if ((link = find (spool, key)))
    remove_entry (spool, link);
  g_mutex_unlock (&spool->lock);
}

GPtrArray *
cs_spool_keys (CsSpool * spool)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&spool->lock);
  for (GList * l = spool->entries; l; l = l->next)
    g_ptr_array_add (keys, g_strdup (((Entry *) l->data)->key));
  g_mutex_unlock (&spool->lock);
  return keys;
}

guint64
cs_spool_bytes (CsSpool * spool)
{
  guint64 bytes;

  g_mutex_lock (&spool->lock);
  bytes = spool->bytes;
  g_mutex_unlock (&spool->lock);
  return bytes;
}
