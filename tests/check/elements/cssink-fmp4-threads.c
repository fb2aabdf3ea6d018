/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink container=fmp4 costs a camera fewer threads than MPEG-TS
 * (issue 12: many cameras in one process): its muxer, csfmp4mux, writes on
 * the streams' own threads, where mpegtsmux (an aggregator) has a thread
 * of its own per camera.  Counted in one process: N cameras recording fmp4,
 * then N recording MPEG-TS (threads that a stopped run leaves in GStreamer's
 * pool are taken again by the next, so fmp4 goes first). */
#include <gst/check/gstcheck.h>

#include "cs-test-util.h"

#define N_CAMERAS 4

static gchar *store_dir, *store_uri;

/* The process's threads now. */
static guint
count_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  return n;
}

/* The threads while N_CAMERAS cameras (live video and audio) record as
 * @container, each having stored a segment. */
static guint
threads_recording (const gchar * container)
{
  GstElement *pipelines[N_CAMERAS];
  guint n;

  for (guint i = 0; i < N_CAMERAS; i++) {
    g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
        "video/x-raw,width=160,height=120,framerate=25/1 ! "
        "x264enc key-int-max=10 speed-preset=ultrafast tune=zerolatency "
        "threads=1 ! h264parse ! cssink name=s location=%s "
        "device-id=%s%u container=%s segment-duration=400000000 "
        "audiotestsrc is-live=true samplesperbuffer=1024 ! avenc_aac ! "
        "aacparse ! s.audio", store_uri, container, i, container);
    GError *error = NULL;

    pipelines[i] = gst_parse_launch (desc, &error);
    fail_unless (pipelines[i] != NULL, "%s", error ? error->message : "");
    fail_unless (gst_element_set_state (pipelines[i], GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
  }
  /* Segments of 0.4 s: each camera has cut and stored some by then. */
  g_usleep (2 * G_USEC_PER_SEC);
  n = count_threads ();
  for (guint i = 0; i < N_CAMERAS; i++) {
    GstBus *bus = gst_element_get_bus (pipelines[i]);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    fail_unless (msg == NULL, "camera %u of %s failed", i, container);
    gst_object_unref (bus);
    gst_element_set_state (pipelines[i], GST_STATE_NULL);
    gst_object_unref (pipelines[i]);
  }
  return n;
}

GST_START_TEST (test_fmp4_no_muxer_thread)
{
  guint fmp4 = threads_recording ("fmp4");
  guint ts = threads_recording ("mpegts");

  /* One thread per camera fewer at least (mpegtsmux's). */
  GST_INFO ("fmp4: %u threads, mpegts: %u", fmp4, ts);
  fail_unless (fmp4 + N_CAMERAS <= ts, "fmp4: %u threads, mpegts: %u", fmp4,
      ts);
}

GST_END_TEST;

static Suite *
cssink_fmp4_threads_suite (void)
{
  Suite *s = suite_create ("cssink-fmp4-threads");
  TCase *tc = tcase_create ("threads");

  tcase_set_timeout (tc, 120);
  cs_test_add_tmp_dir_fixture (tc, &store_dir, &store_uri);
  tcase_add_test (tc, test_fmp4_no_muxer_thread);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_fmp4_threads);
