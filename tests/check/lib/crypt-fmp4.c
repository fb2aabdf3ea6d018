/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encrypted fragmented MP4 segments (cs-crypt.h): the init part and the
 * media part each decrypt on their own, with the IVs a playlist states
 * (checked here with GnuTLS directly, as a player would), the whole object
 * is also one chain for readers that take the block before a range as its
 * IV, nothing of the MP4 is visible, and the playlist's #EXT-X-KEY,
 * #EXT-X-MAP and #EXT-X-BYTERANGE lines say all of it. */
#include <gst/check/gstcheck.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "cs-crypt.h"
#include "cs-key.h"
#include "cs-playlist.h"
#include "cs-test-crypt.h"
#include "cs-be-bytes.h"

#define START G_GINT64_CONSTANT (1767225600000)
#define SEG_KEY "cam1/rec/20260101/00/1767225600000_4000_k7.mp4"
#define MEDIA_LEN 5000
#define INIT CS_KEY_FMP4_INIT_SIZE

/* A segment in the stored layout: ftyp, a moov of @moov_len bytes, a free
 * box up to the init part's end, then moof/mdat boxes. */
static GBytes *
fake_fmp4 (gsize moov_len)
{
  guint8 *p = g_malloc0 (INIT + MEDIA_LEN);

  cs_be_set32 (p, 24);
  memcpy (p + 4, "ftypiso6", 8);
  cs_be_set32 (p + 24, moov_len);
  memcpy (p + 28, "moov", 4);
  memset (p + 32, 0xab, moov_len - 8);
  cs_be_set32 (p + 24 + moov_len, INIT - 24 - moov_len);
  memcpy (p + 28 + moov_len, "free", 4);
  cs_be_set32 (p + INIT, 100);
  memcpy (p + INIT + 4, "moof", 4);
  cs_be_set32 (p + INIT + 100, MEDIA_LEN - 100);
  memcpy (p + INIT + 104, "mdat", 4);
  for (gsize i = INIT + 108; i < INIT + MEDIA_LEN; i++)
    p[i] = (guint8) (i * 7);
  return g_bytes_new_take (p, INIT + MEDIA_LEN);
}

static CsKeyring *
test_keyring (void)
{
  CsKeyring *k = cs_keyring_parse (CS_TEST_KEY_FILE_TEXT, NULL);

  fail_unless (k != NULL);
  return k;
}

/* @n bytes at @p, AES-128-CBC with key 7 and @iv_hex ("0x..."),
 * decrypted as a player does; the padding is left in place. */
static guint8 *
player_decrypt (const guint8 * p, gsize n, const gchar * iv_hex)
{
  guint8 key[16], iv[16];
  gnutls_datum_t k = {.data = key,.size = 16 }, v = {.data = iv,.size = 16 };
  gnutls_cipher_hd_t h;
  guint8 *out = g_memdup2 (p, n);

  for (guint i = 0; i < 16; i++) {
    key[i] = i;                 /* CS_TEST_KEY_7 */
    iv[i] = g_ascii_xdigit_value (iv_hex[2 + 2 * i]) << 4 |
        g_ascii_xdigit_value (iv_hex[3 + 2 * i]);
  }
  fail_unless (gnutls_cipher_init (&h, GNUTLS_CIPHER_AES_128_CBC, &k,
          &v) == 0);
  fail_unless (gnutls_cipher_decrypt (h, out, n) == 0);
  gnutls_cipher_deinit (h);
  return out;
}

static gboolean
has (const guint8 * p, gsize n, const gchar * what)
{
  for (gsize i = 0; i + 4 <= n; i++)
    if (memcmp (p + i, what, 4) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_padding (const guint8 * p, guint pad)
{
  for (guint i = 0; i < pad; i++)
    fail_unless_equals_int (p[i], pad);
}

GST_START_TEST (test_parts_decrypt_on_their_own)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autoptr (GBytes) plain = fake_fmp4 (1000);
  g_autoptr (GBytes) enc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *iv = cs_crypt_segment_iv_hex (START, 4000);
  g_autofree gchar *media_iv = cs_crypt_media_iv_hex (START, 4000);
  g_autofree guint8 *init = NULL, *media = NULL, *whole = NULL;
  const guint8 *p = g_bytes_get_data (plain, NULL), *c;
  gsize n, media_enc = MEDIA_LEN - MEDIA_LEN % 16 + 16;

  /* The media IV: the segment's, the top bit of its duration set. */
  fail_unless_equals_string (iv, "0x0000019B76DAA8000000000000000FA0");
  fail_unless_equals_string (media_iv, "0x0000019B76DAA8008000000000000FA0");
  enc = cs_crypt_segment_encrypt (k, SEG_KEY, plain, &error);
  fail_unless (enc != NULL, "%s", error ? error->message : "");
  c = g_bytes_get_data (enc, &n);
  fail_unless_equals_int (n, CS_CRYPT_FMP4_INIT_SIZE + media_enc);
  fail_unless_equals_int (cs_crypt_stored_size (SEG_KEY, INIT + MEDIA_LEN),
      n);
  cs_test_assert_ciphertext (enc, SEG_KEY);
  fail_if (has (c, n, "ftyp") || has (c, n, "moov") || has (c, n, "free")
      || has (c, n, "moof") || has (c, n, "mdat"));

  /* #EXT-X-MAP's range with the first IV: the init part and a padding
   * block.  Its last block, in the free box, is the one that changed. */
  init = player_decrypt (c, CS_CRYPT_FMP4_INIT_SIZE, iv);
  fail_unless (memcmp (init, p, INIT - 16) == 0);
  assert_padding (init + INIT, 16);
  /* #EXT-X-BYTERANGE's range with the media IV: the media part. */
  media = player_decrypt (c + CS_CRYPT_FMP4_INIT_SIZE, media_enc, media_iv);
  fail_unless (memcmp (media, p + INIT, MEDIA_LEN) == 0);
  assert_padding (media + MEDIA_LEN, media_enc - MEDIA_LEN);
  /* And the whole object is one chain with the first IV. */
  whole = player_decrypt (c, n, iv);
  fail_unless (memcmp (whole, init, CS_CRYPT_FMP4_INIT_SIZE) == 0);
  fail_unless (memcmp (whole + CS_CRYPT_FMP4_INIT_SIZE, media, media_enc)
      == 0);
}

GST_END_TEST;

GST_START_TEST (test_read_back)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autoptr (CsKeyring) wrong = cs_keyring_parse ("7 "
      "ffeeddccbbaa99887766554433221100\n", NULL);
  g_autoptr (GError) error = NULL;

  /* With room in the free box (the layout's case), and with none: either
   * way init and media part come back. */
  for (guint moov = 1000; moov <= INIT - 24 - 8; moov += INIT - 24 - 8 -
      1000) {
    g_autoptr (GBytes) plain = fake_fmp4 (moov);
    g_autoptr (GBytes) enc = cs_crypt_segment_encrypt (k, SEG_KEY, plain,
        NULL);
    g_autoptr (GBytes) dec = cs_crypt_read (k, SEG_KEY, enc, &error);
    const guint8 *p = g_bytes_get_data (plain, NULL), *d;

    fail_unless (dec != NULL, "%s", error ? error->message : "");
    d = g_bytes_get_data (dec, NULL);
    fail_unless_equals_int (g_bytes_get_size (dec), INIT + MEDIA_LEN);
    fail_unless (memcmp (d, p, INIT - 16) == 0);
    fail_unless (memcmp (d + INIT, p + INIT, MEDIA_LEN) == 0);

    /* A wrong key, or a cut object, is said. */
    fail_unless (cs_crypt_read (wrong, SEG_KEY, enc, &error) == NULL);
    fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
            CS_CRYPT_ERROR_BAD_DATA));
    fail_unless (strstr (error->message, "does not decrypt") != NULL);
    g_clear_error (&error);
    {
      g_autoptr (GBytes) cut = g_bytes_new_from_bytes (enc, 0,
          CS_CRYPT_FMP4_INIT_SIZE);
      fail_unless (cs_crypt_read (k, SEG_KEY, cut, &error) == NULL);
      fail_unless (strstr (error->message, "cut short") != NULL, "%s",
          error->message);
      g_clear_error (&error);
    }
  }
  /* An object that cannot be a segment is refused. */
  {
    g_autoptr (GBytes) small = g_bytes_new_static ("tiny", 4);
    fail_unless (cs_crypt_segment_encrypt (k, SEG_KEY, small, &error) ==
        NULL);
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* The playlist: a key line with each IV, the init part's before its map;
 * both ranges in the stored (encrypted) sizes. */
GST_START_TEST (test_playlist_states_both_ivs)
{
  CsPlaylistEntry e[] = {
    {.uri = (gchar *) "a/1767225600000_4000_k7.mp4",.start_ms = START,
          .duration_ms = 4000,.key_uri = (gchar *) "7.key",.fmp4 = TRUE,
        .size = 9200},
    {.uri = (gchar *) "a/1767225604000_4000.mp4",.start_ms = START + 4000,
          .duration_ms = 4000,.fmp4 = TRUE,.size = 9000},
  };
  g_autofree gchar *text = cs_playlist_vod (e, G_N_ELEMENTS (e));

  fail_unless (strstr (text, "#EXT-X-VERSION:7\n"
          "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n"
          "#EXT-X-TARGETDURATION:4\n"
          "#EXT-X-KEY:METHOD=AES-128,URI=\"7.key\","
          "IV=0x0000019B76DAA8000000000000000FA0\n"
          "#EXT-X-MAP:URI=\"a/1767225600000_4000_k7.mp4\","
          "BYTERANGE=\"4112@0\"\n"
          "#EXT-X-KEY:METHOD=AES-128,URI=\"7.key\","
          "IV=0x0000019B76DAA8008000000000000FA0\n"
          "#EXT-X-BYTERANGE:5088@4112\n") != NULL, "%s", text);
  fail_unless (strstr (text, "#EXT-X-KEY:METHOD=NONE\n"
          "#EXT-X-MAP:URI=\"a/1767225604000_4000.mp4\","
          "BYTERANGE=\"4096@0\"\n#EXT-X-BYTERANGE:4904@4096\n") != NULL,
      "%s", text);
}

GST_END_TEST;

static Suite *
crypt_fmp4_suite (void)
{
  Suite *s = suite_create ("crypt-fmp4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parts_decrypt_on_their_own);
  tcase_add_test (tc, test_read_back);
  tcase_add_test (tc, test_playlist_states_both_ivs);
  return s;
}

GST_CHECK_MAIN (crypt_fmp4);
