/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pack walker of iv_cs_push_stream (ivcs/ivcs-frame.c) on its own:
 * what a frame is made of, and every refusal with its code. */
#include <gst/check/gstcheck.h>

#include "ivcs-frame.h"
#include "iv_err.h"

static guint8 sps[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e };
static guint8 pps[] = { 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80 };
static guint8 sei[] = { 0, 0, 1, 0x06, 0x05, 0x01, 0x80 };
static guint8 idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33 };
static guint8 adts[] = { 0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 0x21 };

static iv_cm_venc_pack_s
pack (guint8 * data, guint32 len, guint64 pts, iv_cm_frame_type_e type)
{
  iv_cm_venc_pack_s p = { data, len, pts, type, 0 };
  return p;
}

GST_START_TEST (test_keyframe_in_packs)
{
  iv_cm_venc_pack_s p[4] = {
    pack (sps, sizeof sps, 1000, IV_CM_FRAME_TYPE_I),
    pack (pps, sizeof pps, 1000, IV_CM_FRAME_TYPE_I),
    pack (sei, sizeof sei, 1000, IV_CM_FRAME_TYPE_P),
    pack (idr, sizeof idr, 1000, IV_CM_FRAME_TYPE_I),
  };
  iv_cm_venc_stream_s s = { {&p[0], &p[1], &p[2], &p[3]}, 4 };
  gsize total = sizeof sps + sizeof pps + sizeof sei + sizeof idr;
  const gchar *reason = NULL;
  IvcsFrame f;
  guint8 *copy;

  fail_unless_equals_int (ivcs_frame_from_video (&f, &s,
          IV_CM_VENC_TYPE_H264, total, &reason), IV_ERR_NONE);
  fail_unless_equals_int (f.n, 4);
  fail_unless_equals_int (f.size, total);
  fail_unless_equals_int64 (f.ts, 1000);
  fail_unless (f.keyframe);
  copy = g_malloc (f.size);
  ivcs_frame_copy (&f, copy);
  fail_unless (memcmp (copy, sps, sizeof sps) == 0);
  fail_unless (memcmp (copy + total - sizeof idr, idr, sizeof idr) == 0);
  g_free (copy);
  /* One byte more than the queue: refused, never cut. */
  fail_unless_equals_int (ivcs_frame_from_video (&f, &s,
          IV_CM_VENC_TYPE_H265, total - 1, &reason),
      IV_ERR_CS_FRAME_TOO_LARGE);
  /* Lengths that would wrap a 32-bit sum: refused before any is read. */
  p[1].u32Len = G_MAXUINT32;
  p[2].u32Len = G_MAXUINT32;
  fail_unless_equals_int (ivcs_frame_from_video (&f, &s,
          IV_CM_VENC_TYPE_H264, G_MAXUINT32 / 2, &reason),
      IV_ERR_CS_FRAME_TOO_LARGE);
  p[1].u32Len = sizeof pps;
  p[2].u32Len = sizeof sei;
  /* A P frame when no pack says I. */
  p[3].eFrameType = IV_CM_FRAME_TYPE_P;
  s.u32PackCount = 1;
  p[0].eFrameType = IV_CM_FRAME_TYPE_P;
  fail_unless_equals_int (ivcs_frame_from_video (&f, &s,
          IV_CM_VENC_TYPE_H264, total, &reason), IV_ERR_NONE);
  fail_unless (!f.keyframe);
}

GST_END_TEST;

GST_START_TEST (test_video_refused)
{
  iv_cm_venc_pack_s p = pack (idr, sizeof idr, 0, IV_CM_FRAME_TYPE_I);
  iv_cm_venc_stream_s s = { {&p, &p, &p, &p, &p, &p, &p, &p}, 9 };
  guint8 no_start[] = { 0x65, 0x88, 0x84 };
  const gchar *reason = NULL;
  IvcsFrame f;

#define REFUSED(code, codec) G_STMT_START { reason = NULL; \
  fail_unless_equals_int (ivcs_frame_from_video (&f, &s, codec, 1 << 20, \
          &reason), code); \
  fail_unless (reason != NULL && *reason); } G_STMT_END

  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  s.u32PackCount = 0;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  s.u32PackCount = 8;
  fail_unless_equals_int (ivcs_frame_from_video (&f, &s, IV_CM_VENC_TYPE_H264,
          1 << 20, &reason), IV_ERR_NONE);
  REFUSED (IV_ERR_CS_STREAM_TYPE, IV_CM_VENC_TYPE_MJPG);
  fail_unless (strstr (reason, "MJPG") != NULL);
  REFUSED (IV_ERR_CS_STREAM_TYPE, IV_CM_VENC_TYPE_BUTT);
  s.pstVencPack[5] = NULL;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  s.u32PackCount = 1;
  p.eFrameType = IV_CM_FRAME_TYPE_BUTT;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  p.eFrameType = IV_CM_FRAME_TYPE_I;
  p.u32Len = 0;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  p.pu8Addr = NULL;
  p.u32Len = 10;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  p.pu8Addr = no_start;
  p.u32Len = sizeof no_start;
  REFUSED (IV_ERR_INVALID_PARAM, IV_CM_VENC_TYPE_H264);
  /* A start code may straddle packs. */
  {
    iv_cm_venc_pack_s a = pack (idr, 2, 0, IV_CM_FRAME_TYPE_I);
    iv_cm_venc_pack_s b = pack (idr + 2, sizeof idr - 2, 0,
        IV_CM_FRAME_TYPE_I);
    iv_cm_venc_stream_s split = { {&a, &b}, 2 };

    fail_unless_equals_int (ivcs_frame_from_video (&f, &split,
            IV_CM_VENC_TYPE_H264, 1 << 20, &reason), IV_ERR_NONE);
    a.u32Len = 1;               /* 00 | 01 65 …: one zero short */
    b.pu8Addr = idr + 3;
    b.u32Len = sizeof idr - 3;
    fail_unless_equals_int (ivcs_frame_from_video (&f, &split,
            IV_CM_VENC_TYPE_H264, 1 << 20, &reason), IV_ERR_INVALID_PARAM);
  }
  fail_unless_equals_int (ivcs_frame_from_video (&f, NULL,
          IV_CM_VENC_TYPE_H264, 1 << 20, &reason), IV_ERR_INVALID_PARAM);
#undef REFUSED
}

GST_END_TEST;

typedef struct {
  iv_cm_aenc_pack_s *pstAencPack[IV_CM_MAX_PACKS];
  uint32_t u32PackCount;
} AencPacks;

GST_START_TEST (test_audio_both_shapes)
{
  iv_cm_aenc_stream_s one = { adts, sizeof adts, 500 };
  iv_cm_aenc_pack_s p[2] = { {adts, 3, 700, 0}, {adts + 3, sizeof adts - 3,
          700, 1}
  };
  AencPacks packs = { {&p[0], &p[1]}, 2 };
  guint8 g711[16];
  const gchar *reason = NULL;
  IvcsFrame f;

  fail_unless_equals_int (ivcs_frame_from_audio (&f, &one, FALSE, 1024,
          &reason), IV_ERR_NONE);
  fail_unless_equals_int (f.size, sizeof adts);
  fail_unless_equals_int64 (f.ts, 500);
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &packs, TRUE, 1024,
          &reason), IV_ERR_NONE);
  fail_unless_equals_int (f.n, 2);
  fail_unless_equals_int64 (f.ts, 700);
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &packs, TRUE,
          sizeof adts - 1, &reason), IV_ERR_CS_FRAME_TOO_LARGE);
  packs.u32PackCount = 9;
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &packs, TRUE, 1024,
          &reason), IV_ERR_INVALID_PARAM);
  packs.u32PackCount = 2;
  packs.pstAencPack[1] = NULL;
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &packs, TRUE, 1024,
          &reason), IV_ERR_INVALID_PARAM);
  /* G.711 (or PCM): no ADTS header. */
  memset (g711, 0xd5, sizeof g711);
  one.pu8Stream = g711;
  one.u32Len = sizeof g711;
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &one, FALSE, 1024,
          &reason), IV_ERR_CS_STREAM_TYPE);
  fail_unless (strstr (reason, "AAC") != NULL);
  one.pu8Stream = NULL;
  fail_unless_equals_int (ivcs_frame_from_audio (&f, &one, FALSE, 1024,
          &reason), IV_ERR_INVALID_PARAM);
}

GST_END_TEST;

static Suite *
ivcs_frame_walk_suite (void)
{
  Suite *s = suite_create ("ivcs-frame-walk");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_keyframe_in_packs);
  tcase_add_test (tc, test_video_refused);
  tcase_add_test (tc, test_audio_both_shapes);
  return s;
}

GST_CHECK_MAIN (ivcs_frame_walk);
