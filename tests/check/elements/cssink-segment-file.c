/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the segment being recorded waits (issue 12, memory per camera): in
 * an unlinked file on the disk it goes to (the spool's, else a file://
 * store's), not in the process's memory; never there when segments are
 * encrypted (their clear bytes would reach the disk).  Watched from the
 * process's open files while a live camera records, then the recording
 * read back whole. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-store.h"
#include "cs-test-crypt.h"
#include "cs-test-util.h"

static gchar *dir;

/* Open files seen below two directories while the recording runs. */
typedef struct {
  const gchar *store_dir, *spool_dir;
  guint samples, in_store, in_spool;
} Watch;

static void
watch_tick (GstElement * pipeline, gdouble elapsed_s, gpointer data)
{
  Watch *w = data;

  if (elapsed_s < 0.5)
    return;
  w->samples++;
  w->in_store += cs_test_unlinked_files_open (w->store_dir) > 0;
  if (w->spool_dir)
    w->in_spool += cs_test_unlinked_files_open (w->spool_dir) > 0;
}

/* 4 s of a live camera (H.264 + AAC, 1 s GOPs) into cssink with
 * @settings, watched by @w; the run is left in @run. */
static void
record (const gchar * store_uri, const gchar * settings, Watch * w,
    CsRun * run)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "num-buffers=100 ! video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 bframes=0 speed-preset=ultrafast "
      "tune=zerolatency ! h264parse ! cssink name=s location=%s "
      "device-id=cam segment-duration=1000000000 %s "
      "audiotestsrc is-live=true num-buffers=180 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! s.audio",
      store_uri, settings);

  cs_test_run (desc, 0, 60, watch_tick, w, run);
  fail_unless (run->error == NULL, "%s",
      run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless (w->samples >= 20, "%u samples", w->samples);
}

/* No file of ours is left, open or named, in @path. */
static void
check_nothing_left (const gchar * path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const gchar *name;

  fail_unless_equals_int (cs_test_unlinked_files_open (path), 0);
  while (d && (name = g_dir_read_name (d)) != NULL)
    fail_if (g_str_has_prefix (name, ".cs-segment"), "%s left", name);
}

/* Records to a file store, with a spool or not: a segment waits in an
 * unlinked file in the spool, else in the store, nearly all the time (not
 * between a close and the next keyframe); nothing is left there after;
 * every video frame is read back (a live camera's first audio frames, before
 * its first keyframe, are not recorded: other tests count audio). */
static void
check_segment_waits (gboolean with_spool)
{
  g_autofree gchar *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree gchar *spool_dir = g_build_filename (dir, "spool", NULL);
  g_autofree gchar *uri = g_filename_to_uri (store_dir, NULL, NULL);
  g_autofree gchar *settings = g_strdup_printf ("spool-dir=%s", spool_dir);
  g_autoptr (CsStore) store = NULL;
  Watch w = {.store_dir = store_dir,.spool_dir = spool_dir };
  const gchar *waits_in = with_spool ? spool_dir : store_dir;
  guint in;
  CsRun run;

  g_mkdir (store_dir, 0755);
  record (uri, with_spool ? settings : "", &w, &run);
  in = with_spool ? w.in_spool : w.in_store;
  fail_unless (in >= w.samples / 2, "a segment file open in %s in %u of "
      "%u samples", waits_in, in, w.samples);
  if (with_spool)
    fail_unless_equals_int (w.in_store, 0);
  check_nothing_left (waits_in);
  store = cs_test_open_dir_store (store_dir);
  fail_unless_equals_int (cs_test_check_recording (store, "cam", &run, 1000,
          100, "video/x-h264", FALSE), 4);
  cs_run_clear (&run);
}

GST_START_TEST (test_segment_waits_in_file_store)
{
  check_segment_waits (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_segment_waits_in_spool)
{
  check_segment_waits (TRUE);
}

GST_END_TEST;

/* Encrypted: the clear segment stays in memory; the store has ciphertext
 * segments only. */
GST_START_TEST (test_encrypted_segment_never_on_disk)
{
  g_autofree gchar *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree gchar *uri = g_filename_to_uri (store_dir, NULL, NULL);
  g_autofree gchar *keys = cs_test_write_key_file (dir, "keys",
      CS_TEST_KEY_FILE_TEXT, 0600);
  g_autofree gchar *settings = g_strdup_printf ("encryption-key-file=%s",
      keys);
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  Watch w = {.store_dir = store_dir };
  guint segments = 0;
  CsRun run;

  g_mkdir (store_dir, 0755);
  record (uri, settings, &w, &run);
  fail_unless_equals_int (w.in_store, 0);
  store = cs_test_open_dir_store (store_dir);
  objects = cs_store_list (store, "cam/rec/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);

    segments += g_str_has_suffix (o->key, "_k7.mp4");
  }
  fail_unless_equals_int (segments, 4);
  cs_run_clear (&run);
}

GST_END_TEST;

static Suite *
cssink_segment_file_suite (void)
{
  Suite *s = suite_create ("cssink-segment-file");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  cs_test_add_tmp_dir_fixture (tc, &dir, NULL);
  tcase_add_test (tc, test_segment_waits_in_file_store);
  tcase_add_test (tc, test_segment_waits_in_spool);
  tcase_add_test (tc, test_encrypted_segment_never_on_disk);
  return s;
}

GST_CHECK_MAIN (cssink_segment_file);
