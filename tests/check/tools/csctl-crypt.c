/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An encrypted recording end to end: cssink encryption-key-file stores
 * nothing readable (segments, event.json, index.m3u8, snapshot.jpg), an
 * HLS player with the key plays it (ffmpeg and GStreamer's hlsdemux, from
 * a playlist csctl writes), csctl ls/export read it with --key-file, a
 * wrong or missing key fails with a clear message, a key file others may
 * read is refused, and the key is never in a log. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-test-crypt.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <libsoup/soup.h>
#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */
#define FROM "2023-11-14T22:13:00Z"
#define TO "2023-11-14T22:14:00Z"
/* Key 7 with other bytes: the wrong key. */
#define WRONG_KEY_TEXT "7 00112233445566778899aabbccddeeff\n"
#define VIDEO(n) "videotestsrc num-buffers=" #n " ! " \
  "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc " \
  "key-int-max=15 bframes=0 speed-preset=ultrafast " \
  "option-string=scenecut=0 ! h264parse ! identity name=p ! "

static CsTestCryptStore st;

/* cam1: 2 s full-time (60 frames); cam2: an event (trigger at 1 s). */
static void
setup (void)
{
  cs_test_crypt_store_init (&st, "mpegts", T0);
}

static void
teardown (void)
{
  cs_test_crypt_store_clear (&st);
}

static guint
count_suffix (GPtrArray * names, const gchar * suffix)
{
  guint n = 0;

  for (guint i = 0; i < names->len; i++)
    n += g_str_has_suffix (g_ptr_array_index (names, i), suffix);
  return n;
}

GST_START_TEST (test_store_holds_ciphertext)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  cs_test_assert_tree_ciphertext (st.store_dir, names);
  /* Every segment names its key; the event's objects are all there. */
  fail_unless (count_suffix (names, ".ts") >= 4);
  fail_unless_equals_int (count_suffix (names, "_k7.ts"),
      count_suffix (names, ".ts"));
  fail_unless_equals_int (count_suffix (names, "event.json"), 1);
  fail_unless_equals_int (count_suffix (names, "index.m3u8"), 1);
  fail_unless_equals_int (count_suffix (names, "snapshot.jpg"), 1);
}

GST_END_TEST;

/* Any HLS player with the key: a playlist with the key as a local file. */
GST_START_TEST (test_players_play_with_the_key)
{
  g_autofree gchar *m3u8 = g_build_filename (st.dir, "all.m3u8", NULL);
  g_autofree gchar *raw = g_build_filename (st.dir, "7.key", NULL);
  g_autofree gchar *key_uri = g_strdup_printf ("file://%s/{id}.key", st.dir);
  g_autofree gchar *text = NULL;

  cs_test_write_raw_key (raw, CS_TEST_KEY_7);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-uri", key_uri, "-o",
          m3u8, NULL), 0);
  fail_unless (g_file_get_contents (m3u8, &text, NULL, NULL));
  fail_unless (strstr (text, "#EXT-X-KEY:METHOD=AES-128,URI=\"file://") !=
      NULL, "%s", text);
  fail_unless_equals_int (cs_test_ffprobe_hls_frames (m3u8), 60);
  fail_unless_equals_int (cs_test_hls_video_frames (m3u8), 60);

  /* The wrong key: no frames. */
  cs_test_write_raw_key (raw, "00112233445566778899aabbccddeeff");
  fail_unless (cs_test_ffprobe_hls_frames (m3u8) <= 0);
}

GST_END_TEST;

GST_START_TEST (test_ls_and_export_with_key_file)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *mp4 = g_build_filename (st.dir, "event.mp4", NULL);
  g_autofree gchar *all = g_build_filename (st.dir, "all.mp4", NULL);
  g_autofree gchar *event_id = g_strdup_printf ("%" G_GINT64_FORMAT,
      T0 + 1000);
  CsProbe v;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", st.store_uri, "cam2",
          "--from", FROM, "--to", TO, "--key-file", st.key_file, NULL), 0);
  fail_unless (strstr (out, event_id) != NULL, "%s%s", out, err);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", st.store_uri,
          "cam2", "--event", event_id, "--key-file", st.key_file, "-o", mp4,
          NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &v));
  fail_unless (v.frames >= 120, "%d frames", v.frames);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-file", st.key_file, "-o",
          all, NULL), 0);
  fail_unless (cs_test_ffprobe (all, "v:0", &v));
  fail_unless_equals_int (v.frames, 60);
}

GST_END_TEST;

/* A wrong or missing key says so, and never shows a key. */
GST_START_TEST (test_wrong_key_fails_clearly)
{
  g_autofree gchar *wrong = cs_test_write_key_file (st.dir, "wrong",
      WRONG_KEY_TEXT, 0600);
  g_autofree gchar *older = cs_test_write_key_file (st.dir, "older",
      "3 " CS_TEST_KEY_3 "\n", 0600);
  g_autofree gchar *mp4 = g_build_filename (st.dir, "x.mp4", NULL);
  gchar *out = NULL, *err = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", st.store_uri, "cam2",
          "--from", FROM, "--to", TO, NULL), 1);
  fail_unless (strstr (err, "encrypted with key 7: give its key file") !=
      NULL, "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", st.store_uri, "cam2",
          "--from", FROM, "--to", TO, "--key-file", wrong, NULL), 1);
  fail_unless (strstr (err, "does not decrypt with key 7") != NULL, "%s",
      err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  fail_unless_equals_int (cs_test_csctl (&out, &err, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-file", wrong, "-o", mp4,
          NULL), 1);
  fail_unless (strstr (err, "does not decrypt") != NULL, "%s", err);
  fail_if (strstr (err, "00112233") || strstr (err, "0a0b0c"), "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  fail_unless_equals_int (cs_test_csctl (&out, &err, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-file", older, "-o", mp4,
          NULL), 1);
  fail_unless (strstr (err, "encrypted with key 7, which the key file does "
          "not have") != NULL, "%s", err);
  g_free (out);
  g_free (err);
}

GST_END_TEST;

/* A key file group or others may read is refused, by cssink and csctl,
 * with a message that says why and shows no key. */
GST_START_TEST (test_readable_key_file_refused)
{
  g_autofree gchar *open_file = cs_test_write_key_file (st.dir, "open",
      CS_TEST_KEY_FILE_TEXT, 0644);
  g_autofree gchar *desc = g_strdup_printf (VIDEO (30) "cssink name=s "
      "location=%s device-id=cam3 encryption-key-file=%s", st.store_uri,
      open_file);
  g_autofree gchar *cam3 = g_build_filename (st.store_dir, "cam3", NULL);
  gchar *out = NULL, *err = NULL;
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error != NULL);
  fail_unless (strstr (run.error->message, "chmod 600") != NULL, "%s",
      run.error->message);
  fail_if (strstr (run.error->message, CS_TEST_KEY_7) != NULL);
  fail_if (run.error_debug && strstr (run.error_debug, CS_TEST_KEY_7));
  cs_run_clear (&run);
  fail_if (g_file_test (cam3, G_FILE_TEST_EXISTS));

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", st.store_uri, "cam1",
          "--from", FROM, "--to", TO, "--key-file", open_file, NULL), 1);
  fail_unless (strstr (err, "may be accessed by group or others") != NULL,
      "%s", err);
  g_free (out);
  g_free (err);
}

GST_END_TEST;

/* Every GStreamer log line at level 9 (GST_DEBUG=*:9, in this process: a
 * gst-launch-1.0 of the system cannot load a plugin built with the
 * sanitizers), each looked at for the keys. */
static gint log_lines, lines_with_key, lines_naming_segment;

static gboolean
has_key (const gchar * text)
{
  g_autofree gchar *lower = g_ascii_strdown (text, -1);

  return strstr (lower, CS_TEST_KEY_7) != NULL
      || strstr (lower, CS_TEST_KEY_3) != NULL;
}

static void
look_at_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  const gchar *text = gst_debug_message_get (message);
  g_autofree gchar *id = object ? gst_info_strdup_printf ("%" GST_PTR_FORMAT,
      object) : NULL;

  g_atomic_int_inc (&log_lines);
  if (text && strstr (text, "_k7.mp4"))
    g_atomic_int_inc (&lines_naming_segment);
  if ((text && has_key (text)) || (id && has_key (id)))
    g_atomic_int_inc (&lines_with_key);
}

GST_START_TEST (test_key_never_logged)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=45 ! "
      "video/x-raw,framerate=30/1,width=64,height=48 ! x264enc "
      "key-int-max=15 speed-preset=ultrafast ! h264parse ! cssink name=s "
      "location=%s device-id=cam4 segment-duration=500000000 "
      "encryption-key-file=%s", st.store_uri, st.key_file);
  CsRun run;

  log_lines = lines_with_key = lines_naming_segment = 0;
  /* Only here: printed, it would be megabytes of test log. */
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (look_at_log, NULL, NULL);
  gst_debug_set_threshold_from_string ("*:9", TRUE);
  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  gst_debug_set_threshold_from_string (g_getenv ("GST_DEBUG"), TRUE);
  gst_debug_remove_log_function (look_at_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  fail_unless (run.eos && run.error == NULL);
  cs_run_clear (&run);
  /* It did log everything, the stored segments' names too. */
  fail_unless (g_atomic_int_get (&log_lines) > 10000, "%d lines",
      g_atomic_int_get (&log_lines));
  fail_unless (g_atomic_int_get (&lines_naming_segment) > 0);
  fail_unless_equals_int (g_atomic_int_get (&lines_with_key), 0);
}

GST_END_TEST;

/* GET @base@path with @headers ("Name", "value", ..., NULL); the status,
 * the body in @body. */
static guint
get (SoupSession * session, const gchar * base, const gchar * path,
    GBytes ** body, ...)
{
  g_autofree gchar *url = g_strconcat (base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  const gchar *name;
  va_list ap;

  va_start (ap, body);
  while ((name = va_arg (ap, const gchar *)) != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        name, va_arg (ap, const gchar *));
  va_end (ap);
  *body = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless (*body != NULL, "no answer from %s", url);
  return soup_message_get_status (msg);
}

static gboolean
bytes_start_with (GBytes * b, const gchar * text)
{
  return g_bytes_get_size (b) >= strlen (text)
      && memcmp (g_bytes_get_data (b, NULL), text, strlen (text)) == 0;
}

/* csctl serve --key-file: the key to its own page only; event objects
 * decrypted, segments as stored; the page's export decrypts; the page
 * plays the event in chromium (hls.js decrypting with the key) and shows
 * its picture. */
GST_START_TEST (test_serve_plays_in_chromium)
{
  const gchar *web = g_getenv ("CS_TEST_WEB_DIR");
  const gchar *extra[] = { "--key-file", st.key_file, NULL };
  g_autofree gchar *base = NULL, *origin = NULL, *out = NULL, *err = NULL;
  g_autofree gchar *modules = NULL, *script = NULL, *shot = NULL;
  g_autofree gchar *event_path = g_strdup_printf ("store/cam2/ev/20231114/%"
      G_GINT64_FORMAT "/", T0 + 1000);
  g_autofree gchar *json_path = g_strconcat (event_path, "event.json", NULL);
  g_autofree gchar *jpeg_path = g_strconcat (event_path, "snapshot.jpg",
      NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GSubprocess) server = NULL;
  GBytes *body;
  gchar *playlist, *segment;
  guint8 key7[16];
  gint status;

  server = cs_test_csctl_serve (NULL, NULL, st.store_uri, extra, NULL, &base);
  origin = g_strndup (base, strlen (base) - 1);

  /* The key: to the page (its Origin, or a same-origin fetch) alone. */
  fail_unless_equals_int (get (session, base, "api/key?id=7", &body, NULL),
      403);
  g_bytes_unref (body);
  fail_unless_equals_int (get (session, base, "api/key?id=7", &body,
          "Origin", "http://evil.example", NULL), 403);
  g_bytes_unref (body);
  fail_unless_equals_int (get (session, base, "api/key?id=7", &body,
          "Sec-Fetch-Site", "cross-site", NULL), 403);
  g_bytes_unref (body);
  fail_unless_equals_int (get (session, base, "api/key?id=9", &body,
          "Origin", origin, NULL), 404);
  g_bytes_unref (body);
  fail_unless_equals_int (get (session, base, "api/key?id=7", &body,
          "Origin", origin, NULL), 200);
  for (guint i = 0; i < 16; i++)
    key7[i] = i;                /* CS_TEST_KEY_7 */
  fail_unless (g_bytes_get_size (body) == 16
      && memcmp (g_bytes_get_data (body, NULL), key7, 16) == 0);
  g_bytes_unref (body);

  /* The event's playlist names the key; its objects read decrypted, its
   * segments as stored. */
  fail_unless_equals_int (get (session, base, "api/playlist.m3u8?device="
          "cam2&from=" FROM "&to=" TO, &body, NULL), 200);
  playlist = g_strndup (g_bytes_get_data (body, NULL),
      g_bytes_get_size (body));
  g_bytes_unref (body);
  fail_unless (strstr (playlist, "#EXT-X-KEY:METHOD=AES-128,URI=\"/api/key?"
          "id=7\",IV=0x") != NULL, "%s", playlist);
  segment = strstr (playlist, "\n/store/");
  fail_unless (segment != NULL);
  *strchr (segment + 1, '\n') = '\0';
  fail_unless_equals_int (get (session, base, segment + 2, &body, NULL), 200);
  cs_test_assert_ciphertext (body, segment + 2);
  g_bytes_unref (body);
  g_free (playlist);
  fail_unless_equals_int (get (session, base, json_path, &body, NULL), 200);
  fail_unless (bytes_start_with (body, "{"));
  g_bytes_unref (body);
  fail_unless_equals_int (get (session, base, jpeg_path, &body, NULL), 200);
  fail_unless (bytes_start_with (body, "\xff\xd8"));
  g_bytes_unref (body);

  /* The page's export: serve's csctl export gets the key file too. */
  {
    g_autofree gchar *post = g_strdup_printf ("%sapi/export?device=cam2&"
        "event=%" G_GINT64_FORMAT, base, T0 + 1000);
    g_autoptr (SoupMessage) msg = soup_message_new ("POST", post);
    g_autoptr (GBytes) answer = NULL;
    g_autofree gchar *id = NULL, *state_path = NULL, *mp4_path = NULL;
    g_autofree gchar *mp4 = g_build_filename (st.dir, "page.mp4", NULL);
    const gchar *at;
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    CsProbe v;

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Origin", origin);
    answer = soup_session_send_and_read (session, msg, NULL, NULL);
    fail_unless_equals_int (soup_message_get_status (msg), 202);
    at = g_strstr_len (g_bytes_get_data (answer, NULL),
        g_bytes_get_size (answer), "\"id\"");
    fail_unless (at != NULL);
    at = strchr (at + 4, '"');
    id = g_strndup (at + 1, strcspn (at + 1, "\""));
    state_path = g_strdup_printf ("api/export?id=%s", id);
    for (;;) {
      fail_unless_equals_int (get (session, base, state_path, &body, NULL),
          200);
      if (g_strstr_len (g_bytes_get_data (body, NULL),
              g_bytes_get_size (body), "\"done\"") != NULL)
        break;
      fail_if (g_strstr_len (g_bytes_get_data (body, NULL),
              g_bytes_get_size (body), "\"failed\"") != NULL, "%.*s",
          (int) g_bytes_get_size (body), (char *) g_bytes_get_data (body,
              NULL));
      fail_unless (g_get_monotonic_time () < deadline);
      g_bytes_unref (body);
      g_usleep (G_USEC_PER_SEC / 5);
    }
    g_bytes_unref (body);
    mp4_path = g_strdup_printf ("api/export.mp4?id=%s", id);
    fail_unless_equals_int (get (session, base, mp4_path, &body, NULL), 200);
    fail_unless (g_file_set_contents (mp4, g_bytes_get_data (body, NULL),
            g_bytes_get_size (body), NULL));
    g_bytes_unref (body);
    fail_unless (cs_test_ffprobe (mp4, "v:0", &v));
    fail_unless (v.frames >= 120, "%d frames", v.frames);
  }

  modules = g_build_filename (web, "node_modules", "playwright-core", NULL);
  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_EXISTS)
      || !g_file_test (modules, G_FILE_TEST_IS_DIR)) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "chromium or web/node_modules is missing (scripts/setup.sh --tests "
        "installs them)");
    g_subprocess_force_exit (server);
    return;
  }
  script = g_build_filename (web, "test", "viewer.test.mjs", NULL);
  shot = g_build_filename (g_getenv ("CS_TEST_ARTIFACTS"),
      "viewer-encrypted.png", NULL);
  {
    const gchar *argv[] = { "node", script, base, "cam2", "2023-11-14", shot,
      "1", "1", NULL
    };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
  }
  g_subprocess_force_exit (server);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s%s", out, err);
}

GST_END_TEST;

static Suite *
csctl_crypt_suite (void)
{
  Suite *s = suite_create ("csctl-crypt");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_store_holds_ciphertext);
  tcase_add_test (tc, test_players_play_with_the_key);
  tcase_add_test (tc, test_ls_and_export_with_key_file);
  tcase_add_test (tc, test_wrong_key_fails_clearly);
  tcase_add_test (tc, test_readable_key_file_refused);
  tcase_add_test (tc, test_key_never_logged);
  tcase_add_test (tc, test_serve_plays_in_chromium);
  return s;
}

GST_CHECK_MAIN (csctl_crypt);
