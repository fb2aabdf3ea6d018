/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uploader against a real HTTP server on 127.0.0.1 that answers as each
 * test tells it: errors, then success, or no answer at all. */
#include <gst/check/gstcheck.h>

#include "cs-test-server.h"
#include "cs-uploader.h"

static CsTestServer *srv;
static guint store_timeout_s;

/* What the uploader reported, as "outcome:key[:reason]" strings. */
static GMutex reports_lock;
static GPtrArray *reports;

static void
on_report (const CsUploadReport * r, gpointer data)
{
  static const gchar *names[] = { "uploaded", "dropped", "retry", "failed" };
  gchar *line = r->reason ? g_strdup_printf ("%s:%s:%s", names[r->outcome],
      r->item->key, r->reason) : g_strdup_printf ("%s:%s",
      names[r->outcome], r->item->key);

  g_mutex_lock (&reports_lock);
  g_ptr_array_add (reports, line);
  g_mutex_unlock (&reports_lock);
}

static void
setup (void)
{
  srv = cs_test_server_start (NULL);
  reports = g_ptr_array_new_with_free_func (g_free);
  store_timeout_s = 5;
}

static void
teardown (void)
{
  cs_test_server_stop (srv);
  g_clear_pointer (&reports, g_ptr_array_unref);
}

static CsUploader *
new_uploader (guint max_items, guint64 max_bytes, gint max_retries)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  CsStoreConfig config = {.timeout_s = store_timeout_s };
  CsStore *store = cs_store_new (uri, &config, NULL);
  CsUploaderLimits limits = { max_items, max_bytes, max_retries, 10, 40 };

  fail_unless (store != NULL);
  return cs_uploader_new (store, &limits, on_report, NULL);
}

static void
push (CsUploader * up, const gchar * key, gsize size)
{
  g_autoptr (GBytes) data = g_bytes_new_take (g_malloc0 (size), size);
  cs_uploader_push (up, cs_upload_item_new (key, data, "video/mp2t", 0, 0),
      FALSE);
}

static void
assert_reports (const gchar * const *expected)
{
  g_mutex_lock (&reports_lock);
  for (guint i = 0; expected[i]; i++) {
    fail_unless (i < reports->len, "missing report %s", expected[i]);
    fail_unless_equals_string (g_ptr_array_index (reports, i), expected[i]);
  }
  fail_unless_equals_int (reports->len, g_strv_length ((gchar **) expected));
  g_mutex_unlock (&reports_lock);
}

GST_START_TEST (test_uploads_in_order)
{
  CsUploader *up = new_uploader (3, 0, -1);
  CsUploaderStats st;
  const gchar *expected[] = { "uploaded:a", "uploaded:b", "uploaded:c", NULL };

  push (up, "a", 100);
  push (up, "b", 100);
  push (up, "c", 100);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.uploaded, 3);
  fail_unless_equals_int (st.bytes_uploaded, 300);
  fail_unless_equals_int (st.pending, 0);
  fail_unless_equals_int (st.dropped + st.failed + st.retries, 0);
  cs_uploader_free (up);
  assert_reports (expected);
  fail_unless_equals_string (g_ptr_array_index (srv->stored, 2), "c");
}

GST_END_TEST;

GST_START_TEST (test_transient_errors_are_retried)
{
  CsUploader *up;
  CsUploaderStats st;
  const gchar *expected[] = { "retry:a", "retry:a", "retry:a", "uploaded:a",
    NULL
  };

  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (500));
  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (429));
  up = new_uploader (3, 0, -1);
  push (up, "a", 10);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.retries, 3);
  fail_unless_equals_int (st.uploaded, 1);
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

GST_START_TEST (test_retries_run_out)
{
  CsUploader *up;
  CsUploaderStats st;
  const gchar *expected[] = { "retry:a", "retry:a", "failed:a",
    "uploaded:b", NULL
  };

  for (gint i = 0; i < 3; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  up = new_uploader (3, 0, 2);
  push (up, "a", 10);
  push (up, "b", 10);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.failed, 1);
  fail_unless_equals_int (st.retries, 2);
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

GST_START_TEST (test_permanent_error_not_retried)
{
  CsUploader *up;
  CsUploaderStats st;
  const gchar *expected[] = { "failed:a", "uploaded:b", NULL };

  g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (403));
  up = new_uploader (3, 0, -1);
  push (up, "a", 10);
  push (up, "b", 10);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.failed, 1);
  fail_unless_equals_int (st.retries, 0);
  fail_unless_equals_int (srv->requests, 2);
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

/* The reports of @key, in order (outcome[:reason] each). */
static gchar *
reports_of (const gchar * key)
{
  GString *out = g_string_new (NULL);

  g_mutex_lock (&reports_lock);
  for (guint i = 0; i < reports->len; i++) {
    const gchar *line = g_ptr_array_index (reports, i);
    const gchar *colon = strchr (line, ':');
    gsize klen = strlen (key);

    if (strncmp (colon + 1, key, klen) == 0
        && (colon[1 + klen] == '\0' || colon[1 + klen] == ':'))
      g_string_append_printf (out, "%s%.*s%s", out->len ? " " : "",
          (int) (colon - line), line, colon + 1 + klen);
  }
  g_mutex_unlock (&reports_lock);
  return g_string_free (out, FALSE);
}

static void
assert_reported (const gchar * key, const gchar * expected)
{
  g_autofree gchar *got = reports_of (key);
  fail_unless_equals_string (got, expected);
}

/* A stalled uplink: the earliest give way to new ones, the stalled upload
 * first, so the newest are kept; push () never waits.  The request in
 * flight is not cut: answered at last, it is stored. */
GST_START_TEST (test_drop_earliest_when_stalled)
{
  CsUploader *up;
  CsUploaderStats st;
  gint64 t0;
  const gchar *later[] = { "b", "c", "d", "e", "f", NULL };

  srv->hang = TRUE;
  up = new_uploader (3, 0, -1);
  push (up, "a", 10);
  cs_test_server_wait_requests (srv, 1);
  t0 = g_get_monotonic_time ();
  for (const gchar ** k = later; *k; k++) {
    push (up, *k, 10);
    cs_uploader_get_stats (up, &st);
    fail_unless (st.pending <= 3, "%u pending", st.pending);
  }
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC / 2);
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.pending, 3);
  fail_unless_equals_int (st.pending_bytes, 30);
  fail_unless_equals_int (st.dropped, 2);

  cs_test_server_release_held (srv);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  assert_reported ("a", "uploaded");
  assert_reported ("b", "dropped:cache-full");
  assert_reported ("c", "dropped:cache-full");
  assert_reported ("d", "uploaded");
  assert_reported ("e", "uploaded");
  assert_reported ("f", "uploaded");
}

GST_END_TEST;

/* A request that hangs until the store's timeout: once it gave way, it is
 * dropped at its end, not retried. */
GST_START_TEST (test_stalled_upload_dropped_at_its_timeout)
{
  CsUploader *up;
  g_autofree gchar *a_reports = NULL;

  store_timeout_s = 1;
  srv->hang = TRUE;
  up = new_uploader (2, 0, -1);
  push (up, "a", 10);
  cs_test_server_wait_requests (srv, 1);
  push (up, "b", 10);
  push (up, "c", 10);           /* a gives way */
  cs_test_server_wait_requests (srv, 2); /* b's, after a's timed out */
  cs_test_server_release_held (srv);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  a_reports = reports_of ("a");
  fail_unless_equals_string (a_reports, "dropped:cache-full");
  assert_reported ("b", "uploaded");
  assert_reported ("c", "uploaded");
}

GST_END_TEST;

/* An upload that fails and waits to be retried (a dead server) gives way
 * as a stalled one does. */
GST_START_TEST (test_retrying_upload_gives_way)
{
  CsUploader *up;
  g_autofree gchar *a_reports = NULL;

  for (gint i = 0; i < 100; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (503));
  up = new_uploader (2, 0, -1);
  push (up, "a", 10);
  cs_test_server_wait_requests (srv, 2);
  push (up, "b", 10);
  push (up, "c", 10);           /* a, retrying, and b give way */
  g_mutex_lock (&srv->lock);
  g_queue_clear (&srv->statuses);
  g_mutex_unlock (&srv->lock);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  a_reports = reports_of ("a");
  fail_unless (g_str_has_suffix (a_reports, "dropped:cache-full"), "%s",
      a_reports);
  g_mutex_lock (&srv->lock);
  fail_unless_equals_int (srv->stored->len, 2);
  fail_unless_equals_string (g_ptr_array_index (srv->stored, 1), "c");
  g_mutex_unlock (&srv->lock);
}

GST_END_TEST;

GST_START_TEST (test_byte_limit)
{
  CsUploader *up;
  const gchar *expected[] = { "dropped:b:cache-full", "uploaded:a",
    "uploaded:c", "uploaded:d", NULL
  };

  srv->hang = TRUE;
  up = new_uploader (10, 250, -1);
  push (up, "a", 100);
  cs_test_server_wait_requests (srv, 1);
  push (up, "b", 100);
  push (up, "c", 100);          /* 300 > 250: a, the earliest, gives way */
  push (up, "d", 100);          /* then b */
  cs_test_server_release_held (srv);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

/* The limits are estimates: an object larger than them is still uploaded
 * (the earlier ones give way), never the newest or the only one dropped. */
GST_START_TEST (test_newest_kept_whatever_its_size)
{
  CsUploader *up;
  CsUploaderStats st;

  up = new_uploader (3, 250, -1);
  push (up, "a", 1000);
  fail_unless (cs_uploader_drain (up, 5000));
  srv->hang = TRUE;
  push (up, "b", 100);
  cs_test_server_wait_requests (srv, 2);
  push (up, "c", 1000);         /* b, uploading, gives way */
  push (up, "d", 1000);         /* c, the earliest waiting, is dropped */
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.pending, 1);
  fail_unless_equals_int (st.pending_bytes, 1000);
  cs_test_server_release_held (srv);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  assert_reported ("a", "uploaded");
  assert_reported ("b", "uploaded");
  assert_reported ("c", "dropped:cache-full");
  assert_reported ("d", "uploaded");
}

GST_END_TEST;

static gpointer
push_waiting_thread (gpointer up)
{
  g_autoptr (GBytes) data = g_bytes_new_static ("0123456789", 10);
  cs_uploader_push (up, cs_upload_item_new ("d", data, "video/mp2t", 0, 0),
      TRUE);
  return NULL;
}

/* A producer that may wait (a file, not a camera) loses nothing. */
GST_START_TEST (test_wait_for_room)
{
  CsUploader *up;
  GThread *producer;
  CsUploaderStats st;
  const gchar *expected[] = { "uploaded:a", "uploaded:b", "uploaded:c",
    "uploaded:d", NULL
  };

  srv->hang = TRUE;
  up = new_uploader (3, 0, -1);
  push (up, "a", 10);
  cs_test_server_wait_requests (srv, 1);
  push (up, "b", 10);
  push (up, "c", 10);
  producer = g_thread_new ("producer", push_waiting_thread, up);
  g_usleep (G_USEC_PER_SEC / 5);
  cs_uploader_get_stats (up, &st);
  fail_unless_equals_int (st.pending, 3);       /* d waits outside */
  fail_unless_equals_int (st.dropped, 0);
  cs_test_server_release_held (srv);
  g_thread_join (producer);
  fail_unless (cs_uploader_drain (up, 5000));
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

/* stop () does not wait for a server that does not answer, and reports what
 * it drops; drain () gives up at its timeout. */
GST_START_TEST (test_stop_while_stalled)
{
  CsUploader *up;
  gint64 t0;
  const gchar *expected[] = { "dropped:a:drain-timeout",
    "dropped:b:drain-timeout", "dropped:c:stopped", NULL
  };

  srv->hang = TRUE;
  up = new_uploader (3, 0, -1);
  push (up, "a", 10);
  push (up, "b", 10);
  cs_test_server_wait_requests (srv, 1);
  fail_if (cs_uploader_drain (up, 200));
  t0 = g_get_monotonic_time ();
  cs_uploader_stop (up, CS_UPLOAD_DROP_DRAIN_TIMEOUT);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC);
  push (up, "c", 10);           /* after stop: dropped at once */
  cs_uploader_free (up);
  assert_reports (expected);
}

GST_END_TEST;

static Suite *
uploader_suite (void)
{
  Suite *s = suite_create ("uploader");
  TCase *tc = tcase_create ("http");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uploads_in_order);
  tcase_add_test (tc, test_transient_errors_are_retried);
  tcase_add_test (tc, test_retries_run_out);
  tcase_add_test (tc, test_permanent_error_not_retried);
  tcase_add_test (tc, test_drop_earliest_when_stalled);
  tcase_add_test (tc, test_stalled_upload_dropped_at_its_timeout);
  tcase_add_test (tc, test_retrying_upload_gives_way);
  tcase_add_test (tc, test_byte_limit);
  tcase_add_test (tc, test_newest_kept_whatever_its_size);
  tcase_add_test (tc, test_wait_for_room);
  tcase_add_test (tc, test_stop_while_stalled);
  return s;
}

GST_CHECK_MAIN (uploader);
