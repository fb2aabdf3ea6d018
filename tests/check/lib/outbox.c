/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The README's guarantees ("What is kept, for how long, and what is
 * dropped"), row by row, as the outbox gives them: against a real HTTP
 * server on 127.0.0.1 that answers as each test tells it, no encoder in the
 * loop.  Keys are those of the store layout: the outbox tells kinds by
 * them. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-outbox.h"
#include "cs-test-server.h"
#include "cs-test-util.h"

#define SEG(n) "cam1/rec/20260101/00/" #n "000_4000.ts"
#define EVENT_JSON "cam1/ev/20260101/e1/event.json"
#define PICTURE "cam1/ev/20260101/e1/snapshot.jpg"

static CsTestServer *srv;
static gchar *spool_dir;

/* What the outbox reported, as "outcome:key[:reason]" strings. */
static GMutex reports_lock;
static GPtrArray *reports;
static guint last_http_status;

static void
on_report (const CsOutboxReport * r, gpointer data)
{
  static const gchar *names[] = { "uploaded", "dropped", "retry", "failed",
    "not-spooled"
  };
  gchar *line = r->reason ? g_strdup_printf ("%s:%s:%s", names[r->outcome],
      r->key, r->reason) : g_strdup_printf ("%s:%s", names[r->outcome],
      r->key);

  g_mutex_lock (&reports_lock);
  g_ptr_array_add (reports, line);
  if (r->error != NULL)
    last_http_status = r->http_status;
  g_mutex_unlock (&reports_lock);
}

static void
setup (void)
{
  srv = cs_test_server_start (NULL);
  reports = g_ptr_array_new_with_free_func (g_free);
  last_http_status = 0;
  spool_dir = g_dir_make_tmp ("cs-outbox-XXXXXX", NULL);
  fail_unless (spool_dir != NULL);
}

static void
teardown (void)
{
  cs_test_server_stop (srv);
  g_clear_pointer (&reports, g_ptr_array_unref);
  cs_test_remove_tree (spool_dir);
  g_clear_pointer (&spool_dir, g_free);
}

/* Segments: @max_items (the README's max-cached-segments); event objects
 * and pictures: caches of their own. */
static CsOutbox *
new_outbox (guint max_items, gboolean spool, guint64 spool_max_bytes)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autoptr (GError) error = NULL;
  CsStoreConfig store_config = {.timeout_s = 5 };
  CsStore *store = cs_store_new (uri, &store_config, NULL);
  CsOutboxConfig config = { 0 };
  CsSpoolOpenInfo info = { 0 };
  CsOutbox *outbox;

  fail_unless (store != NULL);
  for (guint k = 0; k < CS_OUTBOX_N_KINDS; k++)
    config.limits[k] = (CsUploaderLimits) {
    k == CS_OUTBOX_SEGMENT ? max_items : 16, 0, -1, 10, 40};
  if (spool) {
    config.spool_dir = spool_dir;
    config.spool_max_bytes = spool_max_bytes;
    config.device_id = "cam1";
  }
  outbox = cs_outbox_new (store, &config, on_report, NULL, &info, &error);
  fail_unless (outbox != NULL, "%s", error ? error->message : "");
  cs_spool_open_info_clear (&info);
  return outbox;
}

static void
put (CsOutbox * ob, const gchar * key, gsize size, gboolean wait_for_room)
{
  g_autoptr (GBytes) data = g_bytes_new_take (g_malloc0 (size), size);

  cs_outbox_put (ob, cs_outbox_kind_of_key (key), key, data, wait_for_room);
}

/* The reports so far, joined by spaces. */
static gchar *
reports_text (void)
{
  g_autofree gchar **lines = NULL;
  gchar *text;

  g_mutex_lock (&reports_lock);
  g_ptr_array_add (reports, NULL);
  text = g_strjoinv (" ", (gchar **) reports->pdata);
  g_ptr_array_remove_index (reports, reports->len - 1);
  g_mutex_unlock (&reports_lock);
  return text;
}

static void
assert_reports (const gchar * expected)
{
  g_autofree gchar *got = reports_text ();

  fail_unless_equals_string (got, expected);
}

/* The server refuses every request (503), or no longer. */
static void
refuse_all (gboolean refuse)
{
  g_mutex_lock (&srv->lock);
  g_queue_clear (&srv->statuses);
  for (guint i = 0; refuse && i < 100000; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  g_mutex_unlock (&srv->lock);
}

static guint
stored_count (void)
{
  guint n;

  g_mutex_lock (&srv->lock);
  n = srv->stored->len;
  g_mutex_unlock (&srv->lock);
  return n;
}

/* Where @key is among the stored objects; fails when it is not there. */
static guint
stored_index (const gchar * key)
{
  guint i;

  g_mutex_lock (&srv->lock);
  for (i = 0; i < srv->stored->len; i++)
    if (g_str_equal (g_ptr_array_index (srv->stored, i), key))
      break;
  g_mutex_unlock (&srv->lock);
  fail_unless (i < stored_count (), "%s was not stored", key);
  return i;
}

/* uplink keeps up: every object, uploaded once, in order. */
GST_START_TEST (test_uplink_keeps_up)
{
  CsOutbox *ob = new_outbox (3, FALSE, 0);
  CsOutboxStats st;

  put (ob, SEG (1), 100, FALSE);
  put (ob, SEG (2), 100, FALSE);
  put (ob, SEG (3), 100, FALSE);
  fail_unless (cs_outbox_drain (ob, 5000, NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].uploaded, 3);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].bytes_uploaded, 300);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].pending, 0);
  cs_outbox_free (ob);
  assert_reports ("uploaded:" SEG (1) " uploaded:" SEG (2) " uploaded:"
      SEG (3));
  fail_unless_equals_int (srv->requests, 3);
  fail_unless_equals_string (g_ptr_array_index (srv->stored, 2), SEG (3));
}

GST_END_TEST;

/* a request fails (5xx, 429): retried; each try reported with the store's
 * answer. */
GST_START_TEST (test_failed_request_retried)
{
  CsOutbox *ob;
  CsOutboxStats st;

  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (429));
  ob = new_outbox (3, FALSE, 0);
  put (ob, SEG (1), 10, FALSE);
  fail_unless (cs_outbox_drain (ob, 5000, NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].retries, 2);
  cs_outbox_free (ob);
  assert_reports ("retry:" SEG (1) " retry:" SEG (1) " uploaded:" SEG (1));
  fail_unless_equals_int (last_http_status, 429);
}

GST_END_TEST;

/* Pictures get the same retries as everything else (a failed request once
 * lost the picture), and put_and_wait () tells the store's last word. */
GST_START_TEST (test_picture_retried)
{
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("jpeg", 4);
  g_autoptr (GError) error = NULL;
  CsOutbox *ob;

  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (500));
  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  ob = new_outbox (3, FALSE, 0);
  fail_unless (cs_outbox_put_and_wait (ob, CS_OUTBOX_PICTURE, PICTURE, jpeg,
          &error));
  fail_unless_equals_int (srv->requests, 3);
  cs_outbox_free (ob);
  assert_reports ("retry:" PICTURE " retry:" PICTURE " uploaded:" PICTURE);
}

GST_END_TEST;

/* A refusal retrying cannot mend: failed at once, with the HTTP status and
 * the error code; the next object goes on. */
GST_START_TEST (test_refusal_not_retried)
{
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("jpeg", 4);
  g_autoptr (GError) error = NULL;
  CsOutbox *ob;

  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (403));
  ob = new_outbox (3, FALSE, 0);
  fail_if (cs_outbox_put_and_wait (ob, CS_OUTBOX_PICTURE, PICTURE, jpeg,
          &error));
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_AUTHORIZED));
  fail_unless_equals_int (cs_store_error_get_http_status (error), 403);
  put (ob, SEG (1), 10, FALSE);
  fail_unless (cs_outbox_drain (ob, 5000, NULL));
  cs_outbox_free (ob);
  assert_reports ("failed:" PICTURE " uploaded:" SEG (1));
  fail_unless_equals_int (last_http_status, 403);
}

GST_END_TEST;

/* live source, uplink down, no spool: the earliest segments give way (the
 * one under way first), the newest is kept; event objects and pictures are
 * in caches of their own, never pushed out by segments. */
GST_START_TEST (test_stalled_drops_earliest_segments_only)
{
  CsOutbox *ob;
  CsOutboxStats st;
  g_autofree gchar *got = NULL;

  srv->hang = TRUE;
  ob = new_outbox (2, FALSE, 0);
  put (ob, EVENT_JSON, 10, FALSE);
  put (ob, SEG (1), 10, FALSE);
  cs_test_server_wait_requests (srv, 2); /* both under way, held */
  put (ob, SEG (2), 10, FALSE);
  put (ob, SEG (3), 10, FALSE); /* 1, under way, gives way */
  put (ob, SEG (4), 10, FALSE); /* then 2, the oldest waiting */
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].pending, 2);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_EVENT_OBJECT].pending, 1);
  cs_test_server_release_held (srv);
  fail_unless (cs_outbox_drain (ob, 10000, NULL));
  cs_outbox_get_stats (ob, &st);
  /* 1 was under way: its request ended as it ended (stored). */
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].dropped, 1);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_EVENT_OBJECT].dropped, 0);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_EVENT_OBJECT].uploaded, 1);
  cs_outbox_free (ob);
  got = reports_text ();
  fail_unless (strstr (got, "dropped:" SEG (2) ":cache-full") != NULL, "%s",
      got);
  fail_unless (strstr (got, "uploaded:" SEG (3)) != NULL, "%s", got);
  fail_unless (strstr (got, "uploaded:" SEG (4)) != NULL, "%s", got);
  fail_unless (strstr (got, "uploaded:" EVENT_JSON) != NULL, "%s", got);
  fail_if (strstr (got, "dropped:" EVENT_JSON) != NULL, "%s", got);
}

GST_END_TEST;

/* source that is not live: put () waits for room; nothing is dropped. */
GST_START_TEST (test_not_live_waits_for_room)
{
  CsOutbox *ob = new_outbox (1, FALSE, 0);
  CsOutboxStats st;

  for (guint i = 1; i <= 5; i++) {
    g_autofree gchar *key = g_strdup_printf ("cam1/rec/20260101/00/%u_1.ts",
        i);
    put (ob, key, 10, TRUE);
  }
  fail_unless (cs_outbox_drain (ob, 5000, NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].uploaded, 5);
  fail_unless_equals_int (st.kinds[CS_OUTBOX_SEGMENT].dropped, 0);
  cs_outbox_free (ob);
}

GST_END_TEST;

/* EOS, no spool: the drain waits up to its deadline, says what is left of
 * each kind, and stopping drops it with the reason given. */
GST_START_TEST (test_drain_deadline)
{
  guint left[CS_OUTBOX_N_KINDS];
  CsOutbox *ob;
  gint64 start;

  srv->hang = TRUE;
  ob = new_outbox (3, FALSE, 0);
  put (ob, SEG (1), 10, FALSE);
  put (ob, SEG (2), 10, FALSE);
  put (ob, EVENT_JSON, 10, FALSE);
  start = g_get_monotonic_time ();
  fail_if (cs_outbox_drain (ob, 300, left));
  fail_unless (g_get_monotonic_time () - start >= 250 * 1000);
  fail_unless_equals_int (left[CS_OUTBOX_SEGMENT], 2);
  fail_unless_equals_int (left[CS_OUTBOX_EVENT_OBJECT], 1);
  fail_unless_equals_int (left[CS_OUTBOX_PICTURE], 0);
  cs_outbox_stop (ob, CS_UPLOAD_DROP_DRAIN_TIMEOUT);
  assert_reports ("dropped:" SEG (1) ":drain-timeout dropped:" SEG (2)
      ":drain-timeout dropped:" EVENT_JSON ":drain-timeout");
  cs_test_server_release_held (srv);
  cs_outbox_free (ob);
}

GST_END_TEST;

/* pipeline stopped without EOS, no spool: what waits is dropped
 * ("stopped"), and what comes after too. */
GST_START_TEST (test_stop_drops_what_waits)
{
  CsOutbox *ob;

  srv->hang = TRUE;
  ob = new_outbox (3, FALSE, 0);
  put (ob, SEG (1), 10, FALSE);
  cs_test_server_wait_requests (srv, 1);
  cs_outbox_stop (ob, CS_UPLOAD_DROP_STOPPED);
  put (ob, SEG (2), 10, FALSE);
  assert_reports ("dropped:" SEG (1) ":stopped dropped:" SEG (2) ":stopped");
  cs_test_server_release_held (srv);
  cs_outbox_free (ob);
}

GST_END_TEST;

/* with a spool, uplink down, then stopped: everything stays on disk (no
 * drop or failure reported, only tries), and the next outbox on the spool
 * uploads it, oldest first. */
GST_START_TEST (test_spool_keeps_everything_across_stop)
{
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("jpeg", 4);
  g_autofree gchar *got = NULL;
  CsOutbox *ob;
  CsOutboxStats st;

  refuse_all (TRUE);
  ob = new_outbox (1, TRUE, 1 << 20);
  put (ob, SEG (1), 10, FALSE);
  put (ob, SEG (2), 10, FALSE);
  put (ob, EVENT_JSON, 10, FALSE);
  /* Spooled: that is the picture's "stored". */
  fail_unless (cs_outbox_put_and_wait (ob, CS_OUTBOX_PICTURE, PICTURE, jpeg,
          NULL));
  fail_if (cs_outbox_drain (ob, 200, NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.spool_bytes, 34);
  cs_outbox_free (ob);
  got = reports_text ();
  fail_if (strstr (got, "dropped") || strstr (got, "failed:"), "%s", got);
  fail_unless_equals_int (stored_count (), 0);

  refuse_all (FALSE);
  ob = new_outbox (1, TRUE, 1 << 20);
  fail_unless (cs_outbox_drain (ob, 10000, NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.spool_bytes, 0);
  cs_outbox_free (ob);
  /* Each of the four, not four requests: a request the first outbox's stop
   * cut may still reach the server after it accepts again, and be stored
   * there as well (the same object under the same key). */
  stored_index (EVENT_JSON);
  stored_index (PICTURE);
  /* Oldest first within a kind; each kind has an uploader of its own, so
   * the event's objects may come between the segments. */
  fail_unless (stored_index (SEG (1)) < stored_index (SEG (2)));
}

GST_END_TEST;

/* with a spool, what comes after stop () (the segment a stop closes, a
 * picture under way) is written to the spool on the caller's thread. */
GST_START_TEST (test_spool_takes_what_comes_after_stop)
{
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("jpeg", 4);
  CsOutbox *ob;
  CsOutboxStats st;

  refuse_all (TRUE);
  ob = new_outbox (3, TRUE, 1 << 20);
  cs_outbox_stop (ob, CS_UPLOAD_DROP_STOPPED);
  put (ob, SEG (1), 10, FALSE);
  fail_unless (cs_outbox_put_and_wait (ob, CS_OUTBOX_PICTURE, PICTURE, jpeg,
          NULL));
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.spool_bytes, 14);
  cs_outbox_free (ob);
  assert_reports ("");
}

GST_END_TEST;

/* with a spool past spool-max-bytes: the oldest objects are dropped once
 * the new one is written, reported as spool-full and counted. */
GST_START_TEST (test_spool_full_drops_oldest)
{
  CsOutbox *ob;
  CsOutboxStats st;

  srv->hang = TRUE;
  ob = new_outbox (3, TRUE, 250);
  put (ob, SEG (1), 100, FALSE);
  put (ob, SEG (2), 100, FALSE);
  put (ob, SEG (3), 100, FALSE);
  fail_if (cs_outbox_drain (ob, 200, NULL));
  /* Counted once stop () has let the writer write all three: on a busy
   * disk their fsyncs may take longer than the drain above. */
  cs_outbox_stop (ob, CS_UPLOAD_DROP_STOPPED);
  cs_outbox_get_stats (ob, &st);
  fail_unless_equals_int (st.spool_dropped, 1);
  fail_unless_equals_int (st.spool_bytes, 200);
  assert_reports ("dropped:" SEG (1) ":spool-full");
  cs_test_server_release_held (srv);
  cs_outbox_free (ob);
}

GST_END_TEST;

static Suite *
outbox_suite (void)
{
  Suite *s = suite_create ("outbox");
  TCase *tc = tcase_create ("guarantees");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uplink_keeps_up);
  tcase_add_test (tc, test_failed_request_retried);
  tcase_add_test (tc, test_picture_retried);
  tcase_add_test (tc, test_refusal_not_retried);
  tcase_add_test (tc, test_stalled_drops_earliest_segments_only);
  tcase_add_test (tc, test_not_live_waits_for_room);
  tcase_add_test (tc, test_drain_deadline);
  tcase_add_test (tc, test_stop_drops_what_waits);
  tcase_add_test (tc, test_spool_keeps_everything_across_stop);
  tcase_add_test (tc, test_spool_takes_what_comes_after_stop);
  tcase_add_test (tc, test_spool_full_drops_oldest);
  return s;
}

GST_CHECK_MAIN (outbox);
