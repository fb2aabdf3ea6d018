/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A trigger before the first frame, with audio: cseventgate opens on the
 * very first keyframe and cssink records the event whole (frames in =
 * frames stored, audio in it), from a live source and from a non-live one.
 * The encoder renegotiates after its first frame; the muxer once held that
 * query behind the frame it kept for audio the gate held for video. */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "cs-store.h"
#include "cs-test-util.h"

static gchar *store_dir;

/* The event's segments read back (tsdemux): video frames, and in @audio
 * the audio frames. */
static guint
stored_event_frames (guint * audio)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  guint video = 0;

  fail_unless (store != NULL);
  fail_unless (cs_test_read_segments (store, "cam/ev/", &video, audio) > 0,
      "no segment stored");
  return video;
}

static void
record_triggered_before_first_frame (gboolean live)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=%d "
      "num-buffers=100 ! video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 bframes=0 speed-preset=ultrafast ! h264parse ! "
      "cseventgate name=g pre-roll=0 ! cssink name=s location=file://%s "
      "device-id=cam segment-duration=1000000000 "
      "audiotestsrc is-live=%d num-buffers=180 ! avenc_aac ! aacparse ! "
      "g.audio_sink_0 g.audio_src_0 ! s.audio", live, store_dir, live);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *gate, *sink;
  GstPad *video;
  gint frames_in = 0, result = -1;
  guint audio = 0;

  fail_unless (pipeline != NULL);
  gate = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  video = gst_element_get_static_pad (sink, "video");
  gst_pad_add_probe (video, GST_PAD_PROBE_TYPE_BUFFER, cs_test_count_buffers,
      &frames_in, NULL);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  g_signal_emit_by_name (gate, "trigger", 1u, (guint64) 0, &result);
  fail_unless_equals_int (result, 0);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* 4 s of stream: a generous bound (the old code never ended). */
  cs_test_wait_eos (pipeline, 60, "live=%d", live);

  /* The event starts at the first frame: everything the gate let through
   * is stored, with its audio. */
  fail_unless (frames_in > 0);
  fail_unless_equals_int (stored_event_frames (&audio), frames_in);
  fail_unless (audio > 0, "live=%d: no audio stored", live);
  gst_object_unref (video);
  gst_object_unref (sink);
  gst_object_unref (gate);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_trigger_before_first_frame_live)
{
  record_triggered_before_first_frame (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_trigger_before_first_frame_not_live)
{
  record_triggered_before_first_frame (FALSE);
}

GST_END_TEST;

static Suite *
cssink_trigger0_suite (void)
{
  Suite *s = suite_create ("cssink-trigger0");
  TCase *tc = tcase_create ("general");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_trigger_before_first_frame_live);
  tcase_add_test (tc, test_trigger_before_first_frame_not_live);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_trigger0);
