/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for a SoC vendor's encoder SDK, as the reference
 * documentation's sample 3 uses it: av_encdec_get_audio_stream() and
 * av_encdec_get_video_stream() hand over the next encoded frame when its
 * time has come (real-time pace), or return -1.  Its frames are real x264
 * and AAC ones (examples/make-frames); video comes in packs, laid out
 * another way each GOP (ivcs-packs.h), in pf_venc_stream_s, which has the
 * layout of iv_cm_venc_stream_s, as the SoC SDKs' do. */
#pragma once

#include <stdint.h>

typedef enum {
  AV_ENCDEC_DST_TYPE_CS_HD = 0,
} av_encdec_dst_type_e;

typedef struct {
  uint8_t *pStream;
  uint32_t u32Len;
  uint64_t u64TimeStamp;
} pf_audio_stream_s;

typedef struct {
  uint8_t *pu8Addr;
  uint32_t u32Len;
  uint64_t u64PTS;
  int eFrameType;
  uint32_t u32Seq;
} pf_venc_pack_s;

typedef struct {
  pf_venc_pack_s *pstPack[8];
  uint32_t u32PackCount;
} pf_venc_stream_s;

/* Loads the frames file; the encoder starts with av_encdec_start(). */
int av_encdec_open (const char *frames_path);
/* Starts handing out frames, timestamped from @base_ms (UTC ms). */
void av_encdec_start (uint64_t base_ms);
int av_encdec_get_audio_stream (av_encdec_dst_type_e dst,
    pf_audio_stream_s * stream);
int av_encdec_get_video_stream (int channel, av_encdec_dst_type_e dst,
    pf_venc_stream_s * stream);
/* 1 once every frame was handed out; and how many of each. */
int av_encdec_done (void);
void av_encdec_counts (unsigned *video, unsigned *audio, unsigned *gops);
void av_encdec_close (void);
