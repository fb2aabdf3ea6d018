/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firmware that stops pushing (its stop callback, a stalled encoder) while
 * recording full-time with audio: the open segment is stored once
 * segment-idle-timeout (segment + 2 s) has passed, not at iv_cs_exit.  With
 * audio whose last frame starts before the last video frame (with 16 kHz
 * AAC, 64 ms a frame, about every other stop), mpegtsmux then held that video
 * frame waiting for audio, with the video thread inside it, so the idle
 * close never got its turn and the segment waited for iv_cs_exit. */
#include <gst/check/gstcheck.h>

#include "iv_cs.h"
#include "ivcs-test.h"

static void
teardown (void)
{
  iv_cs_exit (1);
}

GST_START_TEST (test_stopped_camera_segment_stored)
{
  gchar *store_uri = ivcs_test_store_new ("full-time");
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *all = ivcs_test_frames_audio_at (8, 0, "ball", 16000);
  g_autoptr (GPtrArray) frames = g_ptr_array_new ();
  guint video, stored = 0;
  gint64 stopped;

  /* 200 video frames (0 to 7.96 s); the audio stops a few frames before. */
  for (guint i = 0; i < all->len; i++) {
    IvcsTestFrame *f = g_ptr_array_index (all, i);
    if (f->video || f->ts_ms < 7800)
      g_ptr_array_add (frames, f);
  }
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (500 * 1000);
  fail_unless_equals_int (ivcs_test_push_all (frames,
          g_get_real_time () / 1000, NULL, NULL, &video), 0);
  fail_unless_equals_int (video, 200);
  /* The idle timeout is 6 s (4 s segments): every frame stored within it
   * and a generous margin, while the module still runs. */
  stopped = g_get_monotonic_time ();
  while (g_get_monotonic_time () - stopped < 30 * G_USEC_PER_SEC) {
    stored = ivcs_test_video_frames (store_uri, "cam1/rec/");
    if (stored == video)
      break;
    g_usleep (500 * 1000);
  }
  fail_unless_equals_int (stored, video);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  ivcs_test_store_free (store_uri);
}

GST_END_TEST;

static Suite *
ivcs_idle_audio_suite (void)
{
  Suite *s = suite_create ("ivcs-idle-audio");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stopped_camera_segment_stored);
  return s;
}

GST_CHECK_MAIN (ivcs_idle_audio);
