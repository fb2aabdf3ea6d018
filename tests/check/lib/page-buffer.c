/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The buffer a segment is muxed into: byte-exact, and its pages given back
 * to the system as soon as the segment is let go. */
#include <gst/check/gstcheck.h>

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cs-page-buffer.h"

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

/* TS packets one by one, then pieces larger than a growth step: what went
 * in comes out, in order, after the buffer moved while growing. */
GST_START_TEST (test_bytes_exact)
{
  CsPageBuffer *pb = cs_page_buffer_new ();
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  guint8 packet[188];
  g_autofree guint8 *big = g_malloc (3 * 1024 * 1024 + 17);

  for (guint i = 0; i < 20000; i++) {
    memset (packet, i & 0xff, sizeof packet);
    packet[0] = 0x47;
    cs_page_buffer_append (pb, packet, sizeof packet);
    g_byte_array_append (expected, packet, sizeof packet);
  }
  for (gsize i = 0; i < 3 * 1024 * 1024 + 17; i++)
    big[i] = (guint8) (i * 7 + 3);
  for (guint i = 0; i < 2; i++) {
    cs_page_buffer_append (pb, big, 3 * 1024 * 1024 + 17);
    g_byte_array_append (expected, big, 3 * 1024 * 1024 + 17);
  }
  cs_page_buffer_append (pb, packet, 0);
  fail_unless_equals_uint64 (cs_page_buffer_get_size (pb), expected->len);
  bytes = cs_page_buffer_free_to_bytes (pb);
  fail_unless_equals_uint64 (g_bytes_get_size (bytes), expected->len);
  fail_unless (memcmp (g_bytes_get_data (bytes, NULL), expected->data,
          expected->len) == 0);
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

static Suite *
page_buffer_suite (void)
{
  Suite *s = suite_create ("page-buffer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bytes_exact);
  tcase_add_test (tc, test_pages_given_back);
  tcase_add_test (tc, test_empty);
  return s;
}

GST_CHECK_MAIN (page_buffer);
