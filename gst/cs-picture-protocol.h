/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What cssink and cs-picture-helper say to each other: on the helper's
 * stdin "CSPIC1 <caps length> <frame length>\n", the caps, the keyframe;
 * on its stdout the JPEG.  Every size is bounded on both sides. */
#pragma once

#define CS_PICTURE_HELPER_NAME "cs-picture-helper"
#define CS_PICTURE_MAGIC "CSPIC1"
#define CS_PICTURE_HEADER_MAX 64
#define CS_PICTURE_CAPS_MAX (64 * 1024)
/* An I frame of 4K H.265 at a high bit rate stays well under it. */
#define CS_PICTURE_FRAME_MAX (16 * 1024 * 1024)
/* A 640-wide JPEG is tens of kB: more is not a picture of ours. */
#define CS_PICTURE_JPEG_MAX (2 * 1024 * 1024)
/* The helper's CPU limit (s), and how long cssink waits for it (s): longer,
 * as on a loaded device the helper waits for a CPU too (0.15 s of CPU for
 * a 720p picture here). */
#define CS_PICTURE_CPU_S 10
#define CS_PICTURE_WAIT_S 20
