/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stand-in encoder's last step: an Annex B access unit handed over as
 * SoC encoders do, in iv_cm_venc_pack_s packs (iv_cm.h).  Plain C, for
 * firmware examples and tests alike. */
#ifndef IVCS_PACKS_H
#define IVCS_PACKS_H

#include <stdlib.h>
#include <string.h>

#include "iv_cm.h"

typedef enum {
  IVCS_PACKS_PER_NAL,           /* one NAL unit a pack: SPS, PPS, SEI, IDR */
  IVCS_PACKS_ONE,               /* the whole frame in one pack */
  IVCS_PACKS_HEADERS_SLICES,    /* headers together, slices together */
  IVCS_PACKS_AUD_PER_NAL,       /* an access unit delimiter, then per NAL */
  IVCS_PACKS_LAYOUTS
} ivcs_pack_layout_e;

typedef struct {
  iv_cm_venc_pack_s pack[IV_CM_MAX_PACKS];
  iv_cm_venc_stream_s stream;
  uint8_t *with_aud;            /* IVCS_PACKS_AUD_PER_NAL's copy */
} ivcs_packed_s;

static const char *const ivcs_pack_layout_names[IVCS_PACKS_LAYOUTS] = {
  "per-nal", "one", "headers+slices", "aud+per-nal"
};

/* Offset of the next start code (00 00 01, or 00 00 00 01) at or after
 * @from, or @len. */
static inline uint32_t
ivcs_next_start_code (const uint8_t * d, uint32_t len, uint32_t from)
{
  for (uint32_t i = from; i + 3 <= len; i++)
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
      return i > from && d[i - 1] == 0 ? i - 1 : i;
  return len;
}

/* The NAL unit type after the start code at @at. */
static inline int
ivcs_nal_type (const uint8_t * d, uint32_t len, uint32_t at, int h265)
{
  while (at < len && d[at] == 0)
    at++;
  if (at + 1 >= len)
    return -1;
  return h265 ? (d[at + 1] >> 1) & 0x3f : d[at + 1] & 0x1f;
}

static inline int
ivcs_nal_is_slice (int type, int h265)
{
  return h265 ? type >= 0 && type <= 31 : type >= 1 && type <= 5;
}

/* Fills @p with the frame @au (@len bytes) as @layout says; p->stream is
 * what goes to iv_cs_push_stream.  ivcs_packs_clear frees what it made. */
static inline void
ivcs_packs_make (ivcs_packed_s * p, uint8_t * au, uint32_t len,
    uint64_t pts_ms, int keyframe, int h265, uint32_t seq,
    ivcs_pack_layout_e layout)
{
  static const uint8_t aud264[] = { 0, 0, 0, 1, 0x09, 0xf0 };
  static const uint8_t aud265[] = { 0, 0, 0, 1, 0x46, 0x01, 0x50 };
  uint32_t starts[IV_CM_MAX_PACKS + 1], n = 0, at = 0;

  memset (p, 0, sizeof *p);
  /* Encoders differ: an AUD in front of the frame for that layout, none
   * for the others (h264parse, which made the frames, puts one in). */
  if (ivcs_nal_type (au, len, 0, h265) == (h265 ? 35 : 9)) {
    if (layout == IVCS_PACKS_AUD_PER_NAL)
      layout = IVCS_PACKS_PER_NAL;
    else {
      uint32_t aud_end = ivcs_next_start_code (au, len, 3);
      au += aud_end;
      len -= aud_end;
    }
  }
  if (layout == IVCS_PACKS_AUD_PER_NAL) {
    const uint8_t *aud = h265 ? aud265 : aud264;
    uint32_t aud_len = h265 ? sizeof aud265 : sizeof aud264;

    p->with_aud = malloc (aud_len + len);
    memcpy (p->with_aud, aud, aud_len);
    memcpy (p->with_aud + aud_len, au, len);
    au = p->with_aud;
    len += aud_len;
  }
  if (layout == IVCS_PACKS_ONE) {
    starts[n++] = 0;
  } else {
    int in_slices = 0;

    /* Pack boundaries at start codes, the 8th pack taking the rest. */
    while (at < len && n < IV_CM_MAX_PACKS) {
      int slice = ivcs_nal_is_slice (ivcs_nal_type (au, len, at, h265), h265);

      if (layout != IVCS_PACKS_HEADERS_SLICES || n == 0 || slice != in_slices)
        starts[n++] = at;
      in_slices = slice;
      at = ivcs_next_start_code (au, len, at + 3);
    }
  }
  starts[n] = len;
  for (uint32_t i = 0; i < n; i++) {
    p->pack[i].pu8Addr = au + starts[i];
    p->pack[i].u32Len = starts[i + 1] - starts[i];
    p->pack[i].u64PTS = pts_ms;
    p->pack[i].eFrameType = keyframe ? IV_CM_FRAME_TYPE_I :
        IV_CM_FRAME_TYPE_P;
    p->pack[i].u32Seq = seq;
    p->stream.pstVencPack[i] = &p->pack[i];
  }
  p->stream.u32PackCount = n;
}

static inline void
ivcs_packs_clear (ivcs_packed_s * p)
{
  free (p->with_aud);
  p->with_aud = NULL;
}

#endif
