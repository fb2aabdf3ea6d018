/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoding order at the muxer's input: a stream whose decoding timestamps go
 * backwards cannot be muxed into one playable stream (MPEG-TS needs them in
 * order; a segment would hold both timelines).  Such frames are dropped
 * instead, and counted; video then waits for a keyframe, as the frames after
 * a dropped one cannot be decoded without it. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstClockTime last_rt;         /* decoding running time of the last kept */
  gboolean dropping;            /* the last frame was dropped */
  guint64 dropped;
} CsLegOrder;

void cs_leg_order_reset (CsLegOrder * order);

typedef enum {
  CS_LEG_KEEP,
  CS_LEG_DROP,                  /* one more of a run of dropped frames */
  CS_LEG_DROP_FIRST,            /* the first of a run */
} CsLegVerdict;

/* What to do with @buf of a stream in @segment; @video: frames after a
 * dropped one are dropped up to the next keyframe in order. */
CsLegVerdict cs_leg_order_check (CsLegOrder * order,
    const GstSegment * segment, GstBuffer * buf, gboolean video);

G_END_DECLS
