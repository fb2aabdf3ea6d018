/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The creation time of an MP4 written by mp4mux (which stamps the time of
 * writing): set in its movie, track and media headers (mvhd, tkhd, mdhd)
 * in place, in the moov box alone. */
#include "csctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Seconds from 1904-01-01 (the MP4 epoch) to 1970-01-01. */
#define MP4_EPOCH_OFFSET G_GINT64_CONSTANT (2082844800)
#define MAX_MOOV_BYTES (64 * 1024 * 1024)

static void
put_be (guint8 * at, guint64 v, guint bytes)
{
  for (guint i = 0; i < bytes; i++)
    at[i] = v >> (8 * (bytes - 1 - i));
}

static guint64
get_be (const guint8 * at, guint bytes)
{
  guint64 v = 0;

  for (guint i = 0; i < bytes; i++)
    v = v << 8 | at[i];
  return v;
}

/* Box size and type at @at (@len bytes left); 0 when it does not fit. */
static guint64
box_at (const guint8 * at, gsize len, guint * header, const guint8 ** type)
{
  guint64 size;

  if (len < 8)
    return 0;
  size = get_be (at, 4);
  *type = at + 4;
  *header = 8;
  if (size == 1 && len >= 16) {
    size = get_be (at + 8, 8);
    *header = 16;
  } else if (size == 0) {
    size = len;
  }
  return size >= *header && size <= len ? size : 0;
}

/* The times of every header box under @data, recursing into trak and
 * mdia. */
static void
patch_boxes (guint8 * data, gsize len, guint64 mp4_time, guint depth)
{
  while (len > 0 && depth < 4) {
    const guint8 *type;
    guint header;
    guint64 size = box_at (data, len, &header, &type);

    if (size == 0)
      return;
    if (!memcmp (type, "trak", 4) || !memcmp (type, "mdia", 4)) {
      patch_boxes (data + header, size - header, mp4_time, depth + 1);
    } else if (!memcmp (type, "mvhd", 4) || !memcmp (type, "tkhd", 4)
        || !memcmp (type, "mdhd", 4)) {
      /* version, flags, then creation and modification times: 32 bits
       * each in version 0, 64 in version 1. */
      guint bytes = data[header] == 1 ? 8 : 4;

      if (size >= header + 4 + 2 * bytes) {
        put_be (data + header + 4, mp4_time, bytes);
        put_be (data + header + 4 + bytes, mp4_time, bytes);
      }
    }
    data += size;
    len -= size;
  }
}

gboolean
csctl_mp4_set_creation_time (const gchar * path, gint64 unix_s,
    GError ** error)
{
  FILE *f = fopen (path, "r+b");
  guint8 head[16];
  guint64 offset = 0;
  gboolean ok = FALSE;
  gsize got;

  if (f == NULL)
    goto fail;
  while (fseeko (f, offset, SEEK_SET) == 0
      && (got = fread (head, 1, sizeof (head), f)) >= 8) {
    guint64 size = get_be (head, 4);

    if (size == 1)
      size = got == sizeof (head) ? get_be (head + 8, 8) : 0;
    /* 0 (to the end of the file) is a box moov cannot follow. */
    if (size < 8)
      break;
    if (!memcmp (head + 4, "moov", 4) && size <= MAX_MOOV_BYTES) {
      g_autofree guint8 *moov = g_malloc (size);
      const guint8 *type;
      guint header;

      if (fseeko (f, offset, SEEK_SET) != 0
          || fread (moov, 1, size, f) != size
          || box_at (moov, size, &header, &type) != size)
        break;
      patch_boxes (moov + header, size - header, unix_s + MP4_EPOCH_OFFSET,
          0);
      ok = fseeko (f, offset, SEEK_SET) == 0
          && fwrite (moov, 1, size, f) == size;
      break;
    }
    offset += size;
  }
  if (fclose (f) == 0 && ok)
    return TRUE;
fail:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot set the "
      "creation time of %s: %s", path, errno ? g_strerror (errno) :
      "no movie header");
  return FALSE;
}
