/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-crypt.h"
#include "cs-be-bytes.h"
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

/* "0x" and the 32 hex digits of @iv. */
static gchar *
iv_hex (const guint8 iv[CS_CRYPT_IV_LEN])
{
  GString *hex = g_string_new ("0x");

  for (guint i = 0; i < CS_CRYPT_IV_LEN; i++)
    g_string_append_printf (hex, "%02X", iv[i]);
  return g_string_free (hex, FALSE);
}

gchar *
cs_crypt_segment_iv_hex (gint64 start_ms, gint64 duration_ms)
{
  guint8 iv[CS_CRYPT_IV_LEN];

  cs_crypt_segment_iv (start_ms, duration_ms, iv);
  return iv_hex (iv);
}

void
cs_crypt_media_iv (gint64 start_ms, gint64 duration_ms,
    guint8 iv[CS_CRYPT_IV_LEN])
{
  cs_crypt_segment_iv (start_ms, duration_ms, iv);
  iv[8] |= 0x80;
}

gchar *
cs_crypt_media_iv_hex (gint64 start_ms, gint64 duration_ms)
{
  guint8 iv[CS_CRYPT_IV_LEN];

  cs_crypt_media_iv (start_ms, duration_ms, iv);
  return iv_hex (iv);
}

/* @n bytes PKCS#7-padded to whole blocks. */
static guint64
padded_size (guint64 n)
{
  return n - n % BLOCK + BLOCK;
}

guint64
cs_crypt_stored_size (const gchar * key, guint64 plain_size)
{
  gint64 start_ms, duration_ms, key_id;

  if (!cs_key_parse_segment_full (key, &start_ms, &duration_ms, &key_id)
      || key_id == CS_KEY_NO_KEY_ID)
    return plain_size;
  if (cs_key_segment_is_fmp4 (key) && plain_size > CS_KEY_FMP4_INIT_SIZE)
    return CS_CRYPT_FMP4_INIT_SIZE + padded_size (plain_size -
        CS_KEY_FMP4_INIT_SIZE);
  return padded_size (plain_size);
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

/* The key and IVs (the media part's too, for fMP4) of segment @key; FALSE
 * (@error set) when its name names no key, or one @keyring does not have. */
static gboolean
segment_key_iv (CsKeyring * keyring, const gchar * key, const guint8 ** aes,
    guint8 iv[CS_CRYPT_IV_LEN], guint8 media_iv[CS_CRYPT_IV_LEN],
    GError ** error)
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
  cs_crypt_media_iv (start_ms, duration_ms, media_iv);
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

/* @n bytes at @p encrypted on @h's chain into @out, PKCS#7-padded:
 * n - n % 16 + 16 bytes. */
static int
cbc_encrypt_padded (gnutls_cipher_hd_t h, const guint8 * p, gsize n,
    guint8 * out)
{
  guint8 last[BLOCK];
  gsize full = n - n % BLOCK;   /* PKCS#7 pads the rest: 1 to 16 bytes */
  int rc = 0;

  memcpy (last, p + full, n - full);
  memset (last + n - full, (int) (BLOCK - (n - full)), BLOCK - (n - full));
  /* Straight from the segment (no copy of it first); the handle chains the
   * last block on. */
  if (full > 0)
    rc = gnutls_cipher_encrypt2 (h, p, full, out, full);
  if (rc >= 0)
    rc = gnutls_cipher_encrypt2 (h, last, BLOCK, out + full, BLOCK);
  return rc;
}

/* The length of the PKCS#7 padding that ends the @n bytes at @p, or 0
 * when they do not end in one.  CBC has no integrity: a wrong key shows as
 * bad padding (most of the time), which is all this can tell. */
static guint
padding (const guint8 * p, gsize n)
{
  guint pad = p[n - 1];

  if (pad < 1 || pad > BLOCK)
    return 0;
  for (guint i = 1; i <= pad; i++)
    if (p[n - i] != pad)
      return 0;
  return pad;
}

/* Whether the last block of the init part @init lies in a free box (the
 * stored layout pads the init part with one, cs-fmp4-boxes.h): its bytes
 * are then ours to choose. */
static gboolean
init_ends_in_free_box (const guint8 * init)
{
  gsize at = 0;

  while (at + 8 <= CS_KEY_FMP4_INIT_SIZE) {
    guint32 size = cs_be_get32 (init + at);

    if (size < 8 || size > CS_KEY_FMP4_INIT_SIZE - at)
      return FALSE;
    if (at + size == CS_KEY_FMP4_INIT_SIZE)
      return memcmp (init + at + 4, "free", 4) == 0 && size >= 8 + BLOCK;
    at += size;
  }
  return FALSE;
}

/* The init part's last block @last (in its free box), given the cipher
 * block before it @prev, such that the chain's padding block after it
 * encrypts to @media_iv: D(D(media_iv) ^ padding) ^ prev. */
static int
steer_to_media_iv (const guint8 * aes, const guint8 * prev,
    const guint8 media_iv[CS_CRYPT_IV_LEN], guint8 last[BLOCK])
{
  guint8 pad[BLOCK], step[BLOCK];
  gnutls_cipher_hd_t h;
  int rc;

  memset (pad, BLOCK, BLOCK);
  if ((h = cbc_open (aes, pad, NULL)) == NULL)
    return GNUTLS_E_ENCRYPTION_FAILED;
  /* CBC decryption of one block with IV v is D(block) ^ v. */
  rc = gnutls_cipher_decrypt2 (h, media_iv, BLOCK, step, BLOCK);
  if (rc >= 0) {
    gnutls_cipher_set_iv (h, (void *) prev, BLOCK);
    rc = gnutls_cipher_decrypt2 (h, step, BLOCK, last, BLOCK);
  }
  gnutls_cipher_deinit (h);
  return rc;
}

/* A fragmented MP4 segment: its init part and its media part each their
 * own chain (cs-crypt.h). */
static GBytes *
fmp4_encrypt (const guint8 * aes, guint8 iv[CS_CRYPT_IV_LEN],
    const guint8 media_iv[CS_CRYPT_IV_LEN], const guint8 * p, gsize n,
    GError ** error)
{
  const gsize init_len = CS_KEY_FMP4_INIT_SIZE, body = init_len - BLOCK;
  gsize out_len = CS_CRYPT_FMP4_INIT_SIZE + padded_size (n - init_len);
  guint8 last[BLOCK];
  guint8 *buf;
  gnutls_cipher_hd_t h;
  int rc;

  if ((h = cbc_open (aes, iv, error)) == NULL)
    return NULL;
  buf = g_malloc (out_len);
  memcpy (last, p + body, BLOCK);
  rc = gnutls_cipher_encrypt2 (h, p, body, buf, body);
  if (rc >= 0 && init_ends_in_free_box (p))
    rc = steer_to_media_iv (aes, buf + body - BLOCK, media_iv, last);
  if (rc >= 0)
    rc = cbc_encrypt_padded (h, last, BLOCK, buf + body);
  /* Steered, the chain is at the media IV already: this changes nothing. */
  if (rc >= 0) {
    gnutls_cipher_set_iv (h, (void *) media_iv, CS_CRYPT_IV_LEN);
    rc = cbc_encrypt_padded (h, p + init_len, n - init_len,
        buf + CS_CRYPT_FMP4_INIT_SIZE);
  }
  gnutls_cipher_deinit (h);
  return take_result (buf, out_len, rc, "AES-128-CBC", error);
}

GBytes *
cs_crypt_segment_encrypt (CsKeyring * keyring, const gchar * key,
    GBytes * plain, GError ** error)
{
  const guint8 *aes;
  guint8 iv[CS_CRYPT_IV_LEN], media_iv[CS_CRYPT_IV_LEN];
  gsize n;
  const guint8 *p = g_bytes_get_data (plain, &n);
  guint8 *buf;
  gnutls_cipher_hd_t h;
  int rc;

  if (!segment_key_iv (keyring, key, &aes, iv, media_iv, error))
    return NULL;
  if (cs_key_segment_is_fmp4 (key)) {
    if (n <= CS_KEY_FMP4_INIT_SIZE) {
      g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
          "%s: %" G_GSIZE_FORMAT " bytes is no fragmented MP4 segment (its "
          "init part alone is %d)", key, n, CS_KEY_FMP4_INIT_SIZE);
      return NULL;
    }
    return fmp4_encrypt (aes, iv, media_iv, p, n, error);
  }
  if ((h = cbc_open (aes, iv, error)) == NULL)
    return NULL;
  buf = g_malloc (padded_size (n));
  rc = cbc_encrypt_padded (h, p, n, buf);
  gnutls_cipher_deinit (h);
  return take_result (buf, padded_size (n), rc, "AES-128-CBC", error);
}

/* Decrypts the @n bytes at @buf in place on @h's chain; the length of
 * their plaintext, or -1 when they do not decrypt (bad padding). */
static gssize
cbc_decrypt_padded (gnutls_cipher_hd_t h, guint8 * buf, gsize n)
{
  guint pad;

  if (gnutls_cipher_decrypt (h, buf, n) < 0 || (pad = padding (buf, n)) == 0)
    return -1;
  return n - pad;
}

GBytes *
cs_crypt_segment_decrypt (CsKeyring * keyring, const gchar * key,
    GBytes * cipher, GError ** error)
{
  const guint8 *aes;
  guint8 iv[CS_CRYPT_IV_LEN], media_iv[CS_CRYPT_IV_LEN];
  gsize n = g_bytes_get_size (cipher);
  gboolean fmp4 = cs_key_segment_is_fmp4 (key);
  gsize first = fmp4 ? CS_CRYPT_FMP4_INIT_SIZE : n;
  gssize init_len = 0, len;
  guint8 *buf;
  gnutls_cipher_hd_t h;

  if (!segment_key_iv (keyring, key, &aes, iv, media_iv, error))
    return NULL;
  if (n == 0 || n % BLOCK != 0 || n < first + (fmp4 ? BLOCK : 0)) {
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "%s: %" G_GSIZE_FORMAT " bytes is no AES-128-CBC segment (cut "
        "short?)", key, n);
    return NULL;
  }
  if ((h = cbc_open (aes, iv, error)) == NULL)
    return NULL;
  buf = g_memdup2 (g_bytes_get_data (cipher, NULL), n);
  len = cbc_decrypt_padded (h, buf, first);
  if (fmp4 && len == CS_KEY_FMP4_INIT_SIZE) {
    init_len = len;
    gnutls_cipher_set_iv (h, media_iv, CS_CRYPT_IV_LEN);
    len = cbc_decrypt_padded (h, buf + first, n - first);
    if (len >= 0)
      memmove (buf + init_len, buf + first, len);
  } else if (fmp4)
    len = -1;
  gnutls_cipher_deinit (h);
  if (len < 0) {
    g_free (buf);
    g_set_error (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_BAD_DATA,
        "%s does not decrypt with the key file's key (wrong key, or "
        "damaged)", key);
    return NULL;
  }
  return g_bytes_new_take (buf, init_len + len);
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
