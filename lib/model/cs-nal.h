/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* H.264 / H.265 access units in byte-stream form (start codes, as
 * h264parse/h265parse hand them to a muxer): the one walk over their NAL
 * units (also cs-param-sets.c's), and what MP4 stores of them:
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

/* The parameter set kinds, in the order they go in front of a keyframe. */
typedef enum
{
  CS_NAL_VPS,
  CS_NAL_SPS,
  CS_NAL_PPS,
  CS_NAL_N_KINDS
} CsNalKind;

/* A walk over the NAL units of a byte-stream access unit. */
typedef struct
{
  const guint8 *au;
  gsize size;
  gsize pos;                    /* where the next start code is looked for */
} CsNalIter;

/* One NAL unit of an access unit, as offsets into it. */
typedef struct
{
  gsize offset;                 /* its first (header) byte */
  gsize size;                   /* > 0, without trailing zero bytes */
  /* Where the next start code begins (a zero byte before 00 00 01 is
   * part of it), or the access unit's size after the last unit. */
  gsize next;
} CsNalUnit;

void cs_nal_iter_init (CsNalIter * iter, const guint8 * au, gsize size);

/* The next NAL unit; FALSE past the last.  Bytes before the first start
 * code, and units of zero bytes only, are passed over. */
gboolean cs_nal_iter_next (CsNalIter * iter, CsNalUnit * unit);

/* The nal_unit_type in a NAL unit's first byte. */
guint cs_nal_type (CsNalCodec codec, guint8 header);

/* The parameter set kind (CsNalKind) of a nal_unit_type, or -1. */
gint cs_nal_kind (CsNalCodec codec, guint type);

/* The parameter sets seen in a stream (the latest of each kind and id). */
typedef struct _CsNalParams CsNalParams;

CsNalParams *cs_nal_params_new (CsNalCodec codec);
void cs_nal_params_free (CsNalParams * params);

/* The NAL units of the byte-stream access unit @au that MP4 stores, each
 * behind its 4-byte big-endian length, appended to @units (CsNalUnit), its
 * parameter sets kept in @params (NULL: not kept).  Returns the bytes they
 * take stored (0: no NAL unit in @au). */
gsize cs_nal_au_mp4_units (const guint8 * au, gsize len, GArray * units,
    CsNalParams * params);

/* The avcC (H.264) or hvcC (H.265) box payload for @params, or NULL with
 * @error (G_IO_ERROR_INVALID_DATA) when a parameter set it needs is missing
 * or malformed. */
GBytes *cs_nal_params_config (CsNalParams * params, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsNalParams, cs_nal_params_free)

G_END_DECLS
