/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Big-endian integers appended to a byte array (MP4 boxes, codec
 * configuration records), or read and written in place. */
#pragma once

#include <glib.h>

static inline void
cs_be_put8 (GByteArray * out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static inline void
cs_be_put16 (GByteArray * out, guint16 v)
{
  guint8 b[2] = { v >> 8, v };

  g_byte_array_append (out, b, 2);
}

static inline void
cs_be_put32 (GByteArray * out, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (out, b, 4);
}

static inline void
cs_be_put64 (GByteArray * out, guint64 v)
{
  cs_be_put32 (out, v >> 32);
  cs_be_put32 (out, v);
}

static inline guint32
cs_be_get32 (const guint8 * at)
{
  return (guint32) at[0] << 24 | at[1] << 16 | at[2] << 8 | at[3];
}

static inline guint64
cs_be_get64 (const guint8 * at)
{
  return (guint64) cs_be_get32 (at) << 32 | cs_be_get32 (at + 4);
}

static inline void
cs_be_set32 (guint8 * at, guint32 v)
{
  at[0] = v >> 24;
  at[1] = v >> 16;
  at[2] = v >> 8;
  at[3] = v;
}

static inline void
cs_be_set64 (guint8 * at, guint64 v)
{
  cs_be_set32 (at, v >> 32);
  cs_be_set32 (at + 4, v);
}
