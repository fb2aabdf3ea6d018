/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference documentation's event rules, through iv_cs_* as firmware
 * uses them, frames pushed at real-time pace: a trigger from the start
 * callback, the depth of the event list, trigger bits and times, the
 * parameters' ranges. */
#include <gst/check/gstcheck.h>

#include "cs-event-record.h"
#include "cs-store.h"
#include "ivcs-test.h"

#define MD (1u << IV_CS_EVENT_TRIGGER_MD)
#define PD (1u << IV_CS_EVENT_TRIGGER_PD)
#define SD (1u << IV_CS_EVENT_TRIGGER_SD)

static gchar *store;
static gint starts, trigger_in_start = 99;

static int32_t
on_start_trigger (void)
{
  /* Re-entrant: the service the callback announces is on. */
  trigger_in_start = iv_cs_event_happen_notify (MD, 0);
  g_atomic_int_inc (&starts);
  return 0;
}

static void
setup (void)
{
  starts = 0;
  trigger_in_start = 99;
  store = ivcs_test_store_new ("event-video");
  ivcs_test_watch_messages ();
}

static void
teardown (void)
{
  iv_cs_exit (1);
  ivcs_test_store_free (g_steal_pointer (&store));
}

static gboolean
wait_for_start (void)
{
  for (int i = 0; i < 100 && g_atomic_int_get (&starts) == 0; i++)
    g_usleep (50 * 1000);
  return g_atomic_int_get (&starts) > 0;
}

/* The events stored, parsed. */
static GPtrArray *
stored_events (void)
{
  g_autoptr (CsStore) s = cs_store_new (store, NULL, NULL);
  g_autoptr (GPtrArray) keys = ivcs_test_keys (store, "cam1/ev/",
      "/event.json");
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cs_event_record_free);

  for (guint i = 0; i < keys->len; i++) {
    g_autoptr (GBytes) json = cs_store_get (s, g_ptr_array_index (keys, i),
        NULL, NULL);
    CsEventRecord *r;

    fail_unless (json != NULL);
    r = cs_event_record_parse (g_bytes_get_data (json, NULL),
        g_bytes_get_size (json), NULL);
    fail_unless (r != NULL, "%s", (gchar *) g_ptr_array_index (keys, i));
    g_ptr_array_add (events, r);
  }
  return events;
}

GST_START_TEST (test_trigger_from_start_callback)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();

  p.iv_cs_push_stream_start_cb = on_start_trigger;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  fail_unless_equals_int (trigger_in_start, IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
}

GST_END_TEST;

typedef struct {
  guint64 base;
  gboolean done;
  gint results[14];
} Burst;

/* At 2 s, within one frame's time: 12 calls of one source, then two other
 * sources: one event, whatever the depth. */
static void
burst (const IvcsTestFrame * f, gpointer data)
{
  Burst *b = data;

  if (b->done || !f->video || f->ts_ms < 2000)
    return;
  b->done = TRUE;
  for (gint i = 0; i < 12; i++)
    b->results[i] = iv_cs_event_happen_notify (MD, 0);
  b->results[12] = iv_cs_event_happen_notify (PD, 0);
  b->results[13] = iv_cs_event_happen_notify (SD, b->base + f->ts_ms);
}

GST_START_TEST (test_depth_counts_events)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *frames = ivcs_test_frames (8, 0, "ball");
  g_autoptr (GPtrArray) events = NULL;
  CsEventRecord *r;
  Burst b = { g_get_real_time () / 1000 };

  p.event_list_max_depth = 1;
  p.iv_cs_push_stream_start_cb = on_start_trigger;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  fail_unless_equals_int (ivcs_test_push_all (frames, b.base, burst, &b,
          NULL), 0);
  for (gint i = 0; i < 14; i++)
    fail_unless_equals_int (b.results[i], IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  /* The start callback's trigger (at the first frame) and the burst: one
   * event, one message per source. */
  events = stored_events ();
  fail_unless_equals_int (events->len, 1);
  r = g_ptr_array_index (events, 0);
  fail_unless_equals_int (r->triggers, MD | PD | SD);
  fail_unless_equals_int (r->alarms->len, 3);
}

GST_END_TEST;

/* Reserved bits 4-15 are refused (said once); custom bits 16-31 are not. */
GST_START_TEST (test_reserved_bits)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();

  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (500 * 1000);
  fail_unless_equals_int (iv_cs_event_happen_notify (1u << 4, 0),
      IV_ERR_CS_EVENT_TRIGGER);
  fail_unless_equals_int (iv_cs_event_happen_notify (1u << 15, 0),
      IV_ERR_CS_EVENT_TRIGGER);
  fail_unless_equals_int (iv_cs_event_happen_notify (1u << 16, 0),
      IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_event_happen_notify (1u << 31, 0),
      IV_ERR_NONE);
  fail_unless_equals_int (ivcs_test_messages ("reserved"), 1);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
}

GST_END_TEST;

/* Out of range: refused, not replaced by defaults.  0: the default, for
 * the size estimate and the event times alike, and said. */
GST_START_TEST (test_parameter_ranges)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();

  p.event_interval_time_s = G_MAXINT32;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p.event_record_min_time_s = G_MAXINT32;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p = ivcs_test_parm ();
  p.event_interval_time_s = 24 * 3600 + 1;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
  p.event_interval_time_s = 24 * 3600;
  p.event_record_min_time_s = 24 * 3600;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  /* A full-time device that cleared the struct. */
  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  memset (&p, 0, sizeof p);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  fail_unless_equals_int (ivcs_test_messages ("u32MaxSizeInAGop 0"), 1);
  fail_unless_equals_int (ivcs_test_messages ("event_interval_time_s 0"), 1);
  fail_unless_equals_int (ivcs_test_messages ("event_record_min_time_s 0"),
      1);
  /* Only the minimum: it never exceeds the interval. */
  p = ivcs_test_parm ();
  p.event_record_min_time_s = 0;
  p.event_interval_time_s = 5;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  p.event_record_min_time_s = 3;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_INVALID_PARAM);
}

GST_END_TEST;

typedef struct {
  guint64 base;
  gboolean done;
  gint far_past, far_future, max, on_clock;
} Times;

static void
trigger_times (const IvcsTestFrame * f, gpointer data)
{
  Times *t = data;
  guint64 utc = g_get_real_time () / 1000;

  if (t->done || !f->video || f->ts_ms < 3000)
    return;
  t->done = TRUE;
  t->far_past = iv_cs_event_happen_notify (MD, 1);
  t->far_future = iv_cs_event_happen_notify (MD, utc + 365 * 24 * 3600 *
      G_GUINT64_CONSTANT (1000));
  t->max = iv_cs_event_happen_notify (MD, G_MAXUINT64);
  /* On the frames' (monotonic) clock. */
  t->on_clock = iv_cs_event_happen_notify (PD, t->base + f->ts_ms);
}

/* Firmware with one monotonic clock (frames from 100 s after boot): its
 * trigger times are mapped as the frames' are, so the event is filed
 * today; a time far from the stream's is refused at once, and holds no
 * place in the event list (depth 1). */
GST_START_TEST (test_trigger_times)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();
  GPtrArray *frames = ivcs_test_frames (8, 0, "ball");
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GPtrArray) old = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *today = g_date_time_format (now, "cam1/ev/%Y%m%d/");
  Times t = { 100 * 1000 };
  CsEventRecord *r;
  gint64 utc0 = g_get_real_time () / 1000;

  p.event_list_max_depth = 1;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  g_usleep (500 * 1000);
  fail_unless_equals_int (ivcs_test_push_all (frames, t.base, trigger_times,
          &t, NULL), 0);
  fail_unless_equals_int (t.far_past, IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (t.far_future, IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (t.max, IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (t.on_clock, IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  fail_unless_equals_int (ivcs_test_messages ("too far"), 1);

  events = stored_events ();
  fail_unless_equals_int (events->len, 1);
  r = g_ptr_array_index (events, 0);
  fail_unless_equals_int (r->triggers, PD);
  fail_unless (r->start_ms >= utc0 && r->start_ms < utc0 + 60 * 1000);
  old = ivcs_test_keys (store, today, "/event.json");
  fail_unless_equals_int (old->len, 1);
}

GST_END_TEST;

static gchar *picture_path;
static gint captures, pictures_ok;

static void
on_capture (uint8_t name[IV_SYS_FILE_PATH_MAX_LEN], uint32_t len)
{
  g_strlcpy ((gchar *) name, picture_path, len);
  g_atomic_int_inc (&captures);
}

static void
on_picture_result (uint8_t name[IV_SYS_FILE_PATH_MAX_LEN],
    iv_cs_event_pic_upload_res_e result)
{
  if (result == IV_CS_EVENT_PICTURE_UPLOAD_OK
      && g_str_equal ((gchar *) name, picture_path))
    g_atomic_int_inc (&pictures_ok);
}

/* The event-pic channel alone, a trigger from the start callback, and a
 * 4 KiB picture for every capture. */
static iv_cs_init_parm_s
event_pictures_parm (void)
{
  iv_cs_init_parm_s p = ivcs_test_parm ();
  g_autofree gchar *jpeg = g_malloc (4096);

  picture_path = g_build_filename (store + strlen ("file://"), "alarm.jpg",
      NULL);
  memset (jpeg, 0x5a, 4096);
  fail_unless (g_file_set_contents (picture_path, jpeg, 4096, NULL));
  captures = pictures_ok = 0;
  g_setenv ("IVCS_CHANNELS", "event-pic", TRUE);
  p.iv_cs_push_stream_start_cb = on_start_trigger;
  p.iv_cs_event_capture_picture_cb = on_capture;
  p.iv_cs_event_upload_picture_result_cb = on_picture_result;
  return p;
}

/* The event-pic channel alone, no frames at all: the start callback comes,
 * triggers are taken, and each event gets its event.json and picture. */
GST_START_TEST (test_event_pictures_alone)
{
  iv_cs_init_parm_s p = event_pictures_parm ();
  g_autoptr (GPtrArray) events = NULL, pictures = NULL, segments = NULL;

  p.event_interval_time_s = 4;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  fail_unless_equals_int (trigger_in_start, IV_ERR_NONE);
  g_usleep (5 * G_USEC_PER_SEC);
  /* The interval is over: a new event. */
  fail_unless_equals_int (iv_cs_event_happen_notify (SD, 0), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  fail_unless_equals_int (captures, 2);
  fail_unless_equals_int (pictures_ok, 2);
  events = stored_events ();
  fail_unless_equals_int (events->len, 2);
  for (guint i = 0; i < events->len; i++) {
    CsEventRecord *r = g_ptr_array_index (events, i);
    fail_unless (r->ended && r->snapshot != NULL);
    fail_unless_equals_int (r->alarms->len, 1);
    fail_unless_equals_int (r->segments->len, 0);
  }
  pictures = ivcs_test_keys (store, "cam1/ev/", "/snapshot.jpg");
  fail_unless_equals_int (pictures->len, 2);
  segments = ivcs_test_keys (store, "cam1/", ".mp4");
  fail_unless_equals_int (segments->len, 0);
  g_clear_pointer (&picture_path, g_free);
}

GST_END_TEST;

static gpointer
exit_normally (gpointer data)
{
  return GINT_TO_POINTER (iv_cs_exit (0));
}

/* event-pic alone with a store that never answers: a normal exit waits up
 * to the drain timeout for the picture and event.json; a forced one from
 * another thread ends that wait now. */
GST_START_TEST (test_forced_exit_ends_picture_drain)
{
  iv_cs_init_parm_s p = event_pictures_parm ();
  GThread *exiting;
  gint64 t0;

  g_setenv ("IVCS_LOCATION", "http://127.0.0.1:9/nothing", TRUE);
  g_setenv ("IVCS_DRAIN_TIMEOUT_S", "60", TRUE);
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  fail_unless_equals_int (trigger_in_start, IV_ERR_NONE);
  exiting = g_thread_new ("exit", exit_normally, NULL);
  g_usleep (500 * 1000);
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (iv_cs_exit (1), IV_ERR_CS_EXITING);
  fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (exiting)),
      IV_ERR_CS_EXITING);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_TIME_SPAN_SECOND,
      "the exit took %" G_GINT64_FORMAT " ms after the forced one",
      (g_get_monotonic_time () - t0) / 1000);
  fail_unless_equals_int (pictures_ok, 0);
  g_unsetenv ("IVCS_DRAIN_TIMEOUT_S");
  g_unsetenv ("IVCS_LOCATION");
  g_clear_pointer (&picture_path, g_free);
}

GST_END_TEST;

static Suite *
ivcs_rules_suite (void)
{
  Suite *s = suite_create ("ivcs-rules");
  TCase *tc = tcase_create ("rules");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_trigger_from_start_callback);
  tcase_add_test (tc, test_depth_counts_events);
  tcase_add_test (tc, test_reserved_bits);
  tcase_add_test (tc, test_parameter_ranges);
  tcase_add_test (tc, test_trigger_times);
  tcase_add_test (tc, test_event_pictures_alone);
  tcase_add_test (tc, test_forced_exit_ends_picture_drain);
  return s;
}

GST_CHECK_MAIN (ivcs_rules);
