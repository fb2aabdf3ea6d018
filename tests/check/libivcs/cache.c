/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libivcs' cache of 3 segments within 3 x u32MaxSizeInAGop, as the
 * reference documentation has it: the value is an estimate, so a segment
 * larger than it is still stored (the earliest gives way, never the newest),
 * and during an outage the most recent are kept. */
#include <gst/check/gstcheck.h>

#include "ivcs-test.h"
#include "cs-key.h"
#include "cs-test-server.h"

/* Every video frame pushed is stored, with segments of several times the
 * estimate, and the firmware hears once that they are larger. */
static void
check_big_segments (guint32 max_size_in_a_gop, guint kbps)
{
  GPtrArray *frames = ivcs_test_frames (12, kbps, "snow");
  gchar *store = ivcs_test_store_new ("full-time");
  iv_cs_init_parm_s p = ivcs_test_parm ();
  g_autoptr (GPtrArray) segments = NULL;
  guint video, refused;

  p.u32MaxSizeInAGop = max_size_in_a_gop;
  ivcs_test_watch_messages ();
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (300 * 1000);
  refused = ivcs_test_push_all (frames, g_get_real_time () / 1000, NULL,
      NULL, &video);
  fail_unless_equals_int (refused, 0);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  segments = ivcs_test_keys (store, "cam1/rec/", ".mp4");
  fail_unless (segments->len >= 3, "%u segments", segments->len);
  fail_unless_equals_int (ivcs_test_video_frames (store, "cam1/rec/"),
      video);
  fail_unless_equals_int (ivcs_test_messages ("larger than"), 1);
  ivcs_test_store_free (store);
}

/* The sample's own 512 KiB with a camera at 4 Mb/s: 2 MB segments. */
GST_START_TEST (test_sample_estimate_at_4_mbps)
{
  check_big_segments (512 * 1024, 4000);
}

GST_END_TEST;

/* 100000 bytes with about 500 KB segments. */
GST_START_TEST (test_small_estimate)
{
  check_big_segments (100000, 1000);
}

GST_END_TEST;

static CsTestServer *srv;

static void
end_outage (const IvcsTestFrame * f, gpointer data)
{
  guint64 *up_at_ms = data;

  if (f->ts_ms >= *up_at_ms) {
    g_mutex_lock (&srv->lock);
    g_queue_clear (&srv->statuses);
    g_mutex_unlock (&srv->lock);
    *up_at_ms = G_MAXUINT64;
  }
}

/* The store answers 503 for 17 s: what is stored after it is back is the
 * most recent, and the first segments, recorded while it was down, are the
 * ones dropped. */
GST_START_TEST (test_outage_keeps_the_most_recent)
{
  GPtrArray *frames = ivcs_test_frames (24, 0, "ball");
  iv_cs_init_parm_s p = ivcs_test_parm ();
  g_autofree gchar *uri = NULL;
  g_autoptr (GPtrArray) stored = g_ptr_array_new ();
  guint64 up_at_ms = 17000, base = g_get_real_time () / 1000;
  gint64 first_ms, duration_ms;
  gchar *store;

  srv = cs_test_server_start (NULL);
  for (gint i = 0; i < 100000; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  uri = cs_test_server_uri (srv);
  store = ivcs_test_store_new ("full-time");
  g_setenv ("IVCS_LOCATION", uri, TRUE);
  g_setenv ("IVCS_DRAIN_TIMEOUT_S", "30", TRUE);
  ivcs_test_watch_messages ();
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (300 * 1000);
  fail_unless_equals_int (ivcs_test_push_all (frames, base, end_outage,
          &up_at_ms, NULL), 0);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  g_unsetenv ("IVCS_DRAIN_TIMEOUT_S");

  g_mutex_lock (&srv->lock);
  for (guint i = 0; i < srv->stored->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (srv->stored, i), ".mp4"))
      g_ptr_array_add (stored, g_ptr_array_index (srv->stored, i));
  g_mutex_unlock (&srv->lock);
  /* 6 segments of 4 s: the 3 that waited when the store came back and
   * the ones after, in order; not the first. */
  fail_unless (stored->len >= 3 && stored->len < 6, "%u stored",
      stored->len);
  fail_unless (cs_key_parse_segment (g_ptr_array_index (stored, 0),
          &first_ms, &duration_ms));
  fail_unless (first_ms >= (gint64) base + 4000, "%s is the first",
      (gchar *) g_ptr_array_index (stored, 0));
  for (guint i = 1; i < stored->len; i++)
    fail_unless (strcmp (g_ptr_array_index (stored, i - 1),
            g_ptr_array_index (stored, i)) < 0);
  fail_unless (ivcs_test_messages ("dropped") >= 1);
  cs_test_server_stop (srv);
  ivcs_test_store_free (store);
}

GST_END_TEST;

static Suite *
ivcs_cache_suite (void)
{
  Suite *s = suite_create ("ivcs-cache");
  TCase *tc = tcase_create ("cache");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sample_estimate_at_4_mbps);
  tcase_add_test (tc, test_small_estimate);
  tcase_add_test (tc, test_outage_keeps_the_most_recent);
  return s;
}

GST_CHECK_MAIN (ivcs_cache);
