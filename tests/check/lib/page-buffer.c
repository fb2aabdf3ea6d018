/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The buffer a segment is muxed into: byte-exact, and its pages given back
 * to the system as soon as the segment is let go. */
#include <gst/check/gstcheck.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cs-page-buffer.h"
#include "cs-store.h"
#include "cs-test-http-store.h"
#include "cs-test-util.h"

/* Is any page of [@data, @data + @size) still mapped? */
static gboolean
is_mapped (gconstpointer data, gsize size)
{
  gsize page = sysconf (_SC_PAGESIZE);
  guintptr start = GPOINTER_TO_SIZE (data) / page * page;
  guchar vec[64];

  for (guintptr p = start; p < GPOINTER_TO_SIZE (data) + size; p += page)
    if (mincore (GSIZE_TO_POINTER (p), page, vec) == 0)
      return TRUE;
    else
      fail_unless_equals_int (errno, ENOMEM);
  return FALSE;
}

/* TS packets one by one, then pieces larger than a growth step, into @pb:
 * what went in comes out, in order (after the buffer moved while growing,
 * or went from a file to memory), with its first bytes replaced twice. */
static void
check_bytes_exact (CsPageBuffer * pb)
{
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  guint8 packet[188];
  g_autofree guint8 *big = g_malloc (3 * 1024 * 1024 + 17);
  const guint8 headers[300] = { 0x12, 0x34, [299] = 0x56 };

  for (guint i = 0; i < 20000; i++) {
    memset (packet, i & 0xff, sizeof packet);
    packet[0] = 0x47;
    cs_page_buffer_append (pb, packet, sizeof packet);
    g_byte_array_append (expected, packet, sizeof packet);
    if (i == 10) {              /* still staged, in a file */
      cs_page_buffer_overwrite (pb, headers, 100);
      memcpy (expected->data, headers, 100);
    }
  }
  for (gsize i = 0; i < 3 * 1024 * 1024 + 17; i++)
    big[i] = (guint8) (i * 7 + 3);
  for (guint i = 0; i < 2; i++) {
    cs_page_buffer_append (pb, big, 3 * 1024 * 1024 + 17);
    g_byte_array_append (expected, big, 3 * 1024 * 1024 + 17);
  }
  cs_page_buffer_append (pb, packet, 0);
  cs_page_buffer_overwrite (pb, headers, sizeof headers);
  memcpy (expected->data, headers, sizeof headers);
  fail_unless_equals_uint64 (cs_page_buffer_get_size (pb), expected->len);
  bytes = cs_page_buffer_free_to_bytes (pb);
  fail_unless_equals_uint64 (g_bytes_get_size (bytes), expected->len);
  fail_unless (memcmp (g_bytes_get_data (bytes, NULL), expected->data,
          expected->len) == 0);
}

GST_START_TEST (test_bytes_exact)
{
  check_bytes_exact (cs_page_buffer_new ());
}

GST_END_TEST;

static guint
entries_in (const gchar * dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* In a directory: the bytes are in a file there while the segment grows;
 * handed on, they are exact, in memory, and the file is gone (its disk
 * space free for the store's copy: a nearly full disk lost segments while
 * the file was kept); nothing is left behind. */
GST_START_TEST (test_in_dir)
{
  g_autofree gchar *dir = g_dir_make_tmp ("page-buffer-XXXXXX", NULL);
  CsPageBuffer *pb = cs_page_buffer_new_in (dir);
  guint8 piece[100 * 1024] = { 1, 2, 3 };
  GBytes *bytes;

  cs_page_buffer_append (pb, piece, sizeof piece);
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 1);
  fail_unless_equals_int (entries_in (dir), 0);
  cs_page_buffer_free (pb);
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 0);

  pb = cs_page_buffer_new_in (dir);
  cs_page_buffer_append (pb, piece, sizeof piece);
  bytes = cs_page_buffer_free_to_bytes (pb);
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 0);
  fail_if (cs_test_is_mapped (dir));
  fail_unless_equals_int (g_bytes_get_size (bytes), sizeof piece);
  fail_unless (memcmp (g_bytes_get_data (bytes, NULL), piece,
          sizeof piece) == 0);
  g_bytes_unref (bytes);
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 0);

  check_bytes_exact (cs_page_buffer_new_in (dir));
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 0);
  fail_unless_equals_int (entries_in (dir), 0);
  g_rmdir (dir);
}

GST_END_TEST;

/* A disk that fills while a segment is written (here a file size limit
 * of 1 MB): the segment goes on in memory, whole; a directory that cannot
 * take a file: in memory from the start. */
GST_START_TEST (test_in_dir_full_or_missing)
{
  g_autofree gchar *dir = g_dir_make_tmp ("page-buffer-XXXXXX", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "missing", NULL);
  struct rlimit limit = { 1024 * 1024, 1024 * 1024 }, old;

  check_bytes_exact (cs_page_buffer_new_in (missing));
  fail_unless_equals_int (getrlimit (RLIMIT_FSIZE, &old), 0);
  limit.rlim_max = old.rlim_max;
  signal (SIGXFSZ, SIG_IGN);
  fail_unless_equals_int (setrlimit (RLIMIT_FSIZE, &limit), 0);
  check_bytes_exact (cs_page_buffer_new_in (dir));
  setrlimit (RLIMIT_FSIZE, &old);
  signal (SIGXFSZ, SIG_DFL);
  fail_unless_equals_int (cs_test_unlinked_files_open (dir), 0);
  g_rmdir (dir);
}

GST_END_TEST;

/* The pages of a segment go back to the system when its last owner lets go
 * (malloc would keep a freed block of this size in the process). */
GST_START_TEST (test_pages_given_back)
{
  CsPageBuffer *pb = cs_page_buffer_new ();
  g_autofree guint8 *piece = g_malloc0 (2 * 1024 * 1024 + 5);
  GBytes *bytes, *other_owner;
  gconstpointer data;
  gsize size;

  cs_page_buffer_append (pb, piece, 2 * 1024 * 1024 + 5);
  bytes = cs_page_buffer_free_to_bytes (pb);
  data = g_bytes_get_data (bytes, &size);
  fail_unless (is_mapped (data, size));
  /* The room reserved for growing and never written is not kept. */
  fail_if (is_mapped ((const guint8 *) data + size + 2 * sysconf
          (_SC_PAGESIZE), 512 * 1024));
  other_owner = g_bytes_ref (bytes);
  g_bytes_unref (bytes);
  fail_unless (is_mapped (data, size));
  g_bytes_unref (other_owner);
  fail_if (is_mapped (data, size));
}

GST_END_TEST;

GST_START_TEST (test_empty)
{
  g_autoptr (GBytes) bytes = cs_page_buffer_free_to_bytes
      (cs_page_buffer_new ());
  CsPageBuffer *pb = cs_page_buffer_new ();

  fail_unless_equals_uint64 (g_bytes_get_size (bytes), 0);
  cs_page_buffer_append (pb, (const guint8 *) "abc", 3);
  cs_page_buffer_free (pb);     /* a segment that was never closed */
  cs_page_buffer_free (NULL);
}

GST_END_TEST;

/* A segment as the cutter makes it, in pieces that end inside TS packets,
 * stored through @uri and read back byte for byte. */
static void
store_and_read_back (const gchar * uri, const CsStoreConfig * config)
{
  CsPageBuffer *pb = cs_page_buffer_new ();
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  g_autoptr (GBytes) segment = NULL, back = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *key = g_strdup_printf ("cam1/rec/%u.ts",
      g_random_int ());
  guint8 packets[188 * 7];

  for (guint i = 0; i < sizeof packets; i++)
    packets[i] = i % 188 == 0 ? 0x47 : (guint8) (i * 13);
  for (guint i = 0; i < 2000; i++) {
    gsize n = 1 + (i * 389) % sizeof packets;   /* 1 .. 7 packets, cut anywhere */
    cs_page_buffer_append (pb, packets, n);
    g_byte_array_append (expected, packets, n);
  }
  segment = cs_page_buffer_free_to_bytes (pb);
  store = cs_store_new (uri, config, &error);
  fail_unless (store != NULL, "%s", error ? error->message : "");
  fail_unless (cs_store_put (store, key, segment, "video/mp2t", NULL, &error),
      "%s: %s", uri, error ? error->message : "");
  back = cs_store_get (store, key, NULL, &error);
  fail_unless (back != NULL, "%s", error ? error->message : "");
  fail_unless_equals_uint64 (g_bytes_get_size (back), expected->len);
  fail_unless (memcmp (g_bytes_get_data (back, NULL), expected->data,
          expected->len) == 0, "%s: not the bytes given", uri);
  cs_store_delete (store, key, NULL, NULL);
}

/* file:// and HTTP here; S3 too when the test servers are there. */
GST_START_TEST (test_stored_byte_exact)
{
  g_autofree gchar *dir = g_dir_make_tmp ("page-buffer-XXXXXX", NULL);
  g_autofree gchar *file_uri = g_filename_to_uri (dir, NULL, NULL);
  g_autofree gchar *http_root = g_build_filename (dir, "http", NULL);
  CsTestHttpStore *http;
  g_autofree gchar *http_uri = NULL;
  CsStoreConfig none = { 0 };

  store_and_read_back (file_uri, &none);
  g_mkdir (http_root, 0755);
  http = cs_test_http_store_start (http_root);
  http_uri = cs_test_http_store_uri (http);
  store_and_read_back (http_uri, &none);
  cs_test_http_store_stop (http);
  if (g_getenv ("CS_TEST_S3_ENDPOINT") && g_getenv ("CS_TEST_S3_BUCKET")) {
    g_autofree gchar *s3_uri = g_strdup_printf ("s3://%s/page-buffer",
        g_getenv ("CS_TEST_S3_BUCKET"));
    CsStoreConfig s3 = {.endpoint = g_getenv ("CS_TEST_S3_ENDPOINT"),
      .access_key = g_getenv ("CS_TEST_S3_ACCESS_KEY"),
      .secret_key = g_getenv ("CS_TEST_S3_SECRET_KEY")
    };
    store_and_read_back (s3_uri, &s3);
  }
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static Suite *
page_buffer_suite (void)
{
  Suite *s = suite_create ("page-buffer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bytes_exact);
  tcase_add_test (tc, test_in_dir);
  tcase_add_test (tc, test_in_dir_full_or_missing);
  tcase_add_test (tc, test_pages_given_back);
  tcase_add_test (tc, test_empty);
  tcase_add_test (tc, test_stored_byte_exact);
  return s;
}

GST_CHECK_MAIN (page_buffer);
