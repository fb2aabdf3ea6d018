/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference documentation's sample code (samples 1, 2 and 5, as
 * written there, with the vendor's logging macros and encoder stubbed) must
 * build against include/iv_cs.h: it uses both spellings of the picture
 * callbacks, event_interval_time_s and iv_cs_exit(true|false).  Run, it
 * initialises from IVCS_* settings and exits. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iv_cs.h"

#define GDB_INFO(...) printf (__VA_ARGS__)
#define GDB_ERR(...) fprintf (stderr, __VA_ARGS__)

static int cloud_storage_wait_flag;

static int32_t
cloudStorage_start (void)
{
  return 0;
}

static int32_t
cloudStorage_stop (void)
{
  return 0;
}

static void
cloudStorage_ai_service_notify (uint32_t ai_server_type, uint64_t utc_expire)
{
}

/* Sample 5. */
//抓图回调
void
cloudStorage_event_capture_picture (uint8_t * pic_name,
    uint32_t pic_name_max_len)
{
  snprintf ((char *) pic_name, pic_name_max_len,
      "/iot_video_raw/alarm_capture.jpg");
  GDB_INFO ("cloud storage capture picture:%s\n", pic_name);
  if (access ((char *) pic_name, F_OK) != 0) {
    memset (pic_name, 0, sizeof (pic_name));
  }
}

//处理图片上传回调
void
cloudStorage_event_upload_picture_result (uint8_t * pic_name,
    iv_cs_event_pic_upload_res_e err_code)
{
  switch (err_code) {
    case IV_CS_EVENT_PICTURE_UPLOAD_OK:
      GDB_INFO ("upload %s success\n", pic_name);
      break;
    default:
      GDB_INFO ("upload %s fail:%d\n", pic_name, err_code);
      break;
  }
  remove ((char *) pic_name);
}

/* Sample 1. */
static int
cloudStorage_init (void)
{
  iv_err_code_e eErrCode = 0;
  iv_cs_init_parm_s stCsInitParm;
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
  stCsInitParm.event_record_min_time_s = 8;
  stCsInitParm.event_interval_time_s = 3 * 60;
  for (int i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++) {
    stCsInitParm.event_trigger_priority[i] = i;
  }
  eErrCode = iv_cs_init (&stCsInitParm);
  if (eErrCode < 0) {
    GDB_ERR ("fail:%d\n", eErrCode);
    return eErrCode;
  }
  /* The other spelling reaches the same member. */
  if (stCsInitParm.iv_cs_event_capture_picture_cb !=
      cloudStorage_event_capture_picture)
    return -100;
  return 0;
}

/* Sample 2. */
void *
cloudStorage_exit_waiting (void *param)
{
  pthread_detach (pthread_self ());
  unsigned int time_cnt = 0;
  while (!cloud_storage_wait_flag) {
    if (time_cnt++ > 500) {
      if (iv_cs_exit (true) == IV_ERR_CS_EXITING) {
        GDB_INFO ("exit time too long,set iv_cs_exit force\n");
      }
      break;
    }
    usleep (10 * 1000);
  }
  return NULL;
}

int
cloudStorage_exit (void)
{
  cloudStorage_stop ();
  iv_err_code_e eErrCode = 0;
  pthread_t tid = 0;
  cloud_storage_wait_flag = 0;
  pthread_create (&tid, NULL, cloudStorage_exit_waiting, NULL);
  eErrCode = iv_cs_exit (false);
  cloud_storage_wait_flag = 1;
  if (eErrCode < 0) {
    GDB_ERR ("fail:%d\n", eErrCode);
    return eErrCode;
  }

  return 0;
}

int
main (void)
{
  if (cloudStorage_init () != 0 || cloudStorage_exit () != 0)
    return 1;
  /* The documentation's other form of exit. */
  return iv_cs_exit () == IV_ERR_NOT_INIT ? 0 : 1;
}
