/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libivcs' encryption_key_file (IVCS_ENCRYPTION_KEY_FILE): a key file
 * others may read is a configuration error that says why (and never shows
 * the key); with a good one, an event's segments and event.json are
 * ciphertext in the store that the key turns back into every frame. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "iv_cs.h"
#include "cs-crypt.h"
#include "cs-event-record.h"
#include "cs-store.h"
#include "cs-test-crypt.h"
#include "cs-test-util.h"
#include "ivcs-test.h"

static gchar *key_dir;

static void
setup (void)
{
  key_dir = g_dir_make_tmp ("ivcs-crypt-XXXXXX", NULL);
  /* Encrypted recordings are MPEG-TS (the TS form of HLS AES-128). */
  g_setenv ("IVCS_CONTAINER", "mpegts", TRUE);
}

static void
teardown (void)
{
  iv_cs_exit (1);
  g_unsetenv ("IVCS_ENCRYPTION_KEY_FILE");
  g_unsetenv ("IVCS_CONTAINER");
  cs_test_remove_tree (key_dir);
  g_clear_pointer (&key_dir, g_free);
}

GST_START_TEST (test_readable_key_file_refused)
{
  gchar *store = ivcs_test_store_new ("event-video");
  g_autofree gchar *keys = cs_test_write_key_file (key_dir, "keys",
      CS_TEST_KEY_FILE_TEXT, 0644);
  iv_cs_init_parm_s p = ivcs_test_parm ();

  g_setenv ("IVCS_ENCRYPTION_KEY_FILE", keys, TRUE);
  ivcs_test_watch_messages ();
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  fail_unless (ivcs_test_messages ("encryption_key_file") >= 1);
  fail_unless (ivcs_test_messages ("chmod 600") >= 1);
  fail_unless_equals_int (ivcs_test_messages (CS_TEST_KEY_7), 0);
  ivcs_test_store_free (store);
}

GST_END_TEST;

typedef struct {
  guint64 base;
  gboolean triggered;
} Plan;

static void
trigger_at_1s (const IvcsTestFrame * f, gpointer data)
{
  Plan *plan = data;

  if (!plan->triggered && f->ts_ms >= 1000) {
    plan->triggered = TRUE;
    fail_unless_equals_int (iv_cs_event_happen_notify (1, plan->base +
            f->ts_ms), IV_ERR_NONE);
  }
}

GST_START_TEST (test_event_encrypted)
{
  gchar *store_uri = ivcs_test_store_new ("event-video");
  g_autofree gchar *keys = cs_test_write_key_file (key_dir, "keys",
      CS_TEST_KEY_FILE_TEXT, 0600);
  g_autoptr (CsKeyring) keyring = cs_keyring_load (keys, NULL);
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (GPtrArray) segments = NULL, events = NULL;
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *frames = ivcs_test_frames (7, 0, "ball");
  Plan plan = { g_get_real_time () / 1000, FALSE };
  guint video, stored = 0;

  g_setenv ("IVCS_ENCRYPTION_KEY_FILE", keys, TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (500 * 1000);
  ivcs_test_push_all (frames, plan.base, trigger_at_1s, &plan, &video);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  segments = ivcs_test_keys (store_uri, "cam1/ev/", ".ts");
  events = ivcs_test_keys (store_uri, "cam1/ev/", "/event.json");
  fail_unless (segments->len >= 1);
  fail_unless_equals_int (events->len, 1);
  for (guint i = 0; i < segments->len; i++) {
    const gchar *key = g_ptr_array_index (segments, i);
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    g_autoptr (GBytes) plain = NULL;
    CsMediaInfo info;

    fail_unless (g_str_has_suffix (key, "_k7.ts"), "%s", key);
    cs_test_assert_ciphertext (data, key);
    plain = cs_crypt_read (keyring, key, data, NULL);
    fail_unless (plain != NULL && cs_test_read_ts (plain, &info), "%s", key);
    stored += info.video_frames;
    cs_media_info_clear (&info);
  }
  /* From a second before the trigger (the pre-roll's keyframe) on. */
  fail_unless (stored >= 100, "%u frames", stored);
  {
    const gchar *key = g_ptr_array_index (events, 0);
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    g_autoptr (GBytes) plain = NULL;
    g_autoptr (GError) error = NULL;
    CsEventRecord *r;

    cs_test_assert_ciphertext (data, key);
    plain = cs_crypt_read (keyring, key, data, &error);
    fail_unless (plain != NULL, "%s", error ? error->message : "");
    r = cs_event_record_parse (g_bytes_get_data (plain, NULL),
        g_bytes_get_size (plain), &error);
    fail_unless (r != NULL, "%s", error ? error->message : "");
    fail_unless (r->segments->len >= 1);
    cs_event_record_free (r);
  }
  ivcs_test_store_free (store_uri);
}

GST_END_TEST;

static Suite *
ivcs_crypt_suite (void)
{
  Suite *s = suite_create ("ivcs-crypt");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_readable_key_file_refused);
  tcase_add_test (tc, test_event_encrypted);
  return s;
}

GST_CHECK_MAIN (ivcs_crypt);
