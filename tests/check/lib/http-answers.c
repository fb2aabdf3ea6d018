/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Answers are read through a stream with a cap: a real local server whose
 * answer never ends (an error document, a listing page) costs a bounded
 * amount of memory and gives an error that says what happened.  It used to
 * be read whole: 10 GB in 40 s. */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <string.h>

#include "cs-http.h"
#include "cs-store.h"
#include "cs-test-http-store.h"
#include "cs-test-util.h"

/* A server whose every answer is @status with a body that never ends. */
static CsTestHttpStore *
endless_server (guint status)
{
  CsTestHttpStore *srv = cs_test_http_store_start ("/nonexistent");

  cs_test_http_store_set_endless (srv, status);
  return srv;
}

typedef enum { PUT, LIST, GET } Operation;

typedef struct {
  CsStore *store;
  Operation op;
  GCancellable *cancellable;
  GError *error;
  gboolean done;                /* atomic */
} Request;

static gpointer
run_request (gpointer data)
{
  Request *r = data;
  g_autoptr (GBytes) bytes = g_bytes_new_static ("x", 1);

  if (r->op == PUT) {
    fail_if (cs_store_put (r->store, "cam1/a.json", bytes, NULL,
            r->cancellable, &r->error));
  } else if (r->op == LIST) {
    fail_if (cs_store_list (r->store, "cam1/", r->cancellable, &r->error));
  } else {
    fail_if (cs_store_get (r->store, "cam1/a.json", r->cancellable,
            &r->error));
  }
  g_atomic_int_set (&r->done, TRUE);
  return NULL;
}

/* Runs @op on @store against a server that streams forever: it must end
 * by itself within a generous time, with less than 64 MiB more memory,
 * and fail with an error that says why.  On failure the request is
 * cancelled so that the test ends. */
static void
check_bounded (CsStore * store, Operation op, const gchar * what,
    CsTestHttpStore * srv, GError ** error)
{
  Request r = { store, op, g_cancellable_new (), NULL, FALSE };
  gint64 before = (gint64) (cs_test_rss_bytes () / 1024), most = before;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  GThread *thread = g_thread_new ("request", run_request, &r);
  gboolean bounded = TRUE;

  while (!g_atomic_int_get (&r.done)) {
    most = MAX (most, (gint64) (cs_test_rss_bytes () / 1024));
    if (most - before > 256 * 1024 || g_get_monotonic_time () > deadline) {
      bounded = FALSE;
      g_cancellable_cancel (r.cancellable);
      break;
    }
    g_usleep (20 * 1000);
  }
  g_thread_join (thread);
  g_object_unref (r.cancellable);
  fail_unless (bounded, "%s: still reading after %" G_GINT64_FORMAT
      " MiB sent and %" G_GINT64_FORMAT " MiB more memory", what,
      (gint64) cs_test_http_store_endless_bytes (srv) >> 20,
      (most - before) >> 10);
  fail_unless (most - before < 64 * 1024, "%s: %" G_GINT64_FORMAT " KiB",
      what, most - before);
  fail_unless (r.error != NULL);
  g_propagate_error (error, r.error);
}

static CsStore *
s3_store (CsTestHttpStore * srv)
{
  g_autofree gchar *endpoint = cs_test_http_store_uri (srv);
  CsStoreConfig config = { .endpoint = endpoint,.access_key = "AK",
    .secret_key = "SK",.timeout_s = 5
  };

  return cs_store_new ("s3://bucket/cams", &config, NULL);
}

/* An S3 error answer that never ends: cut at 1 MiB, its status reported
 * (503: worth retrying). */
GST_START_TEST (test_endless_s3_error_answer)
{
  CsTestHttpStore *srv = endless_server (503);
  g_autoptr (CsStore) store = s3_store (srv);
  g_autoptr (GError) error = NULL;

  check_bounded (store, PUT, "S3 upload", srv, &error);
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_UNAVAILABLE), "%s", error->message);
  fail_unless (strstr (error->message, "HTTP 503") != NULL
      && strstr (error->message, "longer than 1 MiB") != NULL, "%s",
      error->message);
  cs_test_http_store_stop (srv);
}

GST_END_TEST;

/* A listing page that never ends: cut at the most a page can be. */
GST_START_TEST (test_endless_s3_listing)
{
  CsTestHttpStore *srv = endless_server (200);
  g_autoptr (CsStore) store = s3_store (srv);
  g_autoptr (GError) error = NULL;

  check_bounded (store, LIST, "S3 listing", srv, &error);
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_FAILED), "%s", error->message);
  fail_unless (strstr (error->message, "longer than 4 MiB") != NULL, "%s",
      error->message);
  cs_test_http_store_stop (srv);
}

GST_END_TEST;

/* The plain HTTP store: a refusal (403) whose answer never ends. */
GST_START_TEST (test_endless_http_refusal)
{
  CsTestHttpStore *srv = endless_server (403);
  g_autofree gchar *base = cs_test_http_store_uri (srv);
  g_autofree gchar *uri = g_strconcat (base, "store/", NULL);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  g_autoptr (GError) error = NULL;

  check_bounded (store, GET, "HTTP download", srv, &error);
  fail_unless (g_error_matches (error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_AUTHORIZED), "%s", error->message);
  fail_unless (strstr (error->message, "longer than 1 MiB") != NULL, "%s",
      error->message);
  cs_test_http_store_stop (srv);
}

GST_END_TEST;

/* The reader alone: what fits is read whole, what does not is cut. */
GST_START_TEST (test_read_capped)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data
      ("0123456789", 10, NULL);
  g_autoptr (GInputStream) again = g_memory_input_stream_new_from_data
      ("0123456789", 10, NULL);
  g_autoptr (GBytes) all = NULL, cut = NULL;
  gboolean truncated;

  all = cs_http_read_capped (in, 10, &truncated, NULL, NULL);
  fail_unless (all != NULL && !truncated);
  fail_unless_equals_int (g_bytes_get_size (all), 10);
  cut = cs_http_read_capped (again, 4, &truncated, NULL, NULL);
  fail_unless (cut != NULL && truncated);
  fail_unless_equals_int (g_bytes_get_size (cut), 4);
  fail_unless (memcmp (g_bytes_get_data (cut, NULL), "0123", 4) == 0);
}

GST_END_TEST;

static Suite *
http_answers_suite (void)
{
  Suite *s = suite_create ("http-answers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 90);
  tcase_add_test (tc, test_read_capped);
  tcase_add_test (tc, test_endless_s3_error_answer);
  tcase_add_test (tc, test_endless_s3_listing);
  tcase_add_test (tc, test_endless_http_refusal);
  return s;
}

GST_CHECK_MAIN (http_answers);
