/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink into a file:// store: what is stored is what went in. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-util.h"

#define VIDEO_H264 "videotestsrc num-buffers=%d ! " \
  "video/x-raw,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "
#define AUDIO_AAC "audiotestsrc num-buffers=%d samplesperbuffer=1024 ! " \
  "avenc_aac ! aacparse ! s.audio "

static gchar *store_dir;

static void
check_clean_run (CsRun * run, guint segments)
{
  guint64 recorded = 0, uploaded = 0, dropped = 1;

  fail_unless (run->error == NULL, "error: %s (%s)",
      run->error ? run->error->message : "", run->error_debug);
  fail_unless (run->eos);
  fail_unless (gst_structure_get (run->stats, "segments-recorded",
          G_TYPE_UINT64, &recorded, "segments-uploaded", G_TYPE_UINT64,
          &uploaded, "segments-dropped", G_TYPE_UINT64, &dropped, NULL));
  fail_unless_equals_int (recorded, segments);
  fail_unless_equals_int (uploaded, segments);
  fail_unless_equals_int (dropped, 0);
  fail_unless_equals_int (cs_run_count (run, "cs-segment-uploaded"),
      segments);
}

/* Records @desc (1 s segments, GOPs of 0.5 s), reads it all back and checks
 * it; @video_frames is what the source makes. */
static void
record_and_check (const gchar * desc, const gchar * device,
    const gchar * codec, gboolean audio, guint video_frames)
{
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  guint expected = video_frames / 30, n;
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless_equals_int (run.video_in, video_frames);
  /* Cut within one GOP of the target. */
  n = cs_test_check_recording (store, device, &run, 1000, 500, codec, audio);
  fail_unless (n + 1 >= expected && n <= expected + 1, "%u segments", n);
  check_clean_run (&run, n);
  cs_run_clear (&run);
}

GST_START_TEST (test_h264_aac_segments)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264
      "cssink name=s location=file://%s device-id=cam1 "
      "segment-duration=1000000000 " AUDIO_AAC, 300, store_dir, 430);

  record_and_check (desc, "cam1", "video/x-h264", TRUE, 300);
}

GST_END_TEST;

/* Without B-frames, as cameras encode: one muxer's output is in decoding
 * order, so with B-frames the audio of the last frames' reordering delay
 * (up to 3 frames) goes into the next segment, past this check's one audio
 * frame (README, cssink). */
GST_START_TEST (test_h265_segments)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=120 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x265enc key-int-max=15 speed-preset=ultrafast option-string=bframes=0 "
      "! h265parse ! "
      "cssink name=s location=file://%s device-id=cam2 "
      "segment-duration=1000000000 " AUDIO_AAC, store_dir, 172);

  record_and_check (desc, "cam2", "video/x-h265", TRUE, 120);
}

GST_END_TEST;

/* avc input (as from mp4/mkv demuxers) is stored as byte-stream with codec
 * headers in front of every keyframe, so each segment plays on its own. */
GST_START_TEST (test_avc_video_only)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264
      "video/x-h264,stream-format=avc ! cssink name=s location=file://%s "
      "device-id=cam3 segment-duration=1000000000", 150, store_dir);

  record_and_check (desc, "cam3", "video/x-h264", FALSE, 150);
}

GST_END_TEST;

/* Segment names take UTC from upstream's timestamp/x-unix meta (and the
 * default container's extension, .mp4). */
GST_START_TEST (test_utc_from_reference_meta)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=60 ! "
      "video/x-raw,framerate=30/1,width=160,height=120 ! "
      "x264enc key-int-max=30 speed-preset=ultrafast ! h264parse name=p ! "
      "cssink name=s location=file://%s device-id=cam4 "
      "segment-duration=1000000000", store_dir);
  g_autoptr (CsStore) store = cs_test_open_dir_store (store_dir);
  g_autoptr (GPtrArray) objects = NULL;
  CsRun run;
  gint64 base_ms = 1700000000000;       /* 2023-11-14T22:13:20Z */

  cs_test_run (desc, 0, 60, cs_test_stamp_unix_time, &base_ms, &run);
  check_clean_run (&run, 2);
  objects = cs_store_list (store, "cam4/", NULL, NULL);
  fail_unless_equals_int (objects->len, 2);
  fail_unless_equals_string (((CsStoreObject *) objects->pdata[0])->key,
      "cam4/rec/20231114/22/1700000000000_1000.mp4");
  fail_unless_equals_string (((CsStoreObject *) objects->pdata[1])->key,
      "cam4/rec/20231114/22/1700000001000_1000.mp4");
  cs_run_clear (&run);
}

GST_END_TEST;

static void
check_start_error (const gchar * sink_props, const gchar * expected_text)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO_H264 "cssink name=s %s",
      10, sink_props);
  CsRun run;

  cs_test_run (desc, 0, 20, NULL, NULL, &run);
  fail_unless (run.error != NULL, "no error for %s", sink_props);
  fail_unless (strstr (run.error->message, expected_text) != NULL,
      "error '%s' does not say '%s'", run.error->message, expected_text);
  fail_if (strstr (run.error->message, "pw1234")
      || (run.error_debug && strstr (run.error_debug, "pw1234")),
      "a password was shown");
  cs_run_clear (&run);
}

GST_START_TEST (test_bad_settings)
{
  g_autofree gchar *store = g_strdup_printf ("location=file://%s", store_dir);
  g_autofree gchar *no_device = g_strdup_printf ("%s", store);
  g_autofree gchar *bad_device =
      g_strdup_printf ("%s device-id=../etc", store);

  check_start_error ("device-id=cam1", "No store location");
  check_start_error (no_device, "Invalid device-id");
  check_start_error (bad_device, "Invalid device-id");
  check_start_error ("device-id=cam1 location=ftp://host/x",
      "Cannot use the store");
  check_start_error ("device-id=cam1 location=file://relative",
      "Cannot use the store");
  check_start_error ("device-id=cam1 location=http://user:pw1234@host/x",
      "Cannot use the store");
}

GST_END_TEST;

GST_START_TEST (test_audio_only_refused)
{
  g_autofree gchar *desc = g_strdup_printf ("cssink name=s "
      "location=file://%s device-id=cam1 " AUDIO_AAC, store_dir, 10);
  CsRun run;

  cs_test_run (desc, 0, 20, NULL, NULL, &run);
  fail_unless (run.error != NULL);
  fail_unless (g_error_matches (run.error, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION));
  fail_unless (strstr (run.error->message, "'video' pad") != NULL, "%s",
      run.error->message);
  cs_run_clear (&run);
}

GST_END_TEST;

/* One demuxer thread feeds both streams, with no queues in between. */
GST_START_TEST (test_single_threaded_demuxer)
{
  g_autofree gchar *input = g_build_filename (store_dir, "in.ts", NULL);
  g_autofree gchar *make = g_strdup_printf (VIDEO_H264 "mpegtsmux name=m ! "
      "filesink location=%s audiotestsrc num-buffers=140 "
      "samplesperbuffer=1024 ! avenc_aac ! aacparse ! m.", 90, input);
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
      "tsdemux name=d d. ! h264parse ! cssink name=s location=file://%s/out "
      "device-id=cam5 segment-duration=1000000000 d. ! aacparse ! s.audio",
      input, store_dir);
  g_autofree gchar *out_uri = g_strdup_printf ("file://%s/out", store_dir);
  g_autoptr (CsStore) store = cs_store_new (out_uri, NULL, NULL);
  GstElement *maker = gst_parse_launch (make, NULL);
  CsRun run;
  guint n;

  gst_element_set_state (maker, GST_STATE_PLAYING);
  cs_test_wait_eos (maker, 30, "making the input");
  gst_object_unref (maker);

  cs_test_run (desc, 0, 30, NULL, NULL, &run);
  n = cs_test_check_recording (store, "cam5", &run, 1000, 500,
      "video/x-h264", TRUE);
  check_clean_run (&run, n);
  cs_run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_audio_pad_request_release)
{
  GstElement *sink = gst_element_factory_make ("cssink", NULL);
  GstPad *audio = gst_element_request_pad_simple (sink, "audio");

  fail_unless (audio != NULL);
  gst_element_release_request_pad (sink, audio);
  gst_object_unref (audio);
  audio = gst_element_request_pad_simple (sink, "audio");
  fail_unless (audio != NULL);
  gst_object_unref (audio);
  gst_object_unref (sink);      /* releases the pad while disposing */
}

GST_END_TEST;

static Suite *
cssink_suite (void)
{
  Suite *s = suite_create ("cssink");
  TCase *tc = tcase_create ("file-store");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_h264_aac_segments);
  tcase_add_test (tc, test_h265_segments);
  tcase_add_test (tc, test_avc_video_only);
  tcase_add_test (tc, test_utc_from_reference_meta);
  tcase_add_test (tc, test_bad_settings);
  tcase_add_test (tc, test_audio_only_refused);
  tcase_add_test (tc, test_single_threaded_demuxer);
  tcase_add_test (tc, test_audio_pad_request_release);
  return s;
}

GST_CHECK_MAIN (cssink);
