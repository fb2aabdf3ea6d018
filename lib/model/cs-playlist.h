/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VOD HLS playlists built from segment names alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gchar *uri;
  gint64 start_ms;
  gint64 duration_ms;
  /* An encrypted segment's: the URI of its key (its IV comes from start
   * and duration, cs-crypt.h); NULL for a segment stored in plaintext. */
  gchar *key_uri;
  /* A fragmented MP4 segment (cs_key_segment_is_fmp4 ()): its own init
   * part is stated with #EXT-X-MAP (HLS version 7). */
  gboolean fmp4;
  /* Its size in the store in bytes (0: not known): its media part after
   * the init part is then stated with #EXT-X-BYTERANGE, which GStreamer's
   * hlsdemux needs (without it, it reads the init part's range again), and
   * every player for an encrypted one (cs-crypt.h). */
  guint64 size;
} CsPlaylistEntry;

/* The key URI a playlist names for key <ID> by default: a file beside it,
 * the key's 16 bytes ("<ID>.key"). */
#define CS_PLAYLIST_DEFAULT_KEY_URI "{id}.key"

/* The key URI of the segment @key: @uri_template with "{id}" replaced by
 * the key id its name names; NULL when it names none (plaintext). */
gchar *cs_playlist_key_uri (const gchar * key, const gchar * uri_template);
/* @uri_template can be written in a playlist: no '"', CR or LF. */
gboolean cs_playlist_key_uri_is_valid (const gchar * uri_template);

/* #EXTM3U … #EXT-X-ENDLIST over @entries, sorted by start: each segment
 * with its #EXT-X-PROGRAM-DATE-TIME, #EXT-X-DISCONTINUITY before one
 * that does not start where the previous one ended, and before an
 * encrypted one #EXT-X-KEY:METHOD=AES-128 with its key URI and IV (and
 * METHOD=NONE before a plaintext one that follows it).  Version 3, or 7
 * with fmp4 entries: each of those after an #EXT-X-MAP of its own init
 * part (the first CS_KEY_FMP4_INIT_SIZE bytes of the segment, or when
 * encrypted its CS_CRYPT_FMP4_INIT_SIZE bytes, with a key line of their
 * own before the map and the media part's after it). */
gchar *cs_playlist_vod (const CsPlaylistEntry * entries, guint n);

/* A live playlist (no #EXT-X-ENDLIST; a player reloads it) of the newest
 * @entries: the first is number @media_sequence, and
 * @discontinuity_sequence discontinuities came before it. */
gchar *cs_playlist_live (const CsPlaylistEntry * entries, guint n,
    guint64 media_sequence, guint64 discontinuity_sequence);

G_END_DECLS
