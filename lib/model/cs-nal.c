/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-nal.h"

#include "cs-be-bytes.h"

#include <gio/gio.h>
#include <string.h>

/* At most this many of a kind (the avcC's SPS count has 5 bits). */
#define MAX_SETS 31

struct _CsNalParams
{
  CsNalCodec codec;
  GPtrArray *sets[CS_NAL_N_KINDS];      /* GBytes: whole NAL units */
};

CsNalParams *
cs_nal_params_new (CsNalCodec codec)
{
  CsNalParams *p = g_new0 (CsNalParams, 1);

  p->codec = codec;
  for (guint i = 0; i < CS_NAL_N_KINDS; i++)
    p->sets[i] = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
  return p;
}

void
cs_nal_params_free (CsNalParams * p)
{
  if (p == NULL)
    return;
  for (guint i = 0; i < CS_NAL_N_KINDS; i++)
    g_ptr_array_unref (p->sets[i]);
  g_free (p);
}

guint
cs_nal_type (CsNalCodec codec, guint8 header)
{
  return codec == CS_NAL_H265 ? (header >> 1) & 0x3f : header & 0x1f;
}

gint
cs_nal_kind (CsNalCodec codec, guint type)
{
  if (codec == CS_NAL_H265)
    return type == 32 ? CS_NAL_VPS : type == 33 ? CS_NAL_SPS :
        type == 34 ? CS_NAL_PPS : -1;
  return type == 7 ? CS_NAL_SPS : type == 8 ? CS_NAL_PPS : -1;
}

/* The next start code (00 00 01) at or after @from, or @size. */
static gsize
next_start (const guint8 * p, gsize size, gsize from)
{
  while (size - from >= 3) {
    if (p[from + 2] > 1)
      from += 3;
    else if (p[from + 2] == 1 && p[from + 1] == 0 && p[from] == 0)
      return from;
    else
      from++;
  }
  return size;
}

void
cs_nal_iter_init (CsNalIter * iter, const guint8 * au, gsize size)
{
  iter->au = au;
  iter->size = au != NULL ? size : 0;
  iter->pos = 0;
}

gboolean
cs_nal_iter_next (CsNalIter * iter, CsNalUnit * unit)
{
  gsize start;

  while ((start = next_start (iter->au, iter->size, iter->pos)) < iter->size) {
    gsize nal = start + 3, next = next_start (iter->au, iter->size, nal),
        end = next;

    /* Zero bytes before a start code belong to it (or trail the unit). */
    while (end > nal && iter->au[end - 1] == 0)
      end--;
    iter->pos = next;
    if (end == nal)
      continue;
    unit->offset = nal;
    unit->size = end - nal;
    unit->next = next < iter->size && end < next ? next - 1 : next;
    return TRUE;
  }
  return FALSE;
}

gsize
cs_nal_au_mp4_units (const guint8 * au, gsize len, GArray * units,
    CsNalParams * params)
{
  gsize stored = 0;
  gboolean fresh = TRUE;
  CsNalIter iter;
  CsNalUnit unit;

  cs_nal_iter_init (&iter, au, len);
  while (cs_nal_iter_next (&iter, &unit)) {
    const guint8 *nal = au + unit.offset;
    gint kind;

    if (unit.size < 2 || (guint64) unit.size > G_MAXUINT32 - 4)
      continue;
    g_array_append_val (units, unit);
    stored += 4 + unit.size;
    if (params == NULL || unit.size > G_MAXUINT16 || (kind =
            cs_nal_kind (params->codec, cs_nal_type (params->codec,
                    nal[0]))) < 0)
      continue;
    /* The sets of the latest access unit that carries any. */
    if (fresh)
      for (guint i = 0; i < CS_NAL_N_KINDS; i++)
        g_ptr_array_set_size (params->sets[i], 0);
    fresh = FALSE;
    if (params->sets[kind]->len < MAX_SETS)
      g_ptr_array_add (params->sets[kind], g_bytes_new (nal, unit.size));
  }
  return stored;
}

/* Each set of @sets behind its 16-bit length. */
static void
put_sets (GByteArray * out, GPtrArray * sets)
{
  for (guint i = 0; i < sets->len; i++) {
    gsize len;
    const guint8 *d = g_bytes_get_data (sets->pdata[i], &len);

    cs_be_put16 (out, len);
    g_byte_array_append (out, d, len);
  }
}

static GBytes *
avcc (CsNalParams * p, GError ** error)
{
  GByteArray *out;
  gsize len = 0;
  const guint8 *sps = p->sets[CS_NAL_SPS]->len ?
      g_bytes_get_data (p->sets[CS_NAL_SPS]->pdata[0], &len) : NULL;

  if (len < 4 || p->sets[CS_NAL_PPS]->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "no H.264 SPS and PPS before the first keyframe");
    return NULL;
  }
  out = g_byte_array_new ();
  cs_be_put8 (out, 1);
  /* profile_idc, the constraint flags, level_idc */
  g_byte_array_append (out, sps + 1, 3);
  cs_be_put8 (out, 0xff);             /* 4-byte lengths */
  cs_be_put8 (out, 0xe0 | p->sets[CS_NAL_SPS]->len);
  put_sets (out, p->sets[CS_NAL_SPS]);
  cs_be_put8 (out, p->sets[CS_NAL_PPS]->len);
  put_sets (out, p->sets[CS_NAL_PPS]);
  return g_byte_array_free_to_bytes (out);
}

/* Reads the bits of an RBSP (emulation prevention bytes taken out). */
typedef struct
{
  GByteArray *rbsp;
  gsize pos;                    /* in bits */
  gboolean overrun;
} Bits;

static guint32
bits (Bits * b, guint n)
{
  guint32 v = 0;

  while (n--) {
    if (b->pos >= (gsize) b->rbsp->len * 8) {
      b->overrun = TRUE;
      return 0;
    }
    v = v << 1 | ((b->rbsp->data[b->pos / 8] >> (7 - b->pos % 8)) & 1);
    b->pos++;
  }
  return v;
}

/* ue(v), Exp-Golomb. */
static guint32
bits_ue (Bits * b)
{
  guint zeros = 0;

  while (bits (b, 1) == 0 && !b->overrun)
    if (++zeros > 31) {
      b->overrun = TRUE;
      return 0;
    }
  return zeros ? (1u << zeros) - 1 + bits (b, zeros) : 0;
}

/* The RBSP of @nal past its @header bytes. */
static GByteArray *
rbsp (const guint8 * nal, gsize len, gsize header)
{
  GByteArray *out = g_byte_array_sized_new (len);
  guint zeros = 0;

  for (gsize i = header; i < len; i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (out, nal + i, 1);
  }
  return out;
}

/* The fields of an H.265 SPS that the hvcC repeats. */
typedef struct
{
  guint8 ptl[12];               /* general profile_tier_level, as coded */
  guint sub_layers, nesting, chroma, depth_luma, depth_chroma;
} HevcSps;

static gboolean
parse_hevc_sps (GBytes * nal, HevcSps * s)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (nal, &len);
  Bits b = { rbsp (d, len, 2), 0, FALSE };
  guint profile_present = 0, level_present = 0;

  bits (&b, 4);                 /* sps_video_parameter_set_id */
  s->sub_layers = bits (&b, 3);
  s->nesting = bits (&b, 1);
  for (guint i = 0; i < sizeof s->ptl; i++)
    s->ptl[i] = bits (&b, 8);
  for (guint i = 0; i < s->sub_layers; i++) {
    profile_present |= bits (&b, 1) << i;
    level_present |= bits (&b, 1) << i;
  }
  if (s->sub_layers > 0)
    bits (&b, 2 * (8 - s->sub_layers));
  for (guint i = 0; i < s->sub_layers; i++) {
    if (profile_present & (1u << i)) {
      bits (&b, 32);
      bits (&b, 32);
      bits (&b, 24);
    }
    if (level_present & (1u << i))
      bits (&b, 8);
  }
  bits_ue (&b);                 /* sps_seq_parameter_set_id */
  s->chroma = bits_ue (&b);
  if (s->chroma == 3)
    bits (&b, 1);               /* separate_colour_plane_flag */
  bits_ue (&b);                 /* width */
  bits_ue (&b);                 /* height */
  if (bits (&b, 1))             /* conformance_window_flag */
    for (guint i = 0; i < 4; i++)
      bits_ue (&b);
  s->depth_luma = bits_ue (&b);
  s->depth_chroma = bits_ue (&b);
  g_byte_array_unref (b.rbsp);
  return !b.overrun && s->chroma <= 3 && s->depth_luma <= 8
      && s->depth_chroma <= 8;
}

static GBytes *
hvcc (CsNalParams * p, GError ** error)
{
  static const gint kinds[] = { CS_NAL_VPS, CS_NAL_SPS, CS_NAL_PPS };
  GByteArray *out;
  HevcSps s;

  if (p->sets[CS_NAL_VPS]->len == 0 || p->sets[CS_NAL_SPS]->len == 0
      || p->sets[CS_NAL_PPS]->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "no H.265 VPS, SPS and PPS before the first keyframe");
    return NULL;
  }
  if (!parse_hevc_sps (p->sets[CS_NAL_SPS]->pdata[0], &s)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "an H.265 SPS that cannot be read");
    return NULL;
  }
  out = g_byte_array_new ();
  cs_be_put8 (out, 1);
  g_byte_array_append (out, s.ptl, sizeof s.ptl);
  cs_be_put16 (out, 0xf000);          /* min_spatial_segmentation_idc 0 */
  cs_be_put8 (out, 0xfc);             /* parallelismType 0 */
  cs_be_put8 (out, 0xfc | s.chroma);
  cs_be_put8 (out, 0xf8 | s.depth_luma);
  cs_be_put8 (out, 0xf8 | s.depth_chroma);
  cs_be_put16 (out, 0);               /* avgFrameRate: unknown */
  /* constantFrameRate 0, numTemporalLayers, temporalIdNested,
   * lengthSizeMinusOne 3 */
  cs_be_put8 (out, (s.sub_layers + 1) << 3 | s.nesting << 2 | 3);
  cs_be_put8 (out, G_N_ELEMENTS (kinds));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    GPtrArray *sets = p->sets[kinds[i]];
    gsize len;
    const guint8 *nal = g_bytes_get_data (sets->pdata[0], &len);

    /* array_completeness: every set is in the record. */
    cs_be_put8 (out, 0x80 | ((nal[0] >> 1) & 0x3f));
    cs_be_put16 (out, sets->len);
    put_sets (out, sets);
  }
  return g_byte_array_free_to_bytes (out);
}

GBytes *
cs_nal_params_config (CsNalParams * p, GError ** error)
{
  return p->codec == CS_NAL_H264 ? avcc (p, error) : hvcc (p, error);
}
