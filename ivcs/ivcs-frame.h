/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One frame as firmware hands it to iv_cs_push_stream: its packs walked
 * and checked before anything is copied.  Plain C, no pipeline: unit-tested
 * and fuzzed (tests/fuzz/fuzz-ivcs-frame.c). */
#pragma once

#include <glib.h>

#include "iv_cm.h"

G_BEGIN_DECLS

typedef struct {
  const guint8 *data[IV_CM_MAX_PACKS];
  guint32 len[IV_CM_MAX_PACKS];
  guint n;                      /* packs */
  gsize size;                   /* their bytes together */
  guint64 ts;                   /* ms, the first pack's */
  gboolean keyframe;
} IvcsFrame;

/* Fill @frame from an iv_cm_venc_stream_s of @codec, at most @max_size
 * bytes.  Returns IV_ERR_NONE, or the code to give the firmware with the
 * reason (a static string, for stderr) in @reason. */
int ivcs_frame_from_video (IvcsFrame * frame, const void *stream,
    int codec, gsize max_size, const gchar ** reason);

/* The same for audio: @stream is the documentation's iv_cm_aenc_stream_s
 * (pu8Stream, u32Len, u64TimeStamp) or, with @packs, the pack form. */
int ivcs_frame_from_audio (IvcsFrame * frame, const void *stream,
    gboolean packs, gsize max_size, const gchar ** reason);

/* Copies the frame's bytes to @dest (frame->size bytes). */
void ivcs_frame_copy (const IvcsFrame * frame, guint8 * dest);

G_END_DECLS
