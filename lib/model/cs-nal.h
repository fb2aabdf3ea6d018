/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* H.264 / H.265 access units in byte-stream form (start codes, as
 * h264parse/h265parse hand them to a muxer) made into what MP4 stores:
 * length-prefixed NAL units (4-byte lengths), and the decoder
 * configuration record (avcC, hvcC) from the parameter sets found in them.
 * The input is the camera's: every length and field is checked. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  CS_NAL_H264,
  CS_NAL_H265,
} CsNalCodec;

/* The parameter sets seen in a stream (the latest of each kind and id). */
typedef struct _CsNalParams CsNalParams;

CsNalParams *cs_nal_params_new (CsNalCodec codec);
void cs_nal_params_free (CsNalParams * params);

/* Appends the NAL units of the byte-stream access unit @au to @out, each
 * behind its 4-byte big-endian length, and keeps its parameter sets in
 * @params (NULL: not kept).  Returns the bytes appended (0: no NAL unit in
 * @au). */
gsize cs_nal_au_to_mp4 (const guint8 * au, gsize len, GByteArray * out,
    CsNalParams * params);

/* The avcC (H.264) or hvcC (H.265) box payload for @params, or NULL with
 * @error (G_IO_ERROR_INVALID_DATA) when a parameter set it needs is missing
 * or malformed. */
GBytes *cs_nal_params_config (CsNalParams * params, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsNalParams, cs_nal_params_free)

G_END_DECLS
