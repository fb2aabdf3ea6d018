/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @seconds of frames made by examples/make-frames (IVCS_MAKE_FRAMES), H.264
 * or @h265, each a GBytes of its ivcs_frame_header and data, in time
 * order. */
GPtrArray *ivcs_test_load_frames (guint seconds, gboolean h265);

G_END_DECLS
