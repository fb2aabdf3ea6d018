/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disk spool touches only what it wrote: a directory that is not a
 * spool is refused untouched, the objects of another store or device are
 * left alone, and a full disk (a real tmpfs of 1 MiB) drops the oldest
 * objects to make room, never before a write has been tried. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-spool.h"
#include "cs-test-tmpfs.h"
#include "cs-test-util.h"

static gchar *dir, *spool_dir;
static CsStore *store1, *store2;

static void
setup (void)
{
  g_autofree gchar *uri1 = NULL, *uri2 = NULL;

  dir = g_dir_make_tmp ("cs-spool-XXXXXX", NULL);
  spool_dir = g_build_filename (dir, "spool", NULL);
  uri1 = g_strdup_printf ("file://%s/store1", dir);
  uri2 = g_strdup_printf ("file://%s/store2", dir);
  store1 = cs_store_new (uri1, NULL, NULL);
  store2 = cs_store_new (uri2, NULL, NULL);
}

static void
teardown (void)
{
  g_clear_pointer (&store1, cs_store_free);
  g_clear_pointer (&store2, cs_store_free);
  cs_test_unmount (spool_dir);
  cs_test_remove_tree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&spool_dir, g_free);
}

static CsSpool *
open_spool (CsStore * store, const gchar * device, guint64 max_bytes,
    CsSpoolOpenInfo * info)
{
  g_autoptr (GError) error = NULL;
  CsSpoolOpenInfo local;
  CsSpool *spool = cs_spool_open (spool_dir, store, device, max_bytes,
      info ? info : &local, &error);

  fail_unless (spool != NULL, "%s", error ? error->message : "");
  if (info == NULL)
    cs_spool_open_info_clear (&local);
  return spool;
}

/* A segment key of @device at second @n. */
static gchar *
key (const gchar * device, guint n)
{
  return g_strdup_printf ("%s/rec/20231114/22/%" G_GINT64_FORMAT "_1000.ts",
      device, G_GINT64_CONSTANT (1700000000000) + n * 1000);
}

static void
write_object (CsSpool * spool, const gchar * k, gsize size, GPtrArray * dropped)
{
  g_autofree gchar *data = g_malloc0 (size);
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&data), size);
  g_autoptr (GError) error = NULL;

  fail_unless (cs_spool_write (spool, k, bytes, dropped, &error), "%s: %s",
      k, error ? error->message : "");
}

static void
write_file (const gchar * name, const gchar * text)
{
  g_autofree gchar *path = g_build_filename (spool_dir, name, NULL);

  fail_unless (g_file_set_contents (path, text, -1, NULL));
}

static void
check_file (const gchar * name, const gchar * text)
{
  g_autofree gchar *path = g_build_filename (spool_dir, name, NULL);
  g_autofree gchar *contents = NULL;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL),
      "%s is gone", name);
  fail_unless_equals_string (contents, text);
}

static guint
entries_in (const gchar * path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

/* A user's directory: refused, and every file in it as it was. */
GST_START_TEST (test_not_a_spool)
{
  static const gchar *files[][2] = { {"thesis.txt", "chapter 1"},
  {"run.sh", "#!/bin/sh\n"}, {"config.json", "{}"}, {"holiday.jpg", "\xff\xd8"}
  };
  g_autoptr (GError) error = NULL;
  CsSpoolOpenInfo info;

  fail_unless (g_mkdir (spool_dir, 0700) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    write_file (files[i][0], files[i][1]);
  fail_unless (cs_spool_open (spool_dir, store1, "cam1", 0, &info,
          &error) == NULL);
  fail_unless (strstr (error->message, "is not a spool") != NULL
      && strstr (error->message, "Nothing in it was touched") != NULL, "%s",
      error->message);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    check_file (files[i][0], files[i][1]);
  fail_unless_equals_int (entries_in (spool_dir), G_N_ELEMENTS (files));
}

GST_END_TEST;

/* New, empty, or an empty filesystem's root (lost+found): a spool. */
GST_START_TEST (test_empty_directories)
{
  g_autofree gchar *lost = g_build_filename (spool_dir, "lost+found", NULL);
  g_autofree gchar *marker = g_build_filename (spool_dir,
      "GST-CLOUDSTORAGE-SPOOL", NULL);
  CsSpool *spool = open_spool (store1, "cam1", 0, NULL);

  cs_spool_free (spool);
  cs_test_remove_tree (spool_dir);
  fail_unless (g_mkdir_with_parents (lost, 0700) == 0);
  spool = open_spool (store1, "cam1", 0, NULL);
  cs_spool_free (spool);
  fail_unless (g_file_test (lost, G_FILE_TEST_IS_DIR));
  fail_unless (g_file_test (marker, G_FILE_TEST_IS_REGULAR));
}

GST_END_TEST;

/* One spool, two devices and two stores: each sees only its own objects,
 * and hears once of the others'. */
GST_START_TEST (test_objects_belong_to_store_and_device)
{
  g_autofree gchar *a1 = key ("camA", 1), *a2 = key ("camA", 2);
  g_autofree gchar *b1 = key ("camB", 1);
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) keys = NULL;
  CsSpoolOpenInfo info;
  CsSpool *spool;

  spool = open_spool (store1, "camA", 0, NULL);
  write_object (spool, a1, 10, dropped);
  write_object (spool, a2, 10, dropped);
  cs_spool_free (spool);

  /* Another camera on the same spool and store. */
  spool = open_spool (store1, "camB", 0, &info);
  keys = cs_spool_keys (spool);
  fail_unless_equals_int (keys->len, 0);
  fail_unless_equals_int (info.foreign, 2);
  fail_unless (strstr (info.foreign_owners, "camA at file://") != NULL,
      "%s", info.foreign_owners);
  cs_spool_open_info_clear (&info);
  write_object (spool, b1, 10, dropped);
  cs_spool_free (spool);
  g_clear_pointer (&keys, g_ptr_array_unref);

  /* The same camera, configured with another store. */
  spool = open_spool (store2, "camA", 0, &info);
  keys = cs_spool_keys (spool);
  fail_unless_equals_int (keys->len, 0);
  fail_unless_equals_int (info.foreign, 3);
  cs_spool_open_info_clear (&info);
  cs_spool_free (spool);
  g_clear_pointer (&keys, g_ptr_array_unref);

  /* Back to its store: everything it left. */
  spool = open_spool (store1, "camA", 0, &info);
  keys = cs_spool_keys (spool);
  fail_unless_equals_int (keys->len, 2);
  fail_unless_equals_string (g_ptr_array_index (keys, 0), a1);
  fail_unless_equals_int (info.foreign, 1);
  cs_spool_open_info_clear (&info);
  cs_spool_free (spool);
  fail_unless_equals_int (dropped->len, 0);
}

GST_END_TEST;

/* Two spools open for the same store and device would upload and remove
 * each other's objects: the second is refused. */
GST_START_TEST (test_one_writer)
{
  CsSpool *spool = open_spool (store1, "cam1", 0, NULL);
  g_autoptr (GError) error = NULL;
  CsSpoolOpenInfo info;

  fail_unless (cs_spool_open (spool_dir, store1, "cam1", 0, &info,
          &error) == NULL);
  fail_unless (strstr (error->message, "another recording of cam1") != NULL,
      "%s", error->message);
  g_clear_error (&error);
  cs_spool_free (spool);
  spool = open_spool (store1, "cam1", 0, NULL);
  cs_spool_free (spool);
}

GST_END_TEST;

/* A spool of the earlier layout (objects named by their key, directly in
 * the directory): adopted; each device's objects move to its directory at
 * its first open, half-written files are discarded. */
GST_START_TEST (test_earlier_layout)
{
  static const gchar *cam1_segment =
      "cam1%rec%20231114%22%1700000000000_4000.ts";
  static const gchar *cam1_event =
      "cam1%ev%20231114%1700000000000%event.json";
  static const gchar *cam2_segment =
      "cam2%rec%20231114%22%1700000000000_4000.ts";
  g_autoptr (GPtrArray) keys = NULL;
  CsSpoolOpenInfo info;
  CsSpool *spool;

  fail_unless (g_mkdir (spool_dir, 0700) == 0);
  write_file (cam1_segment, "ts");
  write_file (cam1_event, "{}");
  write_file (cam2_segment, "ts");
  write_file ("cam1%rec%20231114%22%1700000004000_4000.ts.Ab12Cd", "half");

  spool = open_spool (store1, "cam1", 0, &info);
  fail_unless_equals_int (info.migrated, 2);
  fail_unless_equals_int (info.discarded, 1);
  fail_unless_equals_int (info.foreign, 1);
  fail_unless_equals_string (info.foreign_owners, "cam2 (earlier layout)");
  cs_spool_open_info_clear (&info);
  keys = cs_spool_keys (spool);
  fail_unless_equals_int (keys->len, 2);
  cs_spool_free (spool);
  check_file (cam2_segment, "ts");

  spool = open_spool (store2, "cam2", 0, &info);
  fail_unless_equals_int (info.migrated, 1);
  cs_spool_open_info_clear (&info);
  cs_spool_free (spool);
}

GST_END_TEST;

/* In its own directory too, only what it wrote: a temporary file of an
 * object is discarded, anything else left. */
GST_START_TEST (test_half_written_discarded)
{
  g_autofree gchar *k = key ("cam1", 1);
  CsSpool *spool = open_spool (store1, "cam1", 0, NULL);
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (spool_dir, 0, NULL);
  g_autofree gchar *own = NULL, *half = NULL, *notes = NULL;
  const gchar *name;
  CsSpoolOpenInfo info;

  write_object (spool, k, 10, dropped);
  cs_spool_free (spool);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "cam1@"))
      own = g_build_filename (spool_dir, name, NULL);
  fail_unless (own != NULL);
  half = g_build_filename (own, "cam1%rec%20231114%22%2_1.ts.XyZ123", NULL);
  notes = g_build_filename (own, "notes.txt", NULL);
  fail_unless (g_file_set_contents (half, "half", -1, NULL));
  fail_unless (g_file_set_contents (notes, "mine", -1, NULL));
  spool = open_spool (store1, "cam1", 0, &info);
  fail_unless_equals_int (info.discarded, 1);
  fail_unless (!g_file_test (half, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (notes, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (cs_spool_bytes (spool), 10);
  cs_spool_free (spool);
}

GST_END_TEST;

#define OBJECT (200 * 1024)

/* A full disk: the oldest objects make room for each new one; the newest
 * is always kept. */
GST_START_TEST (test_full_disk_drops_oldest)
{
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) keys = NULL;
  CsSpool *spool;
  guint n = 12;

  cs_test_mount_tmpfs (spool_dir, "1m", FALSE);
  spool = open_spool (store1, "cam1", 0, NULL);
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *k = key ("cam1", i);
    write_object (spool, k, OBJECT, dropped);
  }
  keys = cs_spool_keys (spool);
  fail_unless (dropped->len >= n - 5, "%u dropped", dropped->len);
  fail_unless_equals_int (keys->len + dropped->len, n);
  /* Oldest first, and the newest kept. */
  for (guint i = 0; i < dropped->len; i++) {
    g_autofree gchar *k = key ("cam1", i);
    fail_unless_equals_string (g_ptr_array_index (dropped, i), k);
  }
  for (guint i = 0; i < keys->len; i++) {
    g_autofree gchar *k = key ("cam1", dropped->len + i);
    g_autoptr (GBytes) back = cs_spool_read (spool, k, NULL);
    fail_unless (back != NULL && g_bytes_get_size (back) == OBJECT, "%s", k);
  }
  fail_unless_equals_int (cs_spool_bytes (spool), keys->len * OBJECT);
  cs_spool_free (spool);
}

GST_END_TEST;

/* An object that cannot fit even in an empty disk: the write fails, and
 * nothing was removed for it, not even its own older copy. */
GST_START_TEST (test_full_disk_removes_nothing_in_vain)
{
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *k1 = key ("cam1", 1), *k2 = key ("cam1", 2);
  g_autofree gchar *big = g_malloc0 (2 * 1024 * 1024);
  g_autoptr (GBytes) too_big = g_bytes_new_take (g_steal_pointer (&big),
      2 * 1024 * 1024);
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GError) error = NULL;
  CsSpool *spool;

  cs_test_mount_tmpfs (spool_dir, "1m", FALSE);
  spool = open_spool (store1, "cam1", 0, NULL);
  write_object (spool, k1, OBJECT, dropped);
  write_object (spool, k2, OBJECT, dropped);
  fail_if (cs_spool_write (spool, k2, too_big, dropped, &error));
  fail_unless (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC),
      "%s", error->message);
  fail_unless_equals_int (dropped->len, 0);
  back = cs_spool_read (spool, k2, NULL);
  fail_unless (back != NULL && g_bytes_get_size (back) == OBJECT);
  fail_unless_equals_int (cs_spool_bytes (spool), 2 * OBJECT);
  cs_spool_free (spool);
}

GST_END_TEST;

/* spool-max-bytes: the oldest go once the new one is written. */
GST_START_TEST (test_limit)
{
  g_autoptr (GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *k1 = key ("cam1", 1), *k2 = key ("cam1", 2);
  CsSpool *spool = open_spool (store1, "cam1", 300, NULL);

  write_object (spool, k1, 200, dropped);
  write_object (spool, k2, 200, dropped);
  fail_unless_equals_int (dropped->len, 1);
  fail_unless_equals_string (g_ptr_array_index (dropped, 0), k1);
  /* The newest stays even when it alone is over the limit. */
  write_object (spool, k1, 500, dropped);
  fail_unless_equals_int (dropped->len, 2);
  fail_unless_equals_int (cs_spool_bytes (spool), 500);
  cs_spool_free (spool);
}

GST_END_TEST;

static Suite *
spool_suite (void)
{
  Suite *s = suite_create ("spool");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_not_a_spool);
  tcase_add_test (tc, test_empty_directories);
  tcase_add_test (tc, test_objects_belong_to_store_and_device);
  tcase_add_test (tc, test_one_writer);
  tcase_add_test (tc, test_earlier_layout);
  tcase_add_test (tc, test_half_written_discarded);
  tcase_add_test (tc, test_full_disk_drops_oldest);
  tcase_add_test (tc, test_full_disk_removes_nothing_in_vain);
  tcase_add_test (tc, test_limit);
  return s;
}

GST_CHECK_MAIN (spool);
