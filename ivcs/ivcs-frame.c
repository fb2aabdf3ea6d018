/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walks and checks the packs of one frame (see ivcs-frame.h).  Nothing is
 * read beyond what the firmware's counts and lengths say, and every count
 * and length is checked before it is used. */
#include "ivcs-frame.h"

#include "iv_err.h"

#include <string.h>

/* The pack form of audio (IV_CM_AENC_PACK_STREAM in iv_cm.h); libivcs
 * itself is built with the documented form, and reads either. */
typedef struct {
  iv_cm_aenc_pack_s *pstAencPack[IV_CM_MAX_PACKS];
  uint32_t u32PackCount;
} AencPackStream;

static int
refuse (int code, const gchar * why, const gchar ** reason)
{
  *reason = why;
  return code;
}

/* Adds one pack, checking what it says. */
static int
add_pack (IvcsFrame * f, const guint8 * data, guint32 len, gsize max_size,
    const gchar ** reason)
{
  if (data == NULL || len == 0)
    return refuse (IV_ERR_INVALID_PARAM, "a pack has no bytes (NULL address "
        "or zero length)", reason);
  /* In 64 bits: gsize is 32 on many cameras. */
  if ((guint64) f->size + len > max_size)
    return refuse (IV_ERR_CS_FRAME_TOO_LARGE, "the frame is larger than its "
        "queue (u32MaxSizeInAGop / 2 for video, / 10 for audio)", reason);
  f->data[f->n] = data;
  f->len[f->n] = len;
  f->n++;
  f->size += len;
  return IV_ERR_NONE;
}

/* Byte @at of the frame, whichever pack holds it (at < f->size). */
static guint8
frame_byte (const IvcsFrame * f, gsize at)
{
  guint i = 0;

  while (at >= f->len[i])
    at -= f->len[i++];
  return f->data[i][at];
}

/* 00 00 01 or 00 00 00 01, maybe across packs. */
static gboolean
starts_with_start_code (const IvcsFrame * f)
{
  gsize zeros = 0;

  while (zeros < 3 && zeros < f->size && frame_byte (f, zeros) == 0)
    zeros++;
  return zeros >= 2 && zeros < f->size && frame_byte (f, zeros) == 1;
}

int
ivcs_frame_from_video (IvcsFrame * f, const void *stream, int codec,
    gsize max_size, const gchar ** reason)
{
  const iv_cm_venc_stream_s *s = stream;
  int r;

  memset (f, 0, sizeof *f);
  if (codec == IV_CM_VENC_TYPE_MJPG)
    return refuse (IV_ERR_CS_STREAM_TYPE, "MJPG video cannot be recorded "
        "(H.264 or H.265 only)", reason);
  if (codec != IV_CM_VENC_TYPE_H264 && codec != IV_CM_VENC_TYPE_H265)
    return refuse (IV_ERR_CS_STREAM_TYPE, "unknown video codec (H.264 or "
        "H.265 only)", reason);
  if (s == NULL)
    return refuse (IV_ERR_INVALID_PARAM, "no frame (NULL)", reason);
  if (s->u32PackCount == 0 || s->u32PackCount > IV_CM_MAX_PACKS)
    return refuse (IV_ERR_INVALID_PARAM, "u32PackCount is not 1 to 8",
        reason);
  for (guint32 i = 0; i < s->u32PackCount; i++) {
    const iv_cm_venc_pack_s *p = s->pstVencPack[i];

    if (p == NULL)
      return refuse (IV_ERR_INVALID_PARAM, "a pack pointer (pstVencPack[i], "
          "i < u32PackCount) is NULL", reason);
    if (p->eFrameType != IV_CM_FRAME_TYPE_I
        && p->eFrameType != IV_CM_FRAME_TYPE_P)
      return refuse (IV_ERR_INVALID_PARAM, "a pack's eFrameType is neither "
          "I nor P", reason);
    if ((r = add_pack (f, p->pu8Addr, p->u32Len, max_size, reason)))
      return r;
    if (i == 0)
      f->ts = p->u64PTS;
    if (p->eFrameType == IV_CM_FRAME_TYPE_I)
      f->keyframe = TRUE;
  }
  /* Without it the parser would drop the frame without a word. */
  if (!starts_with_start_code (f))
    return refuse (IV_ERR_INVALID_PARAM, "the frame does not start with an "
        "Annex B start code (00 00 01)", reason);
  return IV_ERR_NONE;
}

/* An ADTS header (7 bytes, maybe across packs): 12 bits of sync, layer 0. */
static gboolean
is_adts (const IvcsFrame * f)
{
  return f->size >= 7 && frame_byte (f, 0) == 0xff
      && (frame_byte (f, 1) & 0xf6) == 0xf0;
}

int
ivcs_frame_from_audio (IvcsFrame * f, const void *stream, gboolean packs,
    gsize max_size, const gchar ** reason)
{
  int r;

  memset (f, 0, sizeof *f);
  if (stream == NULL)
    return refuse (IV_ERR_INVALID_PARAM, "no frame (NULL)", reason);
  if (packs) {
    const AencPackStream *s = stream;

    if (s->u32PackCount == 0 || s->u32PackCount > IV_CM_MAX_PACKS)
      return refuse (IV_ERR_INVALID_PARAM, "u32PackCount is not 1 to 8",
          reason);
    for (guint32 i = 0; i < s->u32PackCount; i++) {
      const iv_cm_aenc_pack_s *p = s->pstAencPack[i];

      if (p == NULL)
        return refuse (IV_ERR_INVALID_PARAM, "a pack pointer "
            "(pstAencPack[i], i < u32PackCount) is NULL", reason);
      if ((r = add_pack (f, p->pu8Addr, p->u32Len, max_size, reason)))
        return r;
      if (i == 0)
        f->ts = p->u64PTS;
    }
  } else {
    const iv_cm_aenc_stream_s *s = stream;

    if ((r = add_pack (f, s->pu8Stream, s->u32Len, max_size, reason)))
      return r;
    f->ts = s->u64TimeStamp;
  }
  if (!is_adts (f))
    return refuse (IV_ERR_CS_STREAM_TYPE, "the audio is not AAC with ADTS "
        "headers (PCM, G.711 and other codecs cannot be recorded)", reason);
  f->keyframe = TRUE;
  return IV_ERR_NONE;
}

void
ivcs_frame_copy (const IvcsFrame * f, guint8 * dest)
{
  for (guint i = 0; i < f->n; i++) {
    memcpy (dest, f->data[i], f->len[i]);
    dest += f->len[i];
  }
}
