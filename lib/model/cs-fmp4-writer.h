/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fragmented MP4 segment written from the parsed frames (cssink
 * container=fmp4): one video track (H.264 or H.265 access units in
 * byte-stream form, stored length-prefixed) and one optional AAC track
 * (raw frames), their sample tables kept until the segment ends, then
 * written as ftyp + moov (from the codec configuration: avcC/hvcC built
 * from the in-band parameter sets, esds from the AudioSpecificConfig) and a
 * moof/mdat pair per track and GOP (one traf each, 64-bit tfdt).  The
 * stored layout (the init part padded to its fixed size) is
 * cs_fmp4_boxes_lay_out()'s.
 *
 * Times are nanoseconds on any one clock (running time), a decode time
 * possibly before the segment's start. */
#pragma once

#include "cs-nal.h"

G_BEGIN_DECLS

typedef struct _CsFmp4Writer CsFmp4Writer;

CsFmp4Writer *cs_fmp4_writer_new (void);
void cs_fmp4_writer_free (CsFmp4Writer * w);

/* The video's codec and picture size (from its caps), for the segments
 * that start from now on. */
void cs_fmp4_writer_set_video (CsFmp4Writer * w, CsNalCodec codec,
    guint width, guint height);
/* The audio's rate, channels and AudioSpecificConfig @asc (its caps'
 * codec_data), for the segments that start from now on. */
void cs_fmp4_writer_set_audio (CsFmp4Writer * w, guint rate,
    guint channels, GBytes * asc);

/* A video access unit @au (byte-stream) decoded at @dts, shown at @pts for
 * @duration (-1: unknown).  The first of a segment must be a keyframe;
 * every keyframe starts a fragment. */
void cs_fmp4_writer_add_video (CsFmp4Writer * w, const guint8 * au,
    gsize len, gint64 dts, gint64 pts, gint64 duration, gboolean keyframe);
/* An AAC frame at @pts for @duration (-1: unknown), in the fragment of
 * the GOP being written. */
void cs_fmp4_writer_add_audio (CsFmp4Writer * w, const guint8 * frame,
    gsize len, gint64 pts, gint64 duration);
/* TRUE when the segment has no video frame yet. */
gboolean cs_fmp4_writer_is_empty (CsFmp4Writer * w);

/* The segment written (ftyp, moov, moof/mdat pairs) with its first video
 * frame shown at @start_us, its frames dropped (the next segment starts
 * empty); NULL with @error (G_IO_ERROR_INVALID_DATA) when it has no video or
 * its video has no usable parameter sets, or a time falls before 0. */
GBytes *cs_fmp4_writer_finish (CsFmp4Writer * w, gint64 start_us,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsFmp4Writer, cs_fmp4_writer_free)

G_END_DECLS
