/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX_BYTES (64 * 1024)

typedef struct {
  guint32 id;
  guint8 key[CS_KEYRING_KEY_LEN];
} Key;

struct _CsKeyring {
  gint refcount;
  GArray *keys;                 /* Key, the writing one first */
};

G_DEFINE_QUARK (cs-crypt-error-quark, cs_crypt_error)

static gint
hex_value (gchar c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

/* One "<id> <32 hex>" line into @k; FALSE when it is not one. */
static gboolean
parse_line (const gchar * line, Key * k)
{
  const gchar *p = line;
  guint64 id = 0;
  guint n = 0;

  while (g_ascii_isdigit (*p) && n++ < 10)
    id = id * 10 + (guint64) (*p++ - '0');
  if (n == 0 || n > 10 || id > G_MAXUINT32 || (*p != ' ' && *p != '\t'))
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  for (guint i = 0; i < CS_KEYRING_KEY_LEN; i++, p += 2) {
    gint hi = hex_value (p[0]), lo = hi < 0 ? -1 : hex_value (p[1]);
    if (hi < 0 || lo < 0)
      return FALSE;
    k->key[i] = (guint8) (hi << 4 | lo);
  }
  while (*p == ' ' || *p == '\t' || *p == '\r')
    p++;
  k->id = (guint32) id;
  return *p == '\0';
}

static void
wipe_lines (gchar ** lines)
{
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    memset (lines[i], 0, strlen (lines[i]));
  g_strfreev (lines);
}

static CsKeyring *
keyring_new (void)
{
  CsKeyring *self = g_new0 (CsKeyring, 1);

  self->refcount = 1;
  self->keys = g_array_new (FALSE, TRUE, sizeof (Key));
  return self;
}

CsKeyring *
cs_keyring_parse (const gchar * text, GError ** error)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  CsKeyring *self = keyring_new ();

  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *line = lines[i];
    Key k;

    while (*line == ' ' || *line == '\t')
      line++;
    if (*line == '\0' || *line == '#' || *line == '\r')
      continue;
    /* The line itself is never said: it holds a key. */
    if (!parse_line (line, &k)) {
      g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
          "line %u is not '<key-id> <32 hex digits>' (key id 0 to "
          "4294967295)", i + 1);
      goto fail;
    }
    for (guint j = 0; j < self->keys->len; j++)
      if (g_array_index (self->keys, Key, j).id == k.id) {
        g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
            "line %u: key id %u is given twice", i + 1, k.id);
        goto fail;
      }
    g_array_append_val (self->keys, k);
    memset (&k, 0, sizeof k);
  }
  wipe_lines (lines);
  if (self->keys->len == 0) {
    g_set_error_literal (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "it holds no key ('<key-id> <32 hex digits>' lines)");
    cs_keyring_unref (self);
    return NULL;
  }
  return self;

fail:
  wipe_lines (lines);
  cs_keyring_unref (self);
  return NULL;
}

CsKeyring *
cs_keyring_load (const gchar * path, GError ** error)
{
  g_autoptr (GError) parse_error = NULL;
  gchar *text;
  CsKeyring *self;
  struct stat st;
  gssize n;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0) {
    int e = errno;
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "cannot open the key file %s: %s", path, g_strerror (e));
    return NULL;
  }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)
      || st.st_size > KEY_FILE_MAX_BYTES) {
    close (fd);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "the key file %s is not a regular file of at most %d bytes", path,
        KEY_FILE_MAX_BYTES);
    return NULL;
  }
  if ((st.st_mode & 077) != 0) {
    close (fd);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "the key file %s may be accessed by group or others (mode %04o): "
        "refused; make it the owner's alone (chmod 600)", path,
        (guint) (st.st_mode & 07777));
    return NULL;
  }
  text = g_malloc0 (KEY_FILE_MAX_BYTES + 1);
  n = read (fd, text, KEY_FILE_MAX_BYTES);
  close (fd);
  if (n < 0 || memchr (text, '\0', n) != NULL) {
    memset (text, 0, KEY_FILE_MAX_BYTES);
    g_free (text);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "cannot read the key file %s (or it is not text)", path);
    return NULL;
  }
  self = cs_keyring_parse (text, &parse_error);
  memset (text, 0, KEY_FILE_MAX_BYTES);
  g_free (text);
  if (self == NULL)
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_KEY_FILE,
        "the key file %s: %s", path, parse_error->message);
  return self;
}

CsKeyring *
cs_keyring_ref (CsKeyring * self)
{
  g_atomic_int_inc (&self->refcount);
  return self;
}

void
cs_keyring_unref (CsKeyring * self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->refcount))
    return;
  if (self->keys->len > 0)
    memset (self->keys->data, 0, self->keys->len * sizeof (Key));
  g_array_unref (self->keys);
  g_free (self);
}

guint32
cs_keyring_writing_id (CsKeyring * self)
{
  return g_array_index (self->keys, Key, 0).id;
}

const guint8 *
cs_keyring_lookup (CsKeyring * self, guint32 id, GError ** error)
{
  for (guint i = 0; i < self->keys->len; i++)
    if (g_array_index (self->keys, Key, i).id == id)
      return g_array_index (self->keys, Key, i).key;
  g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_UNKNOWN_KEY,
      "encrypted with key %u, which the key file does not have", id);
  return NULL;
}
