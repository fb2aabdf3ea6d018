/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys recordings are encrypted with, from a key file:
 *
 *   # comments and blank lines are ignored
 *   <key-id> <32 hex digits>
 *
 * one key per line; <key-id> is a decimal number 0 to 4294967295 that names
 * the key in segment names (_k<ID>) and envelopes.  The first key writes;
 * all of them read, so that a rotated key (a new first line) leaves old
 * recordings readable.  A file that group or others may access, a
 * malformed line or a key id given twice is refused.  Keys never appear in
 * an error message: a bad line is named by its number only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_KEYRING_KEY_LEN 16   /* AES-128 */

#define CS_CRYPT_ERROR (cs_crypt_error_quark ())
GQuark cs_crypt_error_quark (void);

typedef enum {
  CS_CRYPT_ERROR_KEY_FILE,      /* unreadable, unsafe or malformed */
  CS_CRYPT_ERROR_UNKNOWN_KEY,   /* encrypted with a key not in the file */
  CS_CRYPT_ERROR_BAD_DATA,      /* not what was encrypted: wrong key,
                                 * damaged or cut short */
  CS_CRYPT_ERROR_NO_KEY,        /* encrypted, and no key file given */
} CsCryptError;

typedef struct _CsKeyring CsKeyring;

/* Reads the key file at @path (a regular file no one but its owner may
 * access, at most 64 KiB). */
CsKeyring *cs_keyring_load (const gchar * path, GError ** error);
/* The keys of a key file's @text. */
CsKeyring *cs_keyring_parse (const gchar * text, GError ** error);
CsKeyring *cs_keyring_ref (CsKeyring * self);
/* Wipes the keys from memory with the last reference. */
void cs_keyring_unref (CsKeyring * self);

/* The id of the key that writes (the file's first). */
guint32 cs_keyring_writing_id (CsKeyring * self);
/* The CS_KEYRING_KEY_LEN bytes of key @id, or NULL (@error set) when the
 * file does not have it. */
const guint8 *cs_keyring_lookup (CsKeyring * self, guint32 id,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsKeyring, cs_keyring_unref)

G_END_DECLS
