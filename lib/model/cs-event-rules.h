/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event rules of the reference API (iv_cs_event_happen_notify), apart
 * from any stream: which trigger starts an event, which one makes an event
 * message or wants a picture, how long recording lasts, when an event ends.
 * Times are UTC ms; calls must come in time order. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_EVENT_MAX_TRIGGERS 32
#define CS_EVENT_NO_PRIORITY (-1)

typedef struct {
  gint64 min_record_ms;         /* recording lasts until last trigger + this */
  gint64 interval_ms;           /* an event lasts this long from its first trigger */
  gint priority[CS_EVENT_MAX_TRIGGERS];  /* per bit; lower = higher; -1 none */
} CsEventRulesConfig;

typedef struct {
  guint64 event_seq;            /* 1, 2, … per event, in this run */
  gboolean new_event;           /* this trigger started event_seq */
  gboolean alarm;               /* a source new to the event: one message */
  gboolean snapshot;            /* a picture is wanted for this alarm */
  gint64 record_until_ms;       /* recording lasts at least until then */
} CsTriggerOutcome;

typedef struct {
  guint64 event_seq;
  gint64 start_ms;              /* its first trigger */
  guint32 triggers;             /* bits of every source seen in it */
} CsEventInfo;

typedef struct _CsEventRules CsEventRules;

void cs_event_rules_config_init (CsEventRulesConfig * config);
CsEventRules *cs_event_rules_new (const CsEventRulesConfig * config);
void cs_event_rules_free (CsEventRules * rules);

/* TRUE when @trigger has exactly one bit set. */
gboolean cs_event_trigger_is_single (guint32 trigger);

/* Applies a trigger of one source (a single bit) at @t_ms.  When it starts a
 * new event, the event before it (if any) is over: its info is put in
 * @ended and TRUE returned. */
gboolean cs_event_rules_trigger (CsEventRules * rules, guint32 trigger,
    gint64 t_ms, CsTriggerOutcome * out, CsEventInfo * ended);

/* As time reaches @now_ms: TRUE (with its info) when the current event's
 * interval has elapsed and its recording is over; it is then no longer
 * current.  @now_ms = G_MAXINT64 ends it whatever the time. */
gboolean cs_event_rules_advance (CsEventRules * rules, gint64 now_ms,
    CsEventInfo * ended);

/* How many events triggers at @times_ms (in time order) would start besides
 * the current one: the events waiting to be processed. */
guint cs_event_rules_count_new_events (CsEventRules * rules,
    const gint64 * times_ms, guint n);

/* Until when recording lasts (-1: no trigger yet). */
gint64 cs_event_rules_record_until (CsEventRules * rules);
/* The current event, if any. */
gboolean cs_event_rules_current (CsEventRules * rules, CsEventInfo * info);

G_END_DECLS
