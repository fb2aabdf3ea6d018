/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cs-picture-helper: one event picture, made outside the camera's process
 * (decoding loads libav: ~41 MB that a recording process should not carry;
 * a decoder bug met on a camera's bytes ends here, not in the recording).
 *
 * stdin: "CSPIC1 <caps length> <frame length>\n", the keyframe's caps as
 * gst_caps_to_string () writes them (H.264 or H.265 only), then the frame.
 * stdout: the JPEG (at most CS_PICTURE_MAX_WIDTH wide).  Exit 0 when made;
 * else 1 (bad input) or 2 (not decoded), with the reason as the last line
 * on stderr.  Takes no arguments, opens no path it is given, and runs under
 * a CPU limit. */
#include "cs-picture.h"
#include "cs-picture-protocol.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define EXIT_BAD_INPUT 1
#define EXIT_NOT_DECODED 2

/* All of @len bytes read from stdin (@out FALSE) or written to stdout. */
static gboolean
transfer (guint8 * data, gsize len, gboolean out)
{
  while (len > 0) {
    ssize_t n = out ? write (STDOUT_FILENO, data, len) :
        read (STDIN_FILENO, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
read_exactly (guint8 * data, gsize len)
{
  return transfer (data, len, FALSE);
}

/* The header line, at most CS_PICTURE_HEADER_MAX bytes with its '\n'. */
static gboolean
read_header (guint64 * caps_len, guint64 * frame_len)
{
  gchar line[CS_PICTURE_HEADER_MAX + 1];
  gsize len = 0;

  for (;;) {
    if (len == CS_PICTURE_HEADER_MAX
        || !read_exactly ((guint8 *) & line[len], 1))
      return FALSE;
    if (line[len++] == '\n')
      break;
  }
  line[len - 1] = '\0';
  return sscanf (line, CS_PICTURE_MAGIC " %" G_GUINT64_FORMAT " %"
      G_GUINT64_FORMAT, caps_len, frame_len) == 2;
}

/* Returns the exit status, with @reason set when it is not 0.  Everything
 * is freed on the way out (a sanitizer build reports no leak of ours). */
static int
make_picture (const gchar ** reason, GError ** error)
{
  guint64 caps_len, frame_len;
  g_autofree gchar *caps_str = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBuffer) frame = NULL;
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GBytes) jpeg = NULL;
  GstMapInfo map;
  gboolean complete;

  if (!read_header (&caps_len, &frame_len)) {
    *reason = "no " CS_PICTURE_MAGIC " header on stdin";
    return EXIT_BAD_INPUT;
  }
  if (caps_len == 0 || caps_len > CS_PICTURE_CAPS_MAX || frame_len == 0
      || frame_len > CS_PICTURE_FRAME_MAX) {
    *reason = "caps or keyframe size out of bounds";
    return EXIT_BAD_INPUT;
  }
  caps_str = g_malloc0 (caps_len + 1);
  if (!read_exactly ((guint8 *) caps_str, caps_len)
      || strlen (caps_str) != caps_len) {
    *reason = "the caps are cut short or hold a NUL";
    return EXIT_BAD_INPUT;
  }
  caps = gst_caps_from_string (caps_str);
  if (caps == NULL || gst_caps_get_size (caps) != 1) {
    *reason = "the caps do not parse";
    return EXIT_BAD_INPUT;
  }
  frame = gst_buffer_new_and_alloc (frame_len);
  gst_buffer_map (frame, &map, GST_MAP_WRITE);
  complete = read_exactly (map.data, frame_len);
  gst_buffer_unmap (frame, &map);
  if (!complete) {
    *reason = "the keyframe is cut short";
    return EXIT_BAD_INPUT;
  }
  sample = gst_sample_new (frame, caps, NULL, NULL);
  jpeg = cs_picture_jpeg_from_keyframe (sample, error);
  if (jpeg == NULL) {
    *reason = (*error)->message;
    return EXIT_NOT_DECODED;
  }
  if (!transfer ((guint8 *) g_bytes_get_data (jpeg, NULL),
          g_bytes_get_size (jpeg), TRUE)) {
    *reason = "the picture could not be written out";
    return EXIT_NOT_DECODED;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  /* A decoder stuck on hostile bytes ends on its own too. */
  struct rlimit cpu = { CS_PICTURE_CPU_S, CS_PICTURE_CPU_S + 1 };
  const gchar *reason = "takes no arguments: the keyframe comes on stdin";
  GError *error = NULL;
  int status = EXIT_BAD_INPUT;

  setrlimit (RLIMIT_CPU, &cpu);
  if (argc == 1) {
    gst_init (NULL, NULL);
    status = make_picture (&reason, &error);
  }
  if (status != 0)
    fprintf (stderr, "\ncs-picture-helper: %s\n", reason);
  g_clear_error (&error);
  if (argc == 1)
    gst_deinit ();
  return status;
}
