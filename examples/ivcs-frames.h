/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A file of pre-encoded frames, standing in for a hardware encoder:
 * "IVFR" then records of
 *   uint8 stream (0 audio, 1 video), uint8 keyframe, uint16 codec
 *   (iv_cm_venc_type_e), uint32 length, uint64 timestamp ms, bytes
 * in time order, little-endian. */
#ifndef IVCS_FRAMES_H
#define IVCS_FRAMES_H

#include <stdint.h>

#define IVCS_FRAMES_MAGIC "IVFR"

typedef struct {
  uint8_t stream;
  uint8_t keyframe;
  uint16_t codec;
  uint32_t length;
  uint64_t timestamp_ms;
} ivcs_frame_header;

#endif
