/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-crypt.h"

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

static gboolean
contains (const guint8 * p, gsize n, const gchar * needle)
{
  gsize len = strlen (needle);

  for (gsize i = 0; i + len <= n; i++)
    if (memcmp (p + i, needle, len) == 0)
      return TRUE;
  return FALSE;
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
  fail_if (p[0] == '{' || p[0] == '#' || p[0] == '[', "%s begins like text",
      what);
  fail_if (n >= 2 && p[0] == 0xff && p[1] == 0xd8, "%s is a JPEG", what);
  fail_if (n >= 8 && memcmp (p + 4, "ftyp", 4) == 0, "%s is an MP4", what);
  fail_if (contains (p, n, "\"start_ms\"") || contains (p, n, "#EXTM3U")
      || contains (p, n, "#EXTINF"), "%s holds plaintext", what);
  if (n >= 4096)
    fail_unless (cs_test_entropy (data) > 7.5, "%s: entropy %.2f bits/byte",
        what, cs_test_entropy (data));
}
