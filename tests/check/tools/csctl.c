/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl over what cssink stored: ls, playlists read back by hlsdemux and
 * ffmpeg, exported MP4s read by ffmpeg. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-service.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

static gchar *store_dir;

/* Two recordings of 2 s (60 frames), the second 3 s after the first ends. */
static void
setup (void)
{
  gint64 starts[] = { T0, T0 + 5000 };

  store_dir = g_dir_make_tmp ("csctl-XXXXXX", NULL);
  cs_test_record_spans (store_dir, starts, G_N_ELEMENTS (starts));
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
}

GST_START_TEST (test_playlist_over_a_gap)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *path = g_build_filename (store_dir, "all.m3u8", NULL);
  g_autofree gchar *text = NULL;
  CsProbe probe;

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", uri, "cam1",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          "-o", path, NULL), 0);
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless_equals_int (cs_test_occurrences (text, "#EXTINF:"), 4);
  fail_unless_equals_int (cs_test_occurrences (text,
          "#EXT-X-DISCONTINUITY"), 1);
  fail_unless (strstr (text, "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:"
          "20.000Z\n") != NULL);
  fail_unless (strstr (text, "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:"
          "25.000Z\n") != NULL);

  /* Every frame of both recordings, by two independent readers. */
  fail_unless_equals_int (cs_test_hls_video_frames (path), 120);
  fail_unless (cs_test_ffprobe (path, "v:0", &probe));
  fail_unless_equals_int (probe.frames, 120);
}

GST_END_TEST;

GST_START_TEST (test_ls_spans_and_gaps)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *json = NULL, *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root, *span, *gap;
  JsonArray *spans, *gaps;

  fail_unless_equals_int (cs_test_csctl (&json, NULL, "ls", uri, "cam1",
          "--from", "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z",
          "--json", NULL), 0);
  fail_unless (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  spans = json_object_get_array_member (root, "spans");
  gaps = json_object_get_array_member (root, "gaps");
  fail_unless_equals_int (json_array_get_length (spans), 2);
  fail_unless_equals_int (json_array_get_length (gaps), 1);
  span = json_array_get_object_element (spans, 1);
  fail_unless_equals_int64 (json_object_get_int_member (span, "start_ms"),
      T0 + 5000);
  fail_unless_equals_int64 (json_object_get_int_member (span, "end_ms"),
      T0 + 7000);
  fail_unless_equals_int (json_object_get_int_member (span, "segments"), 2);
  gap = json_array_get_object_element (gaps, 0);
  fail_unless_equals_int64 (json_object_get_int_member (gap, "start_ms"),
      T0 + 2000);
  fail_unless_equals_int64 (json_object_get_int_member (gap, "end_ms"),
      T0 + 5000);

  fail_unless_equals_int (cs_test_csctl (&text, NULL, "ls", uri, "cam1",
          "--from", "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z",
          NULL), 0);
  fail_unless (strstr (text, "2 recorded spans") != NULL, "%s", text);
  fail_unless (strstr (text, "  2023-11-14 22:13:20.000 - 2023-11-14 "
          "22:13:22.000  2.0 s in 2 segments\n  gap 3.0 s\n") != NULL, "%s",
      text);
}

GST_END_TEST;

/* The range picks the segments that overlap it, no more. */
GST_START_TEST (test_playlist_range)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 1500);
  g_autofree gchar *to = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 5001);
  g_autofree gchar *text = NULL;

  fail_unless_equals_int (cs_test_csctl (&text, NULL, "playlist", uri, "cam1",
          "--from", from, "--to", to, NULL), 0);
  /* 1700000001000_1000 and 1700000005000_1000. */
  fail_unless_equals_int (cs_test_occurrences (text, "#EXTINF:"), 2);
  fail_unless (strstr (text, "/1700000001000_1000.mp4\n") != NULL);
  fail_unless (strstr (text, "/1700000005000_1000.mp4\n") != NULL);
}

GST_END_TEST;

/* One MP4 of everything: both recordings, the gap left out. */
GST_START_TEST (test_export_all)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "all.mp4", NULL);
  CsProbe v;

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", uri, "cam1",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          "-o", mp4, NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &v));
  fail_unless_equals_int (v.frames, 120);
  /* splitmuxsrc joins the parts with a few tens of ms between them: the
   * duration is right within a GOP. */
  fail_unless (fabs (v.end - v.first - 4.0) <= 0.5, "%.3f s",
      v.end - v.first);
}

GST_END_TEST;

/* Cut at the keyframe at or before --from (GOPs of 0.5 s) and at --to. */
GST_START_TEST (test_export_range)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "part.mp4", NULL);
  g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 1500);
  g_autofree gchar *to = g_strdup_printf ("%" G_GINT64_FORMAT, T0 + 6500);
  CsProbe v;

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", uri, "cam1",
          "--from", from, "--to", to, "-o", mp4, NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &v));
  /* 0.5 s before the gap and 1.5 s after it: 60 frames, +- one GOP. */
  fail_unless (ABS (v.frames - 60) <= 15, "%d frames", v.frames);
  fail_unless (fabs (v.end - v.first - 2.0) <= 0.5, "%.3f s",
      v.end - v.first);
}

GST_END_TEST;

/* What csctl writes, the device's reader understands; a document it
 * cannot read, it leaves alone. */
GST_START_TEST (test_activate_deactivate)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *path = g_build_filename (store_dir, "cam1",
      "service.json", NULL);
  g_autofree gchar *json = NULL;
  g_autoptr (CsService) svc = NULL;
  gint64 now = g_get_real_time () / 1000;

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "activate", uri, "cam1",
          "--channel", "full-time", "--until", "2099-01-01T00:00:00Z", NULL),
          0);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "activate", uri, "cam1",
          "--channel", "event-video", NULL), 0);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "activate", uri, "cam1",
          "--ai", "person", "--until", "2000-01-01T00:00:00Z", NULL), 0);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "deactivate", uri, "cam1",
          "--channel", "event-video", NULL), 0);
  fail_unless (g_file_get_contents (path, &json, NULL, NULL));
  svc = cs_service_parse (json, -1, NULL);
  fail_unless (svc != NULL);
  fail_unless (cs_service_is_active (svc, "full-time", now));
  fail_if (cs_service_is_active (svc, "event-video", now));
  fail_if (cs_service_ai_is_active (svc, "person", now));  /* expired */

  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "activate", uri, "cam1",
          "--channel", "bogus", NULL), 2);
  fail_unless (g_file_set_contents (path, "{bad", -1, NULL));
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "activate", uri, "cam1",
          "--channel", "full-time", NULL), 1);
  g_clear_pointer (&json, g_free);
  fail_unless (g_file_get_contents (path, &json, NULL, NULL));
  fail_unless_equals_string (json, "{bad");
}

GST_END_TEST;

GST_START_TEST (test_bad_requests)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  struct
  {
    const gchar *device, *from, *to;
    gint status;
    const gchar *says;
  } cases[] = {
    {"cam1", "2023-11-14T22:14:00Z", "2023-11-14T22:13:00Z", 2, "before"},
    {"cam1", "yesterday", "2023-11-14T22:13:00Z", 2, "not a time"},
    {"../cam1", "0", "1000", 2, "not a device id"},
    {"nocam", "2023-11-14T22:13:00Z", "2023-11-14T22:14:00Z", 1,
        "no recording of nocam"},
    {"cam1", "2023-11-14T23:00:00Z", "2023-11-14T23:30:00Z", 1,
        "no recording of cam1"},
    {"cam1", "2023-01-01T00:00:00Z", "2023-11-14T22:13:00Z", 2, "31 days"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases) * 2; i++) {
    const gchar *cmd = i % 2 ? "ls" : "playlist";
    g_autofree gchar *out = NULL, *err = NULL;
    gint status = cs_test_csctl (&out, &err, cmd, uri, cases[i / 2].device,
        "--from", cases[i / 2].from, "--to", cases[i / 2].to, NULL);

    fail_unless_equals_int (status, cases[i / 2].status);
    fail_unless (strstr (err, cases[i / 2].says) != NULL, "%s %u: %s", cmd,
        i / 2, err);
    fail_unless_equals_string (out, "");
  }
  {
    g_autofree gchar *err = NULL;
    fail_unless_equals_int (cs_test_csctl (NULL, &err, "export", uri, "cam1",
            "--from", "0", "--to", "1000", NULL), 2);
    fail_unless (strstr (err, "-o") != NULL, "%s", err);
  }
}

GST_END_TEST;

/* Device cam2 recorded around two events (30 fps, keyframe every 15
 * frames): 1 s of pre-roll, 2 s of minimum recording. */
static void
record_events (void)
{
  static const CsTestTrigger triggers[] = { {1, 1.0}, {2, 1.5}, {1, 8.0} };

  cs_test_record_events (store_dir, "cam2", T0, triggers,
      G_N_ELEMENTS (triggers));
}

GST_START_TEST (test_events)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *out = NULL, *err = NULL, *json = NULL;
  g_autofree gchar *m3u8 = g_build_filename (store_dir, "ev.m3u8", NULL);
  g_autofree gchar *mp4 = g_build_filename (store_dir, "ev.mp4", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *events;
  CsProbe probe;

  record_events ();
  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", uri, "cam2",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          NULL), 0);
  /* 0 s to 5.5 s and 7 s to 12 s; the second event's id is its trigger. */
  fail_unless (strstr (out, "2 recorded spans") != NULL, "%s", out);
  fail_unless (strstr (out, "2 events") != NULL, "%s", out);
  fail_unless (strstr (out, "motion+person") != NULL, "%s", out);
  fail_unless (strstr (out, "1700000008000") != NULL, "%s", out);

  fail_unless_equals_int (cs_test_csctl (&json, NULL, "ls", uri, "cam2",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          "--json", NULL), 0);
  fail_unless (json_parser_load_from_data (parser, json, -1, NULL));
  events = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "events");
  fail_unless_equals_int (json_array_get_length (events), 2);
  fail_unless_equals_int (json_object_get_int_member
      (json_array_get_object_element (events, 0), "triggers"), 3);
  /* Pictures made by cssink, even for an event over before its picture
   * was (the stream runs faster than real time here). */
  for (guint i = 0; i < 2; i++)
    fail_unless (g_str_has_suffix (json_object_get_string_member
            (json_array_get_object_element (events, i), "snapshot"),
            "/snapshot.jpg"));

  /* One event: its playlist and its MP4, every frame of it (7 s to 12 s,
   * the keyframe before trigger - pre-roll to the one after + 4 s). */
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", uri, "cam2",
          "--event", "1700000008000", "-o", m3u8, NULL), 0);
  fail_unless_equals_int (cs_test_hls_video_frames (m3u8), 150);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", uri, "cam2",
          "--event", "1700000008000", "-o", mp4, NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &probe));
  fail_unless_equals_int (probe.frames, 150);
}

GST_END_TEST;

/* A corrupt event.json is named and skipped, the rest still listed, the exit
 * status says so; a playlist with a missing segment is refused. */
GST_START_TEST (test_broken_events)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *json = g_build_filename (store_dir,
      "cam2/ev/20231114/1700000001000/event.json", NULL);
  g_autofree gchar *seg = g_build_filename (store_dir,
      "cam2/ev/20231114/1700000008000/1700000007000_1000.mp4", NULL);
  g_autofree gchar *out = NULL, *err = NULL, *err2 = NULL;

  record_events ();
  fail_unless (g_file_set_contents (json, "{\"id\": 12", -1, NULL));
  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", uri, "cam2",
          "--from", "2023-11-14T22:13:00Z", "--to", "2023-11-14T22:14:00Z",
          NULL), 1);
  fail_unless (strstr (err, "1700000001000/event.json is not a valid") !=
      NULL, "%s", err);
  fail_unless (strstr (out, "1 events") != NULL, "%s", out);
  g_clear_pointer (&err, g_free);
  fail_unless_equals_int (cs_test_csctl (NULL, &err, "playlist", uri, "cam2",
          "--event", "1700000001000", NULL), 1);
  fail_unless (strstr (err, "not a valid event.json") != NULL, "%s", err);

  fail_unless_equals_int (g_unlink (seg), 0);
  fail_unless_equals_int (cs_test_csctl (NULL, &err2, "playlist", uri, "cam2",
          "--event", "1700000008000", NULL), 1);
  fail_unless (strstr (err2, "1700000007000_1000.mp4 is missing") != NULL,
      "%s", err2);
}

GST_END_TEST;

/* GET @url: its status, and its body in @body. */
static guint
http_get (SoupSession * session, const gchar * url, gchar ** body)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) bytes = soup_session_send_and_read (session, msg, NULL,
      NULL);

  fail_unless (bytes != NULL, "no answer from %s", url);
  *body = g_strndup (g_bytes_get_size (bytes) ?
      g_bytes_get_data (bytes, NULL) : "", g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* csctl serve: its API over HTTP, then its page in Debian's headless
 * chromium (web/test/viewer.test.mjs, playwright-core), which keeps a
 * screenshot in the build directory. */
GST_START_TEST (test_serve)
{
  const gchar *web = g_getenv ("CS_TEST_WEB_DIR");
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *base = NULL, *body = NULL, *url = NULL;
  g_autofree gchar *script = NULL, *shot = NULL, *out = NULL, *err = NULL;
  g_autofree gchar *modules = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  gboolean require = g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1")
      == 0;
  gint status;

  record_events ();
  server = cs_test_csctl_serve (NULL, NULL, uri, NULL, NULL, &base);

  url = g_strconcat (base, "api/ls?device=cam2&from=2023-11-14T22:13:00Z&"
      "to=2023-11-14T22:14:00Z", NULL);
  fail_unless_equals_int (http_get (session, url, &body), 200);
  fail_unless (strstr (body, "\"1700000008000\"") != NULL, "%s", body);
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&body, g_free);
  url = g_strconcat (base, "api/playlist.m3u8?device=cam2&event="
      "1700000008000", NULL);
  fail_unless_equals_int (http_get (session, url, &body), 200);
  fail_unless (strstr (body, "\n/store/cam2/ev/20231114/1700000008000/")
      != NULL, "%s", body);
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&body, g_free);
  /* Nothing but the store's own keys and the page's files. */
  for (const gchar ** bad = (const gchar *[]) {
        "store/cam2/..%2F..%2Fetc/passwd", "store/%2Fetc%2Fpasswd",
        "api/ls", "api/ls?device=..", "api/playlist.m3u8?device=cam2&"
        "event=999", "secret.txt", NULL}; *bad; bad++) {
    url = g_strconcat (base, *bad, NULL);
    status = http_get (session, url, &body);
    fail_unless (status == 400 || status == 404, "%s: %d", *bad, status);
    /* libsoup itself refuses an encoded "/" or ".." in a path, bodiless. */
    fail_unless (body[0] == '\0' || strstr (body, "\"error\"") != NULL,
        "%s: %s", *bad, body);
    g_clear_pointer (&url, g_free);
    g_clear_pointer (&body, g_free);
  }

  modules = g_build_filename (web, "node_modules", "playwright-core", NULL);
  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_EXISTS)
      || !g_file_test (modules, G_FILE_TEST_IS_DIR)) {
    fail_if (require, "chromium or web/node_modules is missing "
        "(scripts/setup.sh --tests installs them)");
    g_subprocess_force_exit (server);
    return;
  }
  script = g_build_filename (web, "test", "viewer.test.mjs", NULL);
  shot = g_build_filename (g_getenv ("CS_TEST_ARTIFACTS"), "viewer.png",
      NULL);
  {
    const gchar *argv[] = { "node", script, base, "cam2", "2023-11-14", shot,
      "2", "2", NULL
    };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
  }
  g_subprocess_force_exit (server);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s%s", out, err);
  fail_unless (g_file_test (shot, G_FILE_TEST_EXISTS));
}

GST_END_TEST;

static Suite *
csctl_suite (void)
{
  Suite *s = suite_create ("csctl");
  TCase *tc = tcase_create ("file-store");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_playlist_over_a_gap);
  tcase_add_test (tc, test_playlist_range);
  tcase_add_test (tc, test_ls_spans_and_gaps);
  tcase_add_test (tc, test_export_all);
  tcase_add_test (tc, test_export_range);
  tcase_add_test (tc, test_activate_deactivate);
  tcase_add_test (tc, test_bad_requests);
  tcase_add_test (tc, test_events);
  tcase_add_test (tc, test_broken_events);
  tcase_add_test (tc, test_serve);
  return s;
}

GST_CHECK_MAIN (csctl);
