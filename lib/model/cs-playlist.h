/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VOD HLS playlists built from segment names alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gchar *uri;
  gint64 start_ms;
  gint64 duration_ms;
  /* A fragmented MP4 segment (cs_key_segment_is_fmp4 ()): its own init
   * part is stated with #EXT-X-MAP (HLS version 7). */
  gboolean fmp4;
  /* Its size in bytes (0: not known): its media part after the init part
   * is then stated with #EXT-X-BYTERANGE, which GStreamer's hlsdemux needs
   * (without it, it reads the init part's range again). */
  guint64 size;
} CsPlaylistEntry;

/* #EXTM3U … #EXT-X-ENDLIST over @entries, sorted by start: each segment
 * with its #EXT-X-PROGRAM-DATE-TIME, and #EXT-X-DISCONTINUITY before one
 * that does not start where the previous one ended.  Version 3, or 7 with
 * fmp4 entries: each of those after an #EXT-X-MAP of its own init part
 * (the first CS_KEY_FMP4_INIT_SIZE bytes of the segment). */
gchar *cs_playlist_vod (const CsPlaylistEntry * entries, guint n);

/* A live playlist (no #EXT-X-ENDLIST; a player reloads it) of the newest
 * @entries: the first is number @media_sequence, and
 * @discontinuity_sequence discontinuities came before it. */
gchar *cs_playlist_live (const CsPlaylistEntry * entries, guint n,
    guint64 media_sequence, guint64 discontinuity_sequence);

G_END_DECLS
