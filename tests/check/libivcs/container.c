/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libivcs' container key: fmp4, the default, records fragmented MP4
 * segments (every frame pushed, each segment read alone by qtdemux), also
 * with encryption_key_file (then each segment ciphertext that the key turns
 * back into fMP4); container=mpegts MPEG-TS ones (tsdemux); a container it
 * does not know is a configuration error. */
#include <gst/check/gstcheck.h>

#include "iv_cs.h"
#include "ivcs-frames.h"
#include "ivcs-test.h"
#include "ivcs-test-frames.h"
#include "cs-crypt.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-crypt.h"
#include "cs-test-util.h"

static gchar *store_dir, *store_uri;
static gint starts;

static int32_t
on_start (void)
{
  g_atomic_int_inc (&starts);
  return 0;
}

static int32_t
on_stop (void)
{
  return 0;
}

static iv_cs_init_parm_s
parm (void)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();

  p.iv_cs_push_stream_start_cb = on_start;
  p.iv_cs_push_stream_stop_cb = on_stop;
  return p;
}

static void
setup (void)
{
  store_dir = g_dir_make_tmp ("ivcs-container-XXXXXX", NULL);
  store_uri = g_strdup_printf ("file://%s", store_dir);
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  g_setenv ("IVCS_AUDIO", "false", TRUE);
}

static void
teardown (void)
{
  iv_cs_exit (1);
  g_unsetenv ("IVCS_CONTAINER");
  g_unsetenv ("IVCS_ENCRYPTION_KEY_FILE");
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_uri, g_free);
}

/* Records with IVCS_CONTAINER=@container (NULL: not set), encrypted if
 * @encrypted, and checks the segments' kind. */
static void
record_and_check (const gchar * container, gboolean fmp4, gboolean encrypted)
{
  iv_cs_init_parm_s p = parm ();
  g_autoptr (GPtrArray) frames = ivcs_test_load_frames (8, FALSE);
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  g_autoptr (CsKeyring) keyring = NULL;
  guint64 base = g_get_real_time () / 1000;
  guint pushed = 0, stored = 0;

  if (container)
    g_setenv ("IVCS_CONTAINER", container, TRUE);
  if (encrypted) {
    g_autofree gchar *keys = cs_test_write_key_file (store_dir, "keys",
        CS_TEST_KEY_FILE_TEXT, 0600);

    keyring = cs_keyring_load (keys, NULL);
    g_setenv ("IVCS_ENCRYPTION_KEY_FILE", keys, TRUE);
  }
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  for (int i = 0; i < 100 && g_atomic_int_get (&starts) < 1; i++)
    g_usleep (50 * 1000);
  fail_unless (g_atomic_int_get (&starts) >= 1);
  for (guint i = 0; i < frames->len; i++) {
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (frames, i), NULL);
    ivcs_frame_header h;

    memcpy (&h, d, sizeof h);
    if (h.stream != 1)
      continue;
    iv_cm_venc_pack_s pack = { (uint8_t *) d + sizeof h, h.length,
      base + h.timestamp_ms,
      h.keyframe ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P, i
    };
    iv_cm_venc_stream_s v = { {&pack}, 1 };
    while (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264,
            &v) == IV_ERR_CS_QUEUE_FULL)
      g_usleep (2000);
    pushed++;
  }
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  store = cs_store_new (store_uri, NULL, NULL);
  objects = cs_store_list (store, "cam1/rec/", NULL, NULL);
  fail_unless (objects != NULL && objects->len >= 2);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects,
            i))->key;
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    CsMediaInfo info;

    fail_unless (cs_key_segment_is_fmp4 (key) == fmp4, "%s", key);
    if (keyring != NULL) {
      g_autoptr (GBytes) cipher = g_steal_pointer (&data);

      fail_unless (g_str_has_suffix (key, "_k7.mp4"), "%s", key);
      cs_test_assert_ciphertext (cipher, key);
      data = cs_crypt_read (keyring, key, cipher, NULL);
    }
    fail_unless (data && cs_test_read_ts (data, &info), "%s", key);
    fail_unless (info.first_video_is_keyframe, "%s", key);
    stored += info.video_frames;
    cs_media_info_clear (&info);
  }
  fail_unless_equals_int (stored, pushed);
}

/* The second time encrypted (it was a configuration error with fmp4). */
GST_START_TEST (test_fmp4)
{
  record_and_check ("fmp4", TRUE, __i__ == 1);
}

GST_END_TEST;

GST_START_TEST (test_default_is_fmp4)
{
  record_and_check (NULL, TRUE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_mpegts)
{
  record_and_check ("mpegts", FALSE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_unknown_container)
{
  iv_cs_init_parm_s p = parm ();

  g_setenv ("IVCS_CONTAINER", "mkv", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
}

GST_END_TEST;

static Suite *
container_suite (void)
{
  Suite *s = suite_create ("ivcs-container");
  TCase *tc = tcase_create ("container");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_fmp4, 0, 2);
  tcase_add_test (tc, test_default_is_fmp4);
  tcase_add_test (tc, test_mpegts);
  tcase_add_test (tc, test_unknown_container);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (container);
