/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ivcs-pictures.h"
#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-uploader.h"

#include <string.h>

/* Ended events kept for a picture that is stored after their end. */
#define ENDED_KEPT 8

struct _IvcsPictures
{
  gchar *device_id;
  CsSnapshotter *snapshotter;
  CsUploader *messages;         /* event.json, every version */
  CsSnapshotCallbacks app;

  GMutex lock;
  CsEventRules *rules;
  gint64 last_ms;               /* the rules take times in order */
  CsEventRecord *current;
  GQueue ended;                 /* CsEventRecord, newest last */
};

static gchar *
event_dir (IvcsPictures * self, const CsEventRecord * r)
{
  return cs_key_event_dir (self->device_id, r->id, r->start_ms);
}

/* With the lock: queues the event's message as it is now. */
static void
publish_locked (IvcsPictures * self, const CsEventRecord * r)
{
  g_autofree gchar *dir = event_dir (self, r);
  g_autofree gchar *key = g_strconcat (dir, "event.json", NULL);
  gchar *json = cs_event_record_to_json (r);
  g_autoptr (GBytes) data = g_bytes_new_take (json, strlen (json));

  cs_uploader_push (self->messages, cs_upload_item_new (key, data,
          "application/json", r->start_ms, 0), FALSE);
}

/* With the lock: the current event is over at @end_ms. */
static void
end_current_locked (IvcsPictures * self, gint64 end_ms)
{
  CsEventRecord *r = g_steal_pointer (&self->current);

  if (r == NULL)
    return;
  r->end_ms = MAX (end_ms, r->start_ms);
  r->ended = TRUE;
  publish_locked (self, r);
  g_queue_push_tail (&self->ended, r);
  while (self->ended.length > ENDED_KEPT)
    cs_event_record_free (g_queue_pop_head (&self->ended));
}

static CsEventRecord *
find_locked (IvcsPictures * self, const gchar * id)
{
  if (self->current && g_str_equal (self->current->id, id))
    return self->current;
  for (GList * l = self->ended.head; l; l = l->next)
    if (g_str_equal (((CsEventRecord *) l->data)->id, id))
      return l->data;
  return NULL;
}

/* The snapshotter's thread: the picture is in the store. */
static void
on_stored (const gchar * event_id, const gchar * key, gpointer data)
{
  IvcsPictures *self = data;
  CsEventRecord *r;

  g_mutex_lock (&self->lock);
  if ((r = find_locked (self, event_id)) != NULL) {
    g_free (r->snapshot);
    r->snapshot = g_strdup (key);
    publish_locked (self, r);
  }
  g_mutex_unlock (&self->lock);
}

static gchar *
on_capture (const gchar * event_id, guint trigger, gpointer data)
{
  IvcsPictures *self = data;
  return self->app.capture (event_id, trigger, self->app.data);
}

static void
on_result (const gchar * path, CsSnapshotResult result, gpointer data)
{
  IvcsPictures *self = data;
  self->app.result (path, result, self->app.data);
}

/* What became of an event message: only a failure is worth a word. */
static void
on_message_report (const CsUploadReport * r, gpointer data)
{
  if (r->outcome == CS_UPLOAD_FAILED || (r->outcome == CS_UPLOAD_DROPPED
          && g_strcmp0 (r->reason, CS_UPLOAD_DROP_CACHE_FULL) != 0))
    g_message ("libivcs: %s was not stored: %s", r->item->key,
        r->error ? r->error->message : r->reason);
}

IvcsPictures *
ivcs_pictures_new (CsStore * picture_store, CsStore * event_store,
    const gchar * device_id, const CsEventRulesConfig * rules,
    const CsSnapshotCallbacks * callbacks)
{
  IvcsPictures *self = g_new0 (IvcsPictures, 1);
  CsSnapshotCallbacks own = { on_capture, on_result, on_stored, NULL, self };
  /* Each version of an event's message replaces the last: a few are
   * plenty. */
  CsUploaderLimits limits = { 16, 1024 * 1024, -1, 500, 30000 };

  self->device_id = g_strdup (device_id);
  self->app = *callbacks;
  self->rules = cs_event_rules_new (rules);
  self->last_ms = G_MININT64;
  g_mutex_init (&self->lock);
  g_queue_init (&self->ended);
  self->messages = cs_uploader_new (event_store, &limits, on_message_report,
      self);
  self->snapshotter = cs_snapshotter_new (picture_store, &own);
  return self;
}

void
ivcs_pictures_trigger (IvcsPictures * self, guint32 trigger, gint64 utc_ms)
{
  g_autofree gchar *picture = NULL, *event_id = NULL;
  CsTriggerOutcome out;
  gint64 until;

  g_mutex_lock (&self->lock);
  self->last_ms = MAX (self->last_ms, utc_ms);
  until = cs_event_rules_record_until (self->rules);
  if (cs_event_rules_trigger (self->rules, trigger, self->last_ms, &out,
          NULL))
    end_current_locked (self, until);
  if (out.new_event) {
    event_id = g_strdup_printf ("%" G_GINT64_FORMAT, self->last_ms);
    self->current = cs_event_record_new (self->device_id, event_id,
        self->last_ms);
  }
  if (out.alarm) {
    CsEventAlarm alarm = { trigger, self->last_ms, out.snapshot };
    g_array_append_val (self->current->alarms, alarm);
    self->current->triggers |= trigger;
    if (out.snapshot) {
      g_autofree gchar *dir = event_dir (self, self->current);
      picture = g_strconcat (dir, "snapshot.jpg", NULL);
      g_free (event_id);
      event_id = g_strdup (self->current->id);
    }
    publish_locked (self, self->current);
  }
  g_mutex_unlock (&self->lock);
  if (picture)
    cs_snapshotter_request (self->snapshotter, event_id, trigger, picture);
}

void
ivcs_pictures_tick (IvcsPictures * self, gint64 now_ms)
{
  gint64 until;

  g_mutex_lock (&self->lock);
  until = cs_event_rules_record_until (self->rules);
  if (cs_event_rules_advance (self->rules, now_ms, NULL))
    end_current_locked (self, until);
  g_mutex_unlock (&self->lock);
}

void
ivcs_pictures_free (IvcsPictures * self, gint64 drain_ms)
{
  gint64 deadline = g_get_monotonic_time () + drain_ms * 1000;

  ivcs_pictures_tick (self, G_MAXINT64);
  if (drain_ms > 0 && cs_snapshotter_wait_idle (self->snapshotter, drain_ms))
    cs_uploader_drain (self->messages,
        MAX (0, deadline - g_get_monotonic_time ()) / 1000);
  cs_snapshotter_free (self->snapshotter);
  cs_uploader_free (self->messages);
  cs_event_rules_free (self->rules);
  g_queue_clear_full (&self->ended, (GDestroyNotify) cs_event_record_free);
  cs_event_record_free (self->current);
  g_mutex_clear (&self->lock);
  g_free (self->device_id);
  g_free (self);
}
