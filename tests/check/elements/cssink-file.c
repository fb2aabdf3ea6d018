/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A recording from a file ends, every time: a 60 s MP4 through qtdemux (one
 * thread feeding both streams) into cssink, 50 times.  With splitmuxsink
 * inside cssink the final EOS was lost now and then (issue 12: 2 runs in
 * 25). */
#include <gst/check/gstcheck.h>

#include "cs-store.h"
#include "cs-test-util.h"

#define RUNS 50
#define SECONDS 60

static gchar *dir;

/* 60 s of 320x240 H.264 (a keyframe every second) + AAC in MP4. */
static gchar *
make_input (void)
{
  gchar *path = g_build_filename (dir, "in.mp4", NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 speed-preset=ultrafast ! h264parse ! "
      "mp4mux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=%d samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! m.", SECONDS * 25,
      path, SECONDS * 48000 / 1024);
  GstElement *maker = gst_parse_launch (desc, NULL);

  fail_unless (maker != NULL);
  gst_element_set_state (maker, GST_STATE_PLAYING);
  cs_test_wait_eos (maker, 120, "making the input");
  gst_object_unref (maker);
  return path;
}

GST_START_TEST (test_file_recording_always_ends)
{
  g_autofree gchar *input = make_input ();
  guint ended = 0;

  for (guint i = 0; i < RUNS; i++) {
    g_autofree gchar *out = g_strdup_printf ("file://%s/out%u", dir, i);
    g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
        "qtdemux name=d d.video_0 ! h264parse ! cssink name=s location=%s "
        "device-id=cam segment-duration=4000000000 "
        "d.audio_0 ! aacparse ! s.audio", input, out);
    CsRun run;

    /* Generous: a run takes about a second. */
    cs_test_run (desc, 0, 60, NULL, NULL, &run);
    fail_unless (run.error == NULL, "run %u: %s", i,
        run.error ? run.error->message : "");
    ended += run.eos;
    fail_unless (run.eos, "run %u never ended", i);
    fail_unless_equals_int (run.video_in, SECONDS * 25);
    if (i == 0) {
      /* What the first stored is checked whole (frames in = frames stored,
       * A/V in step at each cut, each segment playable alone). */
      g_autoptr (CsStore) store = cs_store_new (out, NULL, NULL);
      guint n = cs_test_check_recording (store, "cam", &run, 4000, 1000,
          "video/x-h264", TRUE);
      fail_unless_equals_int (n, SECONDS / 4);
    }
    fail_unless_equals_int (cs_run_stat (&run, "segments-uploaded"),
        SECONDS / 4);
    cs_run_clear (&run);
  }
  fail_unless_equals_int (ended, RUNS);
}

GST_END_TEST;

static Suite *
cssink_file_suite (void)
{
  Suite *s = suite_create ("cssink-file");
  TCase *tc = tcase_create ("file");

  tcase_set_timeout (tc, 900);
  cs_test_add_tmp_dir_fixture (tc, &dir, NULL);
  tcase_add_test (tc, test_file_recording_always_ends);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_file);
