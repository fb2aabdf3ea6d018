/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-crypt.h"
#include "cs-key.h"

#include <gnutls/crypto.h>
#include <string.h>

#define BLOCK 16
#define MAGIC "\x89" "CSE"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define HEADER_LEN (MAGIC_LEN + 1 + 4 + NONCE_LEN)
#define TAG_LEN 16
#define ENVELOPE_KEY_LABEL "gst-cloudstorage envelope v1"

void
cs_crypt_segment_iv (gint64 start_ms, gint64 duration_ms,
    guint8 iv[CS_CRYPT_IV_LEN])
{
  guint64 s = GUINT64_TO_BE ((guint64) start_ms);
  guint64 d = GUINT64_TO_BE ((guint64) duration_ms);

  memcpy (iv, &s, 8);
  memcpy (iv + 8, &d, 8);
}

gchar *
cs_crypt_segment_iv_hex (gint64 start_ms, gint64 duration_ms)
{
  guint8 iv[CS_CRYPT_IV_LEN];
  GString *hex = g_string_new ("0x");

  cs_crypt_segment_iv (start_ms, duration_ms, iv);
  for (guint i = 0; i < CS_CRYPT_IV_LEN; i++)
    g_string_append_printf (hex, "%02X", iv[i]);
  return g_string_free (hex, FALSE);
}

static void
set_gnutls_error (GError ** error, const gchar * what, int rc)
{
  g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA, "%s: %s",
      what, gnutls_strerror (rc));
}

/* @buf (@len bytes) as the result, or NULL with @error set when @rc says
 * that @what failed. */
static GBytes *
take_result (guint8 * buf, gsize len, int rc, const gchar * what,
    GError ** error)
{
  if (rc < 0) {
    g_free (buf);
    set_gnutls_error (error, what, rc);
    return NULL;
  }
  return g_bytes_new_take (buf, len);
}

/* The key and IV of segment @key; FALSE (@error set) when its name names
 * no key, or one @keyring does not have. */
static gboolean
segment_key_iv (CsKeyring * keyring, const gchar * key, const guint8 ** aes,
    guint8 iv[CS_CRYPT_IV_LEN], GError ** error)
{
  gint64 start_ms, duration_ms, key_id;

  if (!cs_key_parse_segment_full (key, &start_ms, &duration_ms, &key_id)
      || key_id == CS_KEY_NO_KEY_ID) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "%s is not the name of an encrypted segment", key);
    return FALSE;
  }
  if (keyring == NULL) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_NO_KEY,
        "%s is encrypted with key %" G_GINT64_FORMAT ": give its key file",
        key, key_id);
    return FALSE;
  }
  *aes = cs_keyring_lookup (keyring, (guint32) key_id, error);
  cs_crypt_segment_iv (start_ms, duration_ms, iv);
  return *aes != NULL;
}

static gnutls_cipher_hd_t
cbc_open (const guint8 * aes, guint8 iv[CS_CRYPT_IV_LEN], GError ** error)
{
  gnutls_cipher_hd_t h = NULL;
  gnutls_datum_t k = {.data = (guint8 *) aes,.size = CS_KEYRING_KEY_LEN };
  gnutls_datum_t v = {.data = iv,.size = CS_CRYPT_IV_LEN };
  int rc = gnutls_cipher_init (&h, GNUTLS_CIPHER_AES_128_CBC, &k, &v);

  if (rc < 0) {
    set_gnutls_error (error, "AES-128-CBC", rc);
    return NULL;
  }
  return h;
}

GBytes *
cs_crypt_segment_encrypt (CsKeyring * keyring, const gchar * key,
    GBytes * plain, GError ** error)
{
  const guint8 *aes;
  guint8 iv[CS_CRYPT_IV_LEN], last[BLOCK];
  gsize n;
  const guint8 *p = g_bytes_get_data (plain, &n);
  gsize full = n - n % BLOCK;   /* PKCS#7 pads the rest: 1 to 16 bytes */
  guint8 *buf;
  gnutls_cipher_hd_t h;
  int rc = 0;

  if (!segment_key_iv (keyring, key, &aes, iv, error)
      || (h = cbc_open (aes, iv, error)) == NULL)
    return NULL;
  buf = g_malloc (full + BLOCK);
  memcpy (last, p + full, n - full);
  memset (last + n - full, (int) (BLOCK - (n - full)), BLOCK - (n - full));
  /* Straight from the segment (no copy of it first); the handle chains the
   * last block on. */
  if (full > 0)
    rc = gnutls_cipher_encrypt2 (h, p, full, buf, full);
  if (rc >= 0)
    rc = gnutls_cipher_encrypt2 (h, last, BLOCK, buf + full, BLOCK);
  gnutls_cipher_deinit (h);
  return take_result (buf, full + BLOCK, rc, "AES-128-CBC", error);
}

GBytes *
cs_crypt_segment_decrypt (CsKeyring * keyring, const gchar * key,
    GBytes * cipher, GError ** error)
{
  const guint8 *aes;
  guint8 iv[CS_CRYPT_IV_LEN];
  gsize n = g_bytes_get_size (cipher);
  guint8 *buf;
  guint pad;
  gnutls_cipher_hd_t h;
  int rc;

  if (!segment_key_iv (keyring, key, &aes, iv, error))
    return NULL;
  if (n == 0 || n % BLOCK != 0) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "%s: %" G_GSIZE_FORMAT " bytes is no AES-128-CBC segment (cut "
        "short?)", key, n);
    return NULL;
  }
  if ((h = cbc_open (aes, iv, error)) == NULL)
    return NULL;
  buf = g_memdup2 (g_bytes_get_data (cipher, NULL), n);
  rc = gnutls_cipher_decrypt (h, buf, n);
  gnutls_cipher_deinit (h);
  pad = buf[n - 1];
  /* CBC has no integrity: a wrong key shows as bad padding (most of the
   * time), which is all this can tell. */
  for (guint i = 1; rc >= 0 && pad >= 1 && pad <= BLOCK && i <= pad; i++)
    if (buf[n - i] != pad)
      pad = 0;
  if (rc < 0 || pad < 1 || pad > BLOCK) {
    g_free (buf);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "%s does not decrypt with the key file's key (wrong key, or "
        "damaged)",
        key);
    return NULL;
  }
  return g_bytes_new_take (buf, n - pad);
}

/* The GCM key of the envelopes made with @aes. */
static gboolean
envelope_key (const guint8 * aes, guint8 out[CS_KEYRING_KEY_LEN],
    GError ** error)
{
  guint8 digest[32];
  int rc = gnutls_hmac_fast (GNUTLS_MAC_SHA256, aes, CS_KEYRING_KEY_LEN,
      ENVELOPE_KEY_LABEL, strlen (ENVELOPE_KEY_LABEL), digest);

  if (rc < 0) {
    set_gnutls_error (error, "HMAC-SHA256", rc);
    return FALSE;
  }
  memcpy (out, digest, CS_KEYRING_KEY_LEN);
  memset (digest, 0, sizeof digest);
  return TRUE;
}

static gnutls_aead_cipher_hd_t
gcm_open (const guint8 * aes, GError ** error)
{
  guint8 k[CS_KEYRING_KEY_LEN];
  gnutls_datum_t d = {.data = k,.size = sizeof k };
  gnutls_aead_cipher_hd_t h = NULL;
  int rc;

  if (!envelope_key (aes, k, error))
    return NULL;
  rc = gnutls_aead_cipher_init (&h, GNUTLS_CIPHER_AES_128_GCM, &d);
  memset (k, 0, sizeof k);
  if (rc < 0) {
    set_gnutls_error (error, "AES-128-GCM", rc);
    return NULL;
  }
  return h;
}

GBytes *
cs_crypt_seal (CsKeyring * keyring, GBytes * plain, GError ** error)
{
  guint32 id = cs_keyring_writing_id (keyring);
  guint32 id_be = GUINT32_TO_BE (id);
  const guint8 *aes = cs_keyring_lookup (keyring, id, error);
  gsize n = g_bytes_get_size (plain);
  gsize out_len = n + TAG_LEN;
  guint8 *buf;
  gnutls_aead_cipher_hd_t h;
  int rc;

  if (aes == NULL || (h = gcm_open (aes, error)) == NULL)
    return NULL;
  buf = g_malloc (HEADER_LEN + out_len);
  memcpy (buf, MAGIC, MAGIC_LEN);
  buf[MAGIC_LEN] = CS_CRYPT_ENVELOPE_VERSION;
  memcpy (buf + MAGIC_LEN + 1, &id_be, 4);
  rc = gnutls_rnd (GNUTLS_RND_NONCE, buf + MAGIC_LEN + 5, NONCE_LEN);
  if (rc >= 0)
    rc = gnutls_aead_cipher_encrypt (h, buf + MAGIC_LEN + 5, NONCE_LEN, buf,
        HEADER_LEN, TAG_LEN, g_bytes_get_data (plain, NULL), n,
        buf + HEADER_LEN, &out_len);
  gnutls_aead_cipher_deinit (h);
  return take_result (buf, HEADER_LEN + out_len, rc, "AES-128-GCM", error);
}

gboolean
cs_crypt_is_sealed (GBytes * data)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (data, &n);

  return n >= MAGIC_LEN && memcmp (p, MAGIC, MAGIC_LEN) == 0;
}

GBytes *
cs_crypt_open (CsKeyring * keyring, GBytes * sealed, GError ** error)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (sealed, &n);
  guint32 id_be;
  const guint8 *aes;
  gsize out_len;
  guint8 *buf;
  gnutls_aead_cipher_hd_t h;
  int rc;

  if (!cs_crypt_is_sealed (sealed) || n < HEADER_LEN + TAG_LEN
      || p[MAGIC_LEN] != CS_CRYPT_ENVELOPE_VERSION) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "not an envelope of version %d (cut short, or newer)",
        CS_CRYPT_ENVELOPE_VERSION);
    return NULL;
  }
  memcpy (&id_be, p + MAGIC_LEN + 1, 4);
  if (keyring == NULL) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_NO_KEY,
        "encrypted with key %u: give its key file", GUINT32_FROM_BE (id_be));
    return NULL;
  }
  aes = cs_keyring_lookup (keyring, GUINT32_FROM_BE (id_be), error);
  if (aes == NULL || (h = gcm_open (aes, error)) == NULL)
    return NULL;
  out_len = n - HEADER_LEN;
  buf = g_malloc (MAX (out_len, 1));
  rc = gnutls_aead_cipher_decrypt (h, p + MAGIC_LEN + 5, NONCE_LEN, p,
      HEADER_LEN, TAG_LEN, p + HEADER_LEN, n - HEADER_LEN, buf, &out_len);
  gnutls_aead_cipher_deinit (h);
  if (rc < 0) {
    g_free (buf);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "does not decrypt with key %u of the key file (wrong key, or "
        "damaged)", GUINT32_FROM_BE (id_be));
    return NULL;
  }
  return g_bytes_new_take (buf, out_len);
}

const gchar *
cs_crypt_content_type (const gchar * key, GBytes * data)
{
  return cs_crypt_is_sealed (data) ? "application/octet-stream" :
      cs_key_content_type (key);
}

GBytes *
cs_crypt_read (CsKeyring * keyring, const gchar * key, GBytes * data,
    GError ** error)
{
  g_autoptr (GError) e = NULL;
  gint64 start_ms, duration_ms, key_id;
  GBytes *plain;

  if (cs_key_parse_segment_full (key, &start_ms, &duration_ms, &key_id)) {
    if (key_id == CS_KEY_NO_KEY_ID)
      return g_bytes_ref (data);
    return cs_crypt_segment_decrypt (keyring, key, data, error);
  }
  if (!cs_crypt_is_sealed (data))
    return g_bytes_ref (data);
  plain = cs_crypt_open (keyring, data, &e);
  if (plain == NULL)
    g_set_error (error, e->domain, e->code, "%s: %s", key, e->message);
  return plain;
}
