/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink container=fmp4: self-contained fragmented MP4 segments, read back
 * by qtdemux and ffprobe (frames in = frames stored, A/V in step at every
 * cut, each segment alone), through csctl's playlists (ffmpeg -c copy,
 * hlsdemux) and export, H.265, and a store holding both containers. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-key.h"
#include "cs-playlist.h"
#include "cs-store.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */
#define FROM "2023-11-14T22:00:00Z"
#define TO "2023-11-14T23:00:00Z"

#define VIDEO_H264 "videotestsrc num-buffers=%d ! " \
  "video/x-raw,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse name=p ! "
#define AUDIO_AAC "audiotestsrc num-buffers=%d samplesperbuffer=1024 ! " \
  "avenc_aac ! aacparse ! s.audio "

static gchar *store_dir, *store_uri;

/* Records @video_frames of H.264 (and @audio_frames of AAC, when > 0) from
 * UTC @t0_ms for @device in @container, 1 s segments. */
static void
record (const gchar * device, const gchar * container, gint64 t0_ms,
    guint video_frames, guint audio_frames, CsRun * run)
{
  g_autofree gchar *audio = audio_frames ? g_strdup_printf (AUDIO_AAC,
      audio_frames) : g_strdup ("");
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264 "cssink name=s "
      "location=%s device-id=%s container=%s segment-duration=1000000000 %s",
      video_frames, store_uri, device, container, audio);

  cs_test_run (desc, 0, 60, cs_test_stamp_unix_time, &t0_ms, run);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message :
      "");
  fail_unless (run->eos);
  fail_unless_equals_int (run->video_in, video_frames);
}

/* Each segment: ftyp first, the init part exactly CS_KEY_FMP4_INIT_SIZE
 * bytes (ending in a free box), then the first moof; named .mp4. */
static void
check_layout (CsStore * store, const gchar * device)
{
  g_autofree gchar *prefix = g_strdup_printf ("%s/rec/", device);
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, NULL);

  fail_unless (objects != NULL && objects->len > 0);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects,
            i))->key;
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    gsize len;
    const guint8 *b = data ? g_bytes_get_data (data, &len) : NULL;

    fail_unless (cs_key_segment_is_fmp4 (key), "%s", key);
    fail_unless (b != NULL && len > CS_KEY_FMP4_INIT_SIZE + 8);
    fail_unless (memcmp (b + 4, "ftyp", 4) == 0, "%s", key);
    fail_unless (memcmp (b + CS_KEY_FMP4_INIT_SIZE + 4, "moof", 4) == 0,
        "%s: no moof after the init part", key);
  }
}

GST_START_TEST (test_h264_aac_fmp4)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  CsRun run;
  guint n;

  record ("av", "fmp4", T0, 300, 430, &run);
  /* Frames in = frames stored (qtdemux and ffprobe), back to back, each
   * segment alone from a keyframe, audio in step at each cut. */
  n = cs_test_check_recording (store, "av", &run, 1000, 500, "video/x-h264",
      TRUE);
  fail_unless (n >= 9 && n <= 11, "%u segments", n);
  check_layout (store, "av");
  cs_run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_h265_fmp4)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=120 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x265enc key-int-max=15 speed-preset=ultrafast option-string=bframes=0 "
      "! h265parse ! cssink name=s location=%s device-id=hevc "
      "container=fmp4 segment-duration=1000000000 " AUDIO_AAC, store_uri,
      172);
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos);
  fail_unless_equals_int (run.video_in, 120);
  cs_test_check_recording (store, "hevc", &run, 1000, 500, "video/x-h265",
      TRUE);
  check_layout (store, "hevc");
  cs_run_clear (&run);
}

GST_END_TEST;

/* Audio that starts 0.5 s after the video starts 0.5 s after it in the
 * stored segment too (mp4mux starts every track of a file at 0: cssink
 * puts their distance back). */
GST_START_TEST (test_audio_starts_later)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264 "cssink name=s "
      "location=%s device-id=late container=fmp4 segment-duration=1000000000 "
      "audiotestsrc num-buffers=100 samplesperbuffer=1024 "
      "timestamp-offset=500000000 ! avenc_aac ! aacparse ! s.audio", 60,
      store_uri);
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (GPtrArray) objects = NULL;
  g_autofree gchar *path = NULL;
  CsProbe v, a;
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.eos && run.error == NULL);
  cs_run_clear (&run);
  objects = cs_store_list (store, "late/rec/", NULL, NULL);
  fail_unless (objects != NULL && objects->len > 0);
  path = g_build_filename (store_dir, ((CsStoreObject *)
          g_ptr_array_index (objects, 0))->key, NULL);
  fail_unless (cs_test_ffprobe (path, "v:0", &v));
  fail_unless (cs_test_ffprobe (path, "a:0", &a));
  /* Within an audio frame (23 ms) and rounding. */
  fail_unless (fabs (a.first - v.first - 0.5) < 0.03,
      "audio starts %.3f s after the video", a.first - v.first);
}

GST_END_TEST;

/* Video frames in @path (all streams' files, read by ffprobe). */
static gint
video_frames (const gchar * path)
{
  CsProbe probe;

  fail_unless (cs_test_ffprobe (path, "v:0", &probe), "ffprobe %s", path);
  return probe.frames;
}

/* ffmpeg -c copy of @playlist into an MP4: its video frames. */
static gint
ffmpeg_copy_frames (const gchar * playlist)
{
  g_autofree gchar *out = g_build_filename (store_dir, "copy.mp4", NULL);
  const gchar *argv[] = { "ffmpeg", "-v", "error", "-y",
    "-allowed_extensions", "ALL", "-i", playlist, "-c", "copy", out, NULL
  };
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg failed");
  return video_frames (out);
}

/* A playlist of fMP4 segments: HLS 7, each segment after an #EXT-X-MAP of
 * its own init part; ffmpeg -c copy and hlsdemux read every frame; export
 * makes one MP4 of every frame. */
GST_START_TEST (test_fmp4_playlist_and_export)
{
  g_autofree gchar *path = g_build_filename (store_dir, "p.m3u8", NULL);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "export.mp4", NULL);
  g_autofree gchar *text = NULL;
  CsRun run;

  record ("cam", "fmp4", T0, 150, 215, &run);
  cs_run_clear (&run);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", store_uri,
          "cam", "--from", FROM, "--to", TO, "-o", path, NULL), 0);
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless (strstr (text, "#EXT-X-VERSION:7\n") != NULL, "%s", text);
  fail_unless_equals_int (cs_test_occurrences (text, "#EXT-X-MAP:URI="),
      cs_test_occurrences (text, "#EXTINF:"));
  fail_unless_equals_int (cs_test_occurrences (text, ",BYTERANGE=\"4096@0\"\n"),
      cs_test_occurrences (text, "#EXTINF:"));
  /* The media part of each, which hlsdemux needs stated. */
  fail_unless_equals_int (cs_test_occurrences (text, "@4096\n"),
      cs_test_occurrences (text, "#EXTINF:"));
  fail_unless_equals_int (ffmpeg_copy_frames (path), 150);
  fail_unless_equals_int (cs_test_hls_video_frames (path), 150);

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", store_uri,
          "cam", "--from", FROM, "--to", TO, "-o", mp4, NULL), 0);
  fail_unless_equals_int (video_frames (mp4), 150);
}

GST_END_TEST;

/* One device's store holds MPEG-TS, then fMP4 segments: ls sees both
 * spans, the playlist states a MAP before the .mp4 ones only, ffmpeg reads
 * each container's range (it reads one container per playlist), export
 * writes each container's part to a file of its own, every frame kept. */
GST_START_TEST (test_store_with_both)
{
  g_autofree gchar *path = g_build_filename (store_dir, "both.m3u8", NULL);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "both.mp4", NULL);
  g_autofree gchar *json = NULL, *text = NULL, *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *spans;
  gint exported = 0;
  CsRun run;

  record ("mix", "mpegts", T0, 60, 0, &run);
  cs_run_clear (&run);
  record ("mix", "fmp4", T0 + 5000, 60, 0, &run);
  cs_run_clear (&run);

  fail_unless_equals_int (cs_test_csctl (&json, NULL, "ls", store_uri, "mix",
          "--from", FROM, "--to", TO, "--json", NULL), 0);
  fail_unless (json_parser_load_from_data (parser, json, -1, NULL));
  spans = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "spans");
  fail_unless_equals_int (json_array_get_length (spans), 2);
  for (guint i = 0; i < 2; i++)
    fail_unless_equals_int (json_object_get_int_member
        (json_array_get_object_element (spans, i), "segments"), 2);

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", store_uri,
          "mix", "--from", FROM, "--to", TO, "-o", path, NULL), 0);
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless_equals_int (cs_test_occurrences (text, "#EXTINF:"), 4);
  fail_unless_equals_int (cs_test_occurrences (text, "#EXT-X-MAP:"), 2);
  fail_unless_equals_int (cs_test_occurrences (text, ".ts\n"), 2);
  fail_unless (strstr (text, ".ts\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:")
      != NULL, "%s", text);
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT,
        T0 + i * 5000);
    g_autofree gchar *to = g_strdup_printf ("%" G_GINT64_FORMAT,
        T0 + i * 5000 + 2000);
    fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", store_uri,
            "mix", "--from", from, "--to", to, "-o", path, NULL), 0);
    fail_unless_equals_int (ffmpeg_copy_frames (path), 60);
  }

  /* Another container is another format: the export goes on in a second
   * file; together they hold every frame. */
  fail_unless_equals_int (cs_test_csctl (&out, NULL, "export", store_uri,
          "mix", "--from", FROM, "--to", TO, "-o", mp4, NULL), 0);
  exported = video_frames (mp4);
  {
    g_autofree gchar *second = g_build_filename (store_dir, "both-2.mp4",
        NULL);
    fail_unless (g_file_test (second, G_FILE_TEST_EXISTS), "%s", out);
    exported += video_frames (second);
  }
  fail_unless_equals_int (exported, 120);
}

GST_END_TEST;

/* An event recorded in fMP4: its segments are .mp4, its index.m3u8 (written
 * by cssink, with no sizes) states each one's init part, and ffmpeg -c copy
 * reads every frame of them through it. */
GST_START_TEST (test_event_playlist)
{
  static const CsTestTrigger triggers[] = { {1, 2.0} };
  CsTestTimeline tl = { triggers, G_N_ELEMENTS (triggers), T0 };
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=240 ! "
      "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc "
      "key-int-max=15 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g pre-roll=1000000000 min-record-time=4 "
      "event-interval=4 ! cssink name=s location=%s device-id=ev "
      "container=fmp4 segment-duration=1000000000", store_uri);
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (GPtrArray) objects = NULL;
  g_autofree gchar *dir = NULL, *index = NULL, *text = NULL;
  gint frames = 0, segments = 0;
  CsRun run;

  cs_test_run (desc, 0, 60, cs_test_timeline_tick, &tl, &run);
  fail_unless (run.eos && run.error == NULL);
  cs_run_clear (&run);
  objects = cs_store_list (store, "ev/ev/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects,
            i))->key;
    g_autofree gchar *path = g_build_filename (store_dir, key, NULL);

    fail_if (g_str_has_suffix (key, ".ts"), "%s", key);
    if (g_str_has_suffix (key, ".mp4")) {
      frames += video_frames (path);
      segments++;
    } else if (g_str_has_suffix (key, "/index.m3u8")) {
      index = g_steal_pointer (&path);
    }
  }
  fail_unless (index != NULL && segments >= 3, "%u segments", segments);
  fail_unless (g_file_get_contents (index, &text, NULL, NULL));
  fail_unless (strstr (text, "#EXT-X-VERSION:7\n") != NULL, "%s", text);
  fail_unless_equals_int (cs_test_occurrences (text, "#EXT-X-MAP:"), segments);
  fail_unless_equals_int (cs_test_occurrences (text, "#EXTINF:"), segments);
  fail_unless_equals_int (ffmpeg_copy_frames (index), frames);
}

GST_END_TEST;

/* The playlist writer states the init part of .mp4 entries only, and
 * their media part where their size is known. */
GST_START_TEST (test_playlist_maps)
{
  CsPlaylistEntry e[] = {
    {.uri = (gchar *) "a/1700000000000_1000.ts",.start_ms = T0,
        .duration_ms = 1000,.size = 50000},
    {.uri = (gchar *) "a/1700000001000_1000.mp4",.start_ms = T0 + 1000,
        .duration_ms = 1000,.fmp4 = TRUE,.size = 50000},
    {.uri = (gchar *) "a/1700000002000_1000.mp4",.start_ms = T0 + 2000,
        .duration_ms = 1000,.fmp4 = TRUE},
  };
  g_autofree gchar *ts = cs_playlist_vod (e, 1);
  g_autofree gchar *both = cs_playlist_vod (e, 3);

  fail_unless (strstr (ts, "#EXT-X-VERSION:3\n") != NULL);
  fail_unless (strstr (ts, "#EXT-X-MAP") == NULL);
  fail_unless (strstr (both, "#EXT-X-VERSION:7\n") != NULL);
  fail_unless (strstr (both, "#EXT-X-MAP:URI=\"a/1700000001000_1000.mp4\","
          "BYTERANGE=\"4096@0\"\n#EXT-X-BYTERANGE:45904@4096\n"
          "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:21.000Z\n") != NULL, "%s",
      both);
  fail_unless (strstr (both, "#EXT-X-MAP:URI=\"a/1700000002000_1000.mp4\","
          "BYTERANGE=\"4096@0\"\n#EXT-X-PROGRAM-DATE-TIME:") != NULL, "%s",
      both);
  fail_unless_equals_int (cs_test_occurrences (both, "#EXT-X-MAP"), 2);
  fail_unless_equals_int (cs_test_occurrences (both, "#EXT-X-BYTERANGE"), 1);
}

GST_END_TEST;

static Suite *
cssink_fmp4_suite (void)
{
  Suite *s = suite_create ("cssink-fmp4");
  TCase *tc = tcase_create ("fmp4");

  tcase_set_timeout (tc, 300);
  cs_test_add_tmp_dir_fixture (tc, &store_dir, &store_uri);
  tcase_add_test (tc, test_playlist_maps);
  tcase_add_test (tc, test_h264_aac_fmp4);
  tcase_add_test (tc, test_h265_fmp4);
  tcase_add_test (tc, test_audio_starts_later);
  tcase_add_test (tc, test_fmp4_playlist_and_export);
  tcase_add_test (tc, test_store_with_both);
  tcase_add_test (tc, test_event_playlist);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_fmp4);
