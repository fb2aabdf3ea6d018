/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fragmented MP4 segment written from the parsed frames as they come
 * (cssink container=fmp4): one video track (H.264 or H.265 access units in
 * byte-stream form, stored length-prefixed) and one optional AAC track (raw
 * frames).  A segment starts with its first keyframe: the init part is
 * written then, in the stored layout (ftyp + moov from the codec
 * configuration: avcC/hvcC built from the in-band parameter sets, esds from
 * the AudioSpecificConfig; a free box fills it up to exactly
 * CS_KEY_FMP4_INIT_SIZE bytes).  Each later keyframe, and the segment's
 * end, writes the fragment before it: a moof/mdat pair per track (one traf
 * each, 64-bit tfdt).  Only the fragment being written is held, as
 * references to its frames: its samples go out as slices of them, each NAL
 * unit behind its length, for whoever takes them to copy once.
 *
 * The init part states the segment's length (mehd: without it qtdemux takes
 * the first fragment's for the whole) and whether it has audio (an audio
 * track when the audio's configuration is known at the start).  Both are
 * known at the segment's end: the init part is written again then, of the
 * same size, to replace the first (its length from 0 to the real one, its
 * audio track as the fragments have it: audio that came later, or none).
 *
 * Times are nanoseconds on any one clock (running time), a decode time
 * possibly before the segment's start; the stored decode times put the
 * segment's first frame at the start_us given (cs_fmp4_boxes_shift() moves
 * them later, in place). */
#pragma once

#include "cs-nal.h"

G_BEGIN_DECLS

typedef struct _CsFmp4Writer CsFmp4Writer;

/* What the writer wrote, in the segment's order: @n_parts pieces, back to
 * back (a fragment's are its headers, then slices of the frames given).
 * @rewrite: the init part again, to replace the segment's first
 * CS_KEY_FMP4_INIT_SIZE bytes.  The parts are the callee's to ref. */
typedef void (*CsFmp4WriterOutputFunc) (GBytes ** parts, guint n_parts,
    gboolean rewrite, gpointer user_data);

/* Each segment's first video frame shown at @start_us. */
CsFmp4Writer *cs_fmp4_writer_new (gint64 start_us,
    CsFmp4WriterOutputFunc output, gpointer user_data);
void cs_fmp4_writer_free (CsFmp4Writer * w);

/* The video's codec and picture size (from its caps), for the segments
 * that start from now on. */
void cs_fmp4_writer_set_video (CsFmp4Writer * w, CsNalCodec codec,
    guint width, guint height);
/* The audio's rate, channels and AudioSpecificConfig @asc (its caps'
 * codec_data). */
void cs_fmp4_writer_set_audio (CsFmp4Writer * w, guint rate,
    guint channels, GBytes * asc);

/* A video access unit @au (byte-stream; referenced until its fragment is
 * written) decoded at @dts, shown at @pts for @duration (-1: unknown).
 * Before a segment's first keyframe, frames are dropped; that keyframe
 * writes the init part, each later one the fragment before it.  FALSE with @error (G_IO_ERROR_INVALID_DATA) when a segment
 * cannot start (its video has no usable parameter sets, or its headers do
 * not fit the init part): the segment's frames are then dropped up to its
 * end. */
gboolean cs_fmp4_writer_add_video (CsFmp4Writer * w, GBytes * au,
    gint64 dts, gint64 pts, gint64 duration, gboolean keyframe,
    GError ** error);
/* An AAC frame (referenced) at @pts for @duration (-1: unknown), in the
 * fragment being written (dropped outside a segment). */
void cs_fmp4_writer_add_audio (CsFmp4Writer * w, GBytes * frame, gint64 pts,
    gint64 duration);
/* TRUE when no segment is being written. */
gboolean cs_fmp4_writer_is_empty (CsFmp4Writer * w);

/* The segment ends: its last fragment written (and its init part again if
 * it changed); the next keyframe starts the next.  FALSE with @error when
 * the init part with the audio track does not fit. */
gboolean cs_fmp4_writer_end_segment (CsFmp4Writer * w, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsFmp4Writer, cs_fmp4_writer_free)

G_END_DECLS
