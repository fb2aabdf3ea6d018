/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ivcs-pictures.h"
#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-outbox.h"

#include <string.h>

/* Ended events kept for a picture that is stored after their end. */
#define ENDED_KEPT 8

struct _IvcsPictures
{
  gchar *device_id;
  CsSnapshotter *snapshotter;
  CsOutbox *outbox;             /* event.json (every version) and pictures */
  CsSnapshotCallbacks app;

  GMutex lock;
  CsEventRules *rules;
  gint64 last_ms;               /* the rules take times in order: the
                                 * latest trigger or event end */
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
  g_autofree gchar *key = g_strconcat (dir, CS_KEY_EVENT_JSON, NULL);
  gchar *json = cs_event_record_to_json (r);
  g_autoptr (GBytes) data = g_bytes_new_take (json, strlen (json));

  /* Never waits: an older version waiting gives way when need be. */
  cs_outbox_put (self->outbox, CS_OUTBOX_EVENT_OBJECT, key, data, FALSE);
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
  /* A trigger may be given a time up to the pre-roll back: the next event
   * starts after this one, not inside it. */
  self->last_ms = MAX (self->last_ms, r->end_ms);
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

/* What became of an event message (a picture's result tells its own):
 * only a failure is worth a word. */
static void
on_outbox_report (const CsOutboxReport * r, gpointer data)
{
  if (r->kind != CS_OUTBOX_EVENT_OBJECT)
    return;
  if (r->outcome == CS_OUTBOX_FAILED || (r->outcome == CS_OUTBOX_DROPPED
          && g_strcmp0 (r->reason, CS_UPLOAD_DROP_CACHE_FULL) != 0))
    g_message ("libivcs: %s was not stored: %s", r->key,
        r->error ? r->error->message : r->reason);
}

/* The snapshotter's thread: the picture goes through the outbox (retried
 * like everything else); its result waits for the store's answer. */
static gboolean
store_picture (const gchar * key, GBytes * jpeg, gpointer data,
    GError ** error)
{
  IvcsPictures *self = data;

  return cs_outbox_put_and_wait (self->outbox, CS_OUTBOX_PICTURE, key, jpeg,
      error);
}

IvcsPictures *
ivcs_pictures_new (CsStore * store, const gchar * device_id,
    CsKeyring * keyring, const CsEventRulesConfig * rules,
    const CsSnapshotCallbacks * callbacks)
{
  IvcsPictures *self = g_new0 (IvcsPictures, 1);
  CsSnapshotCallbacks own = { on_capture, on_result, on_stored,
    store_picture, self
  };
  /* Each version of an event's message replaces the last: a few are
   * plenty; pictures are stored one at a time.  No segments here. */
  CsOutboxConfig config = {.limits = {
          [CS_OUTBOX_SEGMENT] = {1, 0, -1, 500, 30000},
          [CS_OUTBOX_EVENT_OBJECT] = {16, 1024 * 1024, -1, 500, 30000},
          [CS_OUTBOX_PICTURE] = {8, 8 * 1024 * 1024, -1, 500, 30000},
      },.keyring = keyring
  };

  self->device_id = g_strdup (device_id);
  self->app = *callbacks;
  self->rules = cs_event_rules_new (rules);
  self->last_ms = G_MININT64;
  g_mutex_init (&self->lock);
  g_queue_init (&self->ended);
  /* Memory only: no spool for an outbox without a spool directory. */
  self->outbox = cs_outbox_new (store, &config, on_outbox_report, self, NULL,
      NULL);
  self->snapshotter = cs_snapshotter_new (NULL, &own);
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
      picture = g_strconcat (dir, CS_KEY_EVENT_SNAPSHOT, NULL);
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
  if (cs_event_rules_advance (self->rules, MAX (now_ms, self->last_ms), NULL))
    end_current_locked (self, until);
  g_mutex_unlock (&self->lock);
}

void
ivcs_pictures_drain (IvcsPictures * self, gint64 drain_ms)
{
  gint64 deadline = g_get_monotonic_time () + drain_ms * 1000;

  ivcs_pictures_tick (self, G_MAXINT64);
  if (cs_snapshotter_wait_idle (self->snapshotter, drain_ms))
    cs_outbox_drain (self->outbox,
        MAX (0, deadline - g_get_monotonic_time ()) / 1000, NULL);
}

void
ivcs_pictures_interrupt (IvcsPictures * self)
{
  cs_snapshotter_interrupt_waits (self->snapshotter);
  cs_outbox_interrupt_drains (self->outbox, TRUE);
}

void
ivcs_pictures_free (IvcsPictures * self)
{
  ivcs_pictures_tick (self, G_MAXINT64);
  /* Stopping the outbox first ends a picture's wait for its upload. */
  cs_outbox_stop (self->outbox, CS_UPLOAD_DROP_STOPPED);
  cs_snapshotter_free (self->snapshotter);
  cs_outbox_free (self->outbox);
  cs_event_rules_free (self->rules);
  g_queue_clear_full (&self->ended, (GDestroyNotify) cs_event_record_free);
  cs_event_record_free (self->current);
  g_mutex_clear (&self->lock);
  g_free (self->device_id);
  g_free (self);
}
