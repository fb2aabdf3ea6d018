/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seed's event rules, on timelines: which trigger starts an event, makes
 * an alarm or wants a picture, how long recording lasts, when events end. */
#include <gst/check/gstcheck.h>
#include "cs-event-rules.h"
#include "cs-event-record.h"

#define MD (1u << 0)
#define PD (1u << 1)
#define SD (1u << 2)
#define LD (1u << 3)

static CsEventRules *
rules_new (gint64 min_record_s, gint64 interval_s, const gint * priorities)
{
  CsEventRulesConfig c;

  cs_event_rules_config_init (&c);
  c.min_record_ms = min_record_s * 1000;
  c.interval_ms = interval_s * 1000;
  for (guint i = 0; priorities && i < 4; i++)
    c.priority[i] = priorities[i];
  return cs_event_rules_new (&c);
}

static CsTriggerOutcome
trig (CsEventRules * r, guint32 bit, gint64 t_ms, gboolean * ended)
{
  CsTriggerOutcome o;
  CsEventInfo info;
  gboolean e = cs_event_rules_trigger (r, bit, t_ms, &o, &info);

  if (ended)
    *ended = e;
  return o;
}

GST_START_TEST (test_one_bit_only)
{
  fail_unless (cs_event_trigger_is_single (MD));
  fail_unless (cs_event_trigger_is_single (1u << 31));
  fail_if (cs_event_trigger_is_single (0));
  fail_if (cs_event_trigger_is_single (MD | PD));
  fail_if (cs_event_trigger_is_single (0xffffffffu));
}

GST_END_TEST;

GST_START_TEST (test_same_source_repeated)
{
  CsEventRules *r = rules_new (8, 60, NULL);
  CsTriggerOutcome o;
  CsEventInfo info;

  o = trig (r, MD, 1000, NULL);
  fail_unless (o.new_event && o.alarm && o.snapshot);
  fail_unless_equals_int64 (o.record_until_ms, 9000);
  /* Repeats only extend the recording: no message, no picture. */
  for (gint64 t = 2000; t <= 20000; t += 1000) {
    o = trig (r, MD, t, NULL);
    fail_if (o.new_event || o.alarm || o.snapshot);
    fail_unless_equals_int (o.event_seq, 1);
  }
  fail_unless_equals_int64 (cs_event_rules_record_until (r), 28000);
  /* Not over before the interval and the recording are. */
  fail_if (cs_event_rules_advance (r, 27999, &info));
  fail_if (cs_event_rules_advance (r, 60999, &info));
  fail_unless (cs_event_rules_advance (r, 61000, &info));
  fail_unless_equals_int (info.event_seq, 1);
  fail_unless_equals_int (info.triggers, MD);
  fail_if (cs_event_rules_current (r, NULL));
  cs_event_rules_free (r);
}

GST_END_TEST;

GST_START_TEST (test_new_sources_without_priority)
{
  CsEventRules *r = rules_new (8, 60, NULL);
  CsTriggerOutcome o;

  trig (r, MD, 0, NULL);
  o = trig (r, PD, 1000, NULL);
  fail_unless (!o.new_event && o.alarm && o.snapshot);
  o = trig (r, SD, 2000, NULL);
  fail_unless (o.alarm && o.snapshot);
  o = trig (r, PD, 3000, NULL);
  fail_if (o.alarm || o.snapshot);
  cs_event_rules_free (r);
}

GST_END_TEST;

GST_START_TEST (test_priorities)
{
  /* MD 2, PD 0 (highest), SD 3, LD none. */
  const gint prio[] = { 2, 0, 3, -1 };
  CsEventRules *r = rules_new (8, 60, prio);
  CsTriggerOutcome o;

  o = trig (r, MD, 0, NULL);
  fail_unless (o.alarm && o.snapshot);
  o = trig (r, SD, 1000, NULL);     /* lower priority: a message only */
  fail_unless (o.alarm && !o.snapshot);
  o = trig (r, PD, 2000, NULL);     /* higher: a new picture */
  fail_unless (o.alarm && o.snapshot);
  o = trig (r, LD, 3000, NULL);     /* no priority: by type */
  fail_unless (o.alarm && o.snapshot);
  /* A new event starts over. */
  o = trig (r, SD, 61000, NULL);
  fail_unless (o.new_event && o.alarm && o.snapshot);
  o = trig (r, MD, 62000, NULL);
  fail_unless (o.alarm && o.snapshot);
  cs_event_rules_free (r);
}

GST_END_TEST;

GST_START_TEST (test_trigger_after_interval)
{
  CsEventRules *r = rules_new (8, 20, NULL);
  CsTriggerOutcome o;
  CsEventInfo info;
  gboolean ended;

  trig (r, MD, 0, NULL);
  trig (r, PD, 5000, NULL);
  o = trig (r, MD, 19999, &ended);
  fail_if (ended || o.new_event);
  /* The interval is counted from the first trigger. */
  fail_unless (cs_event_rules_trigger (r, MD, 20000, &o, &info));
  fail_unless (o.new_event && o.alarm && o.snapshot);
  fail_unless_equals_int (o.event_seq, 2);
  fail_unless_equals_int (info.event_seq, 1);
  fail_unless_equals_int (info.triggers, MD | PD);
  fail_unless_equals_int64 (info.start_ms, 0);
  cs_event_rules_free (r);
}

GST_END_TEST;

GST_START_TEST (test_continuous_longer_than_interval)
{
  CsEventRules *r = rules_new (4, 10, NULL);
  guint events = 0;

  /* A trigger every second for 35 s: events of 10 s each, recording all
   * along and 4 s after the last. */
  for (gint64 t = 0; t <= 35000; t += 1000) {
    CsTriggerOutcome o = trig (r, MD, t, NULL);
    if (o.new_event) {
      events++;
      fail_unless_equals_int64 (t % 10000, 0);
    }
    fail_unless_equals_int64 (o.record_until_ms, t + 4000);
  }
  fail_unless_equals_int (events, 4);
  cs_event_rules_free (r);
}

GST_END_TEST;

/* What event_list_max_depth counts: events waiting, not calls. */
GST_START_TEST (test_count_new_events)
{
  CsEventRules *r = rules_new (4, 10, NULL);
  const gint64 burst[] = { 1000, 1000, 1000, 2000, 10400 };
  const gint64 three[] = { 1000, 11000, 11000, 25000 };

  fail_unless_equals_int (cs_event_rules_count_new_events (r, burst, 5), 1);
  fail_unless_equals_int (cs_event_rules_count_new_events (r, three, 4), 3);
  /* Those within the current event's interval are not waiting for one. */
  trig (r, MD, 500, NULL);
  fail_unless_equals_int (cs_event_rules_count_new_events (r, burst, 5), 0);
  fail_unless_equals_int (cs_event_rules_count_new_events (r, three, 4), 2);
  fail_unless_equals_int (cs_event_rules_count_new_events (r, NULL, 0), 0);
  cs_event_rules_free (r);
}

GST_END_TEST;

GST_START_TEST (test_event_record_round_trip)
{
  g_autoptr (CsEventRecord) r = cs_event_record_new ("cam1", "1700000000000",
      1700000000000);
  g_autoptr (CsEventRecord) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = NULL;
  CsEventAlarm a = { PD, 1700000001000, TRUE };

  r->triggers = PD;
  r->end_ms = 1700000009000;
  g_array_append_val (r->alarms, a);
  g_ptr_array_add (r->segments,
      g_strdup ("cam1/ev/20231114/1700000000000/1699999998000_4000.ts"));
  json = cs_event_record_to_json (r);
  back = cs_event_record_parse (json, -1, &error);
  fail_unless (back != NULL, "%s", error ? error->message : "");
  fail_unless_equals_string (back->id, r->id);
  fail_unless_equals_int64 (back->end_ms, r->end_ms);
  fail_unless_equals_int (back->alarms->len, 1);
  fail_unless_equals_int (g_array_index (back->alarms, CsEventAlarm,
          0).trigger, PD);
  fail_unless_equals_string (g_ptr_array_index (back->segments, 0),
      g_ptr_array_index (r->segments, 0));

  /* What a viewer must not trust. */
  for (const gchar ** bad = (const gchar *[]) {
        "[]", "{\"id\":\"..\",\"device\":\"cam1\",\"start_ms\":1}",
        "{\"id\":\"e\",\"device\":\"cam1\",\"start_ms\":\"x\"}",
        "{\"id\":\"e\",\"device\":\"cam1\",\"start_ms\":1,"
        "\"segments\":[\"../x\"]}",
        "{\"id\":\"e\",\"device\":\"cam1\",\"start_ms\":1,\"alarms\":[1]}",
        "{\"id\":\"e\",\"device\":{},\"start_ms\":1}", NULL}; *bad; bad++) {
    g_clear_error (&error);
    fail_unless (cs_event_record_parse (*bad, -1, &error) == NULL, "%s",
        *bad);
    fail_unless (error != NULL);
  }
}

GST_END_TEST;

static Suite *
event_rules_suite (void)
{
  Suite *s = suite_create ("event-rules");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_one_bit_only);
  tcase_add_test (tc, test_same_source_repeated);
  tcase_add_test (tc, test_new_sources_without_priority);
  tcase_add_test (tc, test_priorities);
  tcase_add_test (tc, test_trigger_after_interval);
  tcase_add_test (tc, test_continuous_longer_than_interval);
  tcase_add_test (tc, test_count_new_events);
  tcase_add_test (tc, test_event_record_round_trip);
  return s;
}

GST_CHECK_MAIN (event_rules);
