/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* file:///dir — the embedded default: the store layout in a local directory. */
#include "cs-store-private.h"
#include "cs-key.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  CsStore parent;
  gchar *root;
} CsStoreFile;

/* A file error as a CsStoreError.  A directory that is read-only or not
 * ours is a refusal (FAILED, its reason in the message), not a matter of
 * credentials: there are none. */
static CsStoreError
code_of (GFileError file_error)
{
  switch (file_error) {
    case G_FILE_ERROR_NOENT:
    case G_FILE_ERROR_NOTDIR:
      return CS_STORE_ERROR_NOT_FOUND;
    case G_FILE_ERROR_NOSPC:
    case G_FILE_ERROR_IO:
    case G_FILE_ERROR_AGAIN:
    case G_FILE_ERROR_INTR:
      return CS_STORE_ERROR_UNAVAILABLE;
    default:
      return CS_STORE_ERROR_FAILED;
  }
}

static void
set_file_error (GError ** error, int errsv, const gchar * what,
    const gchar * key)
{
  g_set_error (error, CS_STORE_ERROR, code_of (g_file_error_from_errno
          (errsv)), "%s '%s': %s", what, key, g_strerror (errsv));
}

static gboolean
file_put (CsStore * store, const gchar * key, GBytes * data,
    const gchar * content_type, GCancellable * cancellable, GError ** error)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_autofree gchar *path = g_build_filename (self->root, key, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr (GError) write_error = NULL;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (data, &size);

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    set_file_error (error, errno, "cannot create the directory for", key);
    return FALSE;
  }
  /* Temporary name, fsync, rename: a reader never sees half an object. */
  if (!g_file_set_contents_full (path, (const gchar *) bytes, size,
          G_FILE_SET_CONTENTS_CONSISTENT, 0644, &write_error)) {
    g_set_error (error, CS_STORE_ERROR, code_of (write_error->code),
        "cannot write '%s': %s", key, write_error->message);
    return FALSE;
  }
  return TRUE;
}

/* Opens @key below @root for reading: a regular file reached through real
 * directories only, as listing sees the store.  A symbolic link could lead
 * out of the store (`ln -s / root`: a viewer served /etc/shadow), and opening
 * a FIFO or a device blocks or never ends.  -1 with errno set otherwise
 * (ELOOP for a link, EINVAL for not a regular file). */
static int
open_regular_file (const gchar * root, const gchar * key)
{
  g_auto (GStrv) names = g_strsplit (key, "/", -1);
  int dir = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd, errsv;
  guint i;
  struct stat st;

  for (i = 0; dir >= 0 && names[i + 1] != NULL; i++) {
    int next = openat (dir, names[i],
        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    errsv = errno;
    close (dir);
    dir = next;
    errno = errsv;
  }
  if (dir < 0)
    return -1;
  fd = openat (dir, names[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  errsv = errno;
  close (dir);
  errno = errsv;
  if (fd >= 0 && (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))) {
    close (fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

static GBytes *
file_get (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_autoptr (GByteArray) contents = g_byte_array_new ();
  int fd = open_regular_file (self->root, key);
  gssize n = 0;

  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EINVAL)) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_FOUND,
        "cannot read '%s': not a regular file of the store (links, FIFOs "
        "and devices are not followed)", key);
    return NULL;
  }
  if (fd < 0) {
    set_file_error (error, errno, "cannot read", key);
    return NULL;
  }
  do {
    guint8 buf[65536];

    n = read (fd, buf, sizeof buf);
    if (n > 0)
      g_byte_array_append (contents, buf, n);
  } while (n > 0 || (n < 0 && errno == EINTR));
  if (n < 0) {
    int errsv = errno;
    close (fd);
    set_file_error (error, errsv, "cannot read", key);
    return NULL;
  }
  close (fd);
  return g_byte_array_free_to_bytes (g_steal_pointer (&contents));
}

static gboolean
file_delete (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_autofree gchar *path = g_build_filename (self->root, key, NULL);

  if (g_unlink (path) != 0) {
    set_file_error (error, errno, "cannot delete", key);
    return FALSE;
  }
  return TRUE;
}

/* Adds every regular file below @dir (key @dir_key) whose key starts with
 * @prefix; descends only into directories that can hold such keys. */
static void
list_dir (const gchar * dir, const gchar * dir_key, const gchar * prefix,
    GPtrArray * out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *key = *dir_key ? g_strconcat (dir_key, "/", name, NULL)
        : g_strdup (name);
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_autofree gchar *key_dir = g_strconcat (key, "/", NULL);
    GStatBuf st;

    if (g_lstat (path, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode)) {
      /* Descend when the prefix lies inside or beyond this directory. */
      if (g_str_has_prefix (prefix, key_dir) || g_str_has_prefix (key_dir,
              prefix))
        list_dir (path, key, prefix, out);
    } else if (S_ISREG (st.st_mode) && g_str_has_prefix (key, prefix)) {
      CsStoreObject *obj = g_new0 (CsStoreObject, 1);
      obj->key = g_steal_pointer (&key);
      obj->size = st.st_size;
      g_ptr_array_add (out, obj);
    }
  }
}

static GPtrArray *
file_list (CsStore * store, const gchar * prefix, GCancellable * cancellable,
    GError ** error)
{
  CsStoreFile *self = (CsStoreFile *) store;
  GPtrArray *out = cs_store_object_array_new ();

  list_dir (self->root, "", prefix, out);
  cs_store_object_array_sort (out);
  return out;
}

/* As S3 sorts them: by their keys, "cam1-x/" < "cam1/" < "cam10/". */
static gint
compare_dir_names (const gchar * a, const gchar * b)
{
  g_autofree gchar *ka = g_strconcat (a, "/", NULL);
  g_autofree gchar *kb = g_strconcat (b, "/", NULL);

  return strcmp (ka, kb);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return compare_dir_names (*(const gchar **) a, *(const gchar **) b);
}

/* The directories at the root, read with lstat: a link is not a device. */
static GPtrArray *
file_list_names (CsStore * store, const gchar * after, guint max,
    GCancellable * cancellable, GError ** error)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) dir_error = NULL;
  g_autoptr (GDir) d = g_dir_open (self->root, 0, &dir_error);
  const gchar *name;

  if (d == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_FOUND,
        "cannot list the store: %s", dir_error->message);
    return NULL;
  }
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *path = g_build_filename (self->root, name, NULL);
    GStatBuf st;

    if ((after == NULL || compare_dir_names (name, after) > 0)
        && cs_key_name_is_valid (name) && g_lstat (path, &st) == 0
        && S_ISDIR (st.st_mode))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  if (names->len > max)
    g_ptr_array_set_size (names, max);
  return g_steal_pointer (&names);
}

static gchar *
file_url (CsStore * store, const gchar * key, guint expires_s)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_autofree gchar *path = g_build_filename (self->root, key, NULL);

  return g_filename_to_uri (path, NULL, NULL);
}

static void
file_free (CsStore * store)
{
  CsStoreFile *self = (CsStoreFile *) store;
  g_free (self->root);
  g_free (self);
}

static const CsStoreBackend file_backend = {
  file_put, file_get, file_delete, file_list, file_url, file_free,
  file_list_names
};

CsStore *
cs_store_file_new (const gchar * root, GError ** error)
{
  CsStoreFile *self;

  if (g_mkdir_with_parents (root, 0755) != 0) {
    set_file_error (error, errno, "cannot create the store directory", root);
    return NULL;
  }
  self = g_new0 (CsStoreFile, 1);
  self->parent.backend = &file_backend;
  self->root = g_canonicalize_filename (root, "/");
  self->parent.identity = g_strconcat ("file:", self->root, NULL);
  self->parent.local_dir = self->root;
  return &self->parent;
}
