/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hls.js plays fragmented MP4 segments (cssink container=fmp4) through
 * csctl serve's playlist in headless chromium
 * (web/test/fmp4-play.test.mjs): the init part by its #EXT-X-MAP range, the
 * media part by its #EXT-X-BYTERANGE, H.264 with AAC. */
#include <gst/check/gstcheck.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <signal.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

GST_START_TEST (test_hlsjs_plays_fmp4)
{
  const gchar *web = g_getenv ("CS_TEST_WEB_DIR");
  g_autofree gchar *dir = g_dir_make_tmp ("csctl-fmp4-play-XXXXXX", NULL);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", dir);
  g_autofree gchar *modules = g_build_filename (web, "node_modules",
      "playwright-core", NULL);
  g_autofree gchar *script = g_build_filename (web, "test",
      "fmp4-play.test.mjs", NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! x264enc "
      "key-int-max=30 speed-preset=ultrafast ! h264parse name=p ! "
      "cssink name=s location=%s device-id=cam container=fmp4 "
      "segment-duration=1000000000 audiotestsrc num-buffers=215 "
      "samplesperbuffer=1024 ! avenc_aac ! aacparse ! s.audio", uri);
  g_autofree gchar *base = NULL, *out = NULL, *err = NULL;
  g_autoptr (GSubprocess) server = NULL;
  gint64 t0 = T0;
  gint status;
  CsRun run;

  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_EXISTS)
      || !g_file_test (modules, G_FILE_TEST_IS_DIR)) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "chromium or web/node_modules is missing (scripts/setup.sh --tests "
        "installs them)");
    g_print ("skipped: chromium or web/node_modules is missing\n");
    goto out;
  }
  cs_test_run (desc, 0, 60, cs_test_stamp_unix_time, &t0, &run);
  fail_unless (run.eos && run.error == NULL);
  cs_run_clear (&run);
  server = cs_test_csctl_serve (NULL, NULL, uri, NULL, NULL, &base);
  {
    g_autofree gchar *playlist = g_strconcat (base, "api/playlist.m3u8?"
        "device=cam&from=2023-11-14T22:00:00Z&to=2023-11-14T23:00:00Z",
        NULL);
    /* 5 s recorded: past 4 s means the last segments played too. */
    const gchar *argv[] = { "node", script, base, playlist, "4", NULL };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
  }
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s%s", out, err);
  g_print ("%s", out);
out:
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static Suite *
fmp4_play_suite (void)
{
  Suite *s = suite_create ("csctl-fmp4-play");
  TCase *tc = tcase_create ("play");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_hlsjs_plays_fmp4);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (fmp4_play);
