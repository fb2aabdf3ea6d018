/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encryption as the store sees it: key files (format, permissions, errors
 * that never show a key), segments in HLS AES-128 form, envelopes, key
 * rotation, playlists' #EXT-X-KEY, and the outbox encrypting everything
 * before the spool or the store gets it. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cs-crypt.h"
#include "cs-key.h"
#include "cs-outbox.h"
#include "cs-playlist.h"
#include "cs-test-crypt.h"
#include "cs-test-server.h"
#include "cs-test-util.h"

#define SEG_KEY "cam1/rec/20260101/00/1767225600000_4000_k7.ts"
#define OLD_SEG_KEY "cam1/rec/20260101/00/1767225596000_4000_k3.ts"
#define EVENT_JSON "cam1/ev/20260101/e1/event.json"
#define PICTURE "cam1/ev/20260101/e1/snapshot.jpg"

static gchar *dir;

static CsKeyring *
test_keyring (void)
{
  g_autoptr (GError) error = NULL;
  CsKeyring *k = cs_keyring_parse (CS_TEST_KEY_FILE_TEXT, &error);

  fail_unless (k != NULL, "%s", error ? error->message : "");
  return k;
}

/* 100 MPEG-TS-like packets: a sync byte every 188, a counter. */
static GBytes *
fake_ts (void)
{
  guint8 *p = g_malloc (188 * 100);

  for (guint i = 0; i < 188 * 100; i++)
    p[i] = i % 188 == 0 ? 0x47 : (guint8) (i / 188);
  return g_bytes_new_take (p, 188 * 100);
}

static void
assert_error_has_no_key (const GError * error)
{
  fail_unless (error != NULL);
  fail_if (strstr (error->message, CS_TEST_KEY_7) != NULL
      || strstr (error->message, CS_TEST_KEY_3) != NULL
      || strstr (error->message, "0a0b0c") != NULL, "%s", error->message);
}

GST_START_TEST (test_key_file)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *good = NULL, *open_to_all = NULL, *group = NULL;
  CsKeyring *bad;

  fail_unless_equals_int (cs_keyring_writing_id (k), 7);
  fail_unless (cs_keyring_lookup (k, 3, NULL) != NULL);
  fail_unless_equals_int (cs_keyring_lookup (k, 7, NULL)[15], 0x0f);
  fail_unless (cs_keyring_lookup (k, 4, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_UNKNOWN_KEY));
  g_clear_error (&error);

  /* Malformed: said by line, never the line (it may hold a key). */
  bad = cs_keyring_parse ("7 " CS_TEST_KEY_7 "\n3 0a0b0c\n", &error);
  fail_unless (bad == NULL);
  fail_unless (strstr (error->message, "line 2") != NULL, "%s",
      error->message);
  assert_error_has_no_key (error);
  g_clear_error (&error);
  fail_unless (cs_keyring_parse ("7 " CS_TEST_KEY_7 "\n7 " CS_TEST_KEY_3,
          &error) == NULL);
  fail_unless (strstr (error->message, "twice") != NULL);
  assert_error_has_no_key (error);
  g_clear_error (&error);
  fail_unless (cs_keyring_parse ("# nothing\n", &error) == NULL);
  g_clear_error (&error);
  fail_unless (cs_keyring_parse ("4294967296 " CS_TEST_KEY_7, &error) ==
      NULL);
  g_clear_error (&error);
  fail_unless (cs_keyring_parse ("7 " CS_TEST_KEY_7 "00\n", &error) == NULL);
  g_clear_error (&error);

  /* Only the owner may read it. */
  good = cs_test_write_key_file (dir, "good", CS_TEST_KEY_FILE_TEXT, 0600);
  g_clear_pointer (&k, cs_keyring_unref);
  k = cs_keyring_load (good, &error);
  fail_unless (k != NULL, "%s", error ? error->message : "");
  open_to_all = cs_test_write_key_file (dir, "world", CS_TEST_KEY_FILE_TEXT,
      0644);
  fail_unless (cs_keyring_load (open_to_all, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_KEY_FILE));
  fail_unless (strstr (error->message, "chmod 600") != NULL, "%s",
      error->message);
  assert_error_has_no_key (error);
  g_clear_error (&error);
  group = cs_test_write_key_file (dir, "group", CS_TEST_KEY_FILE_TEXT, 0640);
  fail_unless (cs_keyring_load (group, &error) == NULL);
  g_clear_error (&error);
  fail_unless (cs_keyring_load (dir, &error) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_segment_names)
{
  g_autofree gchar *k = cs_key_recording_segment ("cam1", 1767225600000, 4000,
      7, "ts");
  g_autofree gchar *plain = cs_key_recording_segment ("cam1", 1767225600000,
      4000, CS_KEY_NO_KEY_ID, "ts");
  gint64 start, dur, id;

  fail_unless_equals_string (k, SEG_KEY);
  fail_unless (cs_key_parse_segment_full (k, &start, &dur, &id));
  fail_unless (start == 1767225600000 && dur == 4000 && id == 7);
  fail_unless (cs_key_parse_segment_full (plain, &start, &dur, &id));
  fail_unless (id == CS_KEY_NO_KEY_ID);
  fail_unless (cs_key_parse_segment ("1_2_k4294967295.mp4", &start, &dur));
  fail_if (cs_key_parse_segment ("1_2_k4294967296.ts", &start, &dur));
  fail_if (cs_key_parse_segment ("1_2_k.ts", &start, &dur));
  fail_if (cs_key_parse_segment ("1_2_x7.ts", &start, &dur));
  fail_if (cs_key_parse_segment ("1_2_k7", &start, &dur));
}

GST_END_TEST;

/* RFC 8216 AES-128: CBC, PKCS#7, the IV from the name; checked against
 * the definition (a 188-byte TS packet pads to 192). */
GST_START_TEST (test_segment_round_trip)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autoptr (CsKeyring) other = cs_keyring_parse ("7 "
      "ffeeddccbbaa99887766554433221100\n", NULL);
  g_autoptr (GBytes) ts = fake_ts ();
  g_autoptr (GBytes) one = g_bytes_new_from_bytes (ts, 0, 188);
  g_autoptr (GBytes) enc = NULL, enc_one = NULL, dec = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *iv = cs_crypt_segment_iv_hex (1767225600000, 4000);

  /* 1767225600000 = 0x19B76DAA800, 4000 = 0xFA0 */
  fail_unless_equals_string (iv,
      "0x0000019B76DAA8000000000000000FA0");
  enc = cs_crypt_segment_encrypt (k, SEG_KEY, ts, &error);
  fail_unless (enc != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (g_bytes_get_size (enc), 188 * 100 + 16);
  cs_test_assert_ciphertext (enc, "segment");
  enc_one = cs_crypt_segment_encrypt (k, SEG_KEY, one, NULL);
  fail_unless_equals_int (g_bytes_get_size (enc_one), 192);

  dec = cs_crypt_read (k, SEG_KEY, enc, &error);
  fail_unless (dec != NULL && g_bytes_equal (dec, ts));
  g_clear_pointer (&dec, g_bytes_unref);

  /* A wrong key, no key, a key the file lacks, a cut: each said. */
  fail_unless (cs_crypt_read (other, SEG_KEY, enc, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_BAD_DATA), "%s", error->message);
  g_clear_error (&error);
  fail_unless (cs_crypt_read (NULL, SEG_KEY, enc, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_NO_KEY));
  g_clear_error (&error);
  fail_unless (cs_crypt_read (k, "1_2_k9.ts", enc, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_UNKNOWN_KEY));
  g_clear_error (&error);
  {
    g_autoptr (GBytes) cut = g_bytes_new_from_bytes (enc, 0, 100);
    fail_unless (cs_crypt_read (k, SEG_KEY, cut, &error) == NULL);
    g_clear_error (&error);
  }
  /* A plaintext segment (no key id) reads as it is. */
  dec = cs_crypt_read (NULL, "cam1/rec/20260101/00/1_2.ts", ts, &error);
  fail_unless (dec == ts);
}

GST_END_TEST;

GST_START_TEST (test_envelope)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autoptr (CsKeyring) older = cs_keyring_parse ("3 " CS_TEST_KEY_3 "\n",
      NULL);
  g_autoptr (CsKeyring) wrong = cs_keyring_parse ("7 " CS_TEST_KEY_3 "\n",
      NULL);
  const gchar *json = "{\"event_id\":\"e1\",\"start_ms\":1}";
  g_autoptr (GBytes) plain = g_bytes_new_static (json, strlen (json));
  g_autoptr (GBytes) sealed = NULL, again = NULL, from_old = NULL, opened =
      NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *p;
  gsize n;

  sealed = cs_crypt_seal (k, plain, &error);
  fail_unless (sealed != NULL);
  p = g_bytes_get_data (sealed, &n);
  /* magic, version 1, key id 7 big-endian, 12-byte nonce, tag */
  fail_unless (memcmp (p, "\x89" "CSE\x01\0\0\0\x07", 9) == 0);
  fail_unless_equals_int (n, 21 + strlen (json) + 16);
  cs_test_assert_ciphertext (sealed, "event.json");
  /* A fresh nonce each time. */
  again = cs_crypt_seal (k, plain, NULL);
  fail_if (g_bytes_equal (sealed, again));

  opened = cs_crypt_read (k, EVENT_JSON, sealed, &error);
  fail_unless (opened != NULL && g_bytes_equal (opened, plain));
  g_clear_pointer (&opened, g_bytes_unref);

  /* Rotation: what the old key sealed, the new file (old key second)
   * reads. */
  from_old = cs_crypt_seal (older, plain, NULL);
  opened = cs_crypt_read (k, EVENT_JSON, from_old, &error);
  fail_unless (opened != NULL && g_bytes_equal (opened, plain));

  fail_unless (cs_crypt_read (wrong, EVENT_JSON, sealed, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_BAD_DATA));
  fail_unless (strstr (error->message, EVENT_JSON) != NULL);
  assert_error_has_no_key (error);
  g_clear_error (&error);
  fail_unless (cs_crypt_read (older, EVENT_JSON, sealed, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR,
          CS_CRYPT_ERROR_UNKNOWN_KEY));
  g_clear_error (&error);
  fail_unless (cs_crypt_read (NULL, EVENT_JSON, sealed, &error) == NULL);
  fail_unless (g_error_matches (error, CS_CRYPT_ERROR, CS_CRYPT_ERROR_NO_KEY));
  g_clear_error (&error);
  /* One bit changed anywhere, header included: refused. */
  for (gsize i = 0; i < n; i += 7) {
    guint8 *copy = g_memdup2 (p, n);
    g_autoptr (GBytes) bent = NULL;

    copy[i] ^= 0x10;
    bent = g_bytes_new_take (copy, n);
    fail_unless (cs_crypt_open (k, bent, NULL) == NULL, "byte %u",
        (guint) i);
  }
  /* Plaintext (an older recording) reads as it is. */
  g_clear_pointer (&opened, g_bytes_unref);
  opened = cs_crypt_read (NULL, EVENT_JSON, plain, &error);
  fail_unless (opened == plain);
}

GST_END_TEST;

GST_START_TEST (test_playlist_key_lines)
{
  CsPlaylistEntry e[3] = {
    {(gchar *) "a.ts", 1767225596000, 4000,
        cs_playlist_key_uri (OLD_SEG_KEY, "https://h/api/key/{id}")},
    {(gchar *) "b.ts", 1767225600000, 4000,
        cs_playlist_key_uri (SEG_KEY, "https://h/api/key/{id}")},
    {(gchar *) "c.ts", 1767225604000, 4000,
        cs_playlist_key_uri ("cam1/rec/20260101/00/1767225604000_4000.ts",
            "x")},
  };
  g_autofree gchar *text = cs_playlist_vod (e, 3);

  fail_unless (e[2].key_uri == NULL);
  fail_unless (strstr (text, "#EXT-X-KEY:METHOD=AES-128,URI=\"https://h/api/"
          "key/3\",IV=0x0000019B76DA98600000000000000FA0\n#EXT-X-PROGRAM"
          "-DATE-TIME") != NULL, "%s", text);
  fail_unless (strstr (text, "URI=\"https://h/api/key/7\",IV=0x0000019B76DA"
          "A8000000000000000FA0\n") != NULL, "%s", text);
  fail_unless (strstr (text, "#EXT-X-KEY:METHOD=NONE\n#EXT-X-PROGRAM-DATE-"
          "TIME:2026-01-01T00:00:04.000Z\n#EXTINF:4.000,\nc.ts") != NULL,
      "%s", text);
  fail_unless (cs_playlist_key_uri_is_valid ("{id}.key"));
  fail_if (cs_playlist_key_uri_is_valid ("a\"b"));
  fail_if (cs_playlist_key_uri_is_valid ("a\nb"));
  g_free (e[0].key_uri);
  g_free (e[1].key_uri);
}

GST_END_TEST;

/* The outbox, file:// store: what the store holds is ciphertext that reads
 * back to what was put. */
static GMutex failed_lock;
static GPtrArray *failed;

static void
on_report (const CsOutboxReport * r, gpointer data)
{
  g_mutex_lock (&failed_lock);
  if (r->outcome == CS_OUTBOX_FAILED)
    g_ptr_array_add (failed, g_strdup_printf ("%s: %s", r->key,
            r->error->message));
  g_mutex_unlock (&failed_lock);
}

static CsOutbox *
new_outbox (const gchar * uri, CsKeyring * keyring, const gchar * spool)
{
  g_autoptr (GError) error = NULL;
  CsStoreConfig store_config = {.timeout_s = 5 };
  CsStore *store = cs_store_new (uri, &store_config, &error);
  CsOutboxConfig config = {.keyring = keyring };
  CsSpoolOpenInfo info = { 0 };
  CsOutbox *ob;

  fail_unless (store != NULL, "%s", error ? error->message : "");
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    config.limits[k] = (CsUploaderLimits) {
    16, 0, -1, 10, 40};
  if (spool != NULL) {
    config.spool_dir = spool;
    config.spool_max_bytes = 1 << 24;
    config.device_id = "cam1";
  }
  ob = cs_outbox_new (store, &config, on_report, NULL, &info, &error);
  fail_unless (ob != NULL, "%s", error ? error->message : "");
  cs_spool_open_info_clear (&info);
  return ob;
}

static GBytes *
read_file (const gchar * path)
{
  gchar *text;
  gsize n;

  fail_unless (g_file_get_contents (path, &text, &n, NULL), "%s", path);
  return g_bytes_new_take (text, n);
}

GST_START_TEST (test_outbox_stores_ciphertext)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autofree gchar *root = g_build_filename (dir, "store", NULL);
  g_autofree gchar *uri = g_strconcat ("file://", root, NULL);
  const gchar *json = "{\"event_id\":\"e1\",\"start_ms\":1}";
  g_autoptr (GBytes) ts = fake_ts ();
  g_autoptr (GBytes) ev = g_bytes_new_static (json, strlen (json));
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("\xff\xd8\xff\xe0 jpeg", 9);
  g_autoptr (GError) error = NULL;
  const gchar *keys[] = { SEG_KEY, EVENT_JSON, PICTURE };
  GBytes *plain[] = { ts, ev, jpeg };
  CsOutbox *ob;

  failed = g_ptr_array_new_with_free_func (g_free);
  ob = new_outbox (uri, k, NULL);
  cs_outbox_put (ob, CS_OUTBOX_SEGMENT, SEG_KEY, ts, FALSE);
  cs_outbox_put (ob, CS_OUTBOX_EVENT_OBJECT, EVENT_JSON, ev, FALSE);
  fail_unless (cs_outbox_put_and_wait (ob, CS_OUTBOX_PICTURE, PICTURE, jpeg,
          &error), "%s", error ? error->message : "");
  /* A segment whose name names no key is never stored in plaintext. */
  cs_outbox_put (ob, CS_OUTBOX_SEGMENT, "cam1/rec/20260101/00/1_2.ts", ts,
      FALSE);
  fail_unless (cs_outbox_drain (ob, 10000, NULL));
  cs_outbox_free (ob);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    g_autofree gchar *path = g_build_filename (root, keys[i], NULL);
    g_autoptr (GBytes) stored = read_file (path);
    g_autoptr (GBytes) back = NULL;

    cs_test_assert_ciphertext (stored, keys[i]);
    back = cs_crypt_read (k, keys[i], stored, &error);
    fail_unless (back != NULL, "%s", error ? error->message : "");
    fail_unless (g_bytes_equal (back, plain[i]), "%s", keys[i]);
  }
  {
    g_autofree gchar *path = g_build_filename (root,
        "cam1/rec/20260101/00/1_2.ts", NULL);
    fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  fail_unless_equals_int (failed->len, 1);
  fail_unless (strstr (g_ptr_array_index (failed, 0), "1_2.ts") != NULL);
  g_clear_pointer (&failed, g_ptr_array_unref);
}

GST_END_TEST;

/* Every object file under @path (named by its key, '%' for '/'; no link
 * followed) is ciphertext; how many there are. */
static guint
assert_tree_ciphertext (const gchar * path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const gchar *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    GStatBuf st;

    fail_unless (g_lstat (child, &st) == 0);
    if (S_ISDIR (st.st_mode))
      n += assert_tree_ciphertext (child);
    else if (S_ISREG (st.st_mode) && strchr (name, '%') != NULL) {
      g_autoptr (GBytes) data = read_file (child);
      cs_test_assert_ciphertext (data, child);
      n++;
    }
  }
  return n;
}

/* An SD card can be taken: the spool holds only ciphertext (the store
 * refuses everything, so all of it stays there). */
GST_START_TEST (test_spool_holds_ciphertext)
{
  g_autoptr (CsKeyring) k = test_keyring ();
  g_autofree gchar *spool = g_build_filename (dir, "spool", NULL);
  CsTestServer *srv = cs_test_server_start (NULL);
  g_autofree gchar *uri = cs_test_server_uri (srv);
  const gchar *json = "{\"event_id\":\"e1\",\"start_ms\":1}";
  g_autoptr (GBytes) ts = fake_ts ();
  g_autoptr (GBytes) ev = g_bytes_new_static (json, strlen (json));
  CsOutbox *ob;

  g_mutex_lock (&srv->lock);
  for (guint i = 0; i < 1000; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  g_mutex_unlock (&srv->lock);
  failed = g_ptr_array_new_with_free_func (g_free);
  ob = new_outbox (uri, k, spool);
  cs_outbox_put (ob, CS_OUTBOX_SEGMENT, SEG_KEY, ts, FALSE);
  cs_outbox_put (ob, CS_OUTBOX_EVENT_OBJECT, EVENT_JSON, ev, FALSE);
  fail_if (cs_outbox_drain (ob, 300, NULL));
  cs_outbox_free (ob);
  cs_test_server_stop (srv);
  fail_unless (assert_tree_ciphertext (spool) >= 2);
  g_clear_pointer (&failed, g_ptr_array_unref);
}

GST_END_TEST;

static Suite *
crypt_suite (void)
{
  Suite *s = suite_create ("crypt");
  TCase *tc = tcase_create ("general");

  cs_test_add_tmp_dir_fixture (tc, &dir, NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_key_file);
  tcase_add_test (tc, test_segment_names);
  tcase_add_test (tc, test_segment_round_trip);
  tcase_add_test (tc, test_envelope);
  tcase_add_test (tc, test_playlist_key_lines);
  tcase_add_test (tc, test_outbox_stores_ciphertext);
  tcase_add_test (tc, test_spool_holds_ciphertext);
  return s;
}

GST_CHECK_MAIN (crypt);
