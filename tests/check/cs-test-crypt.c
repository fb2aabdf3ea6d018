/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-crypt.h"
#include "cs-test-util.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

gchar *
cs_test_write_key_file (const gchar * dir, const gchar * name,
    const gchar * text, guint mode)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, text, -1, NULL));
  fail_unless (g_chmod (path, mode) == 0);
  return path;
}

void
cs_test_write_raw_key (const gchar * path, const gchar * hex)
{
  guint8 key[16];

  for (guint i = 0; i < 16; i++)
    key[i] = g_ascii_xdigit_value (hex[2 * i]) << 4 |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  fail_unless (g_file_set_contents (path, (const gchar *) key, 16, NULL));
  fail_unless (g_chmod (path, 0600) == 0);
}

gint
cs_test_ffprobe_hls_frames (const gchar * playlist)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-allowed_extensions",
    "ALL", "-protocol_whitelist", "file,http,tcp,crypto", "-select_streams",
    "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of",
    "csv=p=0", playlist, NULL
  };
  g_autofree gchar *out = NULL;
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return -1;
  return atoi (out);
}

gdouble
cs_test_entropy (GBytes * data)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (data, &n);
  guint64 counts[256] = { 0 };
  gdouble h = 0;

  for (gsize i = 0; i < n; i++)
    counts[p[i]]++;
  for (guint b = 0; b < 256 && n > 0; b++)
    if (counts[b] > 0)
      h -= (gdouble) counts[b] / n * log2 ((gdouble) counts[b] / n);
  return h;
}

/* The @len bytes of @needle are in the @n bytes at @p. */
static gboolean
contains_n (const guint8 * p, gsize n, const gchar * needle, gsize len)
{
  for (gsize i = 0; i + len <= n; i++)
    if (memcmp (p + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
contains (const guint8 * p, gsize n, const gchar * needle)
{
  return contains_n (p, n, needle, strlen (needle));
}

static gboolean
begins_like_text (const guint8 * p, gsize n)
{
  gsize i;

  for (i = 0; i < MIN (n, 16); i++)
    if (!g_ascii_isprint (p[i]) && !g_ascii_isspace (p[i]))
      return FALSE;
  return TRUE;
}

void
cs_test_assert_ciphertext (GBytes * data, const gchar * what)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (data, &n);
  guint syncs = 0, packets = n / 188;

  fail_unless (n > 0, "%s is empty", what);
  for (gsize i = 0; i < n; i += 188)
    syncs += p[i] == 0x47;
  /* By chance, 1 packet in 256 begins with 0x47. */
  fail_unless (packets < 8 || syncs <= packets / 16 + 2,
      "%s: %u of %u packets begin with the TS sync byte", what, syncs,
      packets);
  /* Ciphertext begins with any byte: text is a run of printable ones (by
   * chance, 16 in a row about once in 10 million). */
  fail_if (begins_like_text (p, n), "%s begins like text", what);
  fail_if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff,
      "%s is a JPEG", what);
  fail_if (n >= 8 && memcmp (p + 4, "ftyp", 4) == 0, "%s is an MP4", what);
  fail_if (contains (p, n, "\"start_ms\"") || contains (p, n, "#EXTM3U")
      || contains (p, n, "#EXTINF"), "%s holds plaintext", what);
  /* Boxes the fMP4 writer always makes this size: 8 bytes that chance
   * does not put in ciphertext. */
  fail_if (contains_n (p, n, "\0\0\0lmvhd", 8)
      || contains_n (p, n, "\0\0\0\x10mfhd", 8)
      || contains_n (p, n, "\0\0\0\x14tfdt", 8), "%s shows MP4 boxes", what);
  if (n >= 4096)
    fail_unless (cs_test_entropy (data) > 7.5, "%s: entropy %.2f bits/byte",
        what, cs_test_entropy (data));
}

void
cs_test_assert_tree_ciphertext (const gchar * dir, GPtrArray * names)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *child = g_build_filename (dir, name, NULL);
    GStatBuf st;

    fail_unless (g_lstat (child, &st) == 0);
    if (S_ISDIR (st.st_mode)) {
      cs_test_assert_tree_ciphertext (child, names);
    } else if (S_ISREG (st.st_mode)) {
      gchar *data;
      gsize n;
      g_autoptr (GBytes) bytes = NULL;

      fail_unless (g_file_get_contents (child, &data, &n, NULL));
      bytes = g_bytes_new_take (data, n);
      cs_test_assert_ciphertext (bytes, child);
      g_ptr_array_add (names, g_strdup (name));
    }
  }
}

#define VIDEO(n) "videotestsrc num-buffers=" #n " ! " \
  "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc " \
  "key-int-max=15 bframes=0 speed-preset=ultrafast " \
  "option-string=scenecut=0 ! h264parse ! identity name=p ! "

void
cs_test_record_encrypted (const gchar * store_uri, const gchar * key_file,
    const gchar * container, gint64 t0_ms)
{
  static const CsTestTrigger triggers[] = { {1, 1.0} };
  CsTestTimeline tl = { triggers, 1, t0_ms };
  gint64 t0 = t0_ms;
  g_autofree gchar *full_time = NULL, *event = NULL;
  CsRun run;

  full_time = g_strdup_printf (VIDEO (60) "cssink name=s location=%s "
      "device-id=cam1 segment-duration=1000000000 container=%s "
      "encryption-key-file=%s", store_uri, container, key_file);
  cs_test_run (full_time, 0, 60, cs_test_stamp_unix_time, &t0, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "");
  cs_run_clear (&run);
  event = g_strdup_printf (VIDEO (240) "cseventgate name=g "
      "pre-roll=1000000000 min-record-time=4 event-interval=4 ! cssink "
      "name=s location=%s device-id=cam2 segment-duration=1000000000 "
      "container=%s encryption-key-file=%s", store_uri, container,
      key_file);
  cs_test_run (event, 0, 60, cs_test_timeline_tick, &tl, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "");
  cs_run_clear (&run);
}

void
cs_test_crypt_store_init (CsTestCryptStore * st, const gchar * container,
    gint64 t0_ms)
{
  st->dir = g_dir_make_tmp ("cs-crypt-store-XXXXXX", NULL);
  fail_unless (st->dir != NULL);
  st->store_dir = g_build_filename (st->dir, "store", NULL);
  st->store_uri = g_strconcat ("file://", st->store_dir, NULL);
  st->key_file = cs_test_write_key_file (st->dir, "keys",
      CS_TEST_KEY_FILE_TEXT, 0600);
  cs_test_record_encrypted (st->store_uri, st->key_file, container, t0_ms);
}

void
cs_test_crypt_store_clear (CsTestCryptStore * st)
{
  cs_test_remove_tree (st->dir);
  g_clear_pointer (&st->dir, g_free);
  g_clear_pointer (&st->store_dir, g_free);
  g_clear_pointer (&st->store_uri, g_free);
  g_clear_pointer (&st->key_file, g_free);
}
