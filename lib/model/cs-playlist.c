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

/* The #EXT-X-KEY line @e needs after @prev (NULL: the first), with the IV
 * @iv_hex. */
static void
append_key (GString * out, const CsPlaylistEntry * prev,
    const CsPlaylistEntry * e, const gchar * iv_hex)
{
  if (e->key_uri == NULL) {
    if (prev != NULL && prev->key_uri != NULL)
      g_string_append (out, "#EXT-X-KEY:METHOD=NONE\n");
    return;
  }
  g_string_append_printf (out, "#EXT-X-KEY:METHOD=AES-128,URI=\"%s\",IV=%s\n",
      e->key_uri, iv_hex);
}

/* @e's #EXT-X-KEY, #EXT-X-MAP and #EXT-X-BYTERANGE lines.  An encrypted
 * fMP4 segment's init part and media part are chains of their own
 * (cs-crypt.h): a key line with the IV of each, the init part's before its
 * #EXT-X-MAP (RFC 8216: that key applies to it too). */
static void
append_key_and_ranges (GString * out, const CsPlaylistEntry * prev,
    const CsPlaylistEntry * e)
{
  g_autofree gchar *iv = cs_crypt_segment_iv_hex (e->start_ms,
      e->duration_ms);
  g_autofree gchar *media_iv = NULL;
  guint64 init_size = e->key_uri ? CS_CRYPT_FMP4_INIT_SIZE :
      CS_KEY_FMP4_INIT_SIZE;

  append_key (out, prev, e, iv);
  if (!e->fmp4)
    return;
  g_string_append_printf (out, "#EXT-X-MAP:URI=\"%s\",BYTERANGE=\"%"
      G_GUINT64_FORMAT "@0\"\n", e->uri, init_size);
  if (e->key_uri != NULL) {
    media_iv = cs_crypt_media_iv_hex (e->start_ms, e->duration_ms);
    append_key (out, prev, e, media_iv);
  }
  if (e->size > init_size)
    g_string_append_printf (out, "#EXT-X-BYTERANGE:%" G_GUINT64_FORMAT
        "@%" G_GUINT64_FORMAT "\n", e->size - init_size, init_size);
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
    append_key_and_ranges (out, i > 0 ? &entries[i - 1] : NULL, e);
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
