/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: a camera's byte-stream access units as the fMP4 writer walks
 * them (start codes, parameter sets, the avcC/hvcC they make); the first
 * byte picks the codec and whether the unit is a keyframe. */
#include "cs-fmp4-writer.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
on_output (GBytes ** parts, guint n_parts, gboolean rewrite,
    gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new (0, on_output, NULL);
  g_autoptr (GBytes) au = NULL;
  CsNalCodec codec;

  if (size < 1)
    return 0;
  au = g_bytes_new_static (data + 1, size - 1);
  codec = data[0] & 1 ? CS_NAL_H265 : CS_NAL_H264;
  cs_fmp4_writer_set_video (w, codec, 320, 240);
  cs_fmp4_writer_add_video (w, au, 0, 0, 1000000, (data[0] & 2) == 0, NULL);
  cs_fmp4_writer_add_video (w, au, 1000000, 1000000, -1, FALSE, NULL);
  cs_fmp4_writer_end_segment (w, NULL);
  return 0;
}
