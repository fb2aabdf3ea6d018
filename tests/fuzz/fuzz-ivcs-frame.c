/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: libivcs' pack walker, given what firmware may hand to
 * iv_cs_push_stream: pack counts 0 to 9, NULL packs, NULL addresses, any
 * lengths (each pack's bytes really there, as the API requires), any frame
 * types, codecs, queue sizes and both shapes of audio.  The stream structs
 * are allocated to their exact size, so that ASan sees any read past them.
 *
 * Input: count, flags (bit 0 audio, bit 1 audio packs, bits 2-3 codec),
 * max size (2 bytes, KiB), then per pack: flags (bit 0 NULL pack, bit 1
 * NULL address), frame type, length (2 bytes); the rest is the bytes. */
#include "ivcs-frame.h"

#include "iv_err.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

typedef struct {
  iv_cm_aenc_pack_s *pstAencPack[IV_CM_MAX_PACKS];
  uint32_t u32PackCount;
} AencPacks;

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  iv_cm_venc_pack_s vpack[IV_CM_MAX_PACKS];
  iv_cm_aenc_pack_s apack[IV_CM_MAX_PACKS];
  guint count, flags, n;
  gsize max_size, at, header, expected = 0;
  const gchar *reason = NULL;
  IvcsFrame frame;
  guint8 *bytes;
  int r;

  if (size < 4)
    return 0;
  count = data[0] % 10;
  flags = data[1];
  max_size = ((gsize) data[2] << 8 | data[3]) * 1024;
  n = MIN (count, IV_CM_MAX_PACKS);
  header = 4 + 4 * (gsize) n;
  if (size < header)
    return 0;
  /* The packs' bytes, one after the other, in a copy of their own. */
  bytes = g_malloc (size - header + 1);
  memcpy (bytes, data + header, size - header);
  at = 0;
  for (guint i = 0; i < n; i++) {
    const guint8 *p = data + 4 + 4 * i;
    guint32 len = MIN ((gsize) (p[2] << 8 | p[3]), size - header - at);

    vpack[i].pu8Addr = p[0] & 2 ? NULL : bytes + at;
    vpack[i].u32Len = len;
    vpack[i].u64PTS = i;
    vpack[i].eFrameType = (iv_cm_frame_type_e) (p[1] % 4);
    vpack[i].u32Seq = i;
    apack[i].pu8Addr = vpack[i].pu8Addr;
    apack[i].u32Len = len;
    apack[i].u64PTS = i;
    apack[i].u32Seq = i;
    at += len;
  }

  if (flags & 1 && flags & 2) {
    AencPacks *s = malloc (sizeof *s);
    memset (s, 0, sizeof *s);
    s->u32PackCount = count;
    for (guint i = 0; i < n; i++)
      s->pstAencPack[i] = data[4 + 4 * i] & 1 ? NULL : &apack[i];
    r = ivcs_frame_from_audio (&frame, s, TRUE, max_size, &reason);
    free (s);
  } else if (flags & 1) {
    iv_cm_aenc_stream_s *s = malloc (sizeof *s);
    s->pu8Stream = n ? apack[0].pu8Addr : NULL;
    s->u32Len = n ? apack[0].u32Len : 0;
    s->u64TimeStamp = 0;
    r = ivcs_frame_from_audio (&frame, s, FALSE, max_size, &reason);
    free (s);
  } else {
    iv_cm_venc_stream_s *s = malloc (sizeof *s);
    memset (s, 0, sizeof *s);
    s->u32PackCount = count;
    for (guint i = 0; i < n; i++)
      s->pstVencPack[i] = data[4 + 4 * i] & 1 ? NULL : &vpack[i];
    r = ivcs_frame_from_video (&frame, s, (flags >> 2) & 3, max_size,
        &reason);
    free (s);
  }

  if (r == IV_ERR_NONE) {
    guint8 *copy;

    g_assert (frame.n >= 1 && frame.n <= IV_CM_MAX_PACKS);
    g_assert (frame.size > 0 && frame.size <= max_size);
    for (guint i = 0; i < frame.n; i++)
      expected += frame.len[i];
    g_assert (expected == frame.size);
    copy = g_malloc (frame.size);
    ivcs_frame_copy (&frame, copy);
    g_free (copy);
  } else {
    g_assert (reason != NULL && *reason != '\0');
    g_assert (r == IV_ERR_INVALID_PARAM || r == IV_ERR_CS_STREAM_TYPE
        || r == IV_ERR_CS_FRAME_TOO_LARGE);
  }
  g_free (bytes);
  return 0;
}
