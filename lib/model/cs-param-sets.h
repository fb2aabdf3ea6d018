/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parameter-set keeper of an H.264 or H.265 byte-stream whose buffers are
 * whole access units (what h264parse/h265parse give): it remembers the
 * latest SPS and PPS (and VPS) a keyframe carried, or the caps' codec_data
 * gave, and says what to put in front of a keyframe that lacks them, so
 * that every segment decodes on its own.  It looks only at the NAL units
 * before a keyframe's first slice (a few bytes); delta frames are not looked
 * at.  The bytes are the camera's: any input is taken, nothing is trusted.
 *
 * It walks the access unit with cs-nal.h's walk.  No GStreamer here (the
 * fuzz target builds it alone); one owner (the video leg's streaming
 * thread), no lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsParamSets CsParamSets;

CsParamSets *cs_param_sets_new (gboolean h265);
void cs_param_sets_free (CsParamSets * self);

/* Remembers the parameter sets of an avcC/hvcC record (caps' codec_data);
 * FALSE when it is not one (nothing is kept from it then). */
gboolean cs_param_sets_take_codec_data (CsParamSets * self,
    const guint8 * data, gsize size);

/* Looks at a keyframe's access unit (@au, @size bytes, start codes): keeps
 * the parameter sets it carries as the latest; if it lacks some kind that is
 * known, returns the bytes to insert (4-byte start codes) and sets @at to
 * where (after an access unit delimiter, else 0).  NULL: insert nothing. */
GBytes *cs_param_sets_keyframe (CsParamSets * self, const guint8 * au,
    gsize size, gsize * at);

G_END_DECLS
