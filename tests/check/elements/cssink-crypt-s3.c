/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An encrypted recording in a real S3 store (Ceph RGW, started by
 * tests/run-tests.sh): whoever reads the bucket sees ciphertext only (every
 * segment, event.json, index.m3u8 and picture), and with the key every
 * frame comes back: the segments decrypted and demuxed, a csctl playlist of
 * presigned URLs played by ffmpeg with the key, a csctl export. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "cs-crypt.h"
#include "cs-store.h"
#include "cs-test-crypt.h"
#include "cs-test-csctl.h"
#include "cs-test-util.h"

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */
#define FROM "2023-11-14T22:13:00Z"
#define TO "2023-11-14T22:14:00Z"

static const gchar *endpoint, *access_key, *secret_key, *bucket;
static gchar *dir;

/* The Content-Type the store gives @key (a GET of its presigned URL). */
static gchar *
stored_type (CsStore * store, const gchar * key)
{
  g_autofree gchar *url = cs_store_get_url (store, key, 60, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GInputStream) in = soup_session_send (session, msg, NULL, NULL);

  fail_unless (in != NULL && soup_message_get_status (msg) == 200, "%s",
      key);
  return g_strdup (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL));
}

static void
setup (void)
{
  const gchar *const names[] = { "CS_TEST_S3_ENDPOINT",
    "CS_TEST_S3_ACCESS_KEY", "CS_TEST_S3_SECRET_KEY", "CS_TEST_S3_BUCKET",
    NULL
  };

  cs_test_require_env (names);
  endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  bucket = cs_test_env ("CS_TEST_S3_BUCKET");
  /* For csctl. */
  g_setenv ("AWS_ACCESS_KEY_ID", access_key, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", secret_key, TRUE);
  dir = g_dir_make_tmp ("cs-crypt-s3-XXXXXX", NULL);
}

static void
teardown (void)
{
  cs_test_remove_tree (dir);
  g_clear_pointer (&dir, g_free);
}

GST_START_TEST (test_s3_holds_ciphertext)
{
  static const CsTestTrigger triggers[] = { {1, 1.0} };
  CsTestTimeline tl = { triggers, 1, T0 };
  g_autofree gchar *prefix = g_strdup_printf ("crypt-%" G_GINT64_FORMAT,
      g_get_real_time ());
  g_autofree gchar *uri = g_strdup_printf ("s3://%s/%s", bucket, prefix);
  g_autofree gchar *keys = cs_test_write_key_file (dir, "keys",
      CS_TEST_KEY_FILE_TEXT, 0600);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc "
      "key-int-max=15 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g mode=mark pre-roll=1000000000 min-record-time=4 "
      "event-interval=4 ! cssink name=s location=%s endpoint=%s "
      "access-key=%s secret-key=%s device-id=cam1 "
      "segment-duration=1000000000 container=mpegts encryption-key-file=%s",
      uri, endpoint, access_key, secret_key, keys);
  CsStoreConfig config = {.endpoint = endpoint,.access_key = access_key,
    .secret_key = secret_key
  };
  g_autoptr (CsStore) store = cs_store_new (uri, &config, NULL);
  g_autoptr (CsKeyring) keyring = cs_keyring_load (keys, NULL);
  g_autoptr (GPtrArray) objects = NULL;
  g_autofree gchar *m3u8 = g_build_filename (dir, "all.m3u8", NULL);
  g_autofree gchar *mp4 = g_build_filename (dir, "all.mp4", NULL);
  g_autofree gchar *raw = g_build_filename (dir, "7.key", NULL);
  g_autofree gchar *key_uri = g_strdup_printf ("file://%s/{id}.key", dir);
  g_autofree gchar *err = NULL;
  guint segments = 0, video = 0, events = 0;
  CsProbe probe;
  CsRun run;

  fail_unless (store != NULL && keyring != NULL);
  cs_test_run (desc, 0, 120, cs_test_timeline_tick, &tl, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "");
  cs_run_clear (&run);

  /* What the bucket holds: ciphertext, which the key turns back. */
  objects = cs_store_list (store, "cam1/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects,
            i))->key;
    g_autoptr (GBytes) stored = cs_store_get (store, key, NULL, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) plain = NULL;

    fail_unless (stored != NULL, "%s", key);
    cs_test_assert_ciphertext (stored, key);
    plain = cs_crypt_read (keyring, key, stored, &error);
    fail_unless (plain != NULL, "%s: %s", key, error ? error->message : "");
    if (g_str_has_suffix (key, "_k7.ts")) {
      CsMediaInfo info;

      fail_unless (cs_test_read_ts (plain, &info), "%s", key);
      fail_unless (info.first_video_is_keyframe);
      video += info.video_frames;
      segments++;
      cs_media_info_clear (&info);
    } else {
      g_autofree gchar *type = stored_type (store, key);

      /* Not what it was (application/json, image/jpeg...). */
      fail_unless_equals_string (type, "application/octet-stream");
      events += g_str_has_suffix (key, "/event.json")
          || g_str_has_suffix (key, "/index.m3u8")
          || g_str_has_suffix (key, "/snapshot.jpg");
    }
  }
  fail_unless_equals_int (video, 150);
  fail_unless (segments >= 5);
  fail_unless_equals_int (events, 3);

  /* A player with the key: presigned URLs, the key a local file. */
  cs_test_write_raw_key (raw, CS_TEST_KEY_7);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "playlist", uri, "cam1",
          "--endpoint", endpoint, "--from", FROM, "--to", TO, "--key-uri",
          key_uri, "-o", m3u8, NULL), 0);
  fail_unless_equals_int (cs_test_ffprobe_hls_frames (m3u8), 150);
  fail_unless_equals_int (cs_test_csctl (NULL, NULL, "export", uri, "cam1",
          "--endpoint", endpoint, "--from", FROM, "--to", TO, "--key-file",
          keys, "-o", mp4, NULL), 0);
  fail_unless (cs_test_ffprobe (mp4, "v:0", &probe));
  fail_unless_equals_int (probe.frames, 150);
  /* Without the key: a clear refusal. */
  fail_unless_equals_int (cs_test_csctl (NULL, &err, "export", uri, "cam1",
          "--endpoint", endpoint, "--from", FROM, "--to", TO, "-o", mp4, NULL),
      1);
  fail_unless (strstr (err, "is encrypted with key 7: give its key file") !=
      NULL, "%s", err);
}

GST_END_TEST;

static Suite *
cssink_crypt_s3_suite (void)
{
  Suite *s = suite_create ("cssink-crypt-s3");
  TCase *tc = tcase_create ("s3");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_s3_holds_ciphertext);
  return s;
}

GST_CHECK_MAIN (cssink_crypt_s3);
