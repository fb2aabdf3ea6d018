/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Common types of the iv_* API: encoded audio and video frames as a
 * device's encoder hands them over.  Names, values, members and their order
 * are those of the reference device SDK's public iv_cm.h, so that firmware
 * written against it (and SoC stream structs of the same layout cast to
 * these) builds and runs unchanged.
 *
 * Audio comes in one of two shapes, chosen when the firmware is compiled:
 * - by default the reference documentation's (its sample 3): one ADTS AAC
 *   buffer, iv_cm_aenc_stream_s { pu8Stream, u32Len, u64TimeStamp };
 * - with IV_CM_AENC_PACK_STREAM defined (to anything) before this header is
 *   included, or -DIV_CM_AENC_PACK_STREAM, the later SDKs' packs:
 *   iv_cm_aenc_stream_s { pstAencPack[8], u32PackCount }.  iv_cs.h then
 *   maps iv_cs_push_stream to the entry point that reads this shape, so
 *   one libivcs serves firmware of either kind. */
#ifndef IV_CM_H
#define IV_CM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest path of a picture file, with its terminating NUL. */
#define IV_SYS_FILE_PATH_MAX_LEN 256

/* Most packs in one iv_cm_venc_stream_s / iv_cm_aenc_stream_s. */
#define IV_CM_MAX_PACKS 8

/* Audio codecs.  libivcs records AAC (with its ADTS header) only: audio of
 * any other codec is refused with IV_ERR_CS_STREAM_TYPE. */
typedef enum {
  IV_CM_AENC_TYPE_PCM = 0,
  IV_CM_AENC_TYPE_G711A = 1,
  IV_CM_AENC_TYPE_G711U = 2,
  IV_CM_AENC_TYPE_G726 = 3,
  IV_CM_AENC_TYPE_AAC = 4,
  IV_CM_AENC_TYPE_AMR = 5,
  IV_CM_AENC_TYPE_ADPCMA = 6,
  IV_CM_AENC_TYPE_BUTT
} iv_cm_aenc_type_e;

typedef enum {
  IV_CM_AAC_TYPE_NONE = 0,
  IV_CM_AAC_TYPE_MAIN = 1,
  IV_CM_AAC_TYPE_LC = 2,
  IV_CM_AAC_TYPE_SSR = 3,
  IV_CM_AAC_TYPE_LTP = 4,
  IV_CM_AAC_TYPE_SBR = 5,
  IV_CM_AAC_TYPE_SCALCBLE = 6,  /* (sic) */
  IV_CM_AAC_TYPE_TWINVQ = 7,
  IV_CM_AAC_TYPE_CELP = 8,
  IV_CM_AAC_TYPE_HVXC = 9,
  IV_CM_AAC_TYPE_BUTT
} iv_cm_aac_type_e;

typedef enum {
  IV_CM_AENC_SAMPLE_RATE_8000 = 8000,
  IV_CM_AENC_SAMPLE_RATE_11025 = 11025,
  IV_CM_AENC_SAMPLE_RATE_12000 = 12000,
  IV_CM_AENC_SAMPLE_RATE_16000 = 16000,
  IV_CM_AENC_SAMPLE_RATE_22050 = 22050,
  IV_CM_AENC_SAMPLE_RATE_24000 = 24000,
  IV_CM_AENC_SAMPLE_RATE_32000 = 32000,
  IV_CM_AENC_SAMPLE_RATE_44100 = 44100,
  IV_CM_AENC_SAMPLE_RATE_48000 = 48000,
  IV_CM_AENC_SAMPLE_RATE_64000 = 64000,
  IV_CM_AENC_SAMPLE_RATE_96000 = 96000,
  IV_CM_AENC_SAMPLE_RATE_BUTT,
} iv_cm_aenc_sample_rate_e;

typedef enum {
  IV_CM_AENC_BIT_WIDTH_8 = 0,
  IV_CM_AENC_BIT_WIDTH_16 = 1,
  IV_CM_AENC_BIT_WIDTH_24 = 2,
  IV_CM_AENC_BIT_WIDTH_BUTT,
} iv_cm_aenc_bit_width_e;

typedef enum {
  IV_CM_AENC_MODE_MONO = 0,
  IV_CM_AENC_MODE_STEREO = 1,
  IV_CM_AENC_MODE_BUTT
} iv_cm_aenc_mode_e;

typedef enum {
  IV_CM_STREAM_TYPE_AUDIO = 0,
  IV_CM_STREAM_TYPE_VIDEO = 1,
  IV_CM_STREAM_TYPE_BUTT
} iv_cm_stream_type_e;

/* Video codecs.  libivcs records H.264 and H.265: MJPG video is refused
 * with IV_ERR_CS_STREAM_TYPE. */
typedef enum {
  IV_CM_VENC_TYPE_H264 = 0,
  IV_CM_VENC_TYPE_H265 = 1,
  IV_CM_VENC_TYPE_MJPG = 2,
  IV_CM_VENC_TYPE_BUTT
} iv_cm_venc_type_e;

typedef enum {
  IV_CM_FRAME_TYPE_I = 0,       /* a keyframe (IDR) */
  IV_CM_FRAME_TYPE_P = 1,
  IV_CM_FRAME_TYPE_BUTT
} iv_cm_frame_type_e;

/* One piece of an encoded video frame: one or more NAL units of H.264 or
 * H.265, each with its Annex B start code (00 00 01 or 00 00 00 01). */
typedef struct iv_cm_venc_pack_s {
  uint8_t *pu8Addr;
  uint32_t u32Len;
  uint64_t u64PTS;              /* ms; see iv_cs_push_stream */
  iv_cm_frame_type_e eFrameType;
  uint32_t u32Seq;              /* the encoder's count; informative */
} iv_cm_venc_pack_s;

/* One encoded video frame (an access unit) as u32PackCount (1 to 8)
 * packs, in order: a keyframe typically as SPS, PPS, (SEI,) IDR slice
 * packs, or as one pack holding them all.  The frame is the packs' bytes
 * one after the other; its time is the first pack's u64PTS; it is a
 * keyframe when any pack says IV_CM_FRAME_TYPE_I. */
typedef struct iv_cm_venc_stream_s {
  iv_cm_venc_pack_s *pstVencPack[IV_CM_MAX_PACKS];
  uint32_t u32PackCount;
} iv_cm_venc_stream_s;

/* One piece of encoded audio: ADTS AAC frames (the pack form). */
typedef struct iv_cm_aenc_pack_s {
  uint8_t *pu8Addr;
  uint32_t u32Len;
  uint64_t u64PTS;              /* ms, on the video's clock */
  uint32_t u32Seq;
} iv_cm_aenc_pack_s;

#ifdef IV_CM_AENC_PACK_STREAM
/* Audio as u32PackCount (1 to 8) packs of ADTS AAC, in order; its time is
 * the first pack's u64PTS. */
typedef struct iv_cm_aenc_stream_s {
  iv_cm_aenc_pack_s *pstAencPack[IV_CM_MAX_PACKS];
  uint32_t u32PackCount;
} iv_cm_aenc_stream_s;
#else
/* Encoded audio as the reference documentation's sample 3 writes it: AAC
 * frames with their ADTS header, u64TimeStamp in ms on the video's clock. */
typedef struct iv_cm_aenc_stream_s {
  uint8_t *pu8Stream;
  uint32_t u32Len;
  uint64_t u64TimeStamp;
} iv_cm_aenc_stream_s;
#endif

/* What a device's streams are (informative for libivcs: it reads the
 * codec parameters from the streams themselves). */
typedef struct iv_cm_av_data_info_s {
  iv_cm_aenc_type_e eAudioType;
  iv_cm_aac_type_e u32AudioCodecOption;
  iv_cm_aenc_mode_e eAudioMode;
  iv_cm_aenc_bit_width_e eAudioBitWidth;
  iv_cm_aenc_sample_rate_e eAudioSampleRate;
  uint32_t u32SampleNumPerFrame;

  iv_cm_venc_type_e eVideoType;
  uint32_t u32VideoWidth;
  uint32_t u32VideoHeight;
  uint32_t u32Framerate;

  uint32_t u32Reserve[4];
} iv_cm_av_data_info_s;

#ifdef __cplusplus
}
#endif

#endif /* IV_CM_H */
