/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-playlist.h"
#include "cs-crypt.h"
#include "cs-key.h"

#include <string.h>

gboolean
cs_playlist_key_uri_is_valid (const gchar * uri_template)
{
  return uri_template != NULL && *uri_template != '\0'
      && strpbrk (uri_template, "\"\r\n") == NULL;
}

gchar *
cs_playlist_key_uri (const gchar * key, const gchar * uri_template)
{
  g_autofree gchar *id = NULL;
  g_auto (GStrv) parts = NULL;
  gint64 start_ms, duration_ms, key_id;

  if (!cs_key_parse_segment_full (key, &start_ms, &duration_ms, &key_id)
      || key_id == CS_KEY_NO_KEY_ID)
    return NULL;
  id = g_strdup_printf ("%" G_GINT64_FORMAT, key_id);
  parts = g_strsplit (uri_template, "{id}", -1);
  return g_strjoinv (id, parts);
}

/* The #EXT-X-KEY line @e needs after @prev (NULL: the first). */
static void
append_key (GString * out, const CsPlaylistEntry * prev,
    const CsPlaylistEntry * e)
{
  g_autofree gchar *iv = NULL;

  if (e->key_uri == NULL) {
    if (prev != NULL && prev->key_uri != NULL)
      g_string_append (out, "#EXT-X-KEY:METHOD=NONE\n");
    return;
  }
  iv = cs_crypt_segment_iv_hex (e->start_ms, e->duration_ms);
  g_string_append_printf (out, "#EXT-X-KEY:METHOD=AES-128,URI=\"%s\",IV=%s\n",
      e->key_uri, iv);
}

/* 7 for #EXT-X-MAP in a playlist without I-frames only (RFC 8216 7). */
static gint
hls_version (const CsPlaylistEntry * entries, guint n)
{
  for (guint i = 0; i < n; i++)
    if (entries[i].fmp4)
      return 7;
  return 3;
}

/* #EXT-X-TARGETDURATION and every entry, with a #EXT-X-DISCONTINUITY
 * before one that does not start where the previous one ended. */
static void
append_entries (GString * out, const CsPlaylistEntry * entries, guint n)
{
  gint64 longest_ms = 0;

  for (guint i = 0; i < n; i++)
    longest_ms = MAX (longest_ms, entries[i].duration_ms);
  /* RFC 8216: EXTINF rounded to the nearest second is <= TARGETDURATION. */
  g_string_append_printf (out, "#EXT-X-TARGETDURATION:%" G_GINT64_FORMAT "\n",
      MAX ((longest_ms + 500) / 1000, 1));

  for (guint i = 0; i < n; i++) {
    const CsPlaylistEntry *e = &entries[i];
    g_autoptr (GDateTime) t =
        g_date_time_new_from_unix_utc (e->start_ms / 1000);
    g_autofree gchar *date = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");

    if (i > 0 && e->start_ms != entries[i - 1].start_ms +
        entries[i - 1].duration_ms)
      g_string_append (out, "#EXT-X-DISCONTINUITY\n");
    append_key (out, i > 0 ? &entries[i - 1] : NULL, e);
    if (e->fmp4)
      g_string_append_printf (out,
          "#EXT-X-MAP:URI=\"%s\",BYTERANGE=\"%d@0\"\n", e->uri,
          CS_KEY_FMP4_INIT_SIZE);
    if (e->fmp4 && e->size > CS_KEY_FMP4_INIT_SIZE)
      g_string_append_printf (out, "#EXT-X-BYTERANGE:%" G_GUINT64_FORMAT
          "@%d\n", e->size - CS_KEY_FMP4_INIT_SIZE, CS_KEY_FMP4_INIT_SIZE);
    g_string_append_printf (out, "#EXT-X-PROGRAM-DATE-TIME:%s.%03dZ\n"
        "#EXTINF:%" G_GINT64_FORMAT ".%03d,\n%s\n", date,
        (int) (e->start_ms % 1000), e->duration_ms / 1000,
        (int) (e->duration_ms % 1000), e->uri);
  }
}

gchar *
cs_playlist_vod (const CsPlaylistEntry * entries, guint n)
{
  GString *out = g_string_new ("#EXTM3U\n");

  g_string_append_printf (out, "#EXT-X-VERSION:%d\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n",
      hls_version (entries, n));

  append_entries (out, entries, n);
  g_string_append (out, "#EXT-X-ENDLIST\n");
  return g_string_free (out, FALSE);
}

gchar *
cs_playlist_live (const CsPlaylistEntry * entries, guint n,
    guint64 media_sequence, guint64 discontinuity_sequence)
{
  GString *out = g_string_new ("#EXTM3U\n");

  g_string_append_printf (out, "#EXT-X-VERSION:%d\n",
      hls_version (entries, n));
  g_string_append_printf (out, "#EXT-X-MEDIA-SEQUENCE:%" G_GUINT64_FORMAT
      "\n#EXT-X-DISCONTINUITY-SEQUENCE:%" G_GUINT64_FORMAT "\n",
      media_sequence, discontinuity_sequence);
  append_entries (out, entries, n);
  return g_string_free (out, FALSE);
}
