/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event-pic channel's plan on its own (ivcs-pictures.c): events follow
 * each other in time, whatever time a trigger is given. */
#include <gst/check/gstcheck.h>

#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"
#include "ivcs-pictures.h"

#define MD 1u
#define SD 4u
/* 2025-12-04 00:00:00 UTC */
#define T0 G_GINT64_CONSTANT (1764806400000)

static gchar *
no_picture (const gchar * event_id, guint trigger, gpointer data)
{
  return NULL;
}

static void
ignore_result (const gchar * path, CsSnapshotResult result, gpointer data)
{
}

/* The final version of each event.json under @dir's store, by start. */
static GPtrArray *
stored_events (const gchar * uri)
{
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  g_autoptr (GPtrArray) objects = cs_store_list (store, "cam1/", NULL, NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_event_record_free);

  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);
    g_autoptr (GBytes) json = NULL;
    CsEventRecord *r;

    if (!g_str_has_suffix (o->key, CS_KEY_EVENT_JSON))
      continue;
    json = cs_store_get (store, o->key, NULL, NULL);
    fail_unless (json != NULL);
    r = cs_event_record_parse (g_bytes_get_data (json, NULL),
        g_bytes_get_size (json), NULL);
    fail_unless (r != NULL, "%s does not parse", o->key);
    g_ptr_array_add (events, r);
  }
  return events;
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const CsEventRecord *x = *(CsEventRecord **) a, *y = *(CsEventRecord **) b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* An event ended by the clock (the tick), then a trigger whose time lies
 * before that end (the SDK lets a trigger be given up to the pre-roll
 * back): the new event starts where the last one ended, not inside it. */
GST_START_TEST (test_event_after_ended_one)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ivcs-pictures-XXXXXX", NULL);
  g_autofree gchar *uri = g_strconcat ("file://", dir, NULL);
  CsSnapshotCallbacks cb = {.capture = no_picture,.result = ignore_result };
  CsEventRulesConfig rules;
  g_autoptr (GPtrArray) events = NULL;
  IvcsPictures *plan;
  CsEventRecord *older, *newer;

  cs_event_rules_config_init (&rules);
  rules.min_record_ms = 2000;
  rules.interval_ms = 4000;
  plan = ivcs_pictures_new (cs_store_new (uri, NULL, NULL), "cam1", NULL,
      &rules, &cb);
  ivcs_pictures_trigger (plan, MD, T0 + 10000);
  /* Recorded until 12 s; the interval is over at 14 s. */
  ivcs_pictures_tick (plan, T0 + 14500);
  ivcs_pictures_trigger (plan, SD, T0 + 11500);
  ivcs_pictures_drain (plan, 5000);
  ivcs_pictures_free (plan);

  events = stored_events (uri);
  fail_unless_equals_int (events->len, 2);
  g_ptr_array_sort (events, by_start);
  older = g_ptr_array_index (events, 0);
  newer = g_ptr_array_index (events, 1);
  fail_unless (older->ended && newer->ended);
  fail_unless_equals_int64 (older->start_ms, T0 + 10000);
  fail_unless_equals_int64 (older->end_ms, T0 + 12000);
  fail_unless (newer->start_ms >= older->end_ms,
      "the second event starts at %" G_GINT64_FORMAT " ms, inside the first "
      "(ended at %" G_GINT64_FORMAT ")", newer->start_ms - T0,
      older->end_ms - T0);
  fail_unless_equals_int (newer->triggers, SD);
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static Suite *
ivcs_pictures_suite (void)
{
  Suite *s = suite_create ("ivcs-pictures");
  TCase *tc = tcase_create ("pictures");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_event_after_ended_one);
  return s;
}

GST_CHECK_MAIN (ivcs_pictures);
