/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4-boxes.h"

#include "cs-be-bytes.h"
#include "cs-key.h"

#include <gio/gio.h>
#include <string.h>

/* A track of the moov: its id and its time scale (units per second). */
typedef struct
{
  guint32 id;
  guint32 timescale;
} Track;

/* Size and type of the box at @at (@len bytes left); 0 if none fits. */
static guint64
box_at (const guint8 * at, gsize len, const gchar ** type)
{
  guint64 size;

  if (len < 8)
    return 0;
  size = cs_be_get32 (at);
  if (size == 1 && len >= 16)
    size = cs_be_get64 (at + 8);
  *type = (const gchar *) at + 4;
  return size >= 8 && size <= len ? size : 0;
}

/* The first box of type @type in [@at, @end) (its start), or NULL. */
static const guint8 *
child (const guint8 * at, const guint8 * end, const gchar * type,
    guint64 * size)
{
  const gchar *t;

  while (at < end && (*size = box_at (at, end - at, &t)) != 0) {
    if (memcmp (t, type, 4) == 0)
      return at;
    at += *size;
  }
  return NULL;
}

/* The tracks of @moov (whole box). */
static GArray *
moov_tracks (const guint8 * moov, guint64 moov_size)
{
  GArray *tracks = g_array_new (FALSE, TRUE, sizeof (Track));
  const guint8 *at = moov + 8, *end = moov + moov_size, *trak;
  guint64 size, tkhd_size, mdia_size, mdhd_size;

  while ((trak = child (at, end, "trak", &size)) != NULL) {
    const guint8 *tkhd = child (trak + 8, trak + size, "tkhd", &tkhd_size);
    const guint8 *mdia = child (trak + 8, trak + size, "mdia", &mdia_size);
    const guint8 *mdhd = mdia ? child (mdia + 8, mdia + mdia_size, "mdhd",
        &mdhd_size) : NULL;
    /* Past version and flags, two times of 32 or 64 bits. */
    guint tkhd_id_at = tkhd && tkhd[8] == 1 ? 28 : 20;
    guint mdhd_scale_at = mdhd && mdhd[8] == 1 ? 28 : 20;

    if (tkhd && mdhd && tkhd_size >= tkhd_id_at + 4
        && mdhd_size >= mdhd_scale_at + 4) {
      Track t = { cs_be_get32 (tkhd + tkhd_id_at), cs_be_get32 (mdhd + mdhd_scale_at) };
      g_array_append_val (tracks, t);
    }
    at = trak + size;
  }
  return tracks;
}

/* The track of @moof's traf among @tracks, its tfdt box at *@tfdt (and
 * its size); NULL if it has none. */
static const Track *
moof_track (const guint8 * moof, guint64 moof_size, GArray * tracks,
    const guint8 ** tfdt, guint64 * tfdt_size)
{
  guint64 traf_size, tfhd_size;
  const guint8 *traf = child (moof + 8, moof + moof_size, "traf", &traf_size);
  const guint8 *tfhd = traf ? child (traf + 8, traf + traf_size, "tfhd",
      &tfhd_size) : NULL;

  *tfdt = traf ? child (traf + 8, traf + traf_size, "tfdt", tfdt_size) : NULL;
  if (tfhd == NULL || tfhd_size < 16 || *tfdt == NULL
      || *tfdt_size < ((*tfdt)[8] == 1 ? 20 : 16))
    return NULL;
  for (guint i = 0; i < tracks->len; i++)
    if (g_array_index (tracks, Track, i).id == cs_be_get32 (tfhd + 12)
        && g_array_index (tracks, Track, i).timescale > 0)
      return &g_array_index (tracks, Track, i);
  return NULL;
}

static gint64
tfdt_time (const guint8 * tfdt)
{
  return tfdt[8] == 1 ? (gint64) cs_be_get64 (tfdt + 12) : cs_be_get32 (tfdt + 12);
}

/* @decode_time (units of @track) moved by @shift_us; -1 when before 0. */
static gint64
shifted (const Track * track, gint64 decode_time, gint64 shift_us)
{
  /* In two parts: microseconds since 1970 times a time scale overflow. */
  decode_time += shift_us / G_USEC_PER_SEC * track->timescale +
      shift_us % G_USEC_PER_SEC * track->timescale / G_USEC_PER_SEC;
  return decode_time >= 0 ? decode_time : -1;
}

/* Appends @moof (one traf) with its decode time (tfdt) moved by @shift_us,
 * written as a 64-bit time: from a 32-bit one the boxes grow by 4 bytes,
 * and so does the offset of the samples from the moof. */
static gboolean
append_moof (GByteArray * out, const guint8 * moof, guint64 moof_size,
    GArray * tracks, gint64 shift_us)
{
  guint64 traf_size, tfhd_size, tfdt_size, trun_size;
  const guint8 *traf = child (moof + 8, moof + moof_size, "traf", &traf_size);
  const guint8 *tfhd = traf ? child (traf + 8, traf + traf_size, "tfhd",
      &tfhd_size) : NULL;
  const guint8 *trun = traf ? child (traf + 8, traf + traf_size, "trun",
      &trun_size) : NULL;
  const guint8 *tfdt;
  const Track *track = moof_track (moof, moof_size, tracks, &tfdt,
      &tfdt_size);
  guint32 grow;
  gint64 decode_time;
  gsize at = out->len;
  guint8 tfdt1[20];

  if (track == NULL || trun == NULL || trun_size < 16
      || moof_size > G_MAXUINT32 - 4
      || (cs_be_get32 (tfhd + 8) & 0x1)       /* offsets from the file's start */
      || traf + traf_size != moof + moof_size || trun < tfdt)
    return FALSE;
  decode_time = shifted (track, tfdt_time (tfdt), shift_us);
  if (decode_time < 0)
    return FALSE;
  grow = sizeof tfdt1 - tfdt_size;
  cs_be_set32 (tfdt1, sizeof tfdt1);
  memcpy (tfdt1 + 4, "tfdt", 4);
  cs_be_set32 (tfdt1 + 8, 0x01000000);
  cs_be_set64 (tfdt1 + 12, decode_time);

  g_byte_array_append (out, moof, tfdt - moof);
  g_byte_array_append (out, tfdt1, sizeof tfdt1);
  g_byte_array_append (out, tfdt + tfdt_size,
      moof + moof_size - (tfdt + tfdt_size));
  cs_be_set32 (out->data + at, moof_size + grow);
  cs_be_set32 (out->data + at + (traf - moof), traf_size + grow);
  if (cs_be_get32 (trun + 8) & 0x1) { /* data-offset present */
    guint8 *offset = out->data + at + (trun - moof) + grow + 16;
    cs_be_set32 (offset, cs_be_get32 (offset) + grow);
  }
  return TRUE;
}

/* The init part: ftyp + moov (@init bytes of @data), then a free box up to
 * CS_KEY_FMP4_INIT_SIZE. */
static gboolean
append_init (GByteArray * out, const guint8 * data, gsize init,
    GError ** error)
{
  if (init + 8 > CS_KEY_FMP4_INIT_SIZE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the MP4 headers take %" G_GSIZE_FORMAT " bytes, more than the %d "
        "of an init part", init, CS_KEY_FMP4_INIT_SIZE);
    return FALSE;
  }
  g_byte_array_append (out, data, init);
  g_byte_array_set_size (out, CS_KEY_FMP4_INIT_SIZE);
  memset (out->data + init, 0, CS_KEY_FMP4_INIT_SIZE - init);
  cs_be_set32 (out->data + init, CS_KEY_FMP4_INIT_SIZE - init);
  memcpy (out->data + init + 4, "free", 4);
  return TRUE;
}

/* Called for each fragment of a segment: its moof at @moof_at, the track
 * of its traf and its tfdt (NULL, NULL when of another form); FALSE
 * stops the walk. */
typedef gboolean (*FragmentFunc) (gsize moof_at, const Track * track,
    const guint8 * tfdt, gpointer user_data);

/* @func on each fragment of @data; FALSE when it stopped the walk. */
static gboolean
each_fragment (const guint8 * data, gsize len, FragmentFunc func,
    gpointer user_data)
{
  g_autoptr (GArray) tracks = NULL;
  gsize at = 0;
  const gchar *type;
  guint64 size, tfdt_size;

  while ((size = box_at (data + at, len - at, &type)) != 0) {
    const guint8 *tfdt = NULL;
    const Track *t = NULL;

    if (memcmp (type, "moov", 4) == 0 && tracks == NULL)
      tracks = moov_tracks (data + at, size);
    else if (memcmp (type, "moof", 4) == 0) {
      if (tracks)
        t = moof_track (data + at, size, tracks, &tfdt, &tfdt_size);
      if (!func (at, t, t ? tfdt : NULL, user_data))
        return FALSE;
    }
    at += size;
  }
  return TRUE;
}

typedef struct
{
  guint8 *data;
  gint64 shift_us;
  GError **error;
} Shift;

static gboolean
shift_fragment (gsize moof_at, const Track * track, const guint8 * tfdt,
    gpointer user_data)
{
  Shift *s = user_data;
  gint64 decode_time;

  if (track == NULL || tfdt[8] != 1) {
    g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a fragment (moof at %" G_GSIZE_FORMAT ") of an unknown form",
        moof_at);
    return FALSE;
  }
  decode_time = shifted (track, tfdt_time (tfdt), s->shift_us);
  if (decode_time < 0) {
    g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a frame of the segment is timed before 1970");
    return FALSE;
  }
  cs_be_set64 (s->data + (tfdt - s->data) + 12, decode_time);
  return TRUE;
}

gboolean
cs_fmp4_boxes_shift (guint8 * data, gsize len, gint64 shift_us,
    GError ** error)
{
  Shift s = { data, shift_us, error };

  return each_fragment (data, len, shift_fragment, &s);
}

static gboolean
earliest_fragment (gsize moof_at, const Track * track, const guint8 * tfdt,
    gpointer user_data)
{
  gint64 *start = user_data, dt, us;

  if (track == NULL)
    return TRUE;
  dt = tfdt_time (tfdt);
  us = dt / track->timescale * G_USEC_PER_SEC + dt % track->timescale *
      G_USEC_PER_SEC / track->timescale;
  *start = *start < 0 ? us : MIN (*start, us);
  return TRUE;
}

gint64
cs_fmp4_boxes_start_us (const guint8 * data, gsize len)
{
  gint64 start = -1;

  each_fragment (data, len, earliest_fragment, &start);
  return start;
}

GBytes *
cs_fmp4_boxes_lay_out (const guint8 * data, gsize len,
    gint64 shift_us, GError ** error)
{
  g_autoptr (GByteArray) out = g_byte_array_sized_new (len +
      CS_KEY_FMP4_INIT_SIZE);
  g_autoptr (GArray) tracks = NULL;
  gsize at = 0, init = 0;
  const gchar *type;
  guint64 size;

  while ((size = box_at (data + at, len - at, &type)) != 0) {
    gboolean fragment = memcmp (type, "moof", 4) == 0
        || memcmp (type, "mdat", 4) == 0;

    if (!fragment && out->len > 0)
      break;                    /* an index after the fragments */
    if (memcmp (type, "ftyp", 4) == 0 && at == 0)
      init = size;
    else if (memcmp (type, "moov", 4) == 0 && at == init && init > 0) {
      init += size;
      tracks = moov_tracks (data + at, size);
    } else if (fragment && tracks == NULL)
      break;
    else if (fragment && out->len == 0 && !append_init (out, data, init,
            error))
      return NULL;
    if (memcmp (type, "mdat", 4) == 0)
      g_byte_array_append (out, data + at, size);
    else if (memcmp (type, "moof", 4) == 0
        && !append_moof (out, data + at, size, tracks, shift_us)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "a fragment (moof at %" G_GSIZE_FORMAT ") of an unknown form", at);
      return NULL;
    }
    at += size;
  }
  if (out->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "no MP4 fragment in %" G_GSIZE_FORMAT " bytes", len);
    return NULL;
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
