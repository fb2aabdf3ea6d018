/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference documentation's sample code, as written there (samples 1,
 * 2, 3 and 5; sample 4 with its typo fixed), built against include/iv_cs.h
 * and run: the stand-in SoC encoder (seed-soc.c) feeds real x264/AAC frames
 * at real-time pace, video in packs, through sample 3's loop, which casts
 * the SoC's pf_venc_stream_s to iv_cm_venc_stream_s and ignores every
 * return code; sample 4 triggers events at random; sample 2 exits.  Every
 * frame the encoder handed out must then be found in the store by tsdemux
 * and ffprobe.  The store is a directory of this run's own. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iv_cs.h"
#include "seed-soc.h"

#include <gst/check/gstcheck.h>
#include "cs-store.h"
#include "cs-test-util.h"

#define GDB_INFO(...) printf (__VA_ARGS__)
#define GDB_ERR(...) fprintf (stderr, __VA_ARGS__)

static int cloud_storage_wait_flag;
static volatile int s32CloudStorageExit;
static volatile int started;
static int demo_mode = 0;
/* Sample 4's trigger sources: one bit each, sizeof 4 as its rand() wants. */
static uint8_t event_trigger_type[] = { 1 << IV_CS_EVENT_TRIGGER_MD,
  1 << IV_CS_EVENT_TRIGGER_PD, 1 << IV_CS_EVENT_TRIGGER_SD,
  1 << IV_CS_EVENT_TRIGGER_LD
};

/* The firmware's own callbacks (not in the documentation): the encoder
 * runs while the module asks for frames. */
static int32_t
cloudStorage_start (void)
{
  av_encdec_start ((uint64_t) time (NULL) * 1000);
  started = 1;
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

/* Sample 5, as written. */
//抓图回调
void cloudStorage_event_capture_picture(uint8_t* pic_name,uint32_t pic_name_max_len)
{
    snprintf(pic_name,pic_name_max_len,"/iot_video_raw/alarm_capture.jpg");
    GDB_INFO("cloud storage capture picture:%s\n",pic_name);
    if(access(pic_name,F_OK) != 0)
    {
        memset(pic_name,0,sizeof(pic_name));
    }
}

//处理图片上传回调
void cloudStorage_event_upload_picture_result(uint8_t* pic_name,iv_cs_event_pic_upload_res_e err_code)
{
    switch(err_code)
    {
        case IV_CS_EVENT_PICTURE_UPLOAD_OK:
            GDB_INFO("upload %s success\n",pic_name);
        break;
        default:
            GDB_INFO("upload %s fail:%d\n",pic_name,err_code);
        break;
    }
    remove(pic_name);
}

/* Sample 1, as written, in a function. */
static int
cloudStorage_init (void)
{
iv_err_code_e eErrCode = 0;
iv_cs_init_parm_s stCsInitParm;
memset(&stCsInitParm, 0, sizeof(iv_cs_init_parm_s));
stCsInitParm.u32MaxSizeInAGop = 512*1024;
stCsInitParm.iv_cs_push_stream_start_cb = cloudStorage_start;
stCsInitParm.iv_cs_push_stream_stop_cb = cloudStorage_stop;
stCsInitParm.iv_cs_ai_service_notify_cb = cloudStorage_ai_service_notify;
stCsInitParm.iv_cs_event_capture_picture = cloudStorage_event_capture_picture;
stCsInitParm.iv_cs_event_upload_picture_result = cloudStorage_event_upload_picture_result;
stCsInitParm.event_list_max_depth = IV_CS_MAX_EVENT_LIST_DEPTH;
stCsInitParm.event_record_min_time_s = 8;
stCsInitParm.event_interval_time_s = 3*60;
for(int i = 0; i < IV_CS_EVENT_MAX_TRIGGER;i++)
{
    stCsInitParm.event_trigger_priority[i] = i;
}
eErrCode = iv_cs_init(&stCsInitParm);
if(eErrCode < 0)
{
	GDB_ERR("fail:%d\n", eErrCode);
	return eErrCode;
}
  /* The other spelling reaches the same member. */
  if (stCsInitParm.iv_cs_event_capture_picture_cb !=
      cloudStorage_event_capture_picture)
    return -100;
  return 0;
}

/* Sample 2, as written. */
void* cloudStorage_exit_waiting(void* param)
{
    pthread_detach(pthread_self());
    unsigned int time_cnt = 0;
    while(!cloud_storage_wait_flag)
    {
        if(time_cnt++ > 500)
        {
            if(iv_cs_exit(true) == IV_ERR_CS_EXITING)
            {
                GDB_INFO("exit time too long,set iv_cs_exit force\n");
            }
            break;
        }
        usleep(10*1000);
    }
    return NULL;
}
int cloudStorage_exit(void)
{
	cloudStorage_stop();
	iv_err_code_e eErrCode = 0;
    pthread_t tid = 0;
    cloud_storage_wait_flag = 0;
    pthread_create(&tid,NULL,cloudStorage_exit_waiting,NULL);
	eErrCode = iv_cs_exit(false);
    cloud_storage_wait_flag = 1;
	if(eErrCode < 0)
	{
		GDB_ERR("fail:%d\n", eErrCode);
		return eErrCode;
	}
	
	return 0;
}

/* Sample 3, as written, as the firmware's push thread. */
static void *
cloudStorage_push_thread (void *arg)
{
pf_audio_stream_s stAudioStream;
iv_cm_aenc_stream_s stIvAencStream;
av_encdec_dst_type_e eEncdecDstType = AV_ENCDEC_DST_TYPE_CS_HD;

pf_venc_stream_s stVencStream;
iv_cm_venc_stream_s *pstIvVencStream;
memset(&stVencStream, 0, sizeof(pf_venc_stream_s));

while(!s32CloudStorageExit)
{
	int s32GetAudioStreamRet = 0;
	int s32GetVideoStreamRet = 0;
	
	/*audio data*/
	s32GetAudioStreamRet = av_encdec_get_audio_stream(eEncdecDstType, &stAudioStream);
	if(s32GetAudioStreamRet < 0) goto RECORD_NO_AUDIO_DATA;
	if(0 != stAudioStream.u32Len)
	{
		stIvAencStream.pu8Stream = stAudioStream.pStream;
		stIvAencStream.u32Len = stAudioStream.u32Len;
		stIvAencStream.u64TimeStamp = stAudioStream.u64TimeStamp;
		iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, (void *)&stIvAencStream);
	}
	RECORD_NO_AUDIO_DATA:
	
	/*video data*/
	s32GetVideoStreamRet = av_encdec_get_video_stream(0, eEncdecDstType, &stVencStream);
	if(s32GetVideoStreamRet < 0) goto RECORD_NO_VIDEO_DATA;
	pstIvVencStream = (iv_cm_venc_stream_s*)&stVencStream;
	iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, (void *)pstIvVencStream);
	RECORD_NO_VIDEO_DATA:
	if(s32GetAudioStreamRet < 0 && s32GetVideoStreamRet < 0)
	{
		usleep(5000);
		continue;
	}
}
  return NULL;
}

/* Sample 4, with its typo fixed (the documentation has
 * "iv_cs_event_happen_notify(event_trigger_type),time(NULL)*1000);"), as
 * the firmware's event thread: it never ends, as written. */
static void *
cloudStorage_event_thread (void *arg)
{
int event_happen_interval[10] = {1,1,5,5,10,10,20,40,60,200};
int time_cnt = 0;
uint32_t random_index = 0;
int next_event_happen_cnt = 0;
iv_cs_event_trigger_type_e event_type = 0;
while(1)
{
    /* 随机生成 */
    if(demo_mode == 0 && time_cnt >= next_event_happen_cnt)
    {
        srand((unsigned)time(NULL));//用当前时间，设置种子
        random_index = rand()  % sizeof(event_trigger_type) ;
        iv_cs_event_happen_notify(event_trigger_type[random_index],time(NULL)*1000);
        random_index = rand()  % 10 ;
        next_event_happen_cnt = time_cnt + event_happen_interval[random_index];
        GDB_INFO("create new event next:%d\n",event_happen_interval[random_index]);
    }
    time_cnt++;
    sleep(1);
}
  return NULL;
}

/* ---- the test ---------------------------------------------------------- */

static gchar *
make_frames (const gchar * dir)
{
  gchar *path = g_build_filename (dir, "cam.frames", NULL);
  const gchar *argv[] = { g_getenv ("IVCS_MAKE_FRAMES"), path, "9", NULL };
  gint status;

  fail_unless (argv[0] != NULL, "IVCS_MAKE_FRAMES is not set");
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL));
  return path;
}

GST_START_TEST (test_samples_record_every_frame)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ivcs-seed-XXXXXX", NULL);
  g_autofree gchar *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *frames = make_frames (dir);
  g_autoptr (CsStore) store = NULL;
  pthread_t pusher, eventer;
  iv_cs_push_stats_s video, audio;
  unsigned handed_video, handed_audio, gops;
  CsRun run = { 0 };

  /* Full-time recording, events marked: every frame is stored. */
  g_setenv ("IVCS_LOCATION", uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_CHANNELS", "full-time,event-video", TRUE);
  fail_unless_equals_int (av_encdec_open (frames), 0);

  fail_unless_equals_int (cloudStorage_init (), 0);
  pthread_create (&pusher, NULL, cloudStorage_push_thread, NULL);
  pthread_create (&eventer, NULL, cloudStorage_event_thread, NULL);
  pthread_detach (eventer);
  for (int i = 0; i < 300 && !av_encdec_done (); i++)
    g_usleep (100 * 1000);
  fail_unless (started && av_encdec_done (), "the encoder did not finish");
  s32CloudStorageExit = 1;
  pthread_join (pusher, NULL);

  /* Nothing refused, though sample 3 would not have said. */
  av_encdec_counts (&handed_video, &handed_audio, &gops);
  fail_unless (gops >= 8, "%u GOPs", gops);
  fail_unless_equals_int (iv_cs_get_push_stats (IV_CS_STREAM_TYPE_VIDEO,
          &video), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_get_push_stats (IV_CS_STREAM_TYPE_AUDIO,
          &audio), IV_ERR_NONE);
  fail_unless_equals_int64 (video.u64Pushed, handed_video);
  fail_unless_equals_int64 (video.u64Refused, 0);
  fail_unless_equals_int64 (audio.u64Pushed, handed_audio);
  fail_unless_equals_int64 (audio.u64Refused, 0);

  fail_unless_equals_int (cloudStorage_exit (), 0);
  /* The documentation's other form of exit. */
  fail_unless_equals_int (iv_cs_exit (), IV_ERR_NOT_INIT);

  store = cs_store_new (uri, NULL, NULL);
  run.video_in = handed_video;
  run.audio_in = handed_audio;
  fail_unless (cs_test_check_recording (store, "cam1", &run, 4000, 1000,
          "video/x-h264", TRUE) >= 2);
  av_encdec_close ();
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static Suite *
ivcs_seed_samples_suite (void)
{
  Suite *s = suite_create ("ivcs-seed-samples");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_samples_record_every_frame);
  return s;
}

GST_CHECK_MAIN (ivcs_seed_samples);
