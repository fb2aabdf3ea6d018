/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stand-in SoC encoder SDK of seed-soc.h. */
#include "seed-soc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivcs-frames.h"
#include "ivcs-packs.h"

typedef struct {
  ivcs_frame_header h;
  uint8_t *data;
} soc_frame;

static soc_frame *frames;
static unsigned n_frames, next[2], handed[2], gops;
static uint64_t base_ms;
static struct timespec t0;
static volatile int started;
static ivcs_packed_s packed;
static pf_venc_pack_s packs[8];
static ivcs_pack_layout_e layout;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int
av_encdec_open (const char *path)
{
  FILE *in = fopen (path, "rb");
  char magic[4];
  ivcs_frame_header h;

  if (in == NULL || fread (magic, 1, 4, in) != 4
      || memcmp (magic, IVCS_FRAMES_MAGIC, 4) != 0)
    return -1;
  while (fread (&h, sizeof h, 1, in) == 1) {
    frames = realloc (frames, (n_frames + 1) * sizeof *frames);
    frames[n_frames].h = h;
    frames[n_frames].data = malloc (h.length);
    if (fread (frames[n_frames].data, 1, h.length, in) != h.length)
      break;
    n_frames++;
  }
  fclose (in);
  return n_frames > 0 ? 0 : -1;
}

void
av_encdec_start (uint64_t ms)
{
  base_ms = ms;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  started = 1;
}

/* The next frame of @stream whose time has come, or NULL. */
static soc_frame *
next_due (unsigned stream)
{
  struct timespec now;
  uint64_t elapsed_ms;

  if (!started)
    return NULL;
  while (next[stream] < n_frames && frames[next[stream]].h.stream != stream)
    next[stream]++;
  if (next[stream] >= n_frames)
    return NULL;
  clock_gettime (CLOCK_MONOTONIC, &now);
  elapsed_ms = (now.tv_sec - t0.tv_sec) * 1000 +
      (now.tv_nsec - t0.tv_nsec) / 1000000;
  if (frames[next[stream]].h.timestamp_ms > elapsed_ms)
    return NULL;
  handed[stream]++;
  return &frames[next[stream]++];
}

int
av_encdec_get_audio_stream (av_encdec_dst_type_e dst,
    pf_audio_stream_s * stream)
{
  soc_frame *f;

  pthread_mutex_lock (&lock);
  f = next_due (0);
  pthread_mutex_unlock (&lock);
  if (f == NULL)
    return -1;
  stream->pStream = f->data;
  stream->u32Len = f->h.length;
  stream->u64TimeStamp = base_ms + f->h.timestamp_ms;
  return 0;
}

int
av_encdec_get_video_stream (int channel, av_encdec_dst_type_e dst,
    pf_venc_stream_s * stream)
{
  soc_frame *f;

  pthread_mutex_lock (&lock);
  f = next_due (1);
  if (f != NULL) {
    if (f->h.keyframe)
      layout = (ivcs_pack_layout_e) (gops++ % IVCS_PACKS_LAYOUTS);
    ivcs_packs_clear (&packed);
    ivcs_packs_make (&packed, f->data, f->h.length,
        base_ms + f->h.timestamp_ms, f->h.keyframe, f->h.codec == 1,
        handed[1], layout);
    memset (stream, 0, sizeof *stream);
    for (uint32_t i = 0; i < packed.stream.u32PackCount; i++) {
      packs[i].pu8Addr = packed.pack[i].pu8Addr;
      packs[i].u32Len = packed.pack[i].u32Len;
      packs[i].u64PTS = packed.pack[i].u64PTS;
      packs[i].eFrameType = packed.pack[i].eFrameType;
      packs[i].u32Seq = packed.pack[i].u32Seq;
      stream->pstPack[i] = &packs[i];
    }
    stream->u32PackCount = packed.stream.u32PackCount;
  }
  pthread_mutex_unlock (&lock);
  return f ? 0 : -1;
}

int
av_encdec_done (void)
{
  int done;

  pthread_mutex_lock (&lock);
  done = next[0] >= n_frames && next[1] >= n_frames;
  pthread_mutex_unlock (&lock);
  return done;
}

void
av_encdec_counts (unsigned *video, unsigned *audio, unsigned *n_gops)
{
  pthread_mutex_lock (&lock);
  *video = handed[1];
  *audio = handed[0];
  *n_gops = gops;
  pthread_mutex_unlock (&lock);
}

void
av_encdec_close (void)
{
  ivcs_packs_clear (&packed);
  for (unsigned i = 0; i < n_frames; i++)
    free (frames[i].data);
  free (frames);
  frames = NULL;
  n_frames = 0;
}
