/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-sink-events.h"
#include "cs-event-record.h"
#include "cs-gate-events.h"
#include "cs-key.h"
#include "cs-playlist.h"

#include <string.h>

/* Events done whose picture may still come. */
#define MAX_FINISHED 16

/* From @rt on, what the gate lets through belongs to @event_id; NULL: the
 * gate is closed. */
typedef struct
{
  GstClockTime rt;
  gchar *event_id;
} Mark;

typedef struct
{
  CsEventRecord *record;
  /* guint64, the bytes of each of record->segments: its playlist states a
   * fragmented MP4 segment's media part by byte range (hlsdemux needs it). */
  GArray *segment_sizes;
  gchar *dir;                   /* <device>/ev/<day>/<id>/ */
  GstClockTime end_rt;          /* NONE until it ended */
} SinkEvent;

struct _CsSinkEvents
{
  gchar *device_id;
  gint64 key_id;                /* in segment names, or CS_KEY_NO_KEY_ID */
  GArray *marks;                /* Mark, in stream order */
  GList *events;                /* SinkEvent, open or waiting for segments */
  GQueue finished;              /* SinkEvent, the latest done: a picture may
                                 * come after its event */
  gchar *current;               /* id of the latest event started */
  gboolean gated;
  GstClockTime close_rt;
  GstClockTime paused_rt;       /* the close whose event was told so far */
  GstClockTime stored_end_rt;   /* end of the latest stored segment */
  GPtrArray *done;              /* CsSinkEventDone, finished since taken */
};

static void
mark_clear (Mark * m)
{
  g_free (m->event_id);
}

static void
sink_event_free (SinkEvent * e)
{
  cs_event_record_free (e->record);
  g_array_unref (e->segment_sizes);
  g_free (e->dir);
  g_free (e);
}

CsSinkEvents *
cs_sink_events_new (const gchar * device_id, gint64 key_id)
{
  CsSinkEvents *ev = g_new0 (CsSinkEvents, 1);

  ev->device_id = g_strdup (device_id);
  ev->key_id = key_id;
  ev->marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  g_array_set_clear_func (ev->marks, (GDestroyNotify) mark_clear);
  ev->close_rt = GST_CLOCK_TIME_NONE;
  ev->paused_rt = GST_CLOCK_TIME_NONE;
  ev->stored_end_rt = GST_CLOCK_TIME_NONE;
  ev->done = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_sink_event_done_free);
  return ev;
}

void
cs_sink_events_free (CsSinkEvents * ev)
{
  if (ev == NULL)
    return;
  g_free (ev->device_id);
  g_array_unref (ev->marks);
  g_list_free_full (ev->events, (GDestroyNotify) sink_event_free);
  g_queue_clear_full (&ev->finished, (GDestroyNotify) sink_event_free);
  g_free (ev->current);
  g_ptr_array_unref (ev->done);
  g_free (ev);
}

void
cs_sink_event_done_free (CsSinkEventDone * d)
{
  g_free (d->event_id);
  g_free (d->json_key);
  g_strfreev (d->keys);
  g_free (d);
}

GPtrArray *
cs_sink_events_take_done (CsSinkEvents * ev)
{
  GPtrArray *done = ev->done;

  ev->done = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_sink_event_done_free);
  return done;
}

static SinkEvent *
find_in (GList * l, const gchar * id)
{
  for (; l && id; l = l->next)
    if (g_str_equal (((SinkEvent *) l->data)->record->id, id))
      return l->data;
  return NULL;
}

static SinkEvent *
find_event (CsSinkEvents * ev, const gchar * id)
{
  return find_in (ev->events, id);
}

static void
add_mark (CsSinkEvents * ev, GstClockTime rt, const gchar * event_id)
{
  Mark m = { rt, g_strdup (event_id) };

  g_array_append_val (ev->marks, m);
}

static void
upload_text (GPtrArray * uploads, const gchar * key, gchar * text,
    gint64 start_ms)
{
  g_autoptr (GBytes) data = g_bytes_new_take (text, strlen (text));

  g_ptr_array_add (uploads, cs_upload_item_new (key, data,
          cs_key_content_type (key), start_ms, 0));
}

static void
upload_record (SinkEvent * e, GPtrArray * uploads)
{
  g_autofree gchar *key = g_strconcat (e->dir, CS_KEY_EVENT_JSON, NULL);

  upload_text (uploads, key, cs_event_record_to_json (e->record),
      e->record->start_ms);
}

/* Its segments, relative to its directory: beside it, or up in rec/. */
static void
upload_playlist (CsSinkEvents * ev, SinkEvent * e, GPtrArray * uploads)
{
  GPtrArray *segs = e->record->segments;
  g_autofree CsPlaylistEntry *entries = g_new0 (CsPlaylistEntry, segs->len);
  g_autofree gchar *key = g_strconcat (e->dir, CS_KEY_EVENT_PLAYLIST, NULL);
  guint n = 0;

  for (guint i = 0; i < segs->len; i++) {
    const gchar *seg = g_ptr_array_index (segs, i);
    CsPlaylistEntry *p = &entries[n];

    if (!cs_key_parse_segment (seg, &p->start_ms, &p->duration_ms))
      continue;
    p->uri = cs_key_relative_to_event_dir (e->dir, ev->device_id, seg);
    p->key_uri = cs_playlist_key_uri (seg, CS_PLAYLIST_DEFAULT_KEY_URI);
    p->fmp4 = cs_key_segment_is_fmp4 (seg);
    p->size = g_array_index (e->segment_sizes, guint64, i);
    n++;
  }
  if (n > 0)
    upload_text (uploads, key, cs_playlist_vod (entries, n),
        e->record->start_ms);
  for (guint i = 0; i < n; i++) {
    g_free (entries[i].uri);
    g_free (entries[i].key_uri);
  }
}

static void
finish_event (CsSinkEvents * ev, SinkEvent * e, GPtrArray * uploads)
{
  CsSinkEventDone *d = g_new0 (CsSinkEventDone, 1);
  GStrvBuilder *keys = g_strv_builder_new ();
  guint first = uploads->len;

  e->record->ended = TRUE;
  upload_playlist (ev, e, uploads);
  upload_record (e, uploads);
  for (guint i = 0; i < e->record->segments->len; i++)
    g_strv_builder_add (keys, g_ptr_array_index (e->record->segments, i));
  for (guint i = first; i < uploads->len; i++)
    g_strv_builder_add (keys, ((CsUploadItem *) g_ptr_array_index (uploads,
                i))->key);
  d->event_id = g_strdup (e->record->id);
  d->json_key = g_strconcat (e->dir, CS_KEY_EVENT_JSON, NULL);
  d->keys = g_strv_builder_end (keys);
  g_strv_builder_unref (keys);
  g_ptr_array_add (ev->done, d);
  ev->events = g_list_remove (ev->events, e);
  g_queue_push_tail (&ev->finished, e);
  if (g_queue_get_length (&ev->finished) > MAX_FINISHED)
    sink_event_free (g_queue_pop_head (&ev->finished));
}

static void
finish_complete_events (CsSinkEvents * ev, GPtrArray * uploads)
{
  GList *l = ev->events;

  while (l) {
    SinkEvent *e = l->data;
    l = l->next;
    if (GST_CLOCK_TIME_IS_VALID (e->end_rt)
        && GST_CLOCK_TIME_IS_VALID (ev->stored_end_rt)
        && ev->stored_end_rt >= e->end_rt)
      finish_event (ev, e, uploads);
  }
}

gboolean
cs_sink_events_handle (CsSinkEvents * ev, const GstStructure * s,
    GPtrArray * uploads)
{
  gboolean split = FALSE;
  const gchar *name = gst_structure_get_name (s);
  const gchar *id = gst_structure_get_string (s, "event-id");
  guint64 rt = GST_CLOCK_TIME_NONE;
  SinkEvent *e;

  gst_structure_get_uint64 (s, "running-time", &rt);
  if (g_str_equal (name, CS_GATE_OPEN)) {
    /* After a close, the next recording starts a segment of its own. */
    split = GST_CLOCK_TIME_IS_VALID (ev->close_rt);
    ev->gated = TRUE;
    add_mark (ev, rt, ev->current);
  } else if (g_str_equal (name, CS_GATE_CLOSE)
      && GST_CLOCK_TIME_IS_VALID (rt) && rt > CS_SINK_CLOSER_LEAD) {
    split = TRUE;
    ev->close_rt = rt;
    add_mark (ev, rt - CS_SINK_CLOSER_LEAD, NULL);
  } else if (g_str_equal (name, CS_EVENT_STARTED) && cs_key_name_is_valid (id)) {
    gint64 start_ms = 0;
    guint triggers = 0;

    gst_structure_get_int64 (s, "start-ms", &start_ms);
    gst_structure_get_uint (s, "triggers", &triggers);
    e = g_new0 (SinkEvent, 1);
    e->record = cs_event_record_new (ev->device_id, id, MAX (start_ms, 0));
    e->record->triggers = triggers;
    e->segment_sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
    e->dir = cs_key_event_dir (ev->device_id, id, e->record->start_ms);
    e->end_rt = GST_CLOCK_TIME_NONE;
    ev->events = g_list_append (ev->events, e);
    g_free (ev->current);
    ev->current = g_strdup (id);
    if (ev->gated) {
      /* A new event while recording goes on: cut at its first keyframe. */
      split = ev->marks->len > 0 && g_array_index (ev->marks, Mark,
          ev->marks->len - 1).rt < rt;
      add_mark (ev, rt, id);
    }
    upload_record (e, uploads);
  } else if (g_str_equal (name, CS_EVENT_ALARM) && (e = find_event (ev, id))) {
    CsEventAlarm a = { 0 };

    gst_structure_get_uint (s, "trigger", &a.trigger);
    gst_structure_get_int64 (s, "time-ms", &a.time_ms);
    gst_structure_get_boolean (s, "snapshot", &a.snapshot);
    g_array_append_val (e->record->alarms, a);
    e->record->triggers |= a.trigger;
    upload_record (e, uploads);
  } else if (g_str_equal (name, CS_EVENT_ENDED) && (e = find_event (ev, id))) {
    gst_structure_get_int64 (s, "end-ms", &e->record->end_ms);
    /* A closed gate has let its last frame through at the close; the
     * segment that holds it ends just before it (see CS_SINK_CLOSER_LEAD). */
    e->end_rt = ev->gated && GST_CLOCK_TIME_IS_VALID (ev->close_rt)
        && ev->marks->len > 0
        && g_array_index (ev->marks, Mark, ev->marks->len - 1).event_id ==
        NULL ? ev->close_rt - CS_SINK_CLOSER_LEAD : rt;
    finish_complete_events (ev, uploads);
  }
  return split;
}

gchar *
cs_sink_events_segment_key (CsSinkEvents * ev, GstClockTime start_rt,
    gint64 start_ms, gint64 duration_ms, const gchar * ext)
{
  const Mark *owner = NULL;
  SinkEvent *e;
  guint keep;

  if (!ev->gated)
    return cs_key_recording_segment (ev->device_id, start_ms, duration_ms,
        ev->key_id, ext);
  /* The latest mark at or before the start; the ones before it are done. */
  for (guint i = 0; i < ev->marks->len; i++) {
    const Mark *m = &g_array_index (ev->marks, Mark, i);
    if (m->rt > start_rt)
      break;
    owner = m;
  }
  if (owner == NULL || owner->event_id == NULL
      || (e = find_event (ev, owner->event_id)) == NULL)
    return NULL;
  keep = owner - (const Mark *) ev->marks->data;
  {
    g_autofree gchar *name = cs_key_segment_name (start_ms, duration_ms,
        ev->key_id, ext);
    if (keep > 0)
      g_array_remove_range (ev->marks, 0, keep);
    return g_strconcat (e->dir, name, NULL);
  }
}

void
cs_sink_events_segment_stored (CsSinkEvents * ev, const gchar * key,
    guint64 size, gint64 start_ms, gint64 end_ms, GstClockTime end_rt,
    GPtrArray * uploads)
{
  SinkEvent *paused = NULL;

  ev->stored_end_rt = end_rt;
  for (GList * l = ev->events; l; l = l->next) {
    SinkEvent *e = l->data;
    gboolean holds = ev->gated ? g_str_has_prefix (key, e->dir) :
        end_ms > e->record->start_ms && (e->record->end_ms < 0
        || start_ms < e->record->end_ms);
    if (holds) {
      g_ptr_array_add (e->record->segments, g_strdup (key));
      g_array_append_val (e->segment_sizes, size);
      paused = e;
    }
  }
  finish_complete_events (ev, uploads);
  /* The gate closed after this segment: the recording paused, and its
   * event, which a trigger may yet go on with until event-interval, is
   * rewritten with its segments (and index.m3u8) now, so that the clip can
   * be found and played now rather than at the event's end. */
  if (paused && ev->gated && GST_CLOCK_TIME_IS_VALID (ev->close_rt)
      && GST_CLOCK_TIME_IS_VALID (end_rt) && ev->paused_rt != ev->close_rt
      && end_rt + CS_SINK_CLOSER_LEAD >= ev->close_rt
      && g_list_find (ev->events, paused)) {
    ev->paused_rt = ev->close_rt;
    upload_playlist (ev, paused, uploads);
    upload_record (paused, uploads);
  }
}

gboolean
cs_sink_events_set_snapshot (CsSinkEvents * ev, const gchar * event_id,
    GPtrArray * uploads)
{
  SinkEvent *e = find_event (ev, event_id);

  /* A picture may be made after its event: its event.json is rewritten. */
  if (e == NULL)
    e = find_in (ev->finished.head, event_id);

  if (e == NULL)
    return FALSE;
  g_free (e->record->snapshot);
  e->record->snapshot = g_strconcat (e->dir, CS_KEY_EVENT_SNAPSHOT, NULL);
  upload_record (e, uploads);
  return TRUE;
}

gchar *
cs_sink_events_snapshot_key (CsSinkEvents * ev, const gchar * event_id)
{
  SinkEvent *e = find_event (ev, event_id);

  return e ? g_strconcat (e->dir, CS_KEY_EVENT_SNAPSHOT, NULL) : NULL;
}

void
cs_sink_events_finish (CsSinkEvents * ev, GPtrArray * uploads)
{
  while (ev->events) {
    SinkEvent *e = ev->events->data;
    if (e->record->end_ms < 0)
      e->record->end_ms = MAX (e->record->start_ms, 0);
    finish_event (ev, e, uploads);
  }
}
