/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's container=fmp4: a closed MPEG-TS segment (the cutter's output,
 * A/V already split at the cut) remade by a fresh fragmented mp4mux into a
 * self-contained fragmented MP4: ftyp + moov padded with a free box to
 * CS_KEY_FMP4_INIT_SIZE bytes (so that a playlist knows the init part from
 * the name alone), then one moof/mdat per GOP and per audio run.  Its decode
 * times run on the segment's UTC start (start_ms), so that segments whose
 * names are contiguous are contiguous in time (64-bit tfdt). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* cssink's container property. */
typedef enum
{
  GST_CS_SINK_CONTAINER_MPEGTS,
  GST_CS_SINK_CONTAINER_FMP4,
} GstCsSinkContainer;

#define GST_TYPE_CS_SINK_CONTAINER (gst_cs_sink_container_get_type ())
GType gst_cs_sink_container_get_type (void);
/* The segment names' extension: "ts" or "mp4". */
const gchar *gst_cs_sink_container_ext (GstCsSinkContainer container);

/* NULL with @error when the segment cannot be remuxed (an unknown stream,
 * codec headers too long for the init part, a muxer error). */
GBytes *cs_fmp4_from_ts (GBytes * ts, gint64 start_ms, GError ** error);

G_END_DECLS
