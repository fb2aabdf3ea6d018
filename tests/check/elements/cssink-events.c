/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's event side (gst/cs-sink-events.c), called directly as cssink
 * calls it: the gate's announcements (as they reach the muxer), segments
 * named and stored, and what goes to the store: each event's event.json as
 * it changes, and at its end index.m3u8 and the final event.json, once its
 * last segment is stored. */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "cs-gate-events.h"
#include "cs-key.h"
#include "cs-sink-events.h"

#define DEVICE "cam1"
/* 2023-11-14T22:13:20Z */
#define BASE_MS G_GINT64_CONSTANT (1700000000000)

/* A gate announcement at running time @rt_s, its event (if any) at UTC
 * @utc_ms (start-ms and end-ms). */
static gboolean
announce_at (CsSinkEvents * ev, const gchar * name, const gchar * id,
    gdouble rt_s, gint64 utc_ms, GPtrArray * uploads)
{
  g_autoptr (GstStructure) s = gst_structure_new (name, "running-time",
      G_TYPE_UINT64, (guint64) (rt_s * GST_SECOND), NULL);

  if (id) {
    gst_structure_set (s, "event-id", G_TYPE_STRING, id,
        "start-ms", G_TYPE_INT64, utc_ms, "end-ms", G_TYPE_INT64, utc_ms,
        "triggers", G_TYPE_UINT, 1u, NULL);
  }
  return cs_sink_events_handle (ev, s, uploads);
}

/* The same, the video's UTC being BASE_MS + its running time. */
static gboolean
announce (CsSinkEvents * ev, const gchar * name, const gchar * id,
    gdouble rt_s, GPtrArray * uploads)
{
  return announce_at (ev, name, id, rt_s, BASE_MS + (gint64) (rt_s * 1000),
      uploads);
}

/* A segment from @from to @to (running time; UTC is BASE_MS + it) closed:
 * named and stored as cssink does; its key, or NULL when discarded. */
static gchar *
segment_rt (CsSinkEvents * ev, GstClockTime from, GstClockTime to,
    GPtrArray * uploads)
{
  gint64 start_ms = BASE_MS + (gint64) (from / GST_MSECOND);
  gint64 end_ms = BASE_MS + (gint64) (to / GST_MSECOND);
  gchar *key = cs_sink_events_segment_key (ev, from, start_ms,
      end_ms - start_ms, "ts");

  if (key)
    cs_sink_events_segment_stored (ev, key, 10000, start_ms, end_ms, to,
        uploads);
  return key;
}

static gchar *
segment (CsSinkEvents * ev, guint from_s, guint to_s, GPtrArray * uploads)
{
  return segment_rt (ev, from_s * GST_SECOND, to_s * GST_SECOND, uploads);
}

/* The upload of @name (last in @uploads), or NULL. */
static CsUploadItem *
find_upload (GPtrArray * uploads, const gchar * name)
{
  for (guint i = uploads->len; i > 0; i--) {
    CsUploadItem *item = g_ptr_array_index (uploads, i - 1);
    if (g_str_has_suffix (item->key, name))
      return item;
  }
  return NULL;
}

/* The same, which must be there. */
static CsUploadItem *
get_upload (GPtrArray * uploads, const gchar * name)
{
  CsUploadItem *item = find_upload (uploads, name);

  if (item == NULL)
    g_error ("no %s uploaded", name);
  return item;
}

/* The event.json last uploaded, parsed. */
static JsonObject *
last_record (GPtrArray * uploads, JsonParser * parser)
{
  CsUploadItem *item = get_upload (uploads, "/event.json");
  gsize len;
  const gchar *data;

  data = g_bytes_get_data (item->data, &len);
  fail_unless (json_parser_load_from_data (parser, data, len, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static guint
record_segments (JsonObject * record)
{
  return json_array_get_length (json_object_get_array_member (record,
          "segments"));
}

static GPtrArray *
new_uploads (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_upload_item_free);
}

/* An event behind a gate: event.json at once (not ended, no segment), its
 * segments filed under the event, nothing after the close, and when the
 * segment holding the last frame before the close is stored: index.m3u8
 * with every segment, and event.json ended with them all. */
GST_START_TEST (test_gated_event_whole_at_last_segment)
{
  CsSinkEvents *ev = cs_sink_events_new (DEVICE, CS_KEY_NO_KEY_ID);
  g_autoptr (GPtrArray) uploads = new_uploads ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *seg1 = NULL, *seg2 = NULL, *after = NULL;
  g_autoptr (GPtrArray) done = NULL;
  CsSinkEventDone *d;
  CsUploadItem *m3u8;
  JsonObject *record;
  const gchar *text;

  fail_if (announce (ev, CS_EVENT_STARTED, "E1", 0, uploads));
  record = last_record (uploads, parser);
  fail_if (json_object_get_boolean_member (record, "ended"));
  fail_unless_equals_int (record_segments (record), 0);
  fail_unless (g_str_has_prefix (get_upload (uploads, "/event.json")->key,
          DEVICE "/ev/20231114/E1/"));

  /* The first recording: no segment to cut yet. */
  fail_if (announce (ev, CS_GATE_OPEN, NULL, 0, uploads));
  g_ptr_array_set_size (uploads, 0);
  seg1 = segment (ev, 0, 2, uploads);
  fail_unless (seg1 != NULL);
  fail_unless (g_str_has_prefix (seg1, DEVICE "/ev/20231114/E1/"));
  fail_unless (g_str_has_suffix (seg1, "/1700000000000_2000.ts"));
  /* A segment does not rewrite event.json while the event goes on. */
  fail_unless_equals_int (uploads->len, 0);

  /* The gate closes at 4 s (its first frame held back): a cut. */
  fail_unless (announce (ev, CS_GATE_CLOSE, NULL, 4, uploads));
  fail_if (announce (ev, CS_EVENT_ENDED, "E1", 4, uploads));
  /* Ended, but its last segment is not stored yet: nothing final. */
  fail_unless (find_upload (uploads, "/index.m3u8") == NULL);
  done = cs_sink_events_take_done (ev);
  fail_unless_equals_int (done->len, 0);
  g_clear_pointer (&done, g_ptr_array_unref);

  /* That segment ends just before the close. */
  seg2 = segment_rt (ev, 2 * GST_SECOND, 4 * GST_SECOND - CS_SINK_CLOSER_LEAD,
      uploads);
  fail_unless (seg2 != NULL && g_str_has_prefix (seg2, DEVICE "/ev/"));
  m3u8 = get_upload (uploads, "/index.m3u8");
  text = g_bytes_get_data (m3u8->data, NULL);
  fail_unless (strstr (text, "1700000000000_2000.ts\n") != NULL);
  fail_unless (strstr (text, "1700000002000_") != NULL);
  fail_unless (strstr (text, "#EXT-X-ENDLIST") != NULL);
  record = last_record (uploads, parser);
  fail_unless (json_object_get_boolean_member (record, "ended"));
  fail_unless_equals_int (record_segments (record), 2);
  /* event.json after index.m3u8: a reader that sees it ended finds all. */
  fail_unless (find_upload (uploads, "/event.json") ==
      g_ptr_array_index (uploads, uploads->len - 1));

  /* Whole in the store once these are: both segments, the playlist, the
   * final event.json. */
  done = cs_sink_events_take_done (ev);
  fail_unless_equals_int (done->len, 1);
  d = g_ptr_array_index (done, 0);
  fail_unless_equals_string (d->event_id, "E1");
  fail_unless (g_str_has_suffix (d->json_key, "/E1/event.json"));
  fail_unless_equals_int (g_strv_length (d->keys), 4);
  fail_unless (g_strv_contains ((const gchar * const *) d->keys, seg1));
  fail_unless (g_strv_contains ((const gchar * const *) d->keys, seg2));

  /* What the gate lets through after its close belongs to no event. */
  after = segment (ev, 4, 5, uploads);
  fail_unless (after == NULL);
  cs_sink_events_free (ev);
}

GST_END_TEST;

/* A second event while the gate stays open: a cut at its first keyframe,
 * and the segments from there on are the new event's. */
GST_START_TEST (test_next_event_cuts)
{
  CsSinkEvents *ev = cs_sink_events_new (DEVICE, CS_KEY_NO_KEY_ID);
  g_autoptr (GPtrArray) uploads = new_uploads ();
  g_autofree gchar *seg1 = NULL, *seg2 = NULL;

  announce (ev, CS_EVENT_STARTED, "E1", 0, uploads);
  announce (ev, CS_GATE_OPEN, NULL, 0, uploads);
  fail_unless (announce (ev, CS_EVENT_STARTED, "E2", 3, uploads));
  seg1 = segment (ev, 0, 3, uploads);
  seg2 = segment (ev, 3, 5, uploads);
  fail_unless (strstr (seg1, "/E1/") != NULL);
  fail_unless (strstr (seg2, "/E2/") != NULL);
  cs_sink_events_free (ev);
}

GST_END_TEST;

/* Full-time (mark mode: no gate-open): segments stay in rec/, and an event
 * lists those its time overlaps (by UTC: the trigger's clock may be a
 * little ahead of the video's); its playlist points up to them. */
GST_START_TEST (test_mark_mode_points_at_recording)
{
  CsSinkEvents *ev = cs_sink_events_new (DEVICE, CS_KEY_NO_KEY_ID);
  g_autoptr (GPtrArray) uploads = new_uploads ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *seg0 = NULL, *seg1 = NULL, *seg2 = NULL;
  JsonObject *record;
  const gchar *text;

  /* Announced at 1.9 s of video, its trigger at 2.5 s of UTC. */
  fail_if (announce_at (ev, CS_EVENT_STARTED, "E1", 1.9, BASE_MS + 2500,
          uploads));
  seg0 = segment (ev, 0, 2, uploads);
  fail_unless (g_str_has_prefix (seg0, DEVICE "/rec/20231114/22/"));
  seg1 = segment (ev, 2, 4, uploads);
  fail_if (announce (ev, CS_EVENT_ENDED, "E1", 5, uploads));
  seg2 = segment (ev, 4, 6, uploads);
  fail_unless (g_str_has_prefix (seg2, DEVICE "/rec/"));

  record = last_record (uploads, parser);
  fail_unless (json_object_get_boolean_member (record, "ended"));
  /* Not the one before the event. */
  fail_unless_equals_int (record_segments (record), 2);
  text = g_bytes_get_data (get_upload (uploads, "/index.m3u8")->data, NULL);
  fail_unless (strstr (text, "../../../rec/20231114/22/1700000002000_2000.ts")
      != NULL, "%s", text);
  fail_unless (strstr (text, "1700000000000_") == NULL);
  cs_sink_events_free (ev);
}

GST_END_TEST;

/* At EOS an event still open is finished with what it has; a picture that
 * comes after its event still rewrites its event.json. */
GST_START_TEST (test_finish_then_late_snapshot)
{
  CsSinkEvents *ev = cs_sink_events_new (DEVICE, CS_KEY_NO_KEY_ID);
  g_autoptr (GPtrArray) uploads = new_uploads ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *seg = NULL;
  JsonObject *record;

  announce (ev, CS_EVENT_STARTED, "E1", 0, uploads);
  announce (ev, CS_GATE_OPEN, NULL, 0, uploads);
  seg = segment (ev, 0, 2, uploads);
  g_ptr_array_set_size (uploads, 0);
  cs_sink_events_finish (ev, uploads);
  fail_unless (find_upload (uploads, "/index.m3u8") != NULL);
  record = last_record (uploads, parser);
  fail_unless (json_object_get_boolean_member (record, "ended"));
  fail_unless_equals_int (record_segments (record), 1);
  fail_unless (json_object_get_null_member (record, "snapshot"));

  g_ptr_array_set_size (uploads, 0);
  fail_unless (cs_sink_events_set_snapshot (ev, "E1", uploads));
  record = last_record (uploads, parser);
  fail_unless (g_str_has_suffix (json_object_get_string_member (record,
              "snapshot"), "/E1/snapshot.jpg"));
  fail_if (cs_sink_events_set_snapshot (ev, "E9", uploads));
  cs_sink_events_free (ev);
}

GST_END_TEST;

static Suite *
events_suite (void)
{
  Suite *s = suite_create ("cssink-events");
  TCase *tc = tcase_create ("general");

  tcase_add_test (tc, test_gated_event_whole_at_last_segment);
  tcase_add_test (tc, test_next_event_cuts);
  tcase_add_test (tc, test_mark_mode_points_at_recording);
  tcase_add_test (tc, test_finish_then_late_snapshot);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (events);
