/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layout of a stored fragmented MP4 segment (cssink container=fmp4):
 * ftyp + moov, a free box filling the init part up to exactly
 * CS_KEY_FMP4_INIT_SIZE bytes, then moof/mdat fragments (one traf each, as
 * cs-fmp4-writer.c writes them) whose decode times (tfdt, 64-bit) run on the
 * segment's UTC start, so that segments with contiguous names are
 * contiguous in time for an HLS player. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @data (ftyp, moov, moof/mdat pairs; a free box after the moov and an
 * index (mfra) at the end are dropped) in the stored layout, the decode
 * times of its tracks moved by @shift_us (an export moves a stored segment
 * back by its start).
 * NULL with @error (G_IO_ERROR_INVALID_DATA) when @data is not of that form
 * or its headers do not fit the init part. */
GBytes *cs_fmp4_boxes_lay_out (const guint8 * data, gsize len,
    gint64 shift_us, GError ** error);

/* @data in the stored layout (as cs-fmp4-writer.c writes it: 64-bit
 * tfdt), the decode times of its fragments moved by @shift_us in place
 * (cssink puts the muxer's segment on its UTC start).  FALSE with @error
 * (G_IO_ERROR_INVALID_DATA) when a fragment is of another form or a time
 * would fall before 0; @data is then partly moved. */
gboolean cs_fmp4_boxes_shift (guint8 * data, gsize len, gint64 shift_us,
    GError ** error);

/* The earliest decode time of a fragment of @data (a stored segment or the
 * muxer's output), in microseconds; -1 when there is none. */
gint64 cs_fmp4_boxes_start_us (const guint8 * data, gsize len);

G_END_DECLS
