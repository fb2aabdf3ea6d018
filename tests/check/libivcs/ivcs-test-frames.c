/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames of a stand-in hardware encoder for the libivcs tests. */
#include "ivcs-test-frames.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "ivcs-frames.h"

GPtrArray *
ivcs_test_load_frames (guint seconds, gboolean h265)
{
  const gchar *tool = g_getenv ("IVCS_MAKE_FRAMES");
  g_autofree gchar *path = g_strdup_printf ("%s/ivcs-test-%d.frames",
      g_get_tmp_dir (), (int) getpid ());
  g_autofree gchar *jpeg = g_strconcat (path, ".jpg", NULL);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *duration = g_strdup_printf ("%u", seconds);
  const gchar *argv[] = { tool, path, duration, h265 ? "h265" : NULL, NULL };
  GPtrArray *frames;
  gsize len, off = 4;
  gint status;

  fail_unless (tool != NULL, "IVCS_MAKE_FRAMES is not set");
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL));
  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  while (off + sizeof (ivcs_frame_header) <= len) {
    ivcs_frame_header h;
    memcpy (&h, contents + off, sizeof h);
    g_ptr_array_add (frames, g_bytes_new (contents + off, sizeof h +
            h.length));
    off += sizeof h + h.length;
  }
  g_unlink (path);
  g_unlink (jpeg);
  return frames;
}
