/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's delivery through its outbox, seen from the application: against
 * a real HTTP server on 127.0.0.1 that answers as each test tells it (the
 * first requests refused, then 201). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-key.h"
#include "cs-test-server.h"
#include "cs-test-util.h"

#define BASE_MS G_GINT64_CONSTANT (1700000000000)
#define MD (1u << 0)
#define FPS 25

static CsTestServer *srv;
static CsTestTimeline timeline;

/* @seconds of H.264 (a keyframe every second) through a gate given
 * @triggers into cssink, to the test server; @tick runs too. */
static void
record (gdouble seconds, const CsTestTrigger * triggers, guint n,
    const gchar * sink_props, CsRunTick tick, gpointer tick_data,
    CsRun * run)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=%d/1 ! x264enc "
      "key-int-max=%d bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g min-record-time=4 event-interval=4 ! "
      "cssink name=s location=%s device-id=cam drain-timeout=30000000000 %s",
      (gint) (seconds * FPS), FPS, FPS, uri, sink_props);

  timeline.triggers = triggers;
  timeline.n = n;
  timeline.base_ms = BASE_MS;
  if (tick == NULL) {
    tick = cs_test_timeline_tick;
    tick_data = &timeline;
  }
  cs_test_run (desc, 0, 120, tick, tick_data, run);
}

typedef struct
{
  gchar *dir;
  gint result;                  /* -1 until the result comes */
  guint results;
} Picture;

static gchar *
on_capture (GstElement * sink, const gchar * event_id, guint trigger,
    Picture * p)
{
  gchar *path = g_build_filename (p->dir, "picture.jpg", NULL);
  g_autofree gchar *bytes = g_malloc0 (4096);

  fail_unless (g_file_set_contents (path, bytes, 4096, NULL));
  return path;
}

static void
on_result (GstElement * sink, const gchar * path, gint result, Picture * p)
{
  p->result = result;
  g_atomic_int_inc (&p->results);
}

static void
picture_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Picture *p = data;

  if (elapsed_s < 0) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
    g_signal_connect (sink, "capture-snapshot", G_CALLBACK (on_capture), p);
    g_signal_connect (sink, "snapshot-result", G_CALLBACK (on_result), p);
    gst_object_unref (sink);
  }
  cs_test_timeline_tick (pipeline, elapsed_s, &timeline);
}

static gboolean
stored (const gchar * suffix)
{
  gboolean found = FALSE;

  g_mutex_lock (&srv->lock);
  for (guint i = 0; i < srv->stored->len && !found; i++)
    found = g_str_has_suffix (g_ptr_array_index (srv->stored, i), suffix);
  g_mutex_unlock (&srv->lock);
  return found;
}

/* An alarm picture whose upload meets a passing failure (503) is retried
 * like a segment, and its result is OK: once, a failed PUT lost it
 * (TIME_OUT) and the event had no picture. */
GST_START_TEST (test_picture_retried)
{
  const CsTestTrigger triggers[] = { {MD, 0.5} };
  Picture p = {.result = -1 };
  CsRun run;

  p.dir = g_dir_make_tmp ("cs-picture-XXXXXX", NULL);
  /* The first requests are the event's: event.json and the picture (the
   * first segment closes later); each is refused twice. */
  cs_test_server_refuse_next (srv, 4, 503);
  record (6, triggers, G_N_ELEMENTS (triggers), "", picture_tick, &p, &run);
  fail_unless (run.error == NULL, "%s", run.error ? run.error->message : "");
  fail_unless (run.eos);
  fail_unless_equals_int (p.results, 1);
  fail_unless_equals_int (p.result, 0);       /* OK */
  fail_unless (stored ("/snapshot.jpg"));
  fail_unless (stored ("/event.json"));
  cs_run_clear (&run);
  cs_test_remove_tree (p.dir);
  g_free (p.dir);
}

GST_END_TEST;

/* A refusal retrying cannot mend: cs-upload-failed and the element error
 * say what the server answered (souphttpsrc's http-status-code), and which
 * key at which attempt. */
GST_START_TEST (test_failure_details)
{
  const CsTestTrigger triggers[] = { {MD, 0.2} };
  const GstStructure *failed = NULL;
  guint status = 0, attempt = 0;
  CsRun run;

  cs_test_server_refuse_next (srv, 100, 403);
  record (3, triggers, G_N_ELEMENTS (triggers), "", NULL, NULL, &run);
  fail_unless (run.error != NULL, "no error but EOS, after %u requests, "
      "%u cs-* messages", srv->requests, run.messages->len);
  fail_unless (g_error_matches (run.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", run.error->message);
  for (guint i = 0; i < run.messages->len && failed == NULL; i++)
    if (gst_structure_has_name (g_ptr_array_index (run.messages, i),
            "cs-upload-failed"))
      failed = g_ptr_array_index (run.messages, i);
  fail_unless (failed != NULL);
  fail_unless (gst_structure_get_uint (failed, "http-status-code", &status));
  fail_unless_equals_int (status, 403);
  fail_unless (gst_structure_get_uint (failed, "attempt", &attempt));
  fail_unless_equals_int (attempt, 1);
  fail_unless (g_str_has_suffix (gst_structure_get_string (failed, "key"),
          ".mp4"));
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
cssink_outbox_suite (void)
{
  Suite *s = suite_create ("cssink-outbox");
  TCase *tc = tcase_create ("delivery");

  cs_test_server_add_fixture (tc, &srv);
  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_picture_retried);
  tcase_add_test (tc, test_failure_details);
  return s;
}

GST_CHECK_MAIN (cssink_outbox);
