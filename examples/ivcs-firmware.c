/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firmware written the way the reference API's samples are: plain C and
 * pthreads against iv_cs.h only (it builds with -std=gnu99 and -std=c11).
 * Init with callbacks, a push thread fed by a file of pre-encoded frames
 * (make-frames) standing in for the hardware encoder, which hands each
 * frame over in packs as SoC encoders do (each GOP in another layout: one
 * NAL a pack, one pack, headers and slices, an AUD in front), random event
 * triggers, capture and result callbacks, and an exit with a force-exit
 * watchdog thread.
 *
 *   IVCS_LOCATION=file:///tmp/store IVCS_DEVICE_ID=cam1 \
 *     ivcs-firmware FRAMES_FILE [SECONDS] [SEED]
 *
 * Prints one summary line at the end, for tests to check. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iv_cs.h"
#include "ivcs-frames.h"
#include "ivcs-packs.h"

static volatile int s32CloudStorageExit;
static volatile int cloud_storage_wait_flag;
static volatile int pushing;
static const char *frames_path;
static int seconds = 20;

static int starts, stops, pictures, results_ok, results_other;
static int pushed_video, pushed_audio, push_refused, events, events_refused;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static int32_t
cloudStorage_start (void)
{
  printf ("start push\n");
  __atomic_add_fetch (&starts, 1, __ATOMIC_SEQ_CST);
  pushing = 1;
  return 0;
}

static int32_t
cloudStorage_stop (void)
{
  printf ("stop push\n");
  __atomic_add_fetch (&stops, 1, __ATOMIC_SEQ_CST);
  pushing = 0;
  return 0;
}

static void
cloudStorage_ai_service_notify (uint32_t ai_server_type, uint64_t utc_expire)
{
  printf ("ai service %u until %llu\n", ai_server_type,
      (unsigned long long) utc_expire);
}

/* Copies the camera's alarm picture to a file of its own, as a capture. */
static void
cloudStorage_event_capture_picture (uint8_t * pic_name,
    uint32_t pic_name_max_len)
{
  static int n;
  char src[512], buf[8192];
  FILE *in, *out;
  size_t len;

  snprintf (src, sizeof src, "%s.jpg", frames_path);
  snprintf ((char *) pic_name, pic_name_max_len, "/tmp/ivcs-alarm-%d-%d.jpg",
      (int) getpid (), ++n);
  in = fopen (src, "rb");
  out = fopen ((char *) pic_name, "wb");
  while (in && out && (len = fread (buf, 1, sizeof buf, in)) > 0)
    fwrite (buf, 1, len, out);
  if (in)
    fclose (in);
  if (out)
    fclose (out);
  printf ("cloud storage capture picture:%s\n", pic_name);
  __atomic_add_fetch (&pictures, 1, __ATOMIC_SEQ_CST);
  if (access ((char *) pic_name, F_OK) != 0)
    memset (pic_name, 0, pic_name_max_len);
}

static void
cloudStorage_event_upload_picture_result (uint8_t * pic_name,
    iv_cs_event_pic_upload_res_e err_code)
{
  pthread_mutex_lock (&count_lock);
  if (err_code == IV_CS_EVENT_PICTURE_UPLOAD_OK)
    results_ok++;
  else
    results_other++;
  pthread_mutex_unlock (&count_lock);
  printf ("upload %s: %d\n", pic_name, err_code);
  remove ((char *) pic_name);
}

/* The stand-in encoder: frames at their pace, pushed while asked to. */
static void *
push_thread (void *arg)
{
  FILE *in = fopen (frames_path, "rb");
  char magic[4];
  ivcs_frame_header h;
  uint8_t *data = NULL;
  struct timespec t0, now;
  uint64_t base_ms = (uint64_t) time (NULL) * 1000;
  int gops = 0;
  ivcs_pack_layout_e layout = IVCS_PACKS_PER_NAL;

  if (in == NULL || fread (magic, 1, 4, in) != 4
      || memcmp (magic, IVCS_FRAMES_MAGIC, 4) != 0) {
    fprintf (stderr, "%s: not a frames file\n", frames_path);
    s32CloudStorageExit = 1;
    return NULL;
  }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  while (!s32CloudStorageExit && fread (&h, sizeof h, 1, in) == 1) {
    uint64_t elapsed_ms;
    int ret;

    data = realloc (data, h.length);
    if (fread (data, 1, h.length, in) != h.length)
      break;
    do {
      clock_gettime (CLOCK_MONOTONIC, &now);
      elapsed_ms = (now.tv_sec - t0.tv_sec) * 1000 +
          (now.tv_nsec - t0.tv_nsec) / 1000000;
      if (elapsed_ms < h.timestamp_ms)
        usleep (5000);
    } while (elapsed_ms < h.timestamp_ms && !s32CloudStorageExit);
    if (!pushing)
      continue;
    if (h.stream == 1) {
      ivcs_packed_s packed;

      if (h.keyframe)
        layout = (ivcs_pack_layout_e) (gops++ % IVCS_PACKS_LAYOUTS);
      ivcs_packs_make (&packed, data, h.length, base_ms + h.timestamp_ms,
          h.keyframe, h.codec == IV_CM_VENC_TYPE_H265, pushed_video, layout);
      ret = iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          (iv_cm_venc_type_e) h.codec, (void *) &packed.stream);
      ivcs_packs_clear (&packed);
      if (ret == IV_ERR_NONE)
        pushed_video++;
    } else {
      iv_cm_aenc_stream_s a = { data, h.length, base_ms + h.timestamp_ms };
      ret = iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264,
          (void *) &a);
      if (ret == IV_ERR_NONE)
        pushed_audio++;
    }
    if (ret != IV_ERR_NONE) {
      push_refused++;
      fprintf (stderr, "push: %s\n", iv_err_str (ret));
    }
  }
  free (data);
  fclose (in);
  return NULL;
}

/* Random triggers, as in the reference sample 4. */
static void *
event_thread (void *arg)
{
  int event_happen_interval[10] = { 1, 1, 5, 5, 10, 10, 20, 40, 60, 200 };
  uint32_t event_trigger_type[4] = { 1u << IV_CS_EVENT_TRIGGER_MD,
    1u << IV_CS_EVENT_TRIGGER_PD, 1u << IV_CS_EVENT_TRIGGER_SD,
    1u << IV_CS_EVENT_TRIGGER_LD
  };
  int time_cnt = 0, next_event_happen_cnt = 1;

  while (!s32CloudStorageExit) {
    if (time_cnt >= next_event_happen_cnt) {
      int ret = iv_cs_event_happen_notify (event_trigger_type[rand () % 4],
          (uint64_t) time (NULL) * 1000);
      if (ret == IV_ERR_NONE)
        events++;
      else
        events_refused++;
      next_event_happen_cnt = time_cnt + event_happen_interval[rand () % 10];
      printf ("create new event (%s) next:%d\n", iv_err_str (ret),
          next_event_happen_cnt - time_cnt);
    }
    time_cnt++;
    sleep (1);
  }
  return NULL;
}

static void *
cloudStorage_exit_waiting (void *param)
{
  unsigned int time_cnt = 0;

  pthread_detach (pthread_self ());
  while (!cloud_storage_wait_flag) {
    if (time_cnt++ > 3000) {    /* 30 s */
      if (iv_cs_exit (1) == IV_ERR_CS_EXITING)
        printf ("exit time too long, set iv_cs_exit force\n");
      break;
    }
    usleep (10 * 1000);
  }
  return NULL;
}

static int
cloudStorage_exit (void)
{
  int eErrCode;
  pthread_t tid;

  cloud_storage_wait_flag = 0;
  pthread_create (&tid, NULL, cloudStorage_exit_waiting, NULL);
  eErrCode = iv_cs_exit (0);
  cloud_storage_wait_flag = 1;
  if (eErrCode < 0) {
    fprintf (stderr, "exit fail:%d (%s)\n", eErrCode, iv_err_str (eErrCode));
    return eErrCode;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  iv_cs_init_parm_s stCsInitParm;
  pthread_t pusher, eventer;
  int eErrCode, exit_code;

  if (argc < 2) {
    fprintf (stderr, "usage: ivcs-firmware FRAMES_FILE [SECONDS] [SEED]\n");
    return 2;
  }
  frames_path = argv[1];
  if (argc > 2)
    seconds = atoi (argv[2]);
  srand (argc > 3 ? (unsigned) atoi (argv[3]) : (unsigned) time (NULL));

  memset (&stCsInitParm, 0, sizeof (iv_cs_init_parm_s));
  stCsInitParm.u32MaxSizeInAGop = 512 * 1024;
  stCsInitParm.iv_cs_push_stream_start_cb = cloudStorage_start;
  stCsInitParm.iv_cs_push_stream_stop_cb = cloudStorage_stop;
  stCsInitParm.iv_cs_ai_service_notify_cb = cloudStorage_ai_service_notify;
  stCsInitParm.iv_cs_event_capture_picture =
      cloudStorage_event_capture_picture;
  stCsInitParm.iv_cs_event_upload_picture_result =
      cloudStorage_event_upload_picture_result;
  stCsInitParm.event_list_max_depth = IV_CS_MAX_EVENT_LIST_DEPTH;
  stCsInitParm.event_record_min_time_s = 4;
  stCsInitParm.event_interval_time_s = 8;
  for (int i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    stCsInitParm.event_trigger_priority[i] = i;
  eErrCode = iv_cs_init (&stCsInitParm);
  if (eErrCode < 0) {
    fprintf (stderr, "fail:%d (%s)\n", eErrCode, iv_err_str (eErrCode));
    return 1;
  }

  pthread_create (&pusher, NULL, push_thread, NULL);
  pthread_create (&eventer, NULL, event_thread, NULL);
  for (int i = 0; i < seconds * 10 && !s32CloudStorageExit; i++)
    usleep (100 * 1000);
  s32CloudStorageExit = 1;
  pthread_join (pusher, NULL);
  pthread_join (eventer, NULL);
  cloudStorage_stop ();
  exit_code = cloudStorage_exit () < 0;

  pthread_mutex_lock (&count_lock);
  printf ("summary: starts=%d stops=%d video=%d audio=%d refused=%d "
      "events=%d events_refused=%d pictures=%d results_ok=%d "
      "results_other=%d\n", starts, stops, pushed_video, pushed_audio,
      push_refused, events, events_refused, pictures, results_ok,
      results_other);
  pthread_mutex_unlock (&count_lock);
  return exit_code;
}
