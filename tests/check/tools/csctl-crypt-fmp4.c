/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An encrypted recording in fragmented MP4 end to end (cssink
 * container=fmp4 encryption-key-file): the store holds nothing readable
 * (no MP4 box visible), HLS players with the key play it (GStreamer's
 * hlsdemux from a playlist csctl writes and from the event's own
 * index.m3u8, ffmpeg over HTTP from csctl serve, hls.js in chromium on
 * serve's page), csctl export decrypts it to an MP4 ffprobe reads with
 * every frame recorded, and a wrong or missing key fails clearly. */
#include <gst/check/gstcheck.h>

#include "cs-crypt.h"
#include "cs-test-crypt.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <signal.h>
#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */
#define FROM "2023-11-14T22:13:00Z"
#define TO "2023-11-14T22:14:00Z"
#define EVENT_DIR "cam2/ev/20231114/1700000001000/"
#define WRONG_KEY_TEXT "7 00112233445566778899aabbccddeeff\n"

static CsTestCryptStore st;

/* cam1: 2 s full-time (60 frames); cam2: an event (trigger at 1 s). */
static void
setup (void)
{
  cs_test_crypt_store_init (&st, "fmp4", T0);
}

static void
teardown (void)
{
  cs_test_crypt_store_clear (&st);
}

GST_START_TEST (test_store_holds_ciphertext)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint segments = 0;

  cs_test_assert_tree_ciphertext (st.store_dir, names);
  for (guint i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);

    fail_if (g_str_has_suffix (name, ".ts"), "%s", name);
    if (g_str_has_suffix (name, ".mp4")) {
      fail_unless (g_str_has_suffix (name, "_k7.mp4"), "%s", name);
      segments++;
    }
  }
  fail_unless (segments >= 4, "%u segments", segments);
  /* And the event's event.json, index.m3u8 and snapshot.jpg. */
  fail_unless_equals_int (names->len, segments + 3);
}

GST_END_TEST;

/* The event's own index.m3u8 (in an envelope in the store), decrypted
 * beside its segments with the key as the file it names: each segment's
 * init part and media part by their ranges, with their IVs. */
static gchar *
event_playlist (const gchar * raw_key_hex)
{
  g_autofree gchar *sealed_path = g_build_filename (st.store_dir, EVENT_DIR,
      "index.m3u8", NULL);
  g_autofree gchar *key_path = g_build_filename (st.store_dir, EVENT_DIR,
      "7.key", NULL);
  gchar *plain_path = g_build_filename (st.store_dir, EVENT_DIR, "plain.m3u8",
      NULL);
  g_autoptr (CsKeyring) keyring = cs_keyring_load (st.key_file, NULL);
  g_autoptr (GBytes) sealed = NULL, plain = NULL;
  gchar *data;
  gsize n;

  fail_unless (g_file_get_contents (sealed_path, &data, &n, NULL));
  sealed = g_bytes_new_take (data, n);
  plain = cs_crypt_read (keyring, EVENT_DIR "index.m3u8", sealed, NULL);
  fail_unless (plain != NULL);
  fail_unless (g_file_set_contents (plain_path, g_bytes_get_data (plain,
              NULL), g_bytes_get_size (plain), NULL));
  cs_test_write_raw_key (key_path, raw_key_hex);
  return plain_path;
}

static guint
count (const gchar * text, const gchar * what)
{
  guint n = 0;

  for (const gchar * at = text; (at = strstr (at, what)) != NULL; at++)
    n++;
  return n;
}

GST_START_TEST (test_hlsdemux_plays_with_the_key)
{
  g_autofree gchar *m3u8 = g_build_filename (st.dir, "all.m3u8", NULL);
  g_autofree gchar *raw = g_build_filename (st.dir, "7.key", NULL);
  g_autofree gchar *key_uri = g_strdup_printf ("file://%s/{id}.key", st.dir);
  g_autofree gchar *text = NULL, *event_text = NULL;
  g_autofree gchar *event = event_playlist (CS_TEST_KEY_7);
  guint maps;

  cs_test_write_raw_key (raw, CS_TEST_KEY_7);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-uri", key_uri, "-o",
          m3u8, NULL), 0);
  fail_unless (g_file_get_contents (m3u8, &text, NULL, NULL));
  maps = count (text, "BYTERANGE=\"4112@0\"");
  fail_unless (maps >= 2, "%s", text);
  fail_unless_equals_int (count (text, "#EXT-X-KEY:METHOD=AES-128"),
      2 * maps);
  fail_unless_equals_int (count (text, "@4112\n"), maps);
  fail_unless_equals_int (cs_test_hls_video_frames (m3u8), 60);

  /* The event's index.m3u8 states the same ranges (cssink knows the
   * sizes) and plays. */
  fail_unless (g_file_get_contents (event, &event_text, NULL, NULL));
  maps = count (event_text, "BYTERANGE=\"4112@0\"");
  fail_unless (maps >= 2, "%s", event_text);
  fail_unless_equals_int (count (event_text, "@4112\n"), maps);
  fail_unless (cs_test_hls_video_frames (event) >= 120);
  /* (A wrong key: hlsdemux 1.22 asserts on the padding it cannot read;
   * ffmpeg is given one below.) */
}

GST_END_TEST;

/* Video frames ffprobe decodes from csctl serve's playlist of cam1 (the
 * key from serve, asked as its page asks), or -1. */
static gint
ffprobe_served_frames (const gchar * keys)
{
  const gchar *extra[] = { "--key-file", keys, NULL };
  g_autofree gchar *base = NULL, *url = NULL, *headers = NULL, *out = NULL;
  g_autoptr (GSubprocess) server = cs_test_csctl_serve (NULL, NULL,
      st.store_uri, extra, NULL, &base);
  gint status;

  url = g_strconcat (base, "api/playlist.m3u8?device=cam1&from=" FROM
      "&to=" TO, NULL);
  headers = g_strdup_printf ("Origin: %.*s\r\n", (int) strlen (base) - 1,
      base);
  {
    const gchar *argv[] = { "ffprobe", "-v", "error", "-headers", headers,
      "-select_streams", "v:0", "-count_frames", "-show_entries",
      "stream=nb_read_frames", "-of", "csv=p=0", url, NULL
    };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
            &out, NULL, &status, NULL));
  }
  g_subprocess_force_exit (server);
  if (!g_spawn_check_wait_status (status, NULL))
    return -1;
  return atoi (out);
}

GST_START_TEST (test_ffmpeg_plays_over_http)
{
  g_autofree gchar *wrong = cs_test_write_key_file (st.dir, "wrong",
      WRONG_KEY_TEXT, 0600);

  fail_unless_equals_int (ffprobe_served_frames (st.key_file), 60);
  fail_unless (ffprobe_served_frames (wrong) <= 0);
}

GST_END_TEST;

GST_START_TEST (test_export_decrypts)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *mp4 = g_build_filename (st.dir, "event.mp4", NULL);
  g_autofree gchar *all = g_build_filename (st.dir, "all.mp4", NULL);
  g_autofree gchar *event_id = g_strdup_printf ("%" G_GINT64_FORMAT,
      T0 + 1000);
  g_autofree gchar *wrong = cs_test_write_key_file (st.dir, "wrong",
      WRONG_KEY_TEXT, 0600);
  CsProbe v;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "ls", st.store_uri, "cam1",
          "--from", FROM, "--to", TO, "--key-file", st.key_file, NULL), 0);
  fail_unless (strstr (out, "2.0 s in 2 segments") != NULL, "%s%s", out,
      err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-file", st.key_file, "-o",
          all, NULL), 0);
  fail_unless (cs_test_ffprobe (all, "v:0", &v));
  fail_unless_equals_int (v.frames, 60);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", st.store_uri,
          "cam2", "--event", event_id, "--key-file", st.key_file, "-o", mp4,
          NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &v));
  fail_unless (v.frames >= 120, "%d frames", v.frames);

  /* No key, a wrong key: said, and no key shown. */
  fail_unless_equals_int (cs_test_csctl (&out, &err, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "-o", all, NULL), 1);
  fail_unless (strstr (err, "encrypted with key 7: give its key file") !=
      NULL, "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  fail_unless_equals_int (cs_test_csctl (&out, &err, "export", st.store_uri,
          "cam1", "--from", FROM, "--to", TO, "--key-file", wrong, "-o", all,
          NULL), 1);
  fail_unless (strstr (err, "does not decrypt") != NULL, "%s", err);
  fail_if (strstr (err, "00112233") || strstr (err, "0a0b0c"), "%s", err);
}

GST_END_TEST;

/* node @script with @args (NULL-terminated): NULL, or when it failed what
 * it printed. */
static gchar *
run_node (const gchar * script, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *arg;
  gint status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "node");
  g_ptr_array_add (argv, (gpointer) script);
  va_start (ap, script);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, NULL))
    return g_strdup_printf ("%s did not run", script);
  if (!g_spawn_check_wait_status (status, NULL))
    return g_strdup_printf ("%s: %s%s", script, out, err);
  return NULL;
}

/* hls.js with the key serve gives its page: a range's playlist, and the
 * page itself playing the event from its card (with its picture). */
GST_START_TEST (test_hlsjs_plays_in_chromium)
{
  const gchar *web = g_getenv ("CS_TEST_WEB_DIR");
  const gchar *extra[] = { "--key-file", st.key_file, NULL };
  g_autofree gchar *modules = g_build_filename (web, "node_modules",
      "playwright-core", NULL);
  g_autofree gchar *play = g_build_filename (web, "test",
      "fmp4-play.test.mjs", NULL);
  g_autofree gchar *viewer = g_build_filename (web, "test",
      "viewer.test.mjs", NULL);
  g_autofree gchar *shot = g_build_filename (g_getenv ("CS_TEST_ARTIFACTS"),
      "viewer-encrypted-fmp4.png", NULL);
  g_autofree gchar *base = NULL, *playlist = NULL, *failed = NULL;
  g_autoptr (GSubprocess) server = NULL;

  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_EXISTS)
      || !g_file_test (modules, G_FILE_TEST_IS_DIR)) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "chromium or web/node_modules is missing (scripts/setup.sh --tests "
        "installs them)");
    g_print ("skipped: chromium or web/node_modules is missing\n");
    return;
  }
  server = cs_test_csctl_serve (NULL, NULL, st.store_uri, extra, NULL, &base);
  playlist = g_strconcat (base, "api/playlist.m3u8?device=cam1&from=" FROM
      "&to=" TO, NULL);
  /* 2 s recorded: past 1.5 s means the second segment played too. */
  failed = run_node (play, base, playlist, "1.5", NULL);
  if (failed == NULL)
    failed = run_node (viewer, base, "cam2", "2023-11-14", shot, "1", "1",
        NULL);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  fail_if (failed != NULL, "%s", failed);
}

GST_END_TEST;

static Suite *
csctl_crypt_fmp4_suite (void)
{
  Suite *s = suite_create ("csctl-crypt-fmp4");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_store_holds_ciphertext);
  tcase_add_test (tc, test_hlsdemux_plays_with_the_key);
  tcase_add_test (tc, test_ffmpeg_plays_over_http);
  tcase_add_test (tc, test_export_decrypts);
  tcase_add_test (tc, test_hlsjs_plays_in_chromium);
  return s;
}

GST_CHECK_MAIN (csctl_crypt_fmp4);
