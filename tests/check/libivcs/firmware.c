/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* examples/ivcs-firmware, written like the reference API's samples, against
 * the real S3 server that tests/run-tests.sh starts: the operator activates
 * event video with csctl, the firmware gets its start callback from
 * service.json, pushes frames from a file, triggers events at random and
 * hands over alarm pictures.  Its counts and the store are checked. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-event-record.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"

static gchar *
run (const gchar * const *argv, const gchar * const *env, gint * status)
{
  gchar *out = NULL, *err = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, (gchar **) env, 0, NULL,
          NULL, &out, &err, status, NULL));
  if (!g_spawn_check_wait_status (*status, NULL))
    g_printerr ("%s failed:\n%s%s\n", argv[0], out, err);
  g_free (err);
  return out;
}

static gint
summary_field (const gchar * out, const gchar * name)
{
  g_autofree gchar *needle = g_strdup_printf (" %s=", name);
  const gchar *line = strstr (out, "summary:");
  const gchar *at = line ? strstr (line, needle) : NULL;

  fail_unless (at != NULL, "no %s in the summary:\n%s", name, out);
  return atoi (at + strlen (needle));
}

/* The reference firmware against the real gateway, its requests
 * path-style, or with @virtual_hosted the bucket in the host name
 * (force_path_style=false; the gateway's dns name is localhost). */
static void
firmware_on_s3 (gboolean virtual_hosted)
{
  const gchar *endpoint = cs_test_env ("CS_TEST_S3_ENDPOINT");
  g_autofree gchar *local_endpoint = g_strdup_printf ("http://localhost:%s",
      strrchr (endpoint, ':') + 1);
  const gchar *bucket = cs_test_env ("CS_TEST_S3_BUCKET");
  g_autofree gchar *dir = g_dir_make_tmp ("ivcs-fw-XXXXXX", NULL);
  g_autofree gchar *frames = g_build_filename (dir, "cam.frames", NULL);
  g_autofree gchar *prefix = g_strdup_printf ("fw-%" G_GINT64_FORMAT,
      g_get_real_time ());
  g_autofree gchar *uri = g_strdup_printf ("s3://%s/%s", bucket, prefix);
  g_autofree gchar *out = NULL, *activated = NULL, *made = NULL;
  g_auto (GStrv) env = g_get_environ ();
  const gchar *make[] = { g_getenv ("IVCS_MAKE_FRAMES"), frames, "14", NULL };
  const gchar *activate[] = { g_getenv ("CSCTL"), "activate", uri, "cam1",
    "--channel", "event-video", "--endpoint", endpoint, NULL
  };
  const gchar *firmware[] = { g_getenv ("IVCS_FIRMWARE"), frames, "12", "3",
    NULL
  };
  CsStoreConfig config = { 0 };
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  guint events = 0, segments = 0, snapshots = 0, events_ok, pictures;
  gint status;

  env = g_environ_setenv (env, "AWS_ACCESS_KEY_ID",
      cs_test_env ("CS_TEST_S3_ACCESS_KEY"), TRUE);
  env = g_environ_setenv (env, "AWS_SECRET_ACCESS_KEY",
      cs_test_env ("CS_TEST_S3_SECRET_KEY"), TRUE);
  env = g_environ_setenv (env, "IVCS_LOCATION", uri, TRUE);
  env = g_environ_setenv (env, "IVCS_ENDPOINT", virtual_hosted ?
      local_endpoint : endpoint, TRUE);
  env = g_environ_setenv (env, "IVCS_FORCE_PATH_STYLE", virtual_hosted ?
      "false" : "true", TRUE);
  env = g_environ_setenv (env, "IVCS_DEVICE_ID", "cam1", TRUE);
  env = g_environ_unsetenv (env, "IVCS_CHANNELS");

  made = run (make, (const gchar * const *) env, &status);
  fail_unless (g_spawn_check_wait_status (status, NULL));
  activated = run (activate, (const gchar * const *) env, &status);
  fail_unless (g_spawn_check_wait_status (status, NULL));
  out = run (firmware, (const gchar * const *) env, &status);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s", out);

  /* One start (service.json), the stop of the firmware's exit path. */
  fail_unless_equals_int (summary_field (out, "starts"), 1);
  fail_unless (summary_field (out, "video") > 200, "%s", out);
  fail_unless (summary_field (out, "audio") > 400, "%s", out);
  fail_unless_equals_int (summary_field (out, "refused"), 0);
  events_ok = summary_field (out, "events");
  fail_unless (events_ok >= 1, "%s", out);
  fail_unless_equals_int (summary_field (out, "events_refused"), 0);
  /* Every picture handed over got exactly one result. */
  pictures = summary_field (out, "pictures");
  fail_unless (pictures >= 1, "%s", out);
  fail_unless_equals_int (summary_field (out, "results_ok") +
      summary_field (out, "results_other"), pictures);

  config.endpoint = endpoint;
  config.access_key = cs_test_env ("CS_TEST_S3_ACCESS_KEY");
  config.secret_key = cs_test_env ("CS_TEST_S3_SECRET_KEY");
  store = cs_store_new (uri, &config, NULL);
  objects = cs_store_list (store, "cam1/ev/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);
    if (g_str_has_suffix (o->key, "/event.json")) {
      g_autoptr (GBytes) json = cs_store_get (store, o->key, NULL, NULL);
      g_autoptr (CsEventRecord) r = cs_event_record_parse
          (g_bytes_get_data (json, NULL), g_bytes_get_size (json), NULL);
      fail_unless (r != NULL && r->ended && r->segments->len > 0);
      events++;
    }
    segments += g_str_has_suffix (o->key, ".mp4");
    snapshots += g_str_has_suffix (o->key, "/snapshot.jpg");
  }
  /* Triggers within one event's interval make one event. */
  fail_unless (events >= 1 && events <= events_ok, "%u events", events);
  fail_unless (segments >= events);
  fail_unless_equals_int (snapshots, events);
  cs_test_remove_tree (dir);
}

GST_START_TEST (test_firmware_on_s3)
{
  firmware_on_s3 (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_firmware_virtual_hosted)
{
  firmware_on_s3 (TRUE);
}

GST_END_TEST;

static Suite *
ivcs_firmware_suite (void)
{
  Suite *s = suite_create ("ivcs-firmware");
  TCase *tc = tcase_create ("servers");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_firmware_on_s3);
  tcase_add_test (tc, test_firmware_virtual_hosted);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *needed[] = { "CS_TEST_S3_ENDPOINT", "CS_TEST_S3_ACCESS_KEY",
    "CS_TEST_S3_SECRET_KEY", "CS_TEST_S3_BUCKET", NULL
  };

  cs_test_require_env (needed);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (ivcs_firmware_suite (), "ivcs-firmware",
      __FILE__);
}
