/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink container=fmp4 writes its segments from the parsed frames
 * (csfmp4mux), not by remuxing MPEG-TS: it records with neither tsdemux nor
 * mp4mux installed, and with B-frames the audio shown before a cut's
 * keyframe stays in the segment that ends there (frames in = frames
 * stored, A/V in step at every cut, read by qtdemux and ffprobe). */
#include <gst/check/gstcheck.h>

#include "cs-store.h"
#include "cs-test-util.h"

#define T0 G_GINT64_CONSTANT (1700000000000)

static gchar *store_dir, *store_uri;

/* Records 1 s segments of H.264 (@x264 its options) with AAC as fmp4 and
 * checks them. */
static void
record_and_check (const gchar * device, const gchar * x264)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=15 speed-preset=ultrafast %s ! h264parse name=p ! "
      "cssink name=s location=%s device-id=%s container=fmp4 "
      "segment-duration=1000000000 "
      "audiotestsrc num-buffers=215 samplesperbuffer=1024 ! avenc_aac ! "
      "aacparse ! s.audio", x264, store_uri, device);
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  gint64 t0 = T0;
  CsRun run;
  guint n;

  cs_test_run (desc, 0, 60, cs_test_stamp_unix_time, &t0, &run);
  fail_unless (run.error == NULL, "%s", run.error ? run.error->message : "");
  fail_unless (run.eos);
  fail_unless_equals_int (run.video_in, 150);
  n = cs_test_check_recording (store, device, &run, 1000, 500,
      "video/x-h264", TRUE);
  fail_unless (n >= 4 && n <= 6, "%u segments", n);
  cs_run_clear (&run);
}

/* A camera image without gst-plugins-good's MP4 muxer and -bad's MPEG-TS
 * demuxer records fmp4 all the same. */
GST_START_TEST (test_no_remux_elements)
{
  GstRegistry *registry = gst_registry_get ();
  const gchar *names[] = { "mp4mux", "qtmux", "tsdemux" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GstPluginFeature *f = gst_registry_lookup_feature (registry, names[i]);
    if (f) {
      gst_registry_remove_feature (registry, f);
      gst_object_unref (f);
    }
  }
  record_and_check ("bare", "");
}

GST_END_TEST;

/* B-frames: a cut's keyframe is decoded before the frames shown before it;
 * the audio of that time belongs to the segment that ends. */
GST_START_TEST (test_bframes_av_at_cut)
{
  record_and_check ("bframes", "bframes=2 b-adapt=false");
}

GST_END_TEST;

static Suite *
cssink_fmp4_writer_suite (void)
{
  Suite *s = suite_create ("cssink-fmp4-writer");
  TCase *tc = tcase_create ("writer");

  tcase_set_timeout (tc, 240);
  cs_test_add_tmp_dir_fixture (tc, &store_dir, &store_uri);
  tcase_add_test (tc, test_bframes_av_at_cut);
  tcase_add_test (tc, test_no_remux_elements);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_fmp4_writer);
