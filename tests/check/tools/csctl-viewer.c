/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The viewer of csctl serve as a user works it, in headless chromium
 * (web/test/viewer-ui.test.mjs): the day's timeline in the browser's time
 * zone and in UTC, zoom, hover, click to play from an instant, events by
 * trigger with keyboard and filter, export to MP4 with progress (the MP4
 * read back by ffprobe), 1002 devices a page at a time, and live viewing
 * of a recording that runs while the page plays (a live videotestsrc !
 * x264enc ! cssink into the same file:// store).  Screenshots are kept in the build
 * directory (viewer-*.png). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-csctl.h"
#include "cs-test-proxy.h"
#include "cs-test-util.h"

#include <libsoup/soup.h>

#include <signal.h>
#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

static gchar *store_dir;

/* cam2: an event of motion and person (0 s to 5.5 s), then one of sound
 * (7 s to 12 s), with pictures; segments of 1 s. */
static void
record_two_events (void)
{
  static const CsTestTrigger triggers[] = { {1, 1.0}, {2, 1.5}, {4, 8.0} };

  cs_test_record_events (store_dir, "cam2", T0, triggers,
      G_N_ELEMENTS (triggers));
}

/* A live camera recording into the store until stop_live (in this
 * process: a gst-launch-1.0 of the system cannot load a plugin built with
 * the sanitizers). */
static GstElement *
record_live (void)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
      "h264parse ! cssink location=file://%s device-id=live1 "
      "segment-duration=1000000000", store_dir);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  return pipeline;
}

static void
stop_live (GstElement * pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = NULL;

  gst_element_send_event (pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the live recording did not end well");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

static guint
count_segments (CsStore * store, const gchar * prefix)
{
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, NULL);
  guint n = 0;

  for (guint i = 0; objects && i < objects->len; i++)
    n += g_str_has_suffix (((CsStoreObject *) g_ptr_array_index (objects,
                i))->key, ".mp4");
  return n;
}

/* csctl serve of @uri (NULL: the file store), with @args (NULL-terminated),
 * on a port of its own, its temporary files in @tmp; its base URL in
 * @base. */
static GSubprocess *
serve_store (const gchar * uri, const gchar * tmp, gchar ** base, ...)
{
  g_autofree gchar *file_uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) extra = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;

  va_start (ap, base);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (extra, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (extra, NULL);
  g_subprocess_launcher_setenv (launcher, "TMPDIR", tmp, TRUE);
  return cs_test_csctl_serve (launcher, NULL, uri ? uri : file_uri,
      (const gchar * const *) extra->pdata, NULL, base);
}

#define serve(tmp, base) serve_store (NULL, tmp, base, NULL)

/* No file in @dir. */
static gboolean
is_empty (const gchar * dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);

  return d != NULL && g_dir_read_name (d) == NULL;
}

GST_START_TEST (test_viewer)
{
  const gchar *web = g_getenv ("CS_TEST_WEB_DIR");
  const gchar *artifacts = g_getenv ("CS_TEST_ARTIFACTS");
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *modules = g_build_filename (web, "node_modules",
      "playwright-core", NULL);
  g_autofree gchar *script = g_build_filename (web, "test",
      "viewer-ui.test.mjs", NULL);
  g_autofree gchar *tmp = g_dir_make_tmp ("csctl-viewer-tmp-XXXXXX", NULL);
  g_autofree gchar *mp4 = g_build_filename (tmp, "export.mp4", NULL);
  g_autofree gchar *base = NULL, *out = NULL, *err = NULL;
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  g_autoptr (GSubprocess) server = NULL;
  GstElement *camera;
  gint64 deadline;
  CsProbe probe;
  gint status;

  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_EXISTS)
      || !g_file_test (modules, G_FILE_TEST_IS_DIR)) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "chromium or web/node_modules is missing (scripts/setup.sh --tests "
        "installs them)");
    return;
  }
  record_two_events ();
  for (guint i = 0; i < 1000; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s/cam-%04u", store_dir, i);
    fail_unless (g_mkdir (name, 0755) == 0);
  }
  camera = record_live ();
  /* The live playlist has the newest segments once there are a few. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (count_segments (store, "live1/rec/") < 4
      && g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 5);
  fail_unless (count_segments (store, "live1/rec/") >= 4,
      "the live recording stored nothing");

  server = serve (tmp, &base);
  {
    const gchar *argv[] = { "node", script, base, artifacts, mp4, NULL };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
  }
  stop_live (camera);
  g_subprocess_send_signal (server, SIGTERM);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s%s", out, err);
  /* The exported event: every frame of 7 s to 12 s. */
  fail_unless (cs_test_ffprobe (mp4, "v:0", &probe));
  fail_unless_equals_int (probe.frames, 150);
  fail_unless (g_unlink (mp4) == 0);
  /* Stopped by a signal, serve exits (not killed by it; under
   * LeakSanitizer, with nothing leaked) and removes its exports. */
  fail_unless (g_subprocess_wait (server, NULL, NULL));
  fail_unless (g_subprocess_get_if_exited (server)
      && g_subprocess_get_exit_status (server) == 0);
  fail_unless (is_empty (tmp), "csctl serve left files in %s", tmp);
  cs_test_remove_tree (tmp);
}

GST_END_TEST;

/* Empty segment files of cam1, @seconds[i] s after @base_ms, 1 s each. */
static void
put_segments (gint64 base_ms, const guint * seconds, guint n)
{
  for (guint i = 0; i < n; i++) {
    gint64 start = base_ms + seconds[i] * 1000;
    g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (start / 1000);
    g_autofree gchar *hour = g_date_time_format (t, "%Y%m%d/%H");
    g_autofree gchar *dir = g_strdup_printf ("%s/cam1/rec/%s", store_dir,
        hour);
    g_autofree gchar *path = g_strdup_printf ("%s/%" G_GINT64_FORMAT
        "_1000.ts", dir, start);

    fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
    fail_unless (g_file_set_contents (path, "", 0, NULL));
  }
}

/* @method @path with @origin (NULL: none); the status, the body in @body. */
static guint
request (SoupSession * session, const gchar * method, const gchar * base,
    const gchar * path, const gchar * origin, gchar ** body)
{
  g_autofree gchar *url = g_strconcat (base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;

  if (origin != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Origin", origin);
  bytes = soup_session_send_and_read (session, msg, NULL, NULL);
  *body = g_strndup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* The live playlist: its media and discontinuity sequence numbers, and
 * the seconds after @base_ms of its segments ("4 5 6 | 8": '|' for a
 * discontinuity). */
static guint
get_live (SoupSession * session, const gchar * base, gint64 base_ms,
    guint64 * media, guint64 * disc, gchar ** segments)
{
  g_autofree gchar *text = NULL;
  guint status = request (session, "GET", base, "api/live.m3u8?device=cam1",
      NULL, &text);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *seen = g_string_new (NULL);

  *media = *disc = G_MAXUINT64;
  for (gchar ** l = lines; *l; l++) {
    const gchar *key = strrchr (*l, '/');

    if (g_str_has_prefix (*l, "#EXT-X-MEDIA-SEQUENCE:"))
      *media = g_ascii_strtoull (strchr (*l, ':') + 1, NULL, 10);
    else if (g_str_has_prefix (*l, "#EXT-X-DISCONTINUITY-SEQUENCE:"))
      *disc = g_ascii_strtoull (strchr (*l, ':') + 1, NULL, 10);
    else if (g_str_equal (*l, "#EXT-X-DISCONTINUITY"))
      g_string_append (seen, "| ");
    else if (g_str_has_prefix (*l, "/store/cam1/rec/") && key)
      g_string_append_printf (seen, "%" G_GINT64_FORMAT " ",
          (g_ascii_strtoll (key + 1, NULL, 10) - base_ms) / 1000);
  }
  fail_if (strstr (text, "#EXT-X-ENDLIST"), "%s", text);
  *segments = g_string_free (seen, FALSE);
  return status;
}

/* A player reloads the live playlist and finds its place by the segments'
 * numbers: each segment keeps its number, new ones count on one by one,
 * a gap is a discontinuity counted when it leaves the window, and a
 * segment uploaded late (older than one numbered already) is left out. */
GST_START_TEST (test_live_numbering)
{
  static const guint start[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  static const guint gap[] = { 10, 11, 13 };
  static const guint late[] = { 12, 14 };
  static const guint on[] = { 15, 16, 17, 18, 19, 20 };
  g_autofree gchar *tmp = g_dir_make_tmp ("csctl-viewer-tmp-XXXXXX", NULL);
  g_autofree gchar *base = NULL, *segs = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GSubprocess) server = NULL;
  gint64 base_ms = (g_get_real_time () / 1000 - 60000) / 1000 * 1000;
  guint64 media, disc, s4;

  put_segments (base_ms - 3600 * 1000, start, 1);       /* long ago */
  server = serve (tmp, &base);
  fail_unless_equals_int (get_live (session, base, base_ms, &media, &disc,
          &segs), 404);
  g_clear_pointer (&segs, g_free);

  put_segments (base_ms, start, G_N_ELEMENTS (start));
  fail_unless_equals_int (get_live (session, base, base_ms, &s4, &disc,
          &segs), 200);
  fail_unless_equals_string (segs, "4 5 6 7 8 9 ");
  fail_unless_equals_uint64 (s4, (base_ms + 4000) / 1000);
  fail_unless_equals_uint64 (disc, 0);
  g_clear_pointer (&segs, g_free);

  put_segments (base_ms, gap, G_N_ELEMENTS (gap));
  get_live (session, base, base_ms, &media, &disc, &segs);
  fail_unless_equals_string (segs, "7 8 9 10 11 | 13 ");
  fail_unless_equals_uint64 (media, s4 + 3);
  fail_unless_equals_uint64 (disc, 0);
  g_clear_pointer (&segs, g_free);

  put_segments (base_ms, late, G_N_ELEMENTS (late));
  get_live (session, base, base_ms, &media, &disc, &segs);
  fail_unless_equals_string (segs, "9 10 11 | 13 14 ");
  fail_unless_equals_uint64 (media, s4 + 5);
  g_clear_pointer (&segs, g_free);

  put_segments (base_ms, on, G_N_ELEMENTS (on));
  get_live (session, base, base_ms, &media, &disc, &segs);
  fail_unless_equals_string (segs, "15 16 17 18 19 20 ");
  fail_unless_equals_uint64 (media, s4 + 10);
  fail_unless_equals_uint64 (disc, 1);
  g_clear_pointer (&segs, g_free);

  /* Killed, a serve that exported nothing leaves nothing behind. */
  g_subprocess_force_exit (server);
  fail_unless (g_subprocess_wait (server, NULL, NULL));
  fail_unless (is_empty (tmp), "csctl serve left files in %s", tmp);
  cs_test_remove_tree (tmp);
}

GST_END_TEST;

/* An export is started by the page only (a page of another site, or a
 * request without an Origin, cannot make the machine export); a bad
 * request says what is wrong; a failed export says why. */
GST_START_TEST (test_export_refusals)
{
  g_autofree gchar *tmp = g_dir_make_tmp ("csctl-viewer-tmp-XXXXXX", NULL);
  g_autofree gchar *base = NULL, *origin = NULL, *body = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GSubprocess) server = NULL;
  const gchar *range = "api/export?device=cam1&from=1700000000000&"
      "to=1700000060000";
  gchar *id;
  gint64 deadline;

  server = serve (tmp, &base);
  origin = g_strndup (base, strlen (base) - 1);
  fail_unless_equals_int (request (session, "POST", base, range, NULL,
          &body), 403);
  g_clear_pointer (&body, g_free);
  fail_unless_equals_int (request (session, "POST", base, range,
          "http://evil.example", &body), 403);
  fail_unless (strstr (body, "from the page") != NULL, "%s", body);
  g_clear_pointer (&body, g_free);
  fail_unless_equals_int (request (session, "POST", base,
          "api/export?device=..&from=0&to=1", origin, &body), 400);
  g_clear_pointer (&body, g_free);
  fail_unless_equals_int (request (session, "GET", base,
          "api/export?id=nothing", NULL, &body), 404);
  g_clear_pointer (&body, g_free);

  /* Nothing recorded: the export fails, and says so. */
  fail_unless_equals_int (request (session, "POST", base, range, origin,
          &body), 202);
  id = strstr (body, "\"id\" : \"");
  fail_unless (id != NULL, "%s", body);
  id = g_strdup_printf ("api/export?id=%.16s", id + strlen ("\"id\" : \""));
  g_clear_pointer (&body, g_free);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  do {
    g_clear_pointer (&body, g_free);
    g_usleep (G_USEC_PER_SEC / 5);
    fail_unless_equals_int (request (session, "GET", base, id, NULL, &body),
        200);
  } while (strstr (body, "running") && g_get_monotonic_time () < deadline);
  fail_unless (strstr (body, "\"failed\"") && strstr (body,
          "no recording of cam1"), "%s", body);
  g_free (id);

  g_subprocess_send_signal (server, SIGTERM);
  fail_unless (g_subprocess_wait (server, NULL, NULL));
  fail_unless (is_empty (tmp));
  cs_test_remove_tree (tmp);
}

GST_END_TEST;

/* 1001 devices in a bucket, one of them with 2500 segments: a page of
 * the device list is one request to S3, whatever lies below the devices
 * (the whole bucket was listed, 4 requests of 1000 keys, for each page
 * load).  Counted at a proxy in front of the real S3 server. */
GST_START_TEST (test_devices_s3)
{
  const gchar *endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  g_autofree gchar *tmp = NULL;
  g_autofree gchar *prefix = g_strdup_printf ("devices-%" G_GINT64_FORMAT,
      g_get_real_time ());
  g_autofree gchar *uri = NULL, *proxy_uri = NULL, *base = NULL;
  g_autofree gchar *body = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (CsStore) store = NULL;
  CsStoreConfig config = { 0 };
  CsTestProxyCounts before, after;
  CsTestProxy *proxy;

  if (endpoint == NULL) {
    fail_if (g_strcmp0 (g_getenv ("CS_TEST_REQUIRE_SERVERS"), "1") == 0,
        "CS_TEST_S3_ENDPOINT is not set");
    return;                     /* run alone, without tests/run-tests.sh */
  }
  tmp = g_dir_make_tmp ("csctl-viewer-tmp-XXXXXX", NULL);
  uri = g_strdup_printf ("s3://%s/%s", cs_test_env ("CS_TEST_S3_BUCKET"),
      prefix);
  config.endpoint = endpoint;
  config.access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  config.secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  store = cs_store_new (uri, &config, NULL);
  for (guint i = 0; i < 1000 + 2500; i++) {
    g_autofree gchar *key = i < 1000 ?
        g_strdup_printf ("cam-%04u/service.json", i) :
        g_strdup_printf ("cam-big/rec/20231114/22/%" G_GINT64_FORMAT
        "_1000.ts", T0 + (i - 1000) * 1000);
    fail_unless (cs_store_put (store, key, data, NULL, NULL, NULL));
  }

  g_setenv ("AWS_ACCESS_KEY_ID", config.access_key, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", config.secret_key, TRUE);
  proxy = cs_test_proxy_start (endpoint, 0, 1);
  proxy_uri = cs_test_proxy_uri (proxy);
  server = serve_store (uri, tmp, &base, "--endpoint", proxy_uri, NULL);
  cs_test_proxy_get_counts (proxy, &before);
  fail_unless_equals_int (request (session, "GET", base, "api/devices",
          NULL, &body), 200);
  cs_test_proxy_get_counts (proxy, &after);
  fail_unless (strstr (body, "\"cam-0000\"") && strstr (body,
          "\"next\" : \"cam-0499\""), "%s", body);
  fail_unless_equals_int (after.forwarded - before.forwarded, 1);
  g_clear_pointer (&body, g_free);
  fail_unless_equals_int (request (session, "GET", base,
          "api/devices?after=cam-0999", NULL, &body), 200);
  fail_unless (strstr (body, "[\n    \"cam-big\"\n  ]") && strstr (body,
          "\"next\" : null"), "%s", body);

  g_subprocess_send_signal (server, SIGTERM);
  fail_unless (g_subprocess_wait (server, NULL, NULL));
  cs_test_proxy_stop (proxy);
  cs_test_remove_tree (tmp);
}

GST_END_TEST;

static Suite *
csctl_viewer_suite (void)
{
  Suite *s = suite_create ("csctl-viewer");
  TCase *tc = tcase_create ("viewer");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_viewer);
  tcase_add_test (tc, test_live_numbering);
  tcase_add_test (tc, test_export_refusals);
  tcase_add_test (tc, test_devices_s3);
  return s;
}

GST_CHECK_MAIN (csctl_viewer);
