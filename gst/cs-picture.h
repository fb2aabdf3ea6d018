/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A JPEG of one encoded keyframe (H.264/H.265 with its headers), for events
 * whose application gives no picture of its own.  Decoding loads libav:
 * only cs-picture-helper links this file (cs-picture-process.c runs it). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CS_PICTURE_MAX_WIDTH 640

/* Decodes @keyframe (a sample with caps) and encodes it as a JPEG at most
 * CS_PICTURE_MAX_WIDTH wide; NULL with @error set when it cannot. */
GBytes *cs_picture_jpeg_from_keyframe (GstSample * keyframe, GError ** error);

G_END_DECLS
