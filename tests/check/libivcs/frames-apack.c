/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio pushed the way firmware built with IV_CM_AENC_PACK_STREAM does
 * (iv_cm.h's pack form), for frames.c, which is built with the documented
 * form. */
#define IV_CM_AENC_PACK_STREAM 1
#include "iv_cs.h"

#include "frames-apack.h"

int
frames_push_audio_packs (uint8_t * data, uint32_t len, uint64_t pts_ms,
    uint32_t packs)
{
  iv_cm_aenc_pack_s pack[IV_CM_MAX_PACKS];
  iv_cm_aenc_stream_s s = { {0}, packs };
  uint32_t at = 0;

  /* The frame cut in @packs pieces; the firmware's order. */
  for (uint32_t i = 0; i < packs && i < IV_CM_MAX_PACKS; i++) {
    uint32_t end = i + 1 == packs ? len : len * (i + 1) / packs;
    iv_cm_aenc_pack_s p = { data + at, end - at, pts_ms, i };
    pack[i] = p;
    s.pstAencPack[i] = &pack[i];
    at = end;
  }
  return iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264,
      &s);
}
