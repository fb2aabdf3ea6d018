/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cssink's container=fmp4: its muxer, csfmp4mux, in the place of
 * mpegtsmux, without a thread of its own (see cs-fmp4.c), that writes the
 * parsed frames (H.264/H.265 access units in byte-stream form, raw AAC
 * frames) straight into fragmented MP4 (the writer:
 * lib/model/cs-fmp4-writer.h).  It takes the cutter's marks as
 * mpegtsmux does: a downstream force-key-unit event starts a segment at the
 * next video keyframe (the audio before that frame's time stays in the
 * segment that ends, as the streams are taken in time order), and the
 * cutter's close event ends one.  A segment goes out as it is written: its
 * init part (ftyp + moov, padded to the stored size) at its first
 * keyframe, then each GOP (a moof/mdat pair per track) at the next
 * keyframe, the close event or EOS, then the mark.  Only the GOP being
 * written is held, as references to its frames; they are copied once, by
 * the cutter into the segment's pages.  Its decode times start at
 * CS_FMP4_MUX_START_US: cssink moves them to the segment's UTC start in place (cs_fmp4_boxes_shift()).
 *
 * Threads: the frames are written on the streams' own threads, merged in
 * time order under one lock (cs-fmp4.c). */
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

/* Where the muxer shows a segment's first frame: far enough from 0 for the
 * decode times (B-frames) and audio before it. */
#define CS_FMP4_MUX_START_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

/* A new csfmp4mux (request pads "sink_%d"; "latency": how long a frame
 * waits for another stream, as an aggregator's). */
GstElement *cs_fmp4_mux_new (void);

G_END_DECLS
