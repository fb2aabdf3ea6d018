/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-param-sets.h"

#include "cs-nal.h"

#include <string.h>

/* More of one kind than the standards allow ids for (H.264: 32 SPS; H.265:
 * 64 PPS) is not kept: a hostile stream must not grow every keyframe. */
#define MAX_PER_KIND 64

struct _CsParamSets
{
  CsNalCodec codec;
  GPtrArray *sets[CS_NAL_N_KINDS];      /* GBytes: NAL units, no start code */
};

static const guint8 start_code[4] = { 0, 0, 0, 1 };

CsParamSets *
cs_param_sets_new (gboolean h265)
{
  CsParamSets *self = g_new0 (CsParamSets, 1);

  self->codec = h265 ? CS_NAL_H265 : CS_NAL_H264;
  return self;
}

void
cs_param_sets_free (CsParamSets * self)
{
  if (self == NULL)
    return;
  for (guint k = 0; k < CS_NAL_N_KINDS; k++)
    g_clear_pointer (&self->sets[k], g_ptr_array_unref);
  g_free (self);
}

static gboolean
is_slice (const CsParamSets * self, guint type)
{
  return self->codec == CS_NAL_H265 ? type < 32 : type >= 1 && type <= 5;
}

static gboolean
is_delimiter (const CsParamSets * self, guint type)
{
  return type == (self->codec == CS_NAL_H265 ? 35u : 9u);
}

/* Adds a NAL unit to @found[kind] (a new array for this access unit or
 * record); empty ones and those past MAX_PER_KIND are left out. */
static void
found_add (GPtrArray ** found, gint kind, const guint8 * nal, gsize size)
{
  if (size == 0)
    return;
  if (found[kind] == NULL)
    found[kind] = g_ptr_array_new_with_free_func
        ((GDestroyNotify) g_bytes_unref);
  if (found[kind]->len < MAX_PER_KIND)
    g_ptr_array_add (found[kind], g_bytes_new (nal, size));
}

/* The kinds found replace the ones kept (@found's arrays are then the
 * keeper's: still non-NULL, to say which kinds were found). */
static void
keep_found (CsParamSets * self, GPtrArray ** found)
{
  for (guint k = 0; k < CS_NAL_N_KINDS; k++) {
    if (found[k] == NULL)
      continue;
    g_clear_pointer (&self->sets[k], g_ptr_array_unref);
    self->sets[k] = found[k];
  }
}

static void
found_clear (GPtrArray ** found)
{
  for (guint k = 0; k < CS_NAL_N_KINDS; k++)
    g_clear_pointer (&found[k], g_ptr_array_unref);
}

static guint
read_be16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

/* @count NAL units, each after a 16-bit length, from @data[*at]; FALSE if
 * the record ends before them. */
static gboolean
read_record_nals (CsParamSets * self, const guint8 * data, gsize size,
    gsize * at, guint count, gint kind, GPtrArray ** found)
{
  for (guint i = 0; i < count; i++) {
    gsize len;

    if (size - *at < 2)
      return FALSE;
    len = read_be16 (data + *at);
    *at += 2;
    if (size - *at < len)
      return FALSE;
    if (kind >= 0)
      found_add (found, kind, data + *at, len);
    *at += len;
  }
  return TRUE;
}

gboolean
cs_param_sets_take_codec_data (CsParamSets * self, const guint8 * data,
    gsize size)
{
  GPtrArray *found[CS_NAL_N_KINDS] = { NULL };
  gsize at;
  gboolean ok = TRUE;

  if (data == NULL || size < 1 || data[0] != 1)
    return FALSE;
  if (self->codec == CS_NAL_H265) {
    /* hvcC: 22 bytes of profile, then arrays of one NAL unit type each. */
    guint arrays;

    if (size < 23)
      return FALSE;
    arrays = data[22];
    at = 23;
    for (guint a = 0; ok && a < arrays; a++) {
      guint type;

      if (size - at < 3) {
        ok = FALSE;
        break;
      }
      type = data[at] & 0x3f;
      at += 3;
      ok = read_record_nals (self, data, size, &at, read_be16 (data + at - 2),
          cs_nal_kind (self->codec, type), found);
    }
  } else {
    /* avcC: 5 bytes of profile, the SPS (count in 5 bits), the PPS. */
    if (size < 6)
      return FALSE;
    at = 6;
    ok = read_record_nals (self, data, size, &at, data[5] & 0x1f, CS_NAL_SPS,
        found);
    if (ok && size - at < 1)
      ok = FALSE;
    if (ok) {
      guint count = data[at++];
      ok = read_record_nals (self, data, size, &at, count, CS_NAL_PPS, found);
    }
  }
  if (ok)
    keep_found (self, found);
  else
    found_clear (found);
  return ok;
}

GBytes *
cs_param_sets_keyframe (CsParamSets * self, const guint8 * au, gsize size,
    gsize * at)
{
  GPtrArray *found[CS_NAL_N_KINDS] = { NULL };
  gboolean missing = FALSE;
  gsize insert_at = 0, units = 0;
  CsNalIter iter;
  CsNalUnit unit;
  GByteArray *out;

  *at = 0;
  /* The parameter sets come before the first slice: nothing after it is
   * looked at. */
  cs_nal_iter_init (&iter, au, size);
  while (cs_nal_iter_next (&iter, &unit)) {
    guint type = cs_nal_type (self->codec, au[unit.offset]);
    gint kind;

    units++;
    if (is_slice (self, type))
      break;
    kind = cs_nal_kind (self->codec, type);
    if (kind >= 0)
      found_add (found, kind, au + unit.offset, unit.size);
    else if (units == 1 && is_delimiter (self, type))
      insert_at = unit.next;
  }
  /* Not a NAL unit in it (no start code): nothing happens. */
  if (units == 0)
    return NULL;
  keep_found (self, found);

  for (guint k = self->codec == CS_NAL_H265 ? CS_NAL_VPS : CS_NAL_SPS;
      k < CS_NAL_N_KINDS; k++)
    missing |= found[k] == NULL && self->sets[k] != NULL;
  if (!missing)
    return NULL;
  out = g_byte_array_new ();
  for (guint k = 0; k < CS_NAL_N_KINDS; k++) {
    if (found[k] != NULL || self->sets[k] == NULL)
      continue;
    for (guint i = 0; i < self->sets[k]->len; i++) {
      GBytes *set = g_ptr_array_index (self->sets[k], i);
      gsize len;
      const guint8 *data = g_bytes_get_data (set, &len);

      g_byte_array_append (out, start_code, sizeof start_code);
      g_byte_array_append (out, data, len);
    }
  }
  *at = insert_at;
  return g_byte_array_free_to_bytes (out);
}
