/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio that ends (EOS) while the video is still coming, through
 * cseventgate into cssink: the recording ends, whole.  The gate holds audio
 * until the video decides it; the muxer takes a frame of each stream at a
 * time.  Once the video thread also pushed the ended audio, it blocked on a
 * video frame the muxer held for audio that thread was to push next (libivcs
 * met it at exit: the last segments were lost after the drain timeout). */
#include <gst/check/gstcheck.h>
#include <gst/app/app.h>

#include "cs-store.h"
#include "cs-test-util.h"

static gchar *store_dir;

static GstPadProbeReturn
slow_down (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_usleep (2000);
  return GST_PAD_PROBE_OK;
}

/* A muxer slower than its input, as on a loaded machine. */
static void
slow_down_muxer (GstElement * sink)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (sink));
  GValue v = G_VALUE_INIT;
  gboolean found = FALSE;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);

    if (g_str_has_prefix (GST_OBJECT_NAME (e), "mpegtsmux")
        || g_str_has_prefix (GST_OBJECT_NAME (e), "csfmp4mux")) {
      GstPad *src = gst_element_get_static_pad (e, "src");

      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
          GST_PAD_PROBE_TYPE_BUFFER_LIST, slow_down, NULL, NULL);
      gst_object_unref (src);
      found = TRUE;
    }
    g_value_reset (&v);
  }
  gst_iterator_free (it);
  fail_unless (found, "no muxer in cssink");
}

/* A trigger as the video reaches 3 s. */
static GstPadProbeReturn
trigger_at_3s (GstPad * pad, GstPadProbeInfo * info, gpointer gate)
{
  gint result = -1;

  if (GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)) != 3 * GST_SECOND)
    return GST_PAD_PROBE_OK;
  g_signal_emit_by_name (gate, "trigger", 1u, (guint64) 0, &result);
  fail_unless_equals_int (result, 0);
  return GST_PAD_PROBE_OK;
}

/* The buffers of a (non-live) encoding pipeline ending in "appsink name=out",
 * times from 0 (an encoder's segment may start at 1000 h), and their caps. */
static GPtrArray *
encode (const gchar * desc, GstCaps ** caps)
{
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *out;
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;
  GstClockTime first = GST_CLOCK_TIME_NONE;

  fail_unless (pipeline != NULL);
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer (sample));

    if (!GST_CLOCK_TIME_IS_VALID (first))
      first = GST_BUFFER_PTS (buf);
    GST_BUFFER_PTS (buf) -= first;
    GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf);
    g_ptr_array_add (frames, buf);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (pipeline);
  return frames;
}

/* The first @paced @pace_us apart. */
static void
push_all (GstElement * src, GPtrArray * frames, guint paced, gulong pace_us)
{
  for (guint i = 0; i < frames->len; i++, g_usleep (i < paced ? pace_us : 0))
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src),
            gst_buffer_ref (g_ptr_array_index (frames, i))), GST_FLOW_OK);
  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (src)),
      GST_FLOW_OK);
}

/* 4 s of video and of audio from live sources with no latency (as libivcs'),
 * in an event that opens on the first frame; all the audio and its EOS
 * come first (the gate holds it), then the video. */
static void
record_audio_ending_first (gboolean live)
{
  g_autoptr (GstCaps) vcaps = NULL;
  g_autoptr (GstCaps) acaps = NULL;
  g_autoptr (GPtrArray) vframes = encode ("videotestsrc num-buffers=200 ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "key-int-max=25 bframes=0 speed-preset=ultrafast ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", &vcaps);
  g_autoptr (GPtrArray) aframes = encode ("audiotestsrc num-buffers=345 ! "
      "avenc_aac ! aacparse ! appsink name=out sync=false", &acaps);
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=v is-live=%d "
      "format=time ! h264parse ! cseventgate name=g min-record-time=4 ! cssink "
      "name=s location=file://%s device-id=cam segment-duration=1000000000 "
      "appsrc name=a is-live=%d format=time ! aacparse ! g.audio_sink_0 "
      "g.audio_src_0 ! s.audio", live, store_dir, live);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_autoptr (CsStore) store = NULL;
  GstElement *gate, *sink, *vsrc, *asrc;
  GstPad *video;
  gint frames_in = 0;
  guint stored_video = 0, stored_audio = 0;

  fail_unless (pipeline != NULL);
  fail_unless_equals_int (vframes->len, 200);
  gate = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  vsrc = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  asrc = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  g_object_set (vsrc, "caps", vcaps, NULL);
  g_object_set (asrc, "caps", acaps, NULL);
  video = gst_element_get_static_pad (gate, "video_sink");
  gst_pad_add_probe (video, GST_PAD_PROBE_TYPE_BUFFER, trigger_at_3s, gate,
      NULL);
  gst_object_unref (video);
  video = gst_element_get_static_pad (sink, "video");
  gst_pad_add_probe (video, GST_PAD_PROBE_TYPE_BUFFER, cs_test_count_buffers,
      &frames_in, NULL);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  slow_down_muxer (sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  push_all (asrc, aframes, 0, 0);
  /* The audio ends while the video is 2 s behind (the most the gate lets
   * audio run ahead), then the video comes faster than the muxer writes. */
  push_all (vsrc, vframes, 100, 10 * 1000);
  cs_test_wait_eos (pipeline, 60, "live=%d", live);

  store = cs_store_new (uri, NULL, NULL);
  fail_unless (store != NULL);
  fail_unless (cs_test_read_segments (store, "cam/ev/", &stored_video,
          &stored_audio) > 0, "live=%d: no segment stored", live);
  /* The trigger comes as the gate has 2.96 s: from the keyframe before
   * 0.96 s (pre-roll) to the first after 6.96 s (min-record-time), with
   * its audio. */
  fail_unless_equals_int (frames_in, 175);
  fail_unless_equals_int (stored_video, frames_in);
  fail_unless (stored_audio >= 290, "live=%d: %u audio frames stored", live,
      stored_audio);
  gst_object_unref (video);
  gst_object_unref (asrc);
  gst_object_unref (vsrc);
  gst_object_unref (sink);
  gst_object_unref (gate);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_audio_ends_first_not_live)
{
  record_audio_ending_first (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_audio_ends_first_live)
{
  record_audio_ending_first (TRUE);
}

GST_END_TEST;

static Suite *
cssink_audio_ends_suite (void)
{
  Suite *s = suite_create ("cssink-audio-ends");
  TCase *tc = tcase_create ("general");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_audio_ends_first_not_live);
  tcase_add_test (tc, test_audio_ends_first_live);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_audio_ends);
