/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Common types of the iv_* API: encoded audio and video frames as a
 * device's encoder hands them over. */
#ifndef IV_CM_H
#define IV_CM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest path of a picture file, with its terminating NUL. */
#define IV_SYS_FILE_PATH_MAX_LEN 256

typedef enum iv_cm_venc_type_e {
  IV_CM_VENC_TYPE_H264 = 0,
  IV_CM_VENC_TYPE_H265 = 1,
  IV_CM_VENC_TYPE_BUTT
} iv_cm_venc_type_e;

typedef enum iv_cm_frame_type_e {
  IV_CM_FRAME_TYPE_I = 0,       /* a keyframe (IDR), with its codec headers */
  IV_CM_FRAME_TYPE_P = 1,
  IV_CM_FRAME_TYPE_BUTT
} iv_cm_frame_type_e;

/* One encoded video frame: an Annex B access unit (start codes), H.264 or
 * H.265.  u64TimeStamp is in ms: UTC ms (after 2001) are taken as the
 * frame's wall-clock time; smaller values as a monotonic clock, mapped to
 * UTC at the first frame. */
typedef struct iv_cm_venc_stream_s {
  uint8_t *pu8Stream;
  uint32_t u32Len;
  uint64_t u64TimeStamp;
  iv_cm_frame_type_e eFrameType;
  uint32_t u32Seq;              /* the encoder's frame count; informative */
} iv_cm_venc_stream_s;

/* One encoded audio frame: AAC with its ADTS header.  u64TimeStamp in ms,
 * on the same clock as the video's. */
typedef struct iv_cm_aenc_stream_s {
  uint8_t *pu8Stream;
  uint32_t u32Len;
  uint64_t u64TimeStamp;
} iv_cm_aenc_stream_s;

#ifdef __cplusplus
}
#endif

#endif /* IV_CM_H */
