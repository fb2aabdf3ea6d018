/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink with a spool-dir: an outage, a restart and a kill -9 lose nothing,
 * event objects and pictures included; a half-written file is never
 * uploaded; past spool-max-bytes the oldest is dropped and counted. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cs-store.h"
#include "cs-test-util.h"

#define VIDEO "videotestsrc num-buffers=%d ! " \
  "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc key-int-max=25 " \
  "speed-preset=ultrafast ! h264parse ! "
/* Connection refused: the uplink is down. */
#define DEAD_STORE "http://127.0.0.1:9/nowhere"

static gchar *dir, *spool, *store_uri;
static const gchar *self_path;

static void
setup (void)
{
  dir = g_dir_make_tmp ("cssink-spool-XXXXXX", NULL);
  spool = g_build_filename (dir, "spool", NULL);
  store_uri = g_strdup_printf ("file://%s/store", dir);
}

static void
teardown (void)
{
  cs_test_remove_tree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&spool, g_free);
  g_clear_pointer (&store_uri, g_free);
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The keys of what waits in the spool (its file names, '%' for '/') that
 * end in @suffix, sorted. */
static GPtrArray *
spooled_keys (const gchar * suffix)
{
  g_autoptr (GDir) d = g_dir_open (spool, 0, NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *key = g_strdelimit (g_strdup (name), "%", '/');
    if (g_str_has_suffix (key, suffix))
      g_ptr_array_add (keys, key);
    else
      g_free (key);
  }
  g_ptr_array_sort (keys, compare_keys);
  return keys;
}

static GPtrArray *
spooled_segments (void)
{
  return spooled_keys (".ts");
}

static guint
files_in_spool (void)
{
  g_autoptr (GDir) d = g_dir_open (spool, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

/* Each key of @keys is in the store, starts on a keyframe. */
static void
check_stored (GPtrArray * keys)
{
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);

  fail_unless (store != NULL);
  for (guint i = 0; i < keys->len; i++) {
    const gchar *key = g_ptr_array_index (keys, i);
    g_autoptr (GBytes) data = cs_store_get (store, key, NULL, NULL);
    CsMediaInfo info = { 0 };

    fail_unless (data != NULL, "%s is not in the store", key);
    fail_unless (cs_test_read_ts (data, &info));
    fail_unless (info.first_video_is_keyframe && info.video_frames > 0, "%s",
        key);
    cs_media_info_clear (&info);
  }
}

/* A restart with the same spool and a working store: what waited is
 * uploaded first, and the spool is left empty. */
static void
restart_and_check (GPtrArray * waiting)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=%s device-id=cam spool-dir=%s", 25, store_uri, spool);
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos, "%s", run.error ?
      run.error->message : "no EOS");
  check_stored (waiting);
  fail_unless_equals_int (files_in_spool (), 0);
  cs_run_clear (&run);
}

GST_START_TEST (test_outage_then_restart)
{
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=" DEAD_STORE " device-id=cam spool-dir=%s "
      "drain-timeout=500000000", 200, spool);
  g_autofree gchar *half = NULL;
  g_autoptr (GPtrArray) waiting = NULL;
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos);
  /* 8 s, 2 segments: nothing dropped, all on disk. */
  fail_unless_equals_int (cs_run_stat (&run, "segments-recorded"), 2);
  fail_unless_equals_int (cs_run_count (&run, "cs-segment-dropped"), 0);
  fail_unless (cs_run_stat (&run, "spool-bytes") > 0);
  cs_run_clear (&run);
  waiting = spooled_segments ();
  fail_unless_equals_int (waiting->len, 2);

  /* What a crash during a write leaves: a temporary name. */
  half = g_strdup_printf ("%s/%s.tmp123", spool, "cam%rec%x_1_1.ts");
  fail_unless (g_file_set_contents (half, "half", -1, NULL));
  restart_and_check (waiting);
}

GST_END_TEST;

/* A recording process killed with SIGKILL while the uplink is down: every
 * segment it finished is uploaded once after a restart. */
/* The recording process the kill test kills: this program again (so that
 * it is the same build, sanitizers included), recording live until killed. */
static int
record_until_killed (const gchar * spool_dir)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc "
      "key-int-max=25 speed-preset=ultrafast tune=zerolatency ! h264parse ! "
      "cssink location=" DEAD_STORE " device-id=cam "
      "segment-duration=1000000000 spool-dir=%s", spool_dir);
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  if (pipeline == NULL)
    return 1;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (g_main_loop_new (NULL, FALSE));
  return 0;
}

GST_START_TEST (test_kill_9)
{
  const gchar *argv[] = { self_path, NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (),
      "CS_TEST_RECORD_INTO_SPOOL", spool, TRUE);
  g_autoptr (GPtrArray) waiting = NULL;
  GPid pid;

  fail_unless (g_spawn_async (NULL, (gchar **) argv, env,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &pid, NULL));
  for (int i = 0; i < 300 && files_in_spool () < 3; i++)
    g_usleep (50 * 1000);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  waiting = spooled_segments ();
  fail_unless (waiting->len >= 3, "%u segments spooled", waiting->len);
  restart_and_check (waiting);
}

GST_END_TEST;

/* An event recorded while the uplink is down: its segments, event.json and
 * alarm picture all wait in the spool, and arrive after a restart. */
GST_START_TEST (test_event_objects_spooled)
{
  static const CsTestTrigger triggers[] = { {1, 1.0} };
  CsTestTimeline timeline = { triggers, 1, G_GINT64_CONSTANT (1700000000000) };
  g_autofree gchar *desc = g_strdup_printf (VIDEO "identity name=p ! "
      "cseventgate name=g min-record-time=4 ! cssink name=s "
      "location=" DEAD_STORE " device-id=cam spool-dir=%s "
      "drain-timeout=500000000", 200, spool);
  g_autoptr (GPtrArray) pictures = NULL, events = NULL, segments = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GBytes) jpeg = NULL, json = NULL;
  CsRun run;

  cs_test_run (desc, 0, 60, cs_test_timeline_tick, &timeline, &run);
  fail_unless (run.error == NULL && run.eos);
  cs_run_clear (&run);
  pictures = spooled_keys ("/snapshot.jpg");
  events = spooled_keys ("/event.json");
  fail_unless_equals_int (pictures->len, 1);
  fail_unless_equals_int (events->len, 1);
  segments = spooled_segments ();
  fail_unless (segments->len >= 1);

  restart_and_check (segments);
  store = cs_store_new (store_uri, NULL, NULL);
  jpeg = cs_store_get (store, g_ptr_array_index (pictures, 0), NULL, NULL);
  fail_unless (jpeg != NULL && g_bytes_get_size (jpeg) > 2
      && ((const guint8 *) g_bytes_get_data (jpeg, NULL))[0] == 0xff
      && ((const guint8 *) g_bytes_get_data (jpeg, NULL))[1] == 0xd8);
  json = cs_store_get (store, g_ptr_array_index (events, 0), NULL, NULL);
  fail_unless (json != NULL && g_strstr_len (g_bytes_get_data (json, NULL),
          g_bytes_get_size (json), "snapshot.jpg") != NULL);
}

GST_END_TEST;

GST_START_TEST (test_spool_limit)
{
  /* Room for about one 1 s segment: each new one pushes the last out. */
  g_autofree gchar *desc = g_strdup_printf (VIDEO "cssink name=s "
      "location=" DEAD_STORE " device-id=cam spool-dir=%s "
      "segment-duration=1000000000 spool-max-bytes=20000 "
      "drain-timeout=200000000", 150, spool);
  CsRun run;

  cs_test_run (desc, 0, 60, NULL, NULL, &run);
  fail_unless (run.error == NULL && run.eos);
  fail_unless (cs_run_stat (&run, "spool-dropped") >= 3);
  fail_unless_equals_int (cs_run_count (&run, "cs-segment-dropped"),
      cs_run_stat (&run, "spool-dropped"));
  /* The newest stays even when it alone is larger. */
  fail_unless (files_in_spool () <= 1);
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
cssink_spool_suite (void)
{
  Suite *s = suite_create ("cssink-spool");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_outage_then_restart);
  tcase_add_test (tc, test_kill_9);
  tcase_add_test (tc, test_event_objects_spooled);
  tcase_add_test (tc, test_spool_limit);
  return s;
}

int
main (int argc, char **argv)
{
  self_path = argv[0];
  gst_check_init (&argc, &argv);
  if (g_getenv ("CS_TEST_RECORD_INTO_SPOOL"))
    return record_until_killed (g_getenv ("CS_TEST_RECORD_INTO_SPOOL"));
  return gst_check_run_suite (cssink_spool_suite (), "cssink-spool",
      __FILE__);
}
