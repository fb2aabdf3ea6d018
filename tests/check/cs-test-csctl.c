/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-csctl.h"

#include <gst/check/gstcheck.h>

#include <string.h>

gint
cs_test_csctl (gchar ** out, gchar ** err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;
  gint status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CSCTL"));
  va_start (ap, err);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, 0, NULL,
          NULL, out, err, &status, NULL));
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

void
cs_test_record_events (const gchar * dir, const gchar * device,
    gint64 t0_ms, const CsTestTrigger * triggers, guint n)
{
  CsTestTimeline tl = { triggers, n, t0_ms };
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=360 ! "
      "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc "
      "key-int-max=15 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 ! h264parse ! identity name=p ! "
      "cseventgate name=g pre-roll=1000000000 min-record-time=4 "
      "event-interval=4 ! cssink name=s location=file://%s device-id=%s "
      "segment-duration=1000000000", dir, device);
  CsRun run;

  cs_test_run (desc, 0, 60, cs_test_timeline_tick, &tl, &run);
  fail_unless (run.eos && run.error == NULL);
  cs_run_clear (&run);
}

void
cs_test_record_spans (const gchar * dir, const gint64 * starts_ms, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=60 ! "
        "video/x-raw,framerate=30/1,width=160,height=120 ! x264enc "
        "key-int-max=15 speed-preset=ultrafast ! h264parse name=p ! "
        "cssink name=s location=file://%s device-id=cam1 "
        "segment-duration=1000000000", dir);
    CsRun run;

    cs_test_run (desc, 0, 60, cs_test_stamp_unix_time,
        (gpointer) & starts_ms[i], &run);
    fail_unless (run.eos && run.error == NULL);
    cs_run_clear (&run);
  }
}

GSubprocess *
cs_test_csctl_serve (GSubprocessLauncher * launcher, const gchar * csctl,
    const gchar * store, const gchar * const *extra, guint * port,
    gchar ** base)
{
  g_autoptr (GSubprocessLauncher) own = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;
  const gchar *at;
  GSubprocess *process;

  if (launcher == NULL)
    launcher = own = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_ptr_array_add (argv, (gpointer) (csctl ? csctl : g_getenv ("CSCTL")));
  g_ptr_array_add (argv, (gpointer) "serve");
  g_ptr_array_add (argv, (gpointer) store);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &error);
  fail_unless (process != NULL, "%s", error ? error->message : "");
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, NULL);
  at = line ? strstr (line, " on http://127.0.0.1:") : NULL;
  fail_unless (at != NULL, "csctl serve says: %s", line);
  if (port)
    *port = atoi (at + strlen (" on http://127.0.0.1:"));
  if (base)
    *base = g_strdup (at + strlen (" on "));
  return process;
}
