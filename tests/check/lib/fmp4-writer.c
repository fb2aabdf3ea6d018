/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fragment writer's parts: the NAL walk over byte-stream access units
 * (start codes of 3 and 4 bytes, trailing zeros, bytes before the first
 * start code), the avcC from the in-band SPS/PPS, clear errors for missing
 * or broken parameter sets, and a segment written as it comes (the init
 * part at its first keyframe, a GOP at the next), in the stored layout,
 * its decode times on the start given. */
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

/* What MP4 stores of @au (its units behind their lengths), appended to
 * @out; the size cs_nal_au_mp4_units() gives. */
static gsize
to_mp4 (const guint8 * au, gsize len, GByteArray * out, CsNalParams * params)
{
  g_autoptr (GArray) units = g_array_new (FALSE, FALSE, sizeof (CsNalUnit));
  gsize stored = cs_nal_au_mp4_units (au, len, units, params), was = out->len;

  for (guint i = 0; i < units->len; i++) {
    const CsNalUnit *u = &g_array_index (units, CsNalUnit, i);
    guint8 be[4] = { u->size >> 24, u->size >> 16, u->size >> 8, u->size };

    g_byte_array_append (out, be, 4);
    g_byte_array_append (out, au + u->offset, u->size);
  }
  fail_unless_equals_int (out->len - was, stored);
  return stored;
}

/* A constant frame for the writer. */
#define FRAME_BYTES(a) g_bytes_new_static (a, sizeof a)

GST_START_TEST (test_nal_walk)
{
  static const guint8 want[] = { 0, 0, 0, 4, 0x67, 0x42, 0xc0, 0x1e,
    0, 0, 0, 2, 0x68, 0xce, 0, 0, 0, 3, 0x65, 0x11, 0x22
  };
  static const guint8 none[] = { 0x00, 0x00, 0x02, 0x67, 0x00, 0x00 };
  g_autoptr (GByteArray) out = g_byte_array_new ();

  fail_unless_equals_int (to_mp4 (keyframe_au, sizeof keyframe_au, out,
          NULL), sizeof want);
  fail_unless (memcmp (out->data, want, sizeof want) == 0);
  g_byte_array_set_size (out, 0);
  fail_unless_equals_int (to_mp4 (none, sizeof none, out, NULL), 0);
  fail_unless_equals_int (to_mp4 (none, 0, out, NULL), 0);
  /* A start code with nothing (or one byte) after it. */
  fail_unless_equals_int (to_mp4 (delta_au, 4, out, NULL), 0);
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
  to_mp4 (keyframe_au, sizeof keyframe_au, out, params);
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

  to_mp4 (no_vps, sizeof no_vps, out, params);
  fail_unless (cs_nal_params_config (params, &error) == NULL);
  fail_unless (strstr (error->message, "VPS") != NULL, "%s", error->message);
  g_clear_error (&error);
  to_mp4 (short_sps, sizeof short_sps, out, params);
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

/* What the writer wrote: the segment's bytes as the cutter keeps them
 * (rewrites put over its start), and how many times it was called. */
typedef struct
{
  GByteArray *bytes;
  guint writes, rewrites;
} Out;

static void
on_output (GBytes ** parts, guint n_parts, gboolean rewrite,
    gpointer user_data)
{
  Out *out = user_data;

  if (rewrite) {
    fail_unless_equals_int (n_parts, 1);
    fail_unless_equals_int (g_bytes_get_size (parts[0]),
        CS_KEY_FMP4_INIT_SIZE);
    fail_unless (out->bytes->len >= CS_KEY_FMP4_INIT_SIZE);
    memcpy (out->bytes->data, g_bytes_get_data (parts[0], NULL),
        CS_KEY_FMP4_INIT_SIZE);
    out->rewrites++;
    return;
  }
  for (guint i = 0; i < n_parts; i++)
    g_byte_array_append (out->bytes, g_bytes_get_data (parts[i], NULL),
        g_bytes_get_size (parts[i]));
  out->writes++;
}

/* The moov's tracks (trak boxes) of a stored segment. */
static guint
tracks (const guint8 * d, gsize len)
{
  gsize ftyp = (guint32) d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
  const guint8 *moov = d + ftyp;
  gsize moov_len = (guint32) moov[0] << 24 | moov[1] << 16 | moov[2] << 8
      | moov[3];

  return count_boxes (moov + 8 + 108, moov_len - 8 - 108, "trak");
}

/* Two GOPs of video with audio: the init part (exactly its stored size) at
 * the first keyframe, the first GOP (a moof/mdat per track) at the second,
 * the second at the segment's end; its decode times put the first frame
 * at the start given (less the video's decode delay), and moved in place
 * by cs_fmp4_boxes_shift. */
/* The segment's length its init part states (mehd), in ms. */
static guint32
mehd_ms (GByteArray * bytes)
{
  const guint8 *m = memmem (bytes->data, MIN (bytes->len,
          CS_KEY_FMP4_INIT_SIZE), "mehd", 4);

  fail_unless (m != NULL, "no mehd in the init part");
  return GST_READ_UINT32_BE (m + 8);
}

GST_START_TEST (test_segment)
{
  static const guint8 aac[] = { 0x21, 0x10, 0x04, 0x60 };
  static const guint8 asc[] = { 0x12, 0x10 };
  const gint64 frame = GST_SECOND / 30, start_us = G_GINT64_CONSTANT
      (1700000000000000);
  Out out = { g_byte_array_new () };
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new (start_us, on_output,
      &out);
  g_autoptr (GBytes) config = FRAME_BYTES (asc), key =
      FRAME_BYTES (keyframe_au), delta = FRAME_BYTES (delta_au), audio =
      FRAME_BYTES (aac);
  g_autoptr (GBytes) laid_out = NULL;
  g_autoptr (GError) error = NULL;
  guint8 *d;
  gsize len;

  cs_fmp4_writer_set_video (w, CS_NAL_H264, 320, 240);
  cs_fmp4_writer_set_audio (w, 44100, 1, config);
  fail_unless (cs_fmp4_writer_is_empty (w));
  /* Without its keyframe, a frame starts nothing. */
  fail_unless (cs_fmp4_writer_add_video (w, delta, 0, frame, frame, FALSE,
          NULL));
  fail_unless (cs_fmp4_writer_is_empty (w));
  fail_unless_equals_int (out.writes, 0);
  for (gint i = 0; i < 30; i++) {
    gint64 t = i * frame;
    fail_unless (cs_fmp4_writer_add_video (w, i % 15 == 0 ? key : delta,
            t - frame, t, frame, i % 15 == 0, &error));
    if (i % 2 == 0)
      cs_fmp4_writer_add_audio (w, audio, t, -1);
    /* The init part at once; a GOP as soon as the next keyframe came. */
    if (i == 0)
      fail_unless_equals_int (out.bytes->len, CS_KEY_FMP4_INIT_SIZE);
    fail_unless_equals_int (out.writes, i < 15 ? 1 : 2);
  }
  fail_unless (!cs_fmp4_writer_is_empty (w));
  fail_unless (cs_fmp4_writer_end_segment (w, &error));
  fail_unless (cs_fmp4_writer_is_empty (w));
  fail_unless_equals_int (out.writes, 3);
  /* The init part again, with the segment's length: from the first decode
   * time (-1 frame) to the end of the last frame shown (30 frames). */
  fail_unless_equals_int (out.rewrites, 1);
  fail_unless_equals_int (mehd_ms (out.bytes), (31 * 1000 + 29) / 30);

  d = out.bytes->data;
  len = out.bytes->len;
  fail_unless (memcmp (d + 4, "ftyp", 4) == 0);
  fail_unless_equals_int (count_boxes (d, len, "moov"), 1);
  fail_unless_equals_int (tracks (d, len), 2);
  fail_unless (memcmp (d + CS_KEY_FMP4_INIT_SIZE + 4, "moof", 4) == 0);
  fail_unless_equals_int (count_boxes (d, len, "moof"), 4);
  fail_unless_equals_int (count_boxes (d, len, "mdat"), 4);
  /* Within a microsecond: 90 kHz units. */
  fail_unless (ABS (cs_fmp4_boxes_start_us (d, len) - (start_us - frame /
              1000)) <= 1);
  /* An export's lay-out reads it as it is. */
  laid_out = cs_fmp4_boxes_lay_out (d, len, 0, &error);
  fail_unless (laid_out != NULL, "%s", error ? error->message : "");
  fail_unless (g_bytes_get_size (laid_out) == len
      && memcmp (g_bytes_get_data (laid_out, NULL), d, len) == 0);
  fail_unless (cs_fmp4_boxes_shift (d, len, -G_USEC_PER_SEC, &error));
  fail_unless (ABS (cs_fmp4_boxes_start_us (d, len) - (start_us -
              G_USEC_PER_SEC - frame / 1000)) <= 1);
  fail_unless (!cs_fmp4_boxes_shift (d, len, -2 * start_us, &error));
  fail_unless (strstr (error->message, "1970") != NULL, "%s",
      error->message);

  /* The next segment without a frame: nothing to write. */
  fail_unless (cs_fmp4_writer_end_segment (w, NULL));
  fail_unless_equals_int (out.writes, 3);
  g_byte_array_unref (out.bytes);
}

GST_END_TEST;

/* The audio's configuration comes after the segment started (its init part
 * has no audio track): the init part is written again with it at the end;
 * the next segment, with audio known but none coming, again without. */
GST_START_TEST (test_init_rewritten)
{
  static const guint8 aac[] = { 0x21, 0x10, 0x04, 0x60 };
  static const guint8 asc[] = { 0x12, 0x10 };
  const gint64 frame = GST_SECOND / 30;
  Out out = { g_byte_array_new () };
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new (G_USEC_PER_SEC,
      on_output, &out);
  g_autoptr (GBytes) config = FRAME_BYTES (asc), key =
      FRAME_BYTES (keyframe_au), delta = FRAME_BYTES (delta_au), audio =
      FRAME_BYTES (aac);

  cs_fmp4_writer_set_video (w, CS_NAL_H264, 320, 240);
  for (gint i = 0; i < 10; i++) {
    if (i == 5)
      cs_fmp4_writer_set_audio (w, 44100, 1, config);
    cs_fmp4_writer_add_video (w, i == 0 ? key : delta, i * frame, i * frame,
        frame, i == 0, NULL);
    cs_fmp4_writer_add_audio (w, audio, i * frame, -1);
  }
  fail_unless_equals_int (tracks (out.bytes->data, out.bytes->len), 1);
  fail_unless (cs_fmp4_writer_end_segment (w, NULL));
  fail_unless_equals_int (out.rewrites, 1);
  fail_unless_equals_int (tracks (out.bytes->data, out.bytes->len), 2);
  fail_unless_equals_int (count_boxes (out.bytes->data, out.bytes->len,
          "moof"), 2);

  g_byte_array_set_size (out.bytes, 0);
  cs_fmp4_writer_add_video (w, key, 0, 0, frame, TRUE, NULL);
  fail_unless_equals_int (tracks (out.bytes->data, out.bytes->len), 2);
  fail_unless (cs_fmp4_writer_end_segment (w, NULL));
  fail_unless_equals_int (out.rewrites, 2);
  fail_unless_equals_int (tracks (out.bytes->data, out.bytes->len), 1);
  g_byte_array_unref (out.bytes);
}

GST_END_TEST;

/* A segment whose keyframe has no parameter sets cannot start: an error,
 * its frames dropped up to its end, nothing written; the next starts. */
GST_START_TEST (test_refused)
{
  static const guint8 idr_only[] = { 0, 0, 0, 1, 0x65, 0x11, 0x22 };
  Out out = { g_byte_array_new () };
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new (0, on_output, &out);
  g_autoptr (GBytes) bare = FRAME_BYTES (idr_only), key =
      FRAME_BYTES (keyframe_au);
  g_autoptr (GError) error = NULL;

  cs_fmp4_writer_set_video (w, CS_NAL_H264, 320, 240);
  fail_unless (!cs_fmp4_writer_add_video (w, bare, 0, 0, -1, TRUE, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  fail_unless (cs_fmp4_writer_add_video (w, key, 1, 1, -1, TRUE, NULL));
  fail_unless (cs_fmp4_writer_end_segment (w, NULL));
  fail_unless_equals_int (out.writes, 0);
  fail_unless (cs_fmp4_writer_add_video (w, key, 2, 2, -1, TRUE, NULL));
  fail_unless (cs_fmp4_writer_end_segment (w, NULL));
  fail_unless_equals_int (out.writes, 2);
  g_byte_array_unref (out.bytes);
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
  tcase_add_test (tc, test_init_rewritten);
  tcase_add_test (tc, test_refused);
  return s;
}

GST_CHECK_MAIN (fmp4_writer);
