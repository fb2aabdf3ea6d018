/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-fmp4-writer.h"

#include "cs-be-bytes.h"
#include "cs-key.h"

#include <gio/gio.h>
#include <string.h>

#define VIDEO_TIMESCALE 90000
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
/* No next sample: a fragment's last lasts its own duration. */
#define NO_NEXT G_MININT64

/* trun sample flags: a sync sample depends on no other; the others do. */
#define FLAGS_SYNC 0x02000000
#define FLAGS_DELTA 0x01010000

typedef struct
{
  gint64 dts, pts, duration;    /* ns; duration -1: unknown */
  guint32 size;                 /* stored */
  gboolean sync;
  GBytes *bytes;                /* the caller's frame, as it came */
  guint first_unit, n_units;    /* video: its NAL units in the track's */
} Sample;

/* A track's fragment being written: references to the frames, which are
 * copied once, by whoever takes the fragment's parts. */
typedef struct
{
  guint32 id;
  guint32 timescale;            /* of the segment; audio: 0 until known */
  GArray *samples;              /* Sample */
  GArray *units;                /* CsNalUnit: the video's, in order */
  gsize stored;                 /* the samples' stored bytes */
  gint64 last_duration;         /* ns, of the last sample written */
} Track;

/* Where the segment's decode times run from: the running time @origin is
 * shown at second @base_s + @base_ns. */
typedef struct
{
  gint64 base_s, base_ns, origin;
} Clock;

struct _CsFmp4Writer
{
  gint64 start_us;
  CsFmp4WriterOutputFunc output;
  gpointer user_data;

  /* Settings from the caps. */
  CsNalCodec codec;
  guint width, height;
  guint rate, channels;
  GBytes *asc;

  CsNalParams *params;
  /* The segment being written. */
  gboolean open;                /* its init part is written */
  gboolean refused;             /* it could not start: dropped to its end */
  GBytes *video_config;         /* of its first keyframe */
  Clock clock;
  guint32 sequence;             /* of its next fragment */
  gboolean audio_in_init;       /* its init part has the audio track */
  gboolean audio_written;       /* a fragment of it has audio */
  gint64 first_dts;             /* its first video frame's */
  gint64 video_end, audio_end;  /* when the samples written are shown to */
  Track video, audio;
};

static void
sample_clear (Sample * s)
{
  g_bytes_unref (s->bytes);
}

static void
track_init (Track * t, guint32 id, guint32 timescale)
{
  t->id = id;
  t->timescale = timescale;
  t->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  g_array_set_clear_func (t->samples, (GDestroyNotify) sample_clear);
  t->units = g_array_new (FALSE, FALSE, sizeof (CsNalUnit));
  t->last_duration = -1;
}

static void
track_clear (Track * t)
{
  g_array_unref (t->samples);
  g_array_unref (t->units);
}

static void
track_reset (Track * t)
{
  g_array_set_size (t->samples, 0);
  g_array_set_size (t->units, 0);
  t->stored = 0;
}

CsFmp4Writer *
cs_fmp4_writer_new (gint64 start_us, CsFmp4WriterOutputFunc output,
    gpointer user_data)
{
  CsFmp4Writer *w = g_new0 (CsFmp4Writer, 1);

  w->start_us = start_us;
  w->output = output;
  w->user_data = user_data;
  track_init (&w->video, 1, VIDEO_TIMESCALE);
  track_init (&w->audio, 2, 0);
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

/* The audio can be stored: its configuration is known (the esds lengths are
 * of one byte: a config is a few bytes). */
static gboolean
audio_usable (CsFmp4Writer * w)
{
  return w->asc != NULL && g_bytes_get_size (w->asc) <= 64 && w->rate > 0;
}

static void
add_sample (Track * t, GBytes * bytes, gsize size, guint first_unit,
    gint64 dts, gint64 pts, gint64 duration, gboolean sync)
{
  Sample s = { dts, pts, duration, size, sync, g_bytes_ref (bytes),
    first_unit, t->units->len - first_unit
  };

  g_array_append_val (t->samples, s);
  t->stored += size;
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
  cs_be_set32 (o->data + at, o->len - at);
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
  gint64 end = audio ? MAX (w->video_end, w->audio_end) : w->video_end;

  if (end <= w->first_dts)
    return 0;
  end -= w->first_dts;
  return (guint32) MIN ((end + 999999) / 1000000, G_MAXUINT32);
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

/* @ns after the second @base_s, in units of @timescale (rounded); clamped
 * at 0.  In two parts: nanoseconds since 1970 times a time scale
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
    return 0;
  return base_s * timescale + (ns * timescale + NS_PER_S / 2) / NS_PER_S;
}

static gint64
units (const Clock * c, const Track * t, gint64 ns)
{
  return to_units (c->base_s, c->base_ns + ns - c->origin, t->timescale);
}

/* The fragment's samples of @t, @next_dts (ns) the decode time of the
 * sample after them (NO_NEXT: none yet), appended to @parts: a moof and
 * the header of its mdat, then the samples' bytes (video: each NAL unit
 * behind its length) as slices of the frames. */
static void
put_fragment (CsFmp4Writer * w, Track * t, gint64 next_dts, GPtrArray * parts)
{
  gboolean video = t == &w->video;
  const Clock *c = &w->clock;
  GArray *s = t->samples;
  g_autoptr (GByteArray) o = g_byte_array_new ();
  g_autoptr (GByteArray) lengths = g_byte_array_new ();
  g_autoptr (GBytes) lengths_bytes = NULL;
  guint moof, traf, at, offset_at;

  moof = begin (o, "moof");
  at = begin_full (o, "mfhd", 0, 0);
  cs_be_put32 (o, w->sequence++);
  end (o, at);
  traf = begin (o, "traf");
  at = begin_full (o, "tfhd", 0, 0x020000);     /* default-base-is-moof */
  cs_be_put32 (o, t->id);
  end (o, at);
  at = begin_full (o, "tfdt", 1, 0);
  cs_be_put64 (o, units (c, t, g_array_index (s, Sample, 0).dts));
  end (o, at);
  /* data offset, then per sample duration, size, flags (and for video
   * the signed composition offset) */
  at = begin_full (o, "trun", 1, video ? 0xf01 : 0x701);
  cs_be_put32 (o, s->len);
  offset_at = o->len;
  cs_be_put32 (o, 0);
  for (guint i = 0; i < s->len; i++) {
    const Sample *x = &g_array_index (s, Sample, i);
    gint64 dts = units (c, t, x->dts), next;

    /* Up to the next sample (of the next fragment too): the track stays
     * contiguous; the last lasts its own duration or its predecessor's. */
    if (i + 1 < s->len)
      next = units (c, t, g_array_index (s, Sample, i + 1).dts);
    else if (next_dts != NO_NEXT)
      next = units (c, t, next_dts);
    else if (x->duration >= 0)
      next = units (c, t, x->dts + x->duration);
    else if (i > 0)
      next = dts + dts - units (c, t, g_array_index (s, Sample, i - 1).dts);
    else
      next = units (c, t, x->dts + MAX (t->last_duration, 0));
    if (i > 0)
      t->last_duration = x->dts - g_array_index (s, Sample, i - 1).dts;
    cs_be_put32 (o, CLAMP (next - dts, 0, G_MAXUINT32));
    cs_be_put32 (o, x->size);
    cs_be_put32 (o, x->sync ? FLAGS_SYNC : FLAGS_DELTA);
    if (video)
      cs_be_put32 (o, (guint32) CLAMP (units (c, t, x->pts) - dts, G_MININT32,
              G_MAXINT32));
  }
  end (o, at);
  end (o, traf);
  end (o, moof);
  /* The samples start right after the mdat's header. */
  cs_be_set32 (o->data + offset_at, o->len - moof + 8);
  cs_be_put32 (o, 8 + t->stored);
  g_byte_array_append (o, (const guint8 *) "mdat", 4);
  g_ptr_array_add (parts, g_byte_array_free_to_bytes (g_steal_pointer (&o)));

  for (guint u = 0; u < t->units->len; u++)
    cs_be_put32 (lengths, g_array_index (t->units, CsNalUnit, u).size);
  lengths_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&lengths));
  for (guint i = 0; i < s->len; i++) {
    const Sample *x = &g_array_index (s, Sample, i);

    if (!video)
      g_ptr_array_add (parts, g_bytes_ref (x->bytes));
    for (guint u = x->first_unit; u < x->first_unit + x->n_units; u++) {
      const CsNalUnit *unit = &g_array_index (t->units, CsNalUnit, u);

      g_ptr_array_add (parts, g_bytes_new_from_bytes (lengths_bytes, 4 * u,
              4));
      g_ptr_array_add (parts, g_bytes_new_from_bytes (x->bytes,
              unit->offset, unit->size));
    }
  }
  track_reset (t);
}

/* Writes the fragment held, if any; @next_dts as put_fragment()'s. */
static void
write_fragment (CsFmp4Writer * w, gint64 next_dts)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func
      ((GDestroyNotify) g_bytes_unref);

  if (w->audio.samples->len > 0 && (!audio_usable (w)
          || w->audio.stored > G_MAXUINT32 - 8))
    track_reset (&w->audio);
  if (w->audio.samples->len > 0 && w->audio.timescale == 0)
    w->audio.timescale = w->rate;
  if (w->video.samples->len > 0) {
    w->video_end = MAX (w->video_end, track_shown_end (&w->video));
    put_fragment (w, &w->video, next_dts, parts);
  }
  if (w->audio.samples->len > 0) {
    w->audio_end = MAX (w->audio_end, track_shown_end (&w->audio));
    put_fragment (w, &w->audio, NO_NEXT, parts);
    w->audio_written = TRUE;
  }
  if (parts->len > 0)
    w->output ((GBytes **) parts->pdata, parts->len, FALSE, w->user_data);
}

/* The init part (ftyp, moov, a free box up to CS_KEY_FMP4_INIT_SIZE), with
 * the audio track when @audio; NULL with @error when it does not fit. */
static GBytes *
init_part (CsFmp4Writer * w, gboolean audio, GError ** error)
{
  g_autoptr (GByteArray) o = g_byte_array_sized_new (CS_KEY_FMP4_INIT_SIZE);
  guint len, free_box;

  put_init (w, o, audio);
  len = o->len;
  if (len + 8 > CS_KEY_FMP4_INIT_SIZE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the MP4 headers take %u bytes, more than the %d of an init part",
        len, CS_KEY_FMP4_INIT_SIZE);
    return NULL;
  }
  free_box = begin (o, "free");
  g_byte_array_set_size (o, CS_KEY_FMP4_INIT_SIZE);
  memset (o->data + free_box + 8, 0, CS_KEY_FMP4_INIT_SIZE - free_box - 8);
  end (o, free_box);
  return g_byte_array_free_to_bytes (g_steal_pointer (&o));
}

/* A segment starts at its first keyframe, decoded at @dts, shown at @pts:
 * its init part is written (its length, mehd, still 0).  FALSE with @error
 * when it cannot be. */
static gboolean
start_segment (CsFmp4Writer * w, gint64 dts, gint64 pts, GError ** error)
{
  GBytes *init;

  g_clear_pointer (&w->video_config, g_bytes_unref);
  w->video_config = cs_nal_params_config (w->params, error);
  w->audio_in_init = audio_usable (w);
  w->audio.timescale = w->audio_in_init ? w->rate : 0;
  w->first_dts = dts;
  w->video_end = w->audio_end = G_MININT64;
  if (w->video_config == NULL || (init = init_part (w, w->audio_in_init,
              error)) == NULL)
    return FALSE;
  w->clock.base_s = w->start_us / G_USEC_PER_SEC;
  w->clock.base_ns = w->start_us % G_USEC_PER_SEC * 1000;
  w->clock.origin = pts;
  w->sequence = 1;
  w->audio_written = FALSE;
  w->open = TRUE;
  w->output (&init, 1, FALSE, w->user_data);
  g_bytes_unref (init);
  return TRUE;
}

gboolean
cs_fmp4_writer_add_video (CsFmp4Writer * w, GBytes * au, gint64 dts,
    gint64 pts, gint64 duration, gboolean keyframe, GError ** error)
{
  guint first_unit;
  gsize len, size;
  const guint8 *d = g_bytes_get_data (au, &len);

  if (w->refused || (!w->open && !keyframe))
    return TRUE;
  if (keyframe && w->open)
    write_fragment (w, dts);
  first_unit = w->video.units->len;
  size = cs_nal_au_mp4_units (d, len, w->video.units, w->params);
  if (size == 0 || size > G_MAXUINT32 || w->video.stored + size >
      G_MAXUINT32 - 8) {
    g_array_set_size (w->video.units, first_unit);
    return TRUE;
  }
  if (!w->open && !start_segment (w, dts, pts, error)) {
    track_reset (&w->video);
    w->refused = TRUE;
    return FALSE;
  }
  add_sample (&w->video, au, size, first_unit, dts, pts, duration, keyframe);
  return TRUE;
}

void
cs_fmp4_writer_add_audio (CsFmp4Writer * w, GBytes * frame, gint64 pts,
    gint64 duration)
{
  gsize len = g_bytes_get_size (frame);

  if (!w->open || len == 0 || len > G_MAXUINT32)
    return;
  add_sample (&w->audio, frame, len, 0, pts, pts, duration, TRUE);
}

gboolean
cs_fmp4_writer_is_empty (CsFmp4Writer * w)
{
  return !w->open;
}

gboolean
cs_fmp4_writer_end_segment (CsFmp4Writer * w, GError ** error)
{
  GBytes *init;
  gboolean ok;

  w->refused = FALSE;
  if (!w->open)
    return TRUE;
  write_fragment (w, NO_NEXT);
  w->open = FALSE;
  w->video.last_duration = w->audio.last_duration = -1;
  /* Rewritten in place: its length is known now, and whether it has the
   * audio track (audio that joined mid-segment, or none in it). */
  init = init_part (w, w->audio_written, error);
  ok = init != NULL;
  if (ok) {
    w->output (&init, 1, TRUE, w->user_data);
    g_bytes_unref (init);
  }
  return ok;
}
