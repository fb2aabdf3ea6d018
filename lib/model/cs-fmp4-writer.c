/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4-writer.h"

#include "cs-be-bytes.h"

#include <gio/gio.h>
#include <string.h>

#define VIDEO_TIMESCALE 90000
#define NS_PER_S G_GINT64_CONSTANT (1000000000)

/* trun sample flags: a sync sample depends on no other; the others do. */
#define FLAGS_SYNC 0x02000000
#define FLAGS_DELTA 0x01010000

typedef struct
{
  gint64 dts, pts, duration;    /* ns; duration -1: unknown */
  guint32 size;
  guint32 fragment;             /* the GOP it belongs to */
  gboolean sync;
} Sample;

typedef struct
{
  guint32 id;
  guint32 timescale;
  GArray *samples;              /* Sample */
  GByteArray *data;             /* their bytes, back to back */
} Track;

struct _CsFmp4Writer
{
  /* Settings from the caps. */
  CsNalCodec codec;
  guint width, height;
  guint rate, channels;
  GBytes *asc;

  CsNalParams *params;
  GBytes *video_config;         /* of the segment's first keyframe */
  GError *config_error;
  Track video, audio;
  guint32 fragment;             /* the GOP written */
};

static void
track_init (Track * t, guint32 id, guint32 timescale)
{
  t->id = id;
  t->timescale = timescale;
  t->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  t->data = g_byte_array_new ();
}

static void
track_clear (Track * t)
{
  g_array_unref (t->samples);
  g_byte_array_unref (t->data);
}

CsFmp4Writer *
cs_fmp4_writer_new (void)
{
  CsFmp4Writer *w = g_new0 (CsFmp4Writer, 1);

  track_init (&w->video, 1, VIDEO_TIMESCALE);
  track_init (&w->audio, 2, 48000);
  w->params = cs_nal_params_new (CS_NAL_H264);
  return w;
}

void
cs_fmp4_writer_free (CsFmp4Writer * w)
{
  if (w == NULL)
    return;
  track_clear (&w->video);
  track_clear (&w->audio);
  cs_nal_params_free (w->params);
  g_clear_pointer (&w->asc, g_bytes_unref);
  g_clear_pointer (&w->video_config, g_bytes_unref);
  g_clear_error (&w->config_error);
  g_free (w);
}

void
cs_fmp4_writer_set_video (CsFmp4Writer * w, CsNalCodec codec, guint width,
    guint height)
{
  if (codec != w->codec) {
    cs_nal_params_free (w->params);
    w->params = cs_nal_params_new (codec);
  }
  w->codec = codec;
  w->width = width;
  w->height = height;
}

void
cs_fmp4_writer_set_audio (CsFmp4Writer * w, guint rate, guint channels,
    GBytes * asc)
{
  g_clear_pointer (&w->asc, g_bytes_unref);
  w->asc = asc ? g_bytes_ref (asc) : NULL;
  w->rate = rate;
  w->channels = channels;
}

static void
add_sample (Track * t, gsize size, gint64 dts, gint64 pts, gint64 duration,
    gboolean sync, guint32 fragment)
{
  Sample s = { dts, pts, duration, size, fragment, sync };

  g_array_append_val (t->samples, s);
}

void
cs_fmp4_writer_add_video (CsFmp4Writer * w, const guint8 * au, gsize len,
    gint64 dts, gint64 pts, gint64 duration, gboolean keyframe)
{
  gboolean first = w->video.samples->len == 0;
  gsize size;

  if (first && !keyframe)
    return;
  if (keyframe && !first)
    w->fragment++;
  size = cs_nal_au_to_mp4 (au, len, w->video.data, w->params);
  if (size == 0 || size > G_MAXUINT32) {
    g_byte_array_set_size (w->video.data, w->video.data->len - size);
    return;
  }
  if (first) {
    g_clear_pointer (&w->video_config, g_bytes_unref);
    g_clear_error (&w->config_error);
    w->video_config = cs_nal_params_config (w->params, &w->config_error);
  }
  add_sample (&w->video, size, dts, pts, duration, keyframe, w->fragment);
}

void
cs_fmp4_writer_add_audio (CsFmp4Writer * w, const guint8 * frame,
    gsize len, gint64 pts, gint64 duration)
{
  if (len == 0 || len > G_MAXUINT32)
    return;
  g_byte_array_append (w->audio.data, frame, len);
  add_sample (&w->audio, len, pts, pts, duration, TRUE, w->fragment);
}

gboolean
cs_fmp4_writer_is_empty (CsFmp4Writer * w)
{
  return w->video.samples->len == 0;
}

/* Writing boxes: a box is begun (its size patched when it ends). */
static void
put_zeros (GByteArray * o, guint n)
{
  while (n--)
    cs_be_put8 (o, 0);
}

static guint
begin (GByteArray * o, const gchar * type)
{
  guint at = o->len;

  cs_be_put32 (o, 0);
  g_byte_array_append (o, (const guint8 *) type, 4);
  return at;
}

static guint
begin_full (GByteArray * o, const gchar * type, guint8 version,
    guint32 flags)
{
  guint at = begin (o, type);

  cs_be_put32 (o, (guint32) version << 24 | flags);
  return at;
}

static void
end (GByteArray * o, guint at)
{
  guint32 size = o->len - at;

  o->data[at] = size >> 24;
  o->data[at + 1] = size >> 16;
  o->data[at + 2] = size >> 8;
  o->data[at + 3] = size;
}

static void
put_matrix (GByteArray * o)
{
  static const guint32 unity[9] = { 0x10000, 0, 0, 0, 0x10000, 0, 0, 0,
    0x40000000
  };

  for (guint i = 0; i < 9; i++)
    cs_be_put32 (o, unity[i]);
}

/* An MPEG-4 descriptor's tag and (one-byte) length. */
static void
put_descr (GByteArray * o, guint8 tag, gsize len)
{
  cs_be_put8 (o, tag);
  cs_be_put8 (o, len);
}

static void
put_esds (GByteArray * o, GBytes * asc)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (asc, &len);
  guint at = begin_full (o, "esds", 0, 0);

  put_descr (o, 0x03, 3 + 2 + 13 + 2 + len + 3);        /* ES */
  cs_be_put16 (o, 0);                 /* ES_ID */
  cs_be_put8 (o, 0);                  /* no dependence, URL, OCR */
  put_descr (o, 0x04, 13 + 2 + len);    /* DecoderConfig */
  cs_be_put8 (o, 0x40);               /* Audio ISO/IEC 14496-3 */
  cs_be_put8 (o, 0x15);               /* audio stream, reserved bit */
  put_zeros (o, 3 + 4 + 4);     /* buffer size, max and average rate */
  put_descr (o, 0x05, len);     /* DecoderSpecificInfo */
  g_byte_array_append (o, d, len);
  put_descr (o, 0x06, 1);       /* SLConfig */
  cs_be_put8 (o, 0x02);
  end (o, at);
}

static void
put_video_entry (CsFmp4Writer * w, GByteArray * o)
{
  gboolean h265 = w->codec == CS_NAL_H265;
  guint at = begin (o, h265 ? "hvc1" : "avc1"), config;
  gsize len;
  const guint8 *d = g_bytes_get_data (w->video_config, &len);

  put_zeros (o, 6);
  cs_be_put16 (o, 1);                 /* data_reference_index */
  put_zeros (o, 16);
  cs_be_put16 (o, w->width);
  cs_be_put16 (o, w->height);
  cs_be_put32 (o, 0x00480000);        /* 72 dpi */
  cs_be_put32 (o, 0x00480000);
  cs_be_put32 (o, 0);
  cs_be_put16 (o, 1);                 /* frame_count */
  put_zeros (o, 32);            /* compressorname */
  cs_be_put16 (o, 0x0018);            /* depth */
  cs_be_put16 (o, 0xffff);            /* pre_defined -1 */
  config = begin (o, h265 ? "hvcC" : "avcC");
  g_byte_array_append (o, d, len);
  end (o, config);
  end (o, at);
}

static void
put_audio_entry (CsFmp4Writer * w, GByteArray * o)
{
  guint at = begin (o, "mp4a");

  put_zeros (o, 6);
  cs_be_put16 (o, 1);                 /* data_reference_index */
  put_zeros (o, 8);
  cs_be_put16 (o, w->channels);
  cs_be_put16 (o, 16);                /* samplesize */
  cs_be_put32 (o, 0);
  cs_be_put32 (o, w->rate <= G_MAXUINT16 ? w->rate << 16 : 0);
  put_esds (o, w->asc);
  end (o, at);
}

static void
put_trak (CsFmp4Writer * w, GByteArray * o, Track * t)
{
  gboolean video = t == &w->video;
  guint trak = begin (o, "trak"), at, mdia, minf, dinf, stbl;

  at = begin_full (o, "tkhd", 0, 0x3);  /* enabled, in the movie */
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, t->id);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 0);                 /* duration: in the fragments */
  put_zeros (o, 8);
  cs_be_put16 (o, 0);                 /* layer */
  cs_be_put16 (o, video ? 0 : 1);     /* alternate_group */
  cs_be_put16 (o, video ? 0 : 0x0100);        /* volume */
  cs_be_put16 (o, 0);
  put_matrix (o);
  cs_be_put32 (o, video ? w->width << 16 : 0);
  cs_be_put32 (o, video ? w->height << 16 : 0);
  end (o, at);

  mdia = begin (o, "mdia");
  at = begin_full (o, "mdhd", 0, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, t->timescale);
  cs_be_put32 (o, 0);
  cs_be_put16 (o, 0x55c4);            /* "und" */
  cs_be_put16 (o, 0);
  end (o, at);
  at = begin_full (o, "hdlr", 0, 0);
  cs_be_put32 (o, 0);
  g_byte_array_append (o, (const guint8 *) (video ? "vide" : "soun"), 4);
  put_zeros (o, 12);
  g_byte_array_append (o, (const guint8 *) (video ? "VideoHandler" :
          "SoundHandler"), 13);
  end (o, at);

  minf = begin (o, "minf");
  if (video) {
    at = begin_full (o, "vmhd", 0, 1);
    put_zeros (o, 8);
  } else {
    at = begin_full (o, "smhd", 0, 0);
    put_zeros (o, 4);
  }
  end (o, at);
  dinf = begin (o, "dinf");
  at = begin_full (o, "dref", 0, 0);
  cs_be_put32 (o, 1);
  end (o, begin_full (o, "url ", 0, 1));        /* in this file */
  end (o, at);
  end (o, dinf);
  stbl = begin (o, "stbl");
  at = begin_full (o, "stsd", 0, 0);
  cs_be_put32 (o, 1);
  if (video)
    put_video_entry (w, o);
  else
    put_audio_entry (w, o);
  end (o, at);
  /* No samples here: all are in the fragments. */
  at = begin_full (o, "stts", 0, 0);
  cs_be_put32 (o, 0);
  end (o, at);
  at = begin_full (o, "stsc", 0, 0);
  cs_be_put32 (o, 0);
  end (o, at);
  at = begin_full (o, "stsz", 0, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 0);
  end (o, at);
  at = begin_full (o, "stco", 0, 0);
  cs_be_put32 (o, 0);
  end (o, at);
  end (o, stbl);
  end (o, minf);
  end (o, mdia);
  end (o, trak);
}

/* When the last sample of @t shown ends, in ns: a sample lasts its own
 * duration or, unknown, until the next one's decode time (the last as
 * long as its predecessor). */
static gint64
track_shown_end (const Track * t)
{
  gint64 shown_end = G_MININT64;

  for (guint i = 0; i < t->samples->len; i++) {
    const Sample *x = &g_array_index (t->samples, Sample, i);
    gint64 d = x->duration;

    if (d < 0 && i + 1 < t->samples->len)
      d = (x + 1)->dts - x->dts;
    else if (d < 0)
      d = i > 0 ? x->dts - (x - 1)->dts : 0;
    shown_end = MAX (shown_end, x->pts + d);
  }
  return shown_end;
}

/* The segment's length in ms (rounded up), from its first video frame's
 * decode time to the end of the last sample shown: qtdemux ends the
 * presentation there, on a timeline from the first decode time (with
 * B-frames, the last frame decoded is not the last shown, and the first is
 * shown after its decode time). */
static guint32
presentation_ms (CsFmp4Writer * w, gboolean audio)
{
  gint64 end = track_shown_end (&w->video);

  if (audio)
    end = MAX (end, track_shown_end (&w->audio));
  end -= g_array_index (w->video.samples, Sample, 0).dts;
  return (guint32) CLAMP ((end + 999999) / 1000000, 0, G_MAXUINT32);
}

static void
put_init (CsFmp4Writer * w, GByteArray * o, gboolean audio)
{
  guint at = begin (o, "ftyp"), moov, mvex;

  g_byte_array_append (o, (const guint8 *) "iso6", 4);
  cs_be_put32 (o, 0);
  g_byte_array_append (o, (const guint8 *) "iso6isommp41", 12);
  end (o, at);

  moov = begin (o, "moov");
  at = begin_full (o, "mvhd", 0, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 0);
  cs_be_put32 (o, 1000);              /* timescale */
  cs_be_put32 (o, 0);                 /* duration: in the fragments */
  cs_be_put32 (o, 0x00010000);        /* rate 1.0 */
  cs_be_put16 (o, 0x0100);            /* volume 1.0 */
  put_zeros (o, 10);
  put_matrix (o);
  put_zeros (o, 24);
  cs_be_put32 (o, audio ? 3 : 2);     /* next_track_ID */
  end (o, at);
  put_trak (w, o, &w->video);
  if (audio)
    put_trak (w, o, &w->audio);
  mvex = begin (o, "mvex");
  /* The segment's length: without it qtdemux takes the first fragment's
   * for the whole (splitmuxsrc, csctl export's reader, then misplaces the
   * segments after it and cuts a range short). */
  at = begin_full (o, "mehd", 0, 0);
  cs_be_put32 (o, presentation_ms (w, audio));
  end (o, at);
  for (guint i = 0; i < (audio ? 2 : 1); i++) {
    at = begin_full (o, "trex", 0, 0);
    cs_be_put32 (o, i == 0 ? w->video.id : w->audio.id);
    cs_be_put32 (o, 1);               /* sample description */
    put_zeros (o, 12);          /* default duration, size, flags */
    end (o, at);
  }
  end (o, mvex);
  end (o, moov);
}

/* @ns after the second @base_s, in units of @timescale (rounded); -1 when
 * before 0.  In two parts: nanoseconds since 1970 times a time scale
 * overflow. */
static gint64
to_units (gint64 base_s, gint64 ns, guint32 timescale)
{
  base_s += ns / NS_PER_S;
  ns %= NS_PER_S;
  if (ns < 0) {
    base_s--;
    ns += NS_PER_S;
  }
  if (base_s < 0)
    return -1;
  return base_s * timescale + (ns * timescale + NS_PER_S / 2) / NS_PER_S;
}

/* The decode time of sample @i of @t in units, on the segment's clock
 * (@base_s, @origin: the running time shown at second @base_s + @base_ns). */
typedef struct
{
  gint64 base_s, base_ns, origin;
} Clock;

static gint64
units (const Clock * c, const Track * t, gint64 ns)
{
  return to_units (c->base_s, c->base_ns + ns - c->origin, t->timescale);
}

/* A moof and its mdat: the samples of @t in @fragment, from @first on;
 * returns the index after them.  FALSE in *@ok when a time is before 0. */
static guint
put_fragment (GByteArray * o, const Clock * c, Track * t, guint first,
    guint32 fragment, guint32 sequence, gsize * data_at, gboolean * ok)
{
  gboolean video = t->id == 1;
  guint n = 0, moof, traf, at, offset_at, mdat;
  GArray *s = t->samples;
  gint64 tfdt;
  gsize bytes = 0;

  while (first + n < s->len
      && g_array_index (s, Sample, first + n).fragment == fragment)
    n++;
  if (n == 0)
    return first;
  tfdt = units (c, t, g_array_index (s, Sample, first).dts);
  if (tfdt < 0)
    *ok = FALSE;

  moof = begin (o, "moof");
  at = begin_full (o, "mfhd", 0, 0);
  cs_be_put32 (o, sequence);
  end (o, at);
  traf = begin (o, "traf");
  at = begin_full (o, "tfhd", 0, 0x020000);     /* default-base-is-moof */
  cs_be_put32 (o, t->id);
  end (o, at);
  at = begin_full (o, "tfdt", 1, 0);
  cs_be_put64 (o, MAX (tfdt, 0));
  end (o, at);
  /* data offset, then per sample duration, size, flags (and for video
   * the signed composition offset) */
  at = begin_full (o, "trun", 1, video ? 0xf01 : 0x701);
  cs_be_put32 (o, n);
  offset_at = o->len;
  cs_be_put32 (o, 0);
  for (guint i = first; i < first + n; i++) {
    const Sample *x = &g_array_index (s, Sample, i);
    gint64 dts = units (c, t, x->dts), next;

    /* Up to the next sample (of the next fragment too): the track stays
     * contiguous; the last lasts its own duration or its predecessor's. */
    if (i + 1 < s->len)
      next = units (c, t, g_array_index (s, Sample, i + 1).dts);
    else if (x->duration >= 0)
      next = units (c, t, x->dts + x->duration);
    else if (i > 0)
      next = dts + dts - units (c, t, g_array_index (s, Sample, i - 1).dts);
    else
      next = dts;
    cs_be_put32 (o, CLAMP (next - dts, 0, G_MAXUINT32));
    cs_be_put32 (o, x->size);
    cs_be_put32 (o, x->sync ? FLAGS_SYNC : FLAGS_DELTA);
    if (video)
      cs_be_put32 (o, (guint32) CLAMP (units (c, t, x->pts) - dts, G_MININT32,
              G_MAXINT32));
    bytes += x->size;
  }
  end (o, at);
  end (o, traf);
  end (o, moof);
  /* The samples start right after the mdat's header. */
  o->data[offset_at] = (o->len - moof + 8) >> 24;
  o->data[offset_at + 1] = (o->len - moof + 8) >> 16;
  o->data[offset_at + 2] = (o->len - moof + 8) >> 8;
  o->data[offset_at + 3] = (o->len - moof + 8);
  mdat = begin (o, "mdat");
  g_byte_array_append (o, t->data->data + *data_at, bytes);
  *data_at += bytes;
  end (o, mdat);
  return first + n;
}

static void
track_reset (Track * t)
{
  g_array_set_size (t->samples, 0);
  g_byte_array_set_size (t->data, 0);
}

GBytes *
cs_fmp4_writer_finish (CsFmp4Writer * w, gint64 start_us, GError ** error)
{
  /* The esds lengths are of one byte: a config is a few bytes. */
  gboolean audio = w->audio.samples->len > 0 && w->asc != NULL
      && g_bytes_get_size (w->asc) <= 64 && w->rate > 0;
  Clock c = { start_us / G_USEC_PER_SEC, start_us % G_USEC_PER_SEC * 1000,
    0
  };
  guint vi = 0, ai = 0;
  gsize v_at = 0, a_at = 0;
  guint32 sequence = 1;
  gboolean ok = TRUE;
  GByteArray *o;

  if (w->video.samples->len == 0 || w->video_config == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s",
        w->config_error ? w->config_error->message : "no video frame");
    track_reset (&w->video);
    track_reset (&w->audio);
    return NULL;
  }
  c.origin = g_array_index (w->video.samples, Sample, 0).pts;
  w->audio.timescale = w->rate > 0 ? w->rate : 48000;
  o = g_byte_array_sized_new (w->video.data->len + w->audio.data->len +
      4096);
  put_init (w, o, audio);
  for (guint32 f = 0; f <= w->fragment; f++) {
    vi = put_fragment (o, &c, &w->video, vi, f, sequence++, &v_at, &ok);
    if (audio)
      ai = put_fragment (o, &c, &w->audio, ai, f, sequence++, &a_at, &ok);
  }
  track_reset (&w->video);
  track_reset (&w->audio);
  w->fragment = 0;
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a frame of the segment is timed before 1970");
    g_byte_array_unref (o);
    return NULL;
  }
  return g_byte_array_free_to_bytes (o);
}
