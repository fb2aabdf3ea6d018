/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: what encryption reads from outside: a key file's text, and
 * objects of the store (an envelope, an encrypted segment, MPEG-TS or
 * fMP4) and their names; an fMP4 segment encrypted reads back. */
#include "cs-crypt.h"
#include "cs-key.h"

#include <string.h>

#define FMP4_KEY "cam1/rec/20260101/00/1_2_k7.mp4"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static CsKeyring *keyring;
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (CsKeyring) parsed = cs_keyring_parse (text, NULL);
  g_autoptr (GBytes) opened = NULL, segment = NULL, sealed = NULL;
  g_autoptr (GBytes) mp4 = NULL, mp4_enc = NULL, mp4_dec = NULL;
  gint64 start, duration, key_id;

  if (keyring == NULL)
    keyring = cs_keyring_parse ("7 000102030405060708090a0b0c0d0e0f\n"
        "3 f0e1d2c3b4a5968778695a4b3c2d1e0f\n", NULL);
  if (parsed != NULL)
    g_assert (cs_keyring_lookup (parsed, cs_keyring_writing_id (parsed),
            NULL) != NULL);
  opened = cs_crypt_read (keyring, "cam1/ev/20260101/e1/event.json", bytes,
      NULL);
  segment = cs_crypt_read (keyring, "cam1/rec/20260101/00/1_2_k7.ts", bytes,
      NULL);
  mp4 = cs_crypt_read (keyring, FMP4_KEY, bytes, NULL);
  /* Encrypted as an fMP4 segment, the bytes read back but for the init
   * part's last block when it is in a free box (chosen for the chain). */
  if (size > CS_KEY_FMP4_INIT_SIZE) {
    const guint8 *back;

    mp4_enc = cs_crypt_segment_encrypt (keyring, FMP4_KEY, bytes, NULL);
    g_assert (mp4_enc != NULL && g_bytes_get_size (mp4_enc) ==
        cs_crypt_stored_size (FMP4_KEY, size));
    mp4_dec = cs_crypt_read (keyring, FMP4_KEY, mp4_enc, NULL);
    g_assert (mp4_dec != NULL && g_bytes_get_size (mp4_dec) == size);
    back = g_bytes_get_data (mp4_dec, NULL);
    g_assert (memcmp (back, data, CS_KEY_FMP4_INIT_SIZE - 16) == 0);
    g_assert (memcmp (back + CS_KEY_FMP4_INIT_SIZE, data +
            CS_KEY_FMP4_INIT_SIZE, size - CS_KEY_FMP4_INIT_SIZE) == 0);
  }
  /* What is sealed opens to the same bytes. */
  sealed = cs_crypt_seal (keyring, bytes, NULL);
  g_assert (sealed != NULL);
  g_clear_pointer (&opened, g_bytes_unref);
  opened = cs_crypt_open (keyring, sealed, NULL);
  g_assert (opened != NULL && g_bytes_equal (opened, bytes));
  /* The bytes as a segment's name. */
  if (cs_key_parse_segment_full (text, &start, &duration, &key_id))
    g_assert (key_id >= CS_KEY_NO_KEY_ID && key_id <= G_MAXUINT32);
  return 0;
}
