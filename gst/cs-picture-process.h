/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An event's picture made by cs-picture-helper, a process of its own per
 * picture: decoding loads libav (~41 MB, for good once loaded), which the
 * camera's process never does; a helper that hangs, dies or answers
 * nonsense costs a picture, never the recording. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* The helper's path: $CS_PICTURE_HELPER when set; else beside the library
 * holding this code (the build tree); else installed (libexecdir, found
 * from the plugin's directory, then the configured prefix).  NULL with
 * @error when there is none. */
gchar *cs_picture_helper_find (GError ** error);

/* The JPEG of @keyframe (a sample with H.264/H.265 caps), made by the
 * helper within CS_PICTURE_WAIT_S (then it is killed, as it is at once when
 * @cancellable is cancelled); NULL with @error saying why (the helper's
 * reason, exit status or signal).  Blocks. */
GBytes *cs_picture_process_make (GstSample * keyframe,
    GCancellable * cancellable, GError ** error);

G_END_DECLS
