/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VOD playlists from segment names. */
#include <gst/check/gstcheck.h>

#include "cs-playlist.h"

GST_START_TEST (test_gap_and_dates)
{
  CsPlaylistEntry e[] = {
    {(gchar *) "a.ts", 1700000000000, 4000},
    {(gchar *) "b.ts", 1700000004000, 4600},    /* back to back */
    {(gchar *) "c.ts", 1700000010000, 1001},    /* after a gap */
  };
  g_autofree gchar *pl = cs_playlist_vod (e, 3);

  fail_unless_equals_string (pl, "#EXTM3U\n#EXT-X-VERSION:3\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n"
      "#EXT-X-TARGETDURATION:5\n"
      "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z\n#EXTINF:4.000,\na.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z\n#EXTINF:4.600,\nb.ts\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:30.000Z\n#EXTINF:1.001,\nc.ts\n"
      "#EXT-X-ENDLIST\n");
}

GST_END_TEST;

static Suite *
playlist_suite (void)
{
  Suite *s = suite_create ("playlist");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gap_and_dates);
  return s;
}

GST_CHECK_MAIN (playlist);
