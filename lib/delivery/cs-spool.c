/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-spool.h"
#include "cs-key.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Says the directory is a spool (layout 2); written before anything else. */
#define MARKER "GST-CLOUDSTORAGE-SPOOL"
#define MARKER_TEXT "gst-cloudstorage spool, layout 2: one directory per " \
  "store and device (<device>@<hash>, its OWNER file says whose), holding " \
  "objects that wait for the store, named by their key with '%' for '/'.\n" \
  "Written by cssink (spool-dir) and libivcs (spool_dir): put nothing " \
  "else here.\n"
#define OWNER "OWNER"
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
  gchar *dir;                   /* the directory of this store and device */
  gint owner_fd;                /* its OWNER, locked while the spool is open */
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

/* The key a file name stands for: a valid key of a kind the spool holds,
 * or NULL. */
static gchar *
key_of (const gchar * name)
{
  static const gchar *const kinds[] = { ".ts", ".mp4", ".json", ".jpg", ".m3u8",
    NULL
  };
  g_autofree gchar *key = g_strdelimit (g_strdup (name), "%", '/');
  gboolean known = FALSE;

  for (const gchar * const *k = kinds; *k; k++)
    known |= g_str_has_suffix (key, *k);
  return known && cs_key_is_valid (key) ? g_steal_pointer (&key) : NULL;
}

static gboolean
all_digits (const gchar * s, gsize n)
{
  if (strlen (s) != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* The key of a file of the earlier layout: named by a key of the store
 * layout (DESIGN.md), which a user's file is not; else NULL. */
static gchar *
legacy_key_of (const gchar * name)
{
  g_autofree gchar *key = key_of (name);
  g_auto (GStrv) p = key ? g_strsplit (key, "/", -1) : NULL;
  gint64 start, duration;
  gboolean segment, ok;

  if (p == NULL || g_strv_length (p) != 5 || !all_digits (p[2], 8))
    return NULL;
  segment = cs_key_parse_segment (p[4], &start, &duration);
  if (g_str_equal (p[1], "rec"))
    ok = all_digits (p[3], 2) && segment;
  else
    ok = g_str_equal (p[1], "ev") && (segment
        || g_str_equal (p[4], CS_KEY_EVENT_JSON)
        || g_str_equal (p[4], CS_KEY_EVENT_SNAPSHOT)
        || g_str_equal (p[4], CS_KEY_EVENT_PLAYLIST));
  return ok ? g_steal_pointer (&key) : NULL;
}

/* The name a temporary file of g_file_set_contents () stands for
 * ("<name>.XXXXXX"), or NULL. */
static gchar *
temporary_of (const gchar * name)
{
  gsize len = strlen (name);

  if (len < 8 || name[len - 7] != '.')
    return NULL;
  for (gsize i = len - 6; i < len; i++)
    if (!g_ascii_isalnum (name[i]))
      return NULL;
  return g_strndup (name, len - 7);
}

/* What a crash left half-written in the earlier layout. */
static gboolean
is_legacy_temporary (const gchar * name)
{
  g_autofree gchar *of = temporary_of (name);
  g_autofree gchar *key = of ? legacy_key_of (of) : NULL;

  return key != NULL;
}

/* The device a key is filed under. */
static gboolean
key_has_device (const gchar * key, const gchar * device_id)
{
  gsize n = strlen (device_id);

  return strncmp (key, device_id, n) == 0 && key[n] == '/';
}

static void
set_errno_error (GError ** error, const gchar * what, const gchar * path)
{
  int errsv = errno;

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
      "%s %s: %s", what, path, g_strerror (errsv));
}

/* Makes sure @dir is a spool: it has the marker, or is empty (but for the
 * lost+found of a filesystem's root), or holds only the earlier layout (it
 * then gets the marker).  Anything else is
 * refused, and nothing in it is touched. */
static gboolean
claim (const gchar * dir, GError ** error)
{
  g_autofree gchar *marker = g_build_filename (dir, MARKER, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GString) others = g_string_new (NULL);
  guint n_others = 0;
  const gchar *name;

  if (g_file_get_contents (marker, &text, NULL, NULL)
      && g_str_has_prefix (text, "gst-cloudstorage spool"))
    return TRUE;
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_autofree gchar *key = legacy_key_of (name);
    GStatBuf st;

    if (g_lstat (path, &st) == 0 && ((S_ISREG (st.st_mode)
                && (key != NULL || is_legacy_temporary (name)))
            || (S_ISDIR (st.st_mode) && g_str_equal (name, "lost+found"))))
      continue;
    if (n_others++ < 3)
      g_string_append_printf (others, "%s'%s'", others->len ? ", " : "",
          name);
  }
  if (n_others > 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
        "%s is not a spool: it holds %s%s, which were not written by a "
        "spool; give the spool a directory of its own (new or empty). "
        "Nothing in it was touched", dir, others->str,
        n_others > 3 ? " and more" : "");
    return FALSE;
  }
  return g_file_set_contents_full (marker, MARKER_TEXT, -1,
      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
      error);
}

/* Makes the directory of @store and @device_id, says whose it is in its
 * OWNER, and locks that: one spool open per store and device. */
static gchar *
open_own_dir (const gchar * dir, CsStore * store, const gchar * device_id,
    gint * owner_fd, GError ** error)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      cs_store_get_identity (store), -1);
  g_autofree gchar *name = g_strdup_printf ("%s@%.16s", device_id, hash);
  g_autofree gchar *own = g_build_filename (dir, name, NULL);
  g_autofree gchar *owner = g_build_filename (own, OWNER, NULL);
  g_autofree gchar *text = g_strdup_printf ("%s at %s\nstore %s\n",
      device_id, cs_store_get_display_uri (store),
      cs_store_get_identity (store));
  gint fd;

  if (g_mkdir (own, 0700) != 0 && errno != EEXIST) {
    set_errno_error (error, "cannot create", own);
    return NULL;
  }
  if (!g_file_test (owner, G_FILE_TEST_IS_REGULAR)
      && !g_file_set_contents_full (owner, text, -1,
          G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
          error))
    return NULL;
  fd = g_open (owner, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    set_errno_error (error, "cannot open", owner);
    return NULL;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
        "another recording of %s to %s uses the spool %s", device_id,
        cs_store_get_display_uri (store), dir);
    close (fd);
    return NULL;
  }
  *owner_fd = fd;
  return g_steal_pointer (&own);
}

/* Objects in the directory of another store or device: counted, with
 * whose they are (the first line of its OWNER). */
static void
add_owner (GPtrArray * owners, gchar * owner)
{
  if (g_ptr_array_find_with_equal_func (owners, owner, g_str_equal, NULL))
    g_free (owner);
  else
    g_ptr_array_add (owners, owner);
}

static void
count_foreign (const gchar * path, CsSpoolOpenInfo * info, GPtrArray * owners)
{
  g_autofree gchar *owner = g_build_filename (path, OWNER, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GDir) d = NULL;
  const gchar *name;
  guint n = 0;

  if (!g_file_get_contents (owner, &text, NULL, NULL))
    return;
  d = g_dir_open (path, 0, NULL);
  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *key = key_of (name);
    n += key != NULL;
  }
  if (n == 0)
    return;
  info->foreign += n;
  add_owner (owners, g_strndup (text, strcspn (text, "\n")));
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The top of the spool: objects of the earlier layout move into @own when
 * they are @device_id's; what others own is counted and left alone. */
static void
survey (const gchar * dir, const gchar * own, const gchar * device_id,
    CsSpoolOpenInfo * info)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) owners = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *own_name = g_path_get_basename (own);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_autofree gchar *key = NULL;
    GStatBuf st;

    if (g_lstat (path, &st) != 0 || g_str_equal (name, own_name))
      continue;
    if (S_ISDIR (st.st_mode)) {
      count_foreign (path, info, owners);
    } else if (S_ISREG (st.st_mode) && (key = legacy_key_of (name))) {
      g_autofree gchar *to = g_build_filename (own, name, NULL);

      if (key_has_device (key, device_id) && g_rename (path, to) == 0) {
        info->migrated++;
      } else {
        info->foreign++;
        add_owner (owners, g_strdup_printf ("%.*s (earlier layout)",
                (int) strcspn (key, "/"), key));
      }
    } else if (S_ISREG (st.st_mode) && is_legacy_temporary (name)) {
      g_unlink (path);
      info->discarded++;
    }
  }
  if (owners->len > 0) {
    g_ptr_array_sort (owners, by_name);
    g_ptr_array_add (owners, NULL);
    info->foreign_owners = g_strjoinv (", ", (gchar **) owners->pdata);
  }
}

static gint
by_order (gconstpointer a, gconstpointer b)
{
  const Entry *ea = a, *eb = b;

  /* Files written within one clock tick have the same mtime: their keys,
   * set by time, then say which came first. */
  if (ea->order == eb->order)
    return strcmp (ea->key, eb->key);
  return ea->order < eb->order ? -1 : 1;
}

/* The objects in the spool's own directory; what a crash left
 * half-written there is discarded, never uploaded. */
static void
scan (CsSpool * spool, const gchar * device_id, CsSpoolOpenInfo * info)
{
  g_autoptr (GDir) d = g_dir_open (spool->dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (spool->dir, name, NULL);
    g_autofree gchar *key = key_of (name);
    g_autofree gchar *of = NULL, *of_key = NULL;
    GStatBuf st;
    Entry *e;

    if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
      continue;
    if (key == NULL || !key_has_device (key, device_id)) {
      of = temporary_of (name);
      of_key = of ? key_of (of) : NULL;
      if (of_key != NULL) {
        g_unlink (path);
        info->discarded++;
      }
      continue;
    }
    e = g_new0 (Entry, 1);
    e->key = g_steal_pointer (&key);
    e->size = st.st_size;
    e->order = (guint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
        st.st_mtim.tv_nsec / 1000;
    spool->entries = g_list_prepend (spool->entries, e);
    spool->bytes += e->size;
  }
  spool->entries = g_list_sort (spool->entries, by_order);
}

CsSpool *
cs_spool_open (const gchar * dir, CsStore * store, const gchar * device_id,
    guint64 max_bytes, CsSpoolOpenInfo * info, GError ** error)
{
  g_autofree gchar *own = NULL;
  CsSpool *spool;
  gint owner_fd = -1;

  memset (info, 0, sizeof *info);
  g_return_val_if_fail (cs_key_name_is_valid (device_id), NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    set_errno_error (error, "cannot create the spool directory", dir);
    return NULL;
  }
  if (!claim (dir, error))
    return NULL;
  own = open_own_dir (dir, store, device_id, &owner_fd, error);
  if (own == NULL)
    return NULL;
  spool = g_new0 (CsSpool, 1);
  spool->dir = g_steal_pointer (&own);
  spool->owner_fd = owner_fd;
  spool->max_bytes = max_bytes;
  g_mutex_init (&spool->lock);
  survey (dir, spool->dir, device_id, info);
  scan (spool, device_id, info);
  spool->sequence = g_get_real_time ();
  return spool;
}

void
cs_spool_open_info_clear (CsSpoolOpenInfo * info)
{
  g_clear_pointer (&info->foreign_owners, g_free);
}

void
cs_spool_free (CsSpool * spool)
{
  if (spool == NULL)
    return;
  g_list_free_full (spool->entries, (GDestroyNotify) entry_free);
  close (spool->owner_fd);
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

/* With the lock: the oldest object but @key, or NULL. */
static GList *
oldest_other (CsSpool * spool, const gchar * key)
{
  for (GList * l = spool->entries; l; l = l->next)
    if (!g_str_equal (((Entry *) l->data)->key, key))
      return l;
  return NULL;
}

/* With the lock: whether removing every other object could make room for
 * @size bytes (when the filesystem says how much is free). */
static gboolean
room_possible (CsSpool * spool, const gchar * key, gsize size)
{
  struct statvfs fs;
  guint64 others = 0;

  if (statvfs (spool->dir, &fs) != 0)
    return TRUE;
  for (GList * l = spool->entries; l; l = l->next)
    if (!g_str_equal (((Entry *) l->data)->key, key))
      others += ((Entry *) l->data)->size;
  return (guint64) fs.f_bavail * fs.f_frsize + others >= size;
}

/* Writes @data as @key's file; on a full disk, removes the oldest other
 * object (into @dropped) and tries again, as long as that can help. */
static gboolean
write_making_room (CsSpool * spool, const gchar * key, GBytes * data,
    GPtrArray * dropped, GError ** error)
{
  g_autofree gchar *path = file_of (spool, key);
  gsize size = g_bytes_get_size (data);

  for (;;) {
    g_autoptr (GError) write_error = NULL;
    GList *victim;

    /* A temporary name, fsync, rename: a crash leaves the old state or the
     * new one, and a temporary file that open () discards. */
    if (g_file_set_contents_full (path, g_bytes_get_data (data, NULL), size,
            G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
            0600, &write_error))
      return TRUE;
    g_mutex_lock (&spool->lock);
    victim = g_error_matches (write_error, G_FILE_ERROR, G_FILE_ERROR_NOSPC)
        && room_possible (spool, key, size) ? oldest_other (spool, key) : NULL;
    if (victim == NULL) {
      g_mutex_unlock (&spool->lock);
      g_propagate_error (error, g_steal_pointer (&write_error));
      return FALSE;
    }
    g_ptr_array_add (dropped, g_strdup (((Entry *) victim->data)->key));
    remove_entry (spool, victim);
    g_mutex_unlock (&spool->lock);
  }
}

gboolean
cs_spool_write (CsSpool * spool, const gchar * key, GBytes * data,
    GPtrArray * dropped, GError ** error)
{
  GList *old;
  Entry *e;

  g_return_val_if_fail (cs_key_is_valid (key), FALSE);
  if (!write_making_room (spool, key, data, dropped, error))
    return FALSE;

  e = g_new0 (Entry, 1);
  e->key = g_strdup (key);
  e->size = g_bytes_get_size (data);
  g_mutex_lock (&spool->lock);
  /* The new copy replaced the old one's file. */
  if ((old = find (spool, key))) {
    spool->bytes -= ((Entry *) old->data)->size;
    entry_free (old->data);
    spool->entries = g_list_delete_link (spool->entries, old);
  }
  e->order = ++spool->sequence;
  spool->entries = g_list_append (spool->entries, e);
  spool->bytes += e->size;
  /* Past the limit: the oldest go, never the one just written. */
  while (spool->max_bytes > 0 && spool->bytes > spool->max_bytes
      && spool->entries->data != e) {
    g_ptr_array_add (dropped, g_strdup (((Entry *)
                spool->entries->data)->key));
    remove_entry (spool, spool->entries);
  }
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
