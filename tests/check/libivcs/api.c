/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iv_cs_* API: every function and its error codes, the service.json
 * round trip with the callbacks, forced exit, repeated init/exit.  Frames
 * come from examples/make-frames (IVCS_MAKE_FRAMES). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "iv_cs.h"
#include "ivcs-frames.h"
#include "ivcs-test-frames.h"
#include "cs-service.h"
#include "cs-spool.h"
#include "cs-store.h"
#include "cs-test-http-store.h"
#include "cs-test-util.h"

static gchar *store_dir, *store_uri;
static GPtrArray *frames;       /* GBytes of header + data */
static gint starts, stops, ai_calls;
static guint32 ai_type;
static guint64 ai_until;
static gint in_callback_exit = 99;

static int32_t
on_start (void)
{
  g_atomic_int_inc (&starts);
  /* A callback may call the API, but not exit from within it. */
  in_callback_exit = iv_cs_exit (0);
  return 0;
}

static int32_t
on_stop (void)
{
  g_atomic_int_inc (&stops);
  return 0;
}

static void
on_ai (uint32_t type, uint64_t until)
{
  ai_type = type;
  ai_until = until;
  g_atomic_int_inc (&ai_calls);
}

static iv_cs_init_parm_s
parm (void)
{
  iv_cs_init_parm_s p;

  memset (&p, 0, sizeof p);
  p.u32MaxSizeInAGop = 512 * 1024;
  p.event_record_min_time_s = 4;
  p.event_interval_time_s = 8;
  p.event_list_max_depth = 4;
  for (int i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    p.event_trigger_priority[i] = -1;
  p.iv_cs_push_stream_start_cb = on_start;
  p.iv_cs_push_stream_stop_cb = on_stop;
  p.iv_cs_ai_service_notify_cb = on_ai;
  return p;
}

static void
load_frames (void)
{
  frames = ivcs_test_load_frames (8, FALSE);
}

static void
setup (void)
{
  store_dir = g_dir_make_tmp ("ivcs-XXXXXX", NULL);
  store_uri = g_strdup_printf ("file://%s", store_dir);
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_CHANNELS", "event-video", TRUE);
  g_setenv ("IVCS_SERVICE_POLL_S", "1", TRUE);
  g_unsetenv ("IVCS_CONFIG");
  starts = stops = ai_calls = 0;
  if (frames == NULL)
    load_frames ();
}

static void
teardown (void)
{
  iv_cs_exit (1);
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_uri, g_free);
}

static gboolean
wait_for (gint * counter, gint value)
{
  for (int i = 0; i < 100 && g_atomic_int_get (counter) < value; i++)
    g_usleep (50 * 1000);
  return g_atomic_int_get (counter) >= value;
}

/* Pushes frame @i (timestamps on a base of @base_ms); returns the result. */
static int
push_frame (guint i, guint64 base_ms)
{
  GBytes *b = g_ptr_array_index (frames, i);
  const guint8 *d = g_bytes_get_data (b, NULL);
  ivcs_frame_header h;

  memcpy (&h, d, sizeof h);
  if (h.stream == 1) {
    iv_cm_venc_pack_s pack = { (uint8_t *) d + sizeof h, h.length,
      base_ms + h.timestamp_ms,
      h.keyframe ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P, i
    };
    iv_cm_venc_stream_s v = { {&pack}, 1 };
    return iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264,
        &v);
  } else {
    iv_cm_aenc_stream_s a = { (uint8_t *) d + sizeof h, h.length,
      base_ms + h.timestamp_ms
    };
    return iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264,
        &a);
  }
}

GST_START_TEST (test_before_init)
{
  iv_cm_aenc_stream_s a = { (uint8_t *) "x", 1, 0 };
  iv_cs_init_parm_s p = parm ();

  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
          IV_CM_VENC_TYPE_H264, &a), IV_ERR_NOT_INIT);
  fail_unless_equals_int (iv_cs_event_happen_notify (1, 0), IV_ERR_NOT_INIT);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NOT_INIT);
  fail_unless_equals_int (iv_cs_exit (), IV_ERR_NOT_INIT);
  fail_unless_equals_int (iv_cs_init (NULL), IV_ERR_INVALID_PARAM);
  p.event_record_min_time_s = 3;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p = parm ();
  p.event_record_min_time_s = 10;       /* above the interval */
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p = parm ();
  p.event_trigger_priority[5] = 32;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p = parm ();
  p.event_list_max_depth = -1;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  fail_unless (strstr (iv_err_str (IV_ERR_CS_QUEUE_FULL), "full") != NULL);
  fail_unless (iv_err_str (12345) != NULL);
}

GST_END_TEST;

GST_START_TEST (test_config_errors)
{
  iv_cs_init_parm_s p = parm ();
  g_autofree gchar *conf = g_build_filename (store_dir, "ivcs.conf", NULL);

  g_unsetenv ("IVCS_LOCATION");
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "../etc", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_CHANNELS", "everything", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_setenv ("IVCS_CHANNELS", "event-video", TRUE);
  g_setenv ("IVCS_CONFIG", "/nonexistent/ivcs.conf", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_setenv ("IVCS_LOCATION", "ftp://example.com/x", TRUE);
  g_unsetenv ("IVCS_CONFIG");
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  /* A boolean that is none: not taken as true (audio=0 recorded audio). */
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  g_setenv ("IVCS_AUDIO", "nope", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_unsetenv ("IVCS_AUDIO");
  g_setenv ("IVCS_FORCE_PATH_STYLE", "virtual", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_CS_CONFIG);
  g_unsetenv ("IVCS_FORCE_PATH_STYLE");

  /* A key file, with the environment over it. */
  g_unsetenv ("IVCS_LOCATION");
  g_unsetenv ("IVCS_DEVICE_ID");
  fail_unless (g_file_set_contents (conf, "[cloud-storage]\n"
          "location=file:///nonexistent\ndevice_id=cam9\n", -1, NULL));
  g_setenv ("IVCS_CONFIG", conf, TRUE);
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_ALREADY_INIT);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  g_unsetenv ("IVCS_CONFIG");
}

GST_END_TEST;

GST_START_TEST (test_push_errors)
{
  iv_cs_init_parm_s p = parm ();
  iv_cm_venc_pack_s pack = { (uint8_t *) "\0\0\0\1", 4, 1000,
    IV_CM_FRAME_TYPE_I, 0
  };
  iv_cm_venc_stream_s v = { {&pack}, 1 };
  iv_cm_aenc_stream_s a = { NULL, 10, 1000 };
  g_autofree guint8 *big = g_malloc0 (4000);

  p.u32MaxSizeInAGop = 6000;    /* a video queue of 3000 bytes */
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 1));
  fail_unless_equals_int (in_callback_exit, IV_ERR_CS_IN_CALLBACK);

  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, NULL), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (iv_cs_push_stream (7, IV_CM_VENC_TYPE_H264, &v),
      IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, 9, &v),
      IV_ERR_CS_STREAM_TYPE);
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
          IV_CM_VENC_TYPE_H264, &a), IV_ERR_INVALID_PARAM);
  a.pu8Stream = (uint8_t *) "x";
  a.u32Len = 0;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
          IV_CM_VENC_TYPE_H264, &a), IV_ERR_INVALID_PARAM);
  pack.eFrameType = 5;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_INVALID_PARAM);
  pack.eFrameType = IV_CM_FRAME_TYPE_I;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_NONE);
  /* The codec of the first frame stays. */
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H265, &v), IV_ERR_CS_STREAM_TYPE);
  /* Before the first frame's time, or going back. */
  pack.u64PTS = 999;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_INVALID_PARAM);
  pack.u64PTS = 1040;
  pack.eFrameType = IV_CM_FRAME_TYPE_P;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_NONE);
  pack.u64PTS = 1020;
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_INVALID_PARAM);
  pack.eFrameType = IV_CM_FRAME_TYPE_I;
  /* A frame larger than the queue never blocks: it is refused. */
  pack.pu8Addr = big;
  pack.u32Len = 4000;
  pack.u64PTS = 1080;
  big[3] = 1;                   /* a start code */
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_CS_FRAME_TOO_LARGE);

  fail_unless_equals_int (iv_cs_event_happen_notify (3, 0),
      IV_ERR_CS_EVENT_TRIGGER);
  fail_unless_equals_int (iv_cs_event_happen_notify (0, 0),
      IV_ERR_CS_EVENT_TRIGGER);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &v), IV_ERR_NOT_INIT);
}

GST_END_TEST;

/* Full-time only: frames are taken, events are not. */
GST_START_TEST (test_event_service_not_run)
{
  iv_cs_init_parm_s p = parm ();

  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 1));
  fail_unless_equals_int (iv_cs_event_happen_notify (1, 0),
      IV_ERR_CS_EVENT_SERVICE_NOT_RUN);
  /* Refused whatever the bits: no other effect. */
  fail_unless_equals_int (iv_cs_event_happen_notify (3, 0),
      IV_ERR_CS_EVENT_SERVICE_NOT_RUN);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
}

GST_END_TEST;

static void
write_service (CsService * svc)
{
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autofree gchar *json = cs_service_to_json (svc, 0);
  g_autoptr (GBytes) data = g_bytes_new (json, strlen (json));

  fail_unless (cs_store_put (store, "cam1/service.json", data,
          "application/json", NULL, NULL));
}

/* The operator's service.json drives the device: start, AI, stop. */
GST_START_TEST (test_service_round_trip)
{
  iv_cs_init_parm_s p = parm ();
  g_autoptr (CsService) svc = cs_service_new ("cam1");
  gint64 until = g_get_real_time () / 1000 + 3600 * 1000;

  g_unsetenv ("IVCS_CHANNELS");
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (300 * 1000);
  fail_unless_equals_int (g_atomic_int_get (&starts), 0);
  fail_unless_equals_int (iv_cs_event_happen_notify (1, 0),
      IV_ERR_CS_EVENT_SERVICE_NOT_RUN);

  cs_service_activate (svc, "event-video", until);
  cs_service_activate_ai (svc, "7", until);
  cs_service_activate_ai (svc, "person", until);        /* not a number */
  write_service (svc);
  fail_unless (wait_for (&starts, 1));
  fail_unless (wait_for (&ai_calls, 1));
  fail_unless_equals_int (ai_type, 7);
  fail_unless_equals_int64 (ai_until, until);
  g_usleep (200 * 1000);
  fail_unless_equals_int (iv_cs_event_happen_notify (1, 0), IV_ERR_NONE);

  cs_service_deactivate (svc, "event-video");
  cs_service_deactivate_ai (svc, "7");
  write_service (svc);
  fail_unless (wait_for (&stops, 1));
  fail_unless (wait_for (&ai_calls, 2));
  fail_unless_equals_int64 (ai_until, 0);
  fail_unless_equals_int (g_atomic_int_get (&ai_calls), 2);
  fail_unless_equals_int (iv_cs_event_happen_notify (1, 0),
      IV_ERR_CS_EVENT_SERVICE_NOT_RUN);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
}

GST_END_TEST;

static gpointer
exit_normally (gpointer data)
{
  return GINT_TO_POINTER (iv_cs_exit (0));
}

/* Segments cached for a store that never answers: a normal exit would wait
 * for its drain timeout; a forced one from another thread ends it now. */
GST_START_TEST (test_forced_exit)
{
  iv_cs_init_parm_s p = parm ();
  guint64 base = g_get_real_time () / 1000;
  GThread *exiting;
  gint64 t0;
  gint result;

  g_setenv ("IVCS_LOCATION", "http://127.0.0.1:9/nothing", TRUE);
  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  g_setenv ("IVCS_DRAIN_TIMEOUT_S", "60", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 1));
  for (guint i = 0; i < frames->len; i++) {
    while (push_frame (i, base) == IV_ERR_CS_QUEUE_FULL)
      g_usleep (2000);
  }
  exiting = g_thread_new ("exit", exit_normally, NULL);
  g_usleep (500 * 1000);
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (iv_cs_exit (1), IV_ERR_CS_EXITING);
  result = GPOINTER_TO_INT (g_thread_join (exiting));
  fail_unless_equals_int (result, IV_ERR_CS_EXITING);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_TIME_SPAN_SECOND);
  g_unsetenv ("IVCS_DRAIN_TIMEOUT_S");
}

GST_END_TEST;

/* Everything pushed in an event-only service, with one trigger: the event
 * is stored and reads back. */
GST_START_TEST (test_event_recorded)
{
  iv_cs_init_parm_s p = parm ();
  guint64 base = g_get_real_time () / 1000;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  guint segments = 0, jsons = 0;

  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 1));
  for (guint i = 0; i < frames->len; i++) {
    GBytes *b = g_ptr_array_index (frames, i);
    ivcs_frame_header h;

    memcpy (&h, g_bytes_get_data (b, NULL), sizeof h);
    if (h.timestamp_ms >= 3000 && h.timestamp_ms < 3040 && h.stream == 1)
      fail_unless_equals_int (iv_cs_event_happen_notify (1u <<
              IV_CS_EVENT_TRIGGER_PD, base + 3000), IV_ERR_NONE);
    while (push_frame (i, base) == IV_ERR_CS_QUEUE_FULL)
      g_usleep (2000);
  }
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  store = cs_store_new (store_uri, NULL, NULL);
  objects = cs_store_list (store, "cam1/ev/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);
    segments += g_str_has_suffix (o->key, ".mp4");
    jsons += g_str_has_suffix (o->key, "/event.json");
  }
  fail_unless_equals_int (jsons, 1);
  /* 1 s (pre-roll) to 7 s (3 + 4): 6 s in 4 s segments. */
  fail_unless_equals_int (segments, 2);
}

GST_END_TEST;

/* With spool_dir: what an outage kept on disk is uploaded after a restart
 * of the module (the same store: a spooled object belongs to it). */
GST_START_TEST (test_spool)
{
  iv_cs_init_parm_s p = parm ();
  guint64 base = g_get_real_time () / 1000;
  g_autofree gchar *spool = g_build_filename (store_dir, "spool", NULL);
  CsTestHttpStore *http = cs_test_http_store_start (store_dir);
  g_autofree gchar *http_uri = cs_test_http_store_uri (http);
  g_autoptr (CsStore) store = NULL, http_store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  CsSpoolOpenInfo info;
  CsSpool *left;

  cs_test_http_store_set_down (http, 503);
  g_setenv ("IVCS_LOCATION", http_uri, TRUE);
  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  g_setenv ("IVCS_SPOOL_DIR", spool, TRUE);
  /* The store is down: the drain lasts all of it (EOS gets 5 s more). */
  g_setenv ("IVCS_DRAIN_TIMEOUT_S", "3", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 1));
  for (guint i = 0; i < frames->len; i++)
    while (push_frame (i, base) == IV_ERR_CS_QUEUE_FULL)
      g_usleep (2000);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  /* 8 s of frames in 4 s segments, both on disk. */
  http_store = cs_store_new (http_uri, NULL, NULL);
  left = cs_spool_open (spool, http_store, "cam1", 0, &info, NULL);
  fail_unless (left != NULL);
  objects = cs_spool_keys (left);
  fail_unless_equals_int (objects->len, 2);
  g_clear_pointer (&objects, g_ptr_array_unref);
  cs_spool_open_info_clear (&info);
  cs_spool_free (left);

  /* Up again: the module uploads them while it runs. */
  cs_test_http_store_set_down (http, 0);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for (&starts, 2));
  store = cs_store_new (store_uri, NULL, NULL);
  for (int i = 0; i < 600 && (objects == NULL || objects->len < 2); i++) {
    g_clear_pointer (&objects, g_ptr_array_unref);
    g_usleep (100 * 1000);
    objects = cs_store_list (store, "cam1/rec/", NULL, NULL);
  }
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  g_unsetenv ("IVCS_SPOOL_DIR");
  g_unsetenv ("IVCS_DRAIN_TIMEOUT_S");
  fail_unless_equals_int (objects->len, 2);
  cs_test_http_store_stop (http);
  left = cs_spool_open (spool, http_store, "cam1", 0, &info, NULL);
  fail_unless (left != NULL && info.foreign == 0);
  fail_unless_equals_int (cs_spool_bytes (left), 0);
  cs_spool_free (left);
}

GST_END_TEST;

GST_START_TEST (test_init_exit_cycles)
{
  iv_cs_init_parm_s p = parm ();

  for (int i = 0; i < 100; i++) {
    fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
    fail_unless_equals_int (iv_cs_exit (i % 2), IV_ERR_NONE);
  }
}

GST_END_TEST;

static Suite *
ivcs_api_suite (void)
{
  Suite *s = suite_create ("ivcs-api");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_before_init);
  tcase_add_test (tc, test_config_errors);
  tcase_add_test (tc, test_push_errors);
  tcase_add_test (tc, test_event_service_not_run);
  tcase_add_test (tc, test_service_round_trip);
  tcase_add_test (tc, test_forced_exit);
  tcase_add_test (tc, test_event_recorded);
  tcase_add_test (tc, test_spool);
  tcase_add_test (tc, test_init_exit_cycles);
  return s;
}

GST_CHECK_MAIN (ivcs_api);
