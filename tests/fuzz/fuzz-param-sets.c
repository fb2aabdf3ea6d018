/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: cssink's parameter-set keeper (lib/model/cs-param-sets.c), given what
 * a camera may send as a keyframe's access unit and as codec_data.
 *
 * Input: flags (bit 0 H.265, bit 1 the first part is codec_data), a split
 * point (2 bytes), then the bytes: codec_data and access units, or access
 * units alone, cut at the split point and fed one after the other.  What
 * comes back must be well formed: 4-byte start codes, each followed by a
 * NAL unit, and an insertion point inside the access unit. */
#include "cs-param-sets.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
keyframe (CsParamSets * keeper, const guint8 * au, gsize size)
{
  /* A copy of its exact size: ASan sees any read past it. */
  guint8 *copy = g_memdup2 (au, size);
  gsize at = G_MAXSIZE, len;
  GBytes *sets = cs_param_sets_keyframe (keeper, copy, size, &at);
  const guint8 *p;

  if (sets != NULL) {
    p = g_bytes_get_data (sets, &len);
    if (at > size || len < 5 || memcmp (p, "\0\0\0\1", 4) != 0)
      abort ();
    g_bytes_unref (sets);
  }
  g_free (copy);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  CsParamSets *keeper;
  gsize split;

  if (size < 3)
    return 0;
  keeper = cs_param_sets_new (data[0] & 1);
  split = MIN ((gsize) ((data[1] << 8) | data[2]), size - 3);
  data += 3;
  size -= 3;
  if (data[-3] & 2) {
    guint8 *copy = g_memdup2 (data, split);
    cs_param_sets_take_codec_data (keeper, copy, split);
    g_free (copy);
  } else {
    keyframe (keeper, data, split);
  }
  /* The rest twice: what was kept from the first goes in front. */
  keyframe (keeper, data + split, size - split);
  keyframe (keeper, data + split, size - split);
  cs_param_sets_free (keeper);
  return 0;
}
