/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: a camera's byte-stream access units as the fMP4 writer walks
 * them (start codes, parameter sets, the avcC/hvcC they make); the first
 * byte picks the codec and whether the unit is a keyframe. */
#include "cs-fmp4-writer.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (CsFmp4Writer) w = cs_fmp4_writer_new ();
  g_autoptr (GBytes) segment = NULL;
  CsNalCodec codec;

  if (size < 1)
    return 0;
  codec = data[0] & 1 ? CS_NAL_H265 : CS_NAL_H264;
  cs_fmp4_writer_set_video (w, codec, 320, 240);
  cs_fmp4_writer_add_video (w, data + 1, size - 1, 0, 0, 1000000,
      (data[0] & 2) == 0);
  cs_fmp4_writer_add_video (w, data + 1, size - 1, 1000000, 1000000, -1,
      FALSE);
  segment = cs_fmp4_writer_finish (w, 0, NULL);
  return 0;
}
