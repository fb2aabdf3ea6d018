/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An event whose recording has ended while the event itself goes on (a
 * trigger within event-interval would add to it): its event.json lists the
 * segments recorded so far, and its index.m3u8 plays them, seconds after
 * the recording ends, not at the event's end (180 s by default) or EOS.
 * Both once waited for the event's end: a viewer found the event with no
 * segments for minutes. */
#include <gst/check/gstcheck.h>

#include "cs-event-record.h"
#include "cs-store.h"
#include "cs-test-util.h"

static gchar *store_dir;

typedef struct
{
  CsTestTimeline timeline;
  gchar *uri;
  gint segments;                /* listed in event.json at 9.5 s, or -1 */
  gboolean playlist;            /* index.m3u8 there at 9.5 s */
} Pause;

/* At 9.5 s, 4.5 s after the recording ended: what the store says. */
static void
pause_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Pause *p = data;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) keys = NULL;

  cs_test_timeline_tick (pipeline, elapsed_s, &p->timeline);
  if (elapsed_s < 9.5 || p->segments >= 0)
    return;
  p->segments = 0;
  store = cs_store_new (p->uri, NULL, NULL);
  keys = cs_store_list (store, "cam/ev/", NULL, NULL);
  for (guint i = 0; keys && i < keys->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (keys, i))->key;
    if (g_str_has_suffix (key, "/index.m3u8"))
      p->playlist = TRUE;
    if (g_str_has_suffix (key, "/event.json")) {
      g_autoptr (CsEventRecord) r = cs_test_get_event_record (store, key);

      fail_unless (r != NULL, "%s", key);
      p->segments = r->segments->len;
      fail_if (r->ended, "the event ended within its event-interval");
    }
  }
}

GST_START_TEST (test_paused_event_lists_its_segments)
{
  static const CsTestTrigger triggers[] = { {1, 1.0} };
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc "
      "tune=zerolatency key-int-max=25 bframes=0 speed-preset=ultrafast ! "
      "h264parse ! identity name=p ! cseventgate name=g min-record-time=4 "
      "event-interval=60 ! cssink name=s location=file://%s device-id=cam",
      store_dir);
  Pause p = { {triggers, G_N_ELEMENTS (triggers), 0}, NULL, -1, FALSE };
  CsRun run;

  p.timeline.base_ms = g_get_real_time () / 1000;
  p.uri = g_strdup_printf ("file://%s", store_dir);
  /* The recording: from 0 s (2 s of pre-roll) to the keyframe at 5 s. */
  cs_test_run (desc, 11, 60, pause_tick, &p, &run);
  fail_unless (run.eos && run.error == NULL, "%s",
      run.error ? run.error->message : "no EOS");
  fail_unless (p.segments >= 2, "event.json listed %d segments 4.5 s after "
      "the recording ended", p.segments);
  fail_unless (p.playlist, "no index.m3u8 4.5 s after the recording ended");
  cs_run_clear (&run);
  g_free (p.uri);
}

GST_END_TEST;

static Suite *
cssink_event_pause_suite (void)
{
  Suite *s = suite_create ("cssink-event-pause");
  TCase *tc = tcase_create ("general");

  cs_test_add_tmp_dir_fixture (tc, &store_dir, NULL);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_paused_event_lists_its_segments);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cssink_event_pause);
