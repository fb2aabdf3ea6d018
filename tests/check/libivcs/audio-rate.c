/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event recording (event-video) from firmware whose AAC is sampled at 8 or
 * 16 kHz, as many cameras' is: a frame of 1024 samples then lasts 128 or
 * 64 ms, longer than a video frame.  A trigger 4 s in lets the 2 s pre-roll
 * through at once; every frame from its keyframe on must be taken and
 * stored.  With 16 kHz audio, libivcs once stored the first segment only:
 * the muxer held the video for audio the gate held for that video, the
 * queues filled (frames refused with IV_ERR_CS_QUEUE_FULL) and iv_cs_exit
 * had to be forced. */
#include <gst/check/gstcheck.h>

#include "iv_cs.h"
#include "ivcs-test.h"

static void
teardown (void)
{
  iv_cs_exit (1);
}

typedef struct {
  guint64 base;
  gboolean triggered;
} Plan;

static void
trigger_at_4s (const IvcsTestFrame * f, gpointer data)
{
  Plan *plan = data;

  if (!plan->triggered && f->ts_ms >= 4000) {
    plan->triggered = TRUE;
    fail_unless_equals_int (iv_cs_event_happen_notify (1, plan->base +
            f->ts_ms), IV_ERR_NONE);
  }
}

static void
record_event_with_audio_at (guint rate)
{
  gchar *store_uri = ivcs_test_store_new ("event-video");
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *frames = ivcs_test_frames_audio_at (12, 0, "ball", rate);
  Plan plan = { g_get_real_time () / 1000, FALSE };
  guint video, refused, stored;

  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (500 * 1000);
  refused = ivcs_test_push_all (frames, plan.base, trigger_at_4s, &plan,
      &video);
  fail_unless_equals_int (refused, 0);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  /* From the keyframe 2 s before the trigger (the pre-roll) to the one
   * 4 s after it (event_record_min_time_s): 6 s, 150 frames. */
  stored = ivcs_test_video_frames (store_uri, "cam1/ev/");
  fail_unless_equals_int (stored, 150);
  ivcs_test_store_free (store_uri);
}

GST_START_TEST (test_event_audio_16khz)
{
  record_event_with_audio_at (16000);
}

GST_END_TEST;

GST_START_TEST (test_event_audio_8khz)
{
  record_event_with_audio_at (8000);
}

GST_END_TEST;

static Suite *
ivcs_audio_rate_suite (void)
{
  Suite *s = suite_create ("ivcs-audio-rate");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_event_audio_16khz);
  tcase_add_test (tc, test_event_audio_8khz);
  return s;
}

GST_CHECK_MAIN (ivcs_audio_rate);
