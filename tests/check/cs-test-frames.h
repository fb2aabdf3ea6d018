/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Real encoded frames for tests that feed one element in a GstHarness. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* @n frames (GstSample) of 320x240 test video at @fps by x264, a keyframe
 * each second, byte-stream access units with SPS/PPS before each
 * keyframe, no B-frames. */
GPtrArray *cs_test_encode_h264 (guint n, guint fps);

G_END_DECLS
