/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Pushes one ADTS frame as @packs (1 to 8; 0 or 9 for a bad count) packs
 * of the pack form of audio; returns iv_cs_push_stream's result. */
int frames_push_audio_packs (uint8_t * data, uint32_t len, uint64_t pts_ms,
    uint32_t packs);
