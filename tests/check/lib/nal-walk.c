/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one NAL walk (cs-nal.h) that the fMP4 writer and cssink's
 * parameter-set keeper share: where each unit of a byte-stream access unit
 * is, where the next start code begins, what is passed over (bytes before
 * the first start code, units of zero bytes only), the type and parameter
 * set kind per codec; and that both users see the same units, also after
 * two start codes back to back. */
#include <gst/check/gstcheck.h>

#include <string.h>

#include "cs-nal.h"
#include "cs-param-sets.h"

static guint8 *
from_hex (const gchar * hex, gsize * len)
{
  guint8 *d;

  *len = strlen (hex) / 2;
  d = g_malloc (*len + 1);
  for (gsize i = 0; i < *len; i++)
    d[i] = g_ascii_xdigit_value (hex[2 * i]) << 4
        | g_ascii_xdigit_value (hex[2 * i + 1]);
  return d;
}

/* The units of @hex as "offset+size>next" each, space separated. */
static gchar *
walk (const gchar * hex)
{
  gsize len;
  g_autofree guint8 *au = from_hex (hex, &len);
  GString *got = g_string_new (NULL);
  CsNalIter iter;
  CsNalUnit unit;

  cs_nal_iter_init (&iter, au, len);
  while (cs_nal_iter_next (&iter, &unit))
    g_string_append_printf (got, "%s%" G_GSIZE_FORMAT "+%" G_GSIZE_FORMAT
        ">%" G_GSIZE_FORMAT, got->len ? " " : "", unit.offset, unit.size,
        unit.next);
  return g_string_free (got, FALSE);
}

#define assert_walk(hex, want) G_STMT_START {   \
  g_autofree gchar *got_ = walk (hex);          \
  fail_unless_equals_string (got_, want);       \
} G_STMT_END

GST_START_TEST (test_units)
{
  /* 4-byte then 3-byte start codes: the zero before 00 00 01 is the next
   * start code's, the last unit ends at the access unit's end. */
  assert_walk ("000000016742000001688800000001658811", "4+2>6 9+2>11 15+3>18");
  /* Junk before the first start code is passed over; trailing zeros are
   * the unit's (the next start code begins at the zero right before
   * 00 00 01). */
  assert_walk ("ff0000016700000000000165", "4+1>7 11+1>12");
  assert_walk ("0000016788000000", "3+2>8");
  /* Two start codes back to back, units of zeros only: passed over. */
  assert_walk ("00000100000167aa", "6+2>8");
  assert_walk ("000001000000000165", "8+1>9");
  /* No start code, a start code at the very end, nothing at all. */
  assert_walk ("6588000002", "");
  assert_walk ("65000001", "");
  assert_walk ("", "");
  {
    CsNalIter iter;
    CsNalUnit unit;

    cs_nal_iter_init (&iter, NULL, 0);
    fail_if (cs_nal_iter_next (&iter, &unit));
  }
}

GST_END_TEST;

GST_START_TEST (test_types)
{
  /* H.264: the type is the low 5 bits; SPS 7, PPS 8. */
  fail_unless_equals_int (cs_nal_type (CS_NAL_H264, 0x67), 7);
  fail_unless_equals_int (cs_nal_type (CS_NAL_H264, 0x65), 5);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H264, 7), CS_NAL_SPS);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H264, 8), CS_NAL_PPS);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H264, 5), -1);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H264, 32), -1);
  /* H.265: 6 bits after the forbidden bit; VPS 32, SPS 33, PPS 34. */
  fail_unless_equals_int (cs_nal_type (CS_NAL_H265, 0x40), 32);
  fail_unless_equals_int (cs_nal_type (CS_NAL_H265, 0x26), 19);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H265, 32), CS_NAL_VPS);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H265, 33), CS_NAL_SPS);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H265, 34), CS_NAL_PPS);
  fail_unless_equals_int (cs_nal_kind (CS_NAL_H265, 7), -1);
}

GST_END_TEST;

/* A keyframe whose SPS and PPS follow an empty unit (a start code right
 * after a start code): the fMP4 writer stores both sets, and the keeper
 * keeps both (it used to take the second start code for a unit of type 0
 * and miss the sets behind it), so the next keyframe without them gets
 * them. */
GST_START_TEST (test_same_units)
{
  const gchar *hex = "00000100000167aa0000000168bb000001658800";
  static const guint8 want_mp4[] = { 0, 0, 0, 2, 0x67, 0xaa, 0, 0, 0, 2,
    0x68, 0xbb, 0, 0, 0, 2, 0x65, 0x88
  };
  gsize len, at = 99, sets_len;
  g_autofree guint8 *au = from_hex (hex, &len);
  g_autofree guint8 *bare = NULL;
  g_autoptr (GArray) units = g_array_new (FALSE, FALSE, sizeof (CsNalUnit));
  CsParamSets *keeper = cs_param_sets_new (FALSE);
  GBytes *sets;
  const guint8 *d;

  /* Each unit behind its 4-byte length. */
  fail_unless_equals_int (cs_nal_au_mp4_units (au, len, units, NULL),
      sizeof want_mp4);
  fail_unless_equals_int (units->len, 3);
  for (guint i = 0; i < units->len; i++) {
    const CsNalUnit *u = &g_array_index (units, CsNalUnit, i);
    fail_unless_equals_int (u->size, 2);
    fail_unless (memcmp (au + u->offset, want_mp4 + 6 * i + 4, 2) == 0);
  }

  fail_unless (cs_param_sets_keyframe (keeper, au, len, &at) == NULL);
  bare = from_hex ("000001658800", &len);
  sets = cs_param_sets_keyframe (keeper, bare, len, &at);
  fail_unless (sets != NULL);
  d = g_bytes_get_data (sets, &sets_len);
  fail_unless_equals_int (sets_len, 12);
  fail_unless (memcmp (d, "\0\0\0\1\x67\xaa\0\0\0\1\x68\xbb", 12) == 0);
  fail_unless_equals_int (at, 0);
  g_bytes_unref (sets);
  cs_param_sets_free (keeper);
}

GST_END_TEST;

static Suite *
nal_walk_suite (void)
{
  Suite *s = suite_create ("nal-walk");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_units);
  tcase_add_test (tc, test_types);
  tcase_add_test (tc, test_same_units);
  return s;
}

GST_CHECK_MAIN (nal_walk);
