/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-event-rules.h"

#include <string.h>

struct _CsEventRules
{
  CsEventRulesConfig config;
  guint64 seq;
  gboolean active;              /* an event is current */
  CsEventInfo current;
  gint best_priority;           /* of the pictures taken in the current event */
  gint64 event_record_until;    /* of the current event's triggers */
  gint64 record_until;          /* of all triggers, -1 before the first */
};

void
cs_event_rules_config_init (CsEventRulesConfig * config)
{
  config->min_record_ms = 8000;
  config->interval_ms = 180000;
  for (guint i = 0; i < CS_EVENT_MAX_TRIGGERS; i++)
    config->priority[i] = CS_EVENT_NO_PRIORITY;
}

CsEventRules *
cs_event_rules_new (const CsEventRulesConfig * config)
{
  CsEventRules *rules = g_new0 (CsEventRules, 1);

  rules->config = *config;
  rules->record_until = -1;
  return rules;
}

void
cs_event_rules_free (CsEventRules * rules)
{
  g_free (rules);
}

gboolean
cs_event_trigger_is_single (guint32 trigger)
{
  return trigger != 0 && (trigger & (trigger - 1)) == 0;
}

static void
end_current (CsEventRules * rules, CsEventInfo * ended)
{
  if (ended)
    *ended = rules->current;
  rules->active = FALSE;
}

gboolean
cs_event_rules_trigger (CsEventRules * rules, guint32 trigger, gint64 t_ms,
    CsTriggerOutcome * out, CsEventInfo * ended)
{
  gboolean ended_one = FALSE;
  gint priority;

  g_return_val_if_fail (cs_event_trigger_is_single (trigger), FALSE);

  memset (out, 0, sizeof *out);
  if (rules->active && t_ms >= rules->current.start_ms +
      rules->config.interval_ms) {
    end_current (rules, ended);
    ended_one = TRUE;
  }
  if (!rules->active) {
    rules->active = TRUE;
    rules->current.event_seq = ++rules->seq;
    rules->current.start_ms = t_ms;
    rules->current.triggers = 0;
    rules->best_priority = G_MAXINT;
    rules->event_record_until = -1;
    out->new_event = TRUE;
  }
  out->event_seq = rules->current.event_seq;

  if (!(rules->current.triggers & trigger)) {
    /* A source new to this event: its one event message; a picture when
     * it has no priority (a new type) or outranks the pictures so far. */
    rules->current.triggers |= trigger;
    out->alarm = TRUE;
    priority = rules->config.priority[g_bit_nth_lsf (trigger, -1)];
    if (priority == CS_EVENT_NO_PRIORITY) {
      out->snapshot = TRUE;
    } else if (priority < rules->best_priority) {
      out->snapshot = TRUE;
      rules->best_priority = priority;
    }
  }
  rules->event_record_until = MAX (rules->event_record_until,
      t_ms + rules->config.min_record_ms);
  rules->record_until = MAX (rules->record_until, rules->event_record_until);
  out->record_until_ms = rules->record_until;
  return ended_one;
}

gboolean
cs_event_rules_advance (CsEventRules * rules, gint64 now_ms,
    CsEventInfo * ended)
{
  if (!rules->active)
    return FALSE;
  if (now_ms != G_MAXINT64 && (now_ms < rules->current.start_ms +
          rules->config.interval_ms || now_ms < rules->event_record_until))
    return FALSE;
  end_current (rules, ended);
  return TRUE;
}

gint64
cs_event_rules_record_until (CsEventRules * rules)
{
  return rules->record_until;
}

gboolean
cs_event_rules_current (CsEventRules * rules, CsEventInfo * info)
{
  if (rules->active && info)
    *info = rules->current;
  return rules->active;
}

guint
cs_event_rules_count_new_events (CsEventRules * rules,
    const gint64 * times_ms, guint n)
{
  gint64 until = rules->active ? rules->current.start_ms +
      rules->config.interval_ms : G_MININT64;
  guint count = 0;

  for (guint i = 0; i < n; i++) {
    if (times_ms[i] < until)
      continue;
    count++;
    until = times_ms[i] + rules->config.interval_ms;
  }
  return count;
}
