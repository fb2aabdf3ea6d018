/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fragment writer's parts: the NAL walk over byte-stream access units
 * (start codes of 3 and 4 bytes, trailing zeros, bytes before the first
 * start code), the avcC from the in-band SPS/PPS, clear errors for missing
 * or broken parameter sets, and a segment that the stored layout reads
 * (cs_fmp4_boxes_lay_out, its decode times on the start given). */
#include <gst/check/gstcheck.h>

#include <gio/gio.h>
#include <string.h>

#include "cs-fmp4-boxes.h"
#include "cs-fmp4-writer.h"
#include "cs-key.h"

/* SPS (profile 66, level 30), PPS, then an IDR slice; junk before, zeros
 * after. */
static const guint8 keyframe_au[] = { 0xff, 0x00, 0x00, 0x00, 0x01, 0x67,
  0x42, 0xc0, 0x1e, 0x00, 0x00, 0x01, 0x68, 0xce, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x65, 0x11, 0x22, 0x00, 0x00
};

static const guint8 delta_au[] = { 0x00, 0x00, 0x01, 0x41, 0x9a, 0x33 };

GST_START_TEST (test_nal_walk)
{
  static const guint8 want[] = { 0, 0, 0, 4, 0x67, 0x42, 0xc0, 0x1e,
    0, 0, 0, 2, 0x68, 0xce, 0, 0, 0, 3, 0x65, 0x11, 0x22
  };
  static const guint8 none[] = { 0x00, 0x00, 0x02, 0x67, 0x00, 0x00 };
  g_autoptr (GByteArray) out = g_byte_array_new ();

  fail_unless_equals_int (cs_nal_au_to_mp4 (keyframe_au, sizeof keyframe_au,
          out, NULL), sizeof want);
  fail_unless (memcmp (out->data, want, sizeof want) == 0);
  g_byte_array_set_size (out, 0);
  fail_unless_equals_int (cs_nal_au_to_mp4 (none, sizeof none, out, NULL), 0);
  fail_unless_equals_int (cs_nal_au_to_mp4 (none, 0, out, NULL), 0);
  /* A start code with nothing (or one byte) after it. */
  fail_unless_equals_int (cs_nal_au_to_mp4 (delta_au, 4, out, NULL), 0);
  fail_unless_equals_int (out->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_avcc)
{
  static const guint8 want[] = { 1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4,
    0x67, 0x42, 0xc0, 0x1e, 1, 0, 2, 0x68, 0xce
  };
  g_autoptr (CsNalParams) params = cs_nal_params_new (CS_NAL_H264);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) config = NULL;
  g_autoptr (GError) error = NULL;

  fail_unless (cs_nal_params_config (params, &error) == NULL);
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_INVALID_DATA));
  cs_nal_au_to_mp4 (keyframe_au, sizeof keyframe_au, out, params);
  config = cs_nal_params_config (params, NULL);
  fail_unless (config != NULL);
  fail_unless_equals_int (g_bytes_get_size (config), sizeof want);
  fail_unless (memcmp (g_bytes_get_data (config, NULL), want,
          sizeof want) == 0);
}

GST_END_TEST;

/* H.265 without a VPS, and with an SPS cut short: refused, no crash. */
GST_START_TEST (test_hvcc_refused)
{
  static const guint8 no_vps[] = { 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60,
    0, 0, 1, 0x44, 0x01, 0xc1
  };
  static const guint8 short_sps[] = { 0, 0, 1, 0x40, 0x01, 0x0c,
    0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 1, 0x44, 0x01, 0xc1
  };
  g_autoptr (CsNalParams) params = cs_nal_params_new (CS_NAL_H265);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  GError *error = NULL;

  cs_nal_au_to_mp4 (no_vps, sizeof no_vps, out, params);
  fail_unless (cs_nal_params_config (params, &error) == NULL);
  fail_unless (strstr (error->message, "VPS") != NULL, "%s", error->message);
  g_clear_error (&error);
  cs_nal_au_to_mp4 (short_sps, sizeof short_sps, out, params);
  fail_unless (cs_nal_params_config (params, &error) == NULL);
  fail_unless (strstr (error->message, "SPS") != NULL, "%s", error->message);
  g_clear_error (&error);
}

GST_END_TEST;

static guint
count_boxes (const guint8 * data, gsize len, const gchar * type)
{
  guint n = 0;

  for (gsize at = 0; at + 8 <= len;) {
    const guint8 *b = data + at;
    guint32 size = (guint32) b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    if (size < 8)
      break;
    n += memcmp (data + at + 4, type, 4) == 0;
    at += size;
  }
  return n;
}

/* Two GOPs of video with audio: ftyp, moov, then a moof/mdat per track and
 * GOP; laid out, its earliest decode time is the start given less the
 * video's decode delay. */
GST_START_TEST (test_segment)
{
  static const guint8 aac[] = { 0x21, 0x10, 0x04, 0x60 };
  static const guint8 asc[] = { 0x12, 0x10 };
  const gint64 frame = GST_SECOND / 30, start_us = G_GINT64_CONSTANT
      (1700000000000000);
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new ();
  g_autoptr (GBytes) config = g_bytes_new_static (asc, sizeof asc);
  g_autoptr (GBytes) seg = NULL, stored = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *d;
  gsize len;

  cs_fmp4_writer_set_video (w, CS_NAL_H264, 320, 240);
  cs_fmp4_writer_set_audio (w, 44100, 1, config);
  fail_unless (cs_fmp4_writer_is_empty (w));
  /* Without its keyframe, a frame starts nothing. */
  cs_fmp4_writer_add_video (w, delta_au, sizeof delta_au, 0, frame, frame,
      FALSE);
  fail_unless (cs_fmp4_writer_is_empty (w));
  for (gint i = 0; i < 30; i++) {
    gint64 t = i * frame;
    if (i % 15 == 0)
      cs_fmp4_writer_add_video (w, keyframe_au, sizeof keyframe_au,
          t - frame, t, frame, TRUE);
    else
      cs_fmp4_writer_add_video (w, delta_au, sizeof delta_au, t - frame, t,
          frame, FALSE);
    if (i % 2 == 0)
      cs_fmp4_writer_add_audio (w, aac, sizeof aac, t, -1);
  }
  seg = cs_fmp4_writer_finish (w, start_us, &error);
  fail_unless (seg != NULL, "%s", error ? error->message : "");
  fail_unless (cs_fmp4_writer_is_empty (w));
  d = g_bytes_get_data (seg, &len);
  fail_unless (memcmp (d + 4, "ftyp", 4) == 0);
  fail_unless_equals_int (count_boxes (d, len, "moov"), 1);
  fail_unless_equals_int (count_boxes (d, len, "moof"), 4);
  fail_unless_equals_int (count_boxes (d, len, "mdat"), 4);

  stored = cs_fmp4_boxes_lay_out (d, len, 0, &error);
  fail_unless (stored != NULL, "%s", error ? error->message : "");
  d = g_bytes_get_data (stored, &len);
  fail_unless (memcmp (d + CS_KEY_FMP4_INIT_SIZE + 4, "moof", 4) == 0);
  /* Within a microsecond: 90 kHz units. */
  fail_unless (ABS (cs_fmp4_boxes_start_us (d, len) - (start_us - frame /
              1000)) <= 1);

  /* The next segment without a frame: nothing to write. */
  fail_unless (cs_fmp4_writer_finish (w, start_us, NULL) == NULL);
}

GST_END_TEST;

static Suite *
fmp4_writer_suite (void)
{
  Suite *s = suite_create ("fmp4-writer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nal_walk);
  tcase_add_test (tc, test_avcc);
  tcase_add_test (tc, test_hvcc_refused);
  tcase_add_test (tc, test_segment);
  return s;
}

GST_CHECK_MAIN (fmp4_writer);
