/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The operator switches the device's channels in service.json while it
 * records (full-time -> event-video -> full-time -> event-video): it records
 * on after each switch, with no gap beyond the switch itself. */
#include <gst/check/gstcheck.h>

#include "cs-event-record.h"
#include "cs-key.h"
#include "ivcs-test.h"

#define MD (1u << IV_CS_EVENT_TRIGGER_MD)

typedef struct {
  guint64 base;
  guint step;
  gint triggers_ok;
} Plan;

/* Every 8 s the other channel; a trigger 3 s into each event-video span. */
static void
switch_channels (const IvcsTestFrame * f, gpointer data)
{
  Plan *p = data;
  guint step = f->ts_ms / 8000;

  if (step != p->step) {
    p->step = step;
    ivcs_test_write_service (g_getenv ("IVCS_LOCATION"), step % 2 ?
        "event-video" : "full-time");
  }
  if (f->video && step % 2 && f->ts_ms % 8000 >= 3000
      && f->ts_ms % 8000 < 3040)
    p->triggers_ok += iv_cs_event_happen_notify (MD, p->base + f->ts_ms) ==
        IV_ERR_NONE;
}

/* Seconds of [from, to) (stream times) that the segments do not cover. */
static gdouble
uncovered_s (GPtrArray * keys, guint64 base, gint64 from_ms, gint64 to_ms)
{
  gint64 missing = 0, t = from_ms;

  while (t < to_ms) {
    gboolean covered = FALSE;
    for (guint i = 0; i < keys->len && !covered; i++) {
      gint64 start, duration;
      fail_unless (cs_key_parse_segment (g_ptr_array_index (keys, i),
              &start, &duration));
      start -= base;
      covered = t >= start && t < start + duration;
    }
    missing += covered ? 0 : 100;
    t += 100;
  }
  return missing / 1000.0;
}

GST_START_TEST (test_switch_channels_while_recording)
{
  gchar *store = ivcs_test_store_new (NULL);
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *frames = ivcs_test_frames (32, 0, "ball");
  g_autoptr (GPtrArray) rec = NULL, events = NULL, ev_segments = NULL;
  Plan plan = { g_get_real_time () / 1000, 0 };
  guint video;

  ivcs_test_write_service (store, "full-time");
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (1500 * 1000);
  /* Frames refused while the pipeline restarts are the switch's gap. */
  ivcs_test_push_all (frames, plan.base, switch_channels, &plan, &video);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  fail_unless_equals_int (plan.triggers_ok, 2);

  rec = ivcs_test_keys (store, "cam1/rec/", ".mp4");
  for (guint i = 0; i < rec->len; i++) {
    gint64 start, duration;
    fail_unless (cs_key_parse_segment (g_ptr_array_index (rec, i), &start,
            &duration));
    fail_unless (start >= (gint64) plan.base - 1000
        && start < (gint64) plan.base + 32000 && duration <= 5000,
        "%s", (gchar *) g_ptr_array_index (rec, i));
  }
  /* Full-time spans, but for the poll (1 s) and a keyframe (1 s) after
   * each switch. */
  fail_unless (uncovered_s (rec, plan.base, 0, 7000) <= 0.5, "%.1f s "
      "missing in the first full-time span", uncovered_s (rec, plan.base, 0,
          7000));
  fail_unless (uncovered_s (rec, plan.base, 16000, 23000) <= 3.0, "%.1f s "
      "missing in the second full-time span", uncovered_s (rec, plan.base,
          16000, 23000));
  /* Both events recorded, around their triggers (11 s and 27 s). */
  events = ivcs_test_keys (store, "cam1/ev/", "/event.json");
  fail_unless_equals_int (events->len, 2);
  ev_segments = ivcs_test_keys (store, "cam1/ev/", ".mp4");
  fail_unless (uncovered_s (ev_segments, plan.base, 11000, 14000) == 0);
  fail_unless (uncovered_s (ev_segments, plan.base, 27000, 30000) == 0);
  ivcs_test_store_free (store);
}

GST_END_TEST;

static Suite *
ivcs_channels_suite (void)
{
  Suite *s = suite_create ("ivcs-channels");
  TCase *tc = tcase_create ("channels");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_switch_channels_while_recording);
  return s;
}

GST_CHECK_MAIN (ivcs_channels);
