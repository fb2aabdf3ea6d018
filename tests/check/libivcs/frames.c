/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames in the vendor SDK's shapes (iv_cm.h), pushed at real-time pace
 * from real x264/AAC frames (examples/make-frames): every frame taken is
 * found again in the store by tsdemux and ffprobe, whatever the pack
 * layout; bad frames are refused with their code, said once on stderr and
 * counted, and never cost a good frame; a wild timestamp is refused
 * without becoming the reference of the next frames. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <unistd.h>

#include "iv_cs.h"
#include "ivcs-frames.h"
#include "ivcs-test-frames.h"
#include "ivcs-packs.h"
#include "frames-apack.h"
#include "cs-key.h"
#include "cs-store.h"
#include "cs-test-util.h"

#define MAX_SIZE_IN_A_GOP (512 * 1024)

static gchar *store_dir, *store_uri;
static GPtrArray *frames;       /* GBytes of header + data */
static gint starts;

static int32_t
on_start (void)
{
  g_atomic_int_inc (&starts);
  return 0;
}

static iv_cs_init_parm_s
parm (void)
{
  iv_cs_init_parm_s p;

  memset (&p, 0, sizeof p);
  p.u32MaxSizeInAGop = MAX_SIZE_IN_A_GOP;
  p.event_record_min_time_s = 4;
  p.event_interval_time_s = 8;
  for (int i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    p.event_trigger_priority[i] = -1;
  p.iv_cs_push_stream_start_cb = on_start;
  return p;
}

/* Once, before the tests fork: 12 s of frames. */
static void
load_frames (void)
{
  frames = ivcs_test_load_frames (12, FALSE);
}

static void
setup (void)
{
  store_dir = g_dir_make_tmp ("ivcs-frames-XXXXXX", NULL);
  store_uri = g_strdup_printf ("file://%s", store_dir);
  g_setenv ("IVCS_LOCATION", store_uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_CHANNELS", "full-time", TRUE);
  g_unsetenv ("IVCS_CONFIG");
  starts = 0;
}

static void
teardown (void)
{
  iv_cs_exit (1);
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_uri, g_free);
}

/* Generous: under ASan on a loaded machine the pipeline starts slowly. */
static gboolean
wait_for_start (void)
{
  for (int i = 0; i < 400 && g_atomic_int_get (&starts) < 1; i++)
    g_usleep (50 * 1000);
  return g_atomic_int_get (&starts) >= 1;
}

/* ---- stderr, as firmware engineers read it ----------------------------- */

static gint saved_stderr = -1;
static gchar *stderr_path;

static void
capture_stderr (void)
{
  gint fd;

  stderr_path = g_strdup_printf ("%s/stderr", store_dir);
  fd = g_open (stderr_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  fail_unless (fd >= 0);
  fflush (stderr);
  saved_stderr = dup (2);
  dup2 (fd, 2);
  close (fd);
}

/* The lines starting with "libivcs:" written since capture_stderr. */
static GPtrArray *
captured_lines (void)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  fflush (stderr);
  dup2 (saved_stderr, 2);
  close (saved_stderr);
  fail_unless (g_file_get_contents (stderr_path, &text, NULL, NULL));
  g_clear_pointer (&stderr_path, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "libivcs:"))
      g_ptr_array_add (out, g_strdup (lines[i]));
  return out;
}

static guint
count_lines (GPtrArray * lines, const gchar * needle)
{
  guint n = 0;

  for (guint i = 0; i < lines->len; i++)
    n += strstr (g_ptr_array_index (lines, i), needle) != NULL;
  return n;
}

/* ---- pushing ----------------------------------------------------------- */

/* Frame @i of `frames`: its header in @h, its bytes returned. */
static guint8 *
frame_at (guint i, ivcs_frame_header * h)
{
  guint8 *d = (guint8 *) g_bytes_get_data (g_ptr_array_index (frames, i),
      NULL);

  memcpy (h, d, sizeof *h);
  return d + sizeof *h;
}

/* Pushes a video frame in one pack at @ts. */
static int
push_video_at (guint8 * data, const ivcs_frame_header * h, guint i,
    guint64 ts)
{
  ivcs_packed_s packed;
  int r;

  ivcs_packs_make (&packed, data, h->length, ts, h->keyframe, FALSE, i,
      IVCS_PACKS_ONE);
  r = iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264,
      &packed.stream);
  ivcs_packs_clear (&packed);
  return r;
}

/* Until @due (monotonic µs): frames are pushed at their time. */
static void
sleep_until (gint64 due)
{
  while (g_get_monotonic_time () < due)
    g_usleep (MIN (5000, due - g_get_monotonic_time () + 1));
}

typedef struct {
  guint video, audio;           /* frames taken */
  guint gops;
  ivcs_pack_layout_e layout;    /* of the GOP */
  guint index;                  /* of the frame being pushed */
  gdouble at_s;                 /* its stream time */
  guint64 base_ms;
  gboolean h265;
} Pusher;

/* Called before each real frame: may push bad ones. */
typedef void (*PushHook) (Pusher * p, const ivcs_frame_header * h,
    guint8 * data);

/* Pushes every frame at its time, as an encoder hands them over: video in
 * packs laid out another way each GOP (a 4-pack keyframe SPS, PPS, SEI,
 * IDR; one pack; headers and slices; AUD, SPS, PPS, IDR), audio in the
 * documented form and, every other frame, in the pack form.  Every one
 * must be taken. */
static void
push_frames (Pusher * p, GPtrArray * list, PushHook hook)
{
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < list->len; i++) {
    GBytes *b = g_ptr_array_index (list, i);
    guint8 *d = (guint8 *) g_bytes_get_data (b, NULL);
    ivcs_frame_header h;
    guint8 *data = d + sizeof h;
    gint64 due;
    int r;

    memcpy (&h, d, sizeof h);
    due = t0 + (gint64) h.timestamp_ms * 1000;
    sleep_until (due);
    p->index = i;
    p->at_s = h.timestamp_ms / 1000.0;
    if (hook)
      hook (p, &h, data);
    if (h.stream == 1) {
      ivcs_packed_s packed;

      if (h.keyframe)
        p->layout = p->gops++ % IVCS_PACKS_LAYOUTS;
      ivcs_packs_make (&packed, data, h.length, p->base_ms + h.timestamp_ms,
          h.keyframe, p->h265, i, p->layout);
      r = iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, p->h265 ?
          IV_CM_VENC_TYPE_H265 : IV_CM_VENC_TYPE_H264, &packed.stream);
      fail_unless_equals_int (r, IV_ERR_NONE);
      if (h.keyframe && p->gops == 1 && !p->h265)
        fail_unless_equals_int (packed.stream.u32PackCount, 4);
      ivcs_packs_clear (&packed);
      p->video++;
    } else if (i % 2) {
      r = frames_push_audio_packs (data, h.length, p->base_ms +
          h.timestamp_ms, 1 + i % 3);
      fail_unless_equals_int (r, IV_ERR_NONE);
      p->audio++;
    } else {
      iv_cm_aenc_stream_s a = { data, h.length, p->base_ms + h.timestamp_ms };
      fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
              IV_CM_VENC_TYPE_H264, &a), IV_ERR_NONE);
      p->audio++;
    }
  }
}

static void
push_all (Pusher * p, PushHook hook)
{
  push_frames (p, frames, hook);
}

/* Exits (uploading everything) and checks that every frame taken is in the
 * store, read back by tsdemux and ffprobe. */
static void
exit_and_check_stored (Pusher * p)
{
  g_autoptr (CsStore) store = NULL;
  CsRun run = { 0 };
  const gchar *codec = p->h265 ? "video/x-h265" : "video/x-h264";

  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  store = cs_store_new (store_uri, NULL, NULL);
  run.video_in = p->video;
  run.audio_in = p->audio;
  /* 12 s in segments of 4 s, cut on the 1 s keyframes. */
  fail_unless (cs_test_check_recording (store, "cam1", &run, 4000, 1000,
          codec, TRUE) >= 2);
}

static void
check_stats (guint64 pushed_video, guint64 refused_video,
    guint64 pushed_audio, guint64 refused_audio)
{
  iv_cs_push_stats_s s;

  fail_unless_equals_int (iv_cs_get_push_stats (IV_CS_STREAM_TYPE_VIDEO,
          &s), IV_ERR_NONE);
  fail_unless_equals_int64 (s.u64Pushed, pushed_video);
  fail_unless_equals_int64 (s.u64Refused, refused_video);
  fail_unless_equals_int64 (s.u64QueueFull, 0);
  fail_unless_equals_int (iv_cs_get_push_stats (IV_CS_STREAM_TYPE_AUDIO,
          &s), IV_ERR_NONE);
  fail_unless_equals_int64 (s.u64Pushed, pushed_audio);
  fail_unless_equals_int64 (s.u64Refused, refused_audio);
}

/* Firmware written against the SDK's shapes records every frame, whatever
 * the packs look like. */
GST_START_TEST (test_every_layout_recorded)
{
  iv_cs_init_parm_s p = parm ();
  Pusher pusher = { 0 };

  pusher.base_ms = g_get_real_time () / 1000;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  push_all (&pusher, NULL);
  fail_unless (pusher.gops >= 12);
  check_stats (pusher.video, 0, pusher.audio, 0);
  exit_and_check_stored (&pusher);
}

GST_END_TEST;

/* The same for H.265 (its AUD and slice types are not H.264's). */
GST_START_TEST (test_h265_layouts_recorded)
{
  iv_cs_init_parm_s p = parm ();
  Pusher pusher = { 0 };
  g_autoptr (GPtrArray) h265 = ivcs_test_load_frames (8, TRUE);

  pusher.base_ms = g_get_real_time () / 1000;
  pusher.h265 = TRUE;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  push_frames (&pusher, h265, NULL);
  fail_unless (pusher.gops >= 8);
  check_stats (pusher.video, 0, pusher.audio, 0);
  exit_and_check_stored (&pusher);
}

GST_END_TEST;

/* ---- bad frames -------------------------------------------------------- */

static guint bad_video, bad_audio;

static int
push_video_packs (guint8 * data, guint32 len, guint64 ts, guint count,
    iv_cm_venc_type_e codec)
{
  iv_cm_venc_pack_s pack[IV_CM_MAX_PACKS];
  iv_cm_venc_stream_s s = { {0}, count };

  for (guint i = 0; i < IV_CM_MAX_PACKS; i++) {
    iv_cm_venc_pack_s one = { data, len, ts, IV_CM_FRAME_TYPE_P, i };
    pack[i] = one;
    s.pstVencPack[i] = &pack[i];
  }
  return iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, codec, &s);
}

/* Every kind of bad frame, three times over: at 0.5 s, 1 s and 11 s (after
 * the 10 s a summary line may wait for). */
static void
push_bad_frames (Pusher * p, const ivcs_frame_header * h, guint8 * data)
{
  static const gdouble when[] = { 0.5, 1.0, 11.0 };
  static guint done;
  guint64 ts = p->base_ms + h->timestamp_ms;
  g_autofree guint8 *big = NULL;
  guint8 g711[160];
  iv_cm_venc_pack_s one = { data, h->length, ts, IV_CM_FRAME_TYPE_P, 0 };
  iv_cm_venc_stream_s s = { {&one, NULL}, 2 };
  iv_cm_aenc_stream_s a = { g711, sizeof g711, ts };
  guint8 no_start_code[] = { 0x41, 0x9a, 0x00, 0x11 };

  if (done >= G_N_ELEMENTS (when) || p->at_s < when[done] || h->stream != 1)
    return;
  done++;
  /* Codecs it cannot record. */
  fail_unless_equals_int (push_video_packs (data, h->length, ts, 1,
          IV_CM_VENC_TYPE_MJPG), IV_ERR_CS_STREAM_TYPE);
  memset (g711, 0xd5, sizeof g711);
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
          IV_CM_VENC_TYPE_H264, &a), IV_ERR_CS_STREAM_TYPE);
  /* Counts and packs the walker must not trust. */
  fail_unless_equals_int (push_video_packs (data, h->length, ts, 0,
          IV_CM_VENC_TYPE_H264), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (push_video_packs (data, h->length, ts, 9,
          IV_CM_VENC_TYPE_H264), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
          IV_CM_VENC_TYPE_H264, &s), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (push_video_packs (NULL, 10, ts, 1,
          IV_CM_VENC_TYPE_H264), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (push_video_packs (data, 0, ts, 1,
          IV_CM_VENC_TYPE_H264), IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (push_video_packs (no_start_code,
          sizeof no_start_code, ts, 1, IV_CM_VENC_TYPE_H264),
      IV_ERR_INVALID_PARAM);
  fail_unless_equals_int (frames_push_audio_packs (data, h->length, ts, 0),
      IV_ERR_INVALID_PARAM);
  /* Larger than the video queue (a half of u32MaxSizeInAGop) in 8 packs
   * of 40 KiB, and than the audio queue (a tenth). */
  big = g_malloc0 (MAX_SIZE_IN_A_GOP / 10 + 1);
  big[2] = 1;
  big[3] = 0x41;
  fail_unless_equals_int (push_video_packs (big, 40 * 1024, ts, 8,
          IV_CM_VENC_TYPE_H264), IV_ERR_CS_FRAME_TOO_LARGE);
  big[0] = 0xff;
  big[1] = 0xf1;
  fail_unless_equals_int (frames_push_audio_packs (big,
          MAX_SIZE_IN_A_GOP / 10 + 1, ts, 8), IV_ERR_CS_FRAME_TOO_LARGE);
  bad_video += 8;
  bad_audio += 3;
}

/* Bad frames among good ones: each refused with its code, each reason said
 * once on stderr, then counted; nothing else lost. */
GST_START_TEST (test_bad_frames_refused_and_said)
{
  iv_cs_init_parm_s p = parm ();
  Pusher pusher = { 0 };
  g_autoptr (GPtrArray) lines = NULL;

  pusher.base_ms = g_get_real_time () / 1000;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  capture_stderr ();
  push_all (&pusher, push_bad_frames);
  fail_unless_equals_int (bad_video, 24);
  check_stats (pusher.video, bad_video, pusher.audio, bad_audio);
  exit_and_check_stored (&pusher);
  lines = captured_lines ();

  /* Once each, with the reason, however often it happened. */
  fail_unless_equals_int (count_lines (lines, "MJPG video cannot"), 1);
  fail_unless_equals_int (count_lines (lines, "not AAC"), 1);
  fail_unless_equals_int (count_lines (lines, "u32PackCount is not"), 2);
  fail_unless_equals_int (count_lines (lines, "pack pointer"), 1);
  fail_unless_equals_int (count_lines (lines, "has no bytes"), 1);
  fail_unless_equals_int (count_lines (lines, "start code"), 1);
  fail_unless_equals_int (count_lines (lines, "larger than its queue"), 2);
  /* The ones after the first, as a count (the last round came after
   * 10 s), and the totals at exit. */
  fail_unless_equals_int (count_lines (lines, "more video and"), 1);
  fail_unless_equals_int (count_lines (lines, "frames taken/refused"), 1);
  fail_unless_equals_int (count_lines (lines, "/24 (0), audio"), 1);
  fail_unless_equals_int (lines->len, 11);
}

GST_END_TEST;

/* ---- timestamps (issue 11, item 4) ------------------------------------- */

static void
push_wild_timestamps (Pusher * p, const ivcs_frame_header * h, guint8 * data)
{
  static gboolean before_any = TRUE, max_done, video_jump_done, audio_jump_done;
  static guint8 idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00 };
  guint64 ahead = p->base_ms + h->timestamp_ms + 2 * 3600 * 1000;
  iv_cm_venc_pack_s one = { idr, sizeof idr, G_MAXUINT64,
    IV_CM_FRAME_TYPE_I, 0
  };
  iv_cm_venc_stream_s s = { {&one}, 1 };
  iv_cm_aenc_stream_s a = { data, h->length, ahead };

  /* Not even the first frame becomes the reference when refused: neither
   * its time nor its codec (H.265, the frames that follow are H.264). */
  if (before_any || (!max_done && p->at_s >= 2.0)) {
    fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
            before_any ? IV_CM_VENC_TYPE_H265 : IV_CM_VENC_TYPE_H264, &s),
        IV_ERR_CS_TIMESTAMP);
    max_done = !before_any;
    before_any = FALSE;
  }
  if (!video_jump_done && p->at_s >= 4.0) {
    one.u64PTS = ahead;
    fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO,
            IV_CM_VENC_TYPE_H264, &s), IV_ERR_CS_TIMESTAMP);
    video_jump_done = TRUE;
  }
  if (!audio_jump_done && p->at_s >= 5.0 && h->stream == 0) {
    fail_unless_equals_int (iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO,
            IV_CM_VENC_TYPE_H264, &a), IV_ERR_CS_TIMESTAMP);
    audio_jump_done = TRUE;
  }
}

/* A frame at UINT64_MAX, or two hours ahead, is refused with its code and
 * every later frame is still taken and stored. */
GST_START_TEST (test_wild_timestamps)
{
  iv_cs_init_parm_s p = parm ();
  Pusher pusher = { 0 };

  pusher.base_ms = g_get_real_time () / 1000;
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  push_all (&pusher, push_wild_timestamps);
  check_stats (pusher.video, 3, pusher.audio, 1);
  fail_unless (strstr (iv_err_str (IV_ERR_CS_TIMESTAMP), "hour") != NULL);
  exit_and_check_stored (&pusher);
}

GST_END_TEST;

/* A camera's clock stepped by @step_ms while it records (NTP after boot,
 * an encoder restarted): the frames on the new clock are refused for a few
 * seconds, then taken, and the recording goes on; every frame taken is
 * stored.  A UTC clock (@clock_ms 0: now) names each segment in one of the
 * two times; a monotonic one (@clock_ms its first time) runs on in UTC.
 * With @pause_ms, the camera is late meanwhile (a loaded device): a second
 * after the step it hands nothing over for @pause_ms, then the frames held
 * back all at once. */
static void
check_clock_step (gint64 clock_ms, gint64 step_ms, gint64 pause_ms)
{
  const gint64 step_at_ms = 5000;
  iv_cs_init_parm_s p = parm ();
  gint64 now, t0, base, late_ms = -1;
  guint taken = 0, refused = 0, before = 0, after = 0, stored = 0;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  g_autoptr (GString) found = g_string_new (NULL);

  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  now = g_get_real_time () / 1000;
  base = clock_ms ? clock_ms : now;
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < frames->len; i++) {
    ivcs_frame_header h;
    guint8 *data = frame_at (i, &h);
    gint64 due, ts;
    int r;

    if (h.stream != 1)
      continue;
    due = t0 + (gint64) h.timestamp_ms * 1000;
    if (h.timestamp_ms > step_at_ms + 1000)
      due = MAX (due, t0 + (step_at_ms + 1000 + pause_ms) * 1000);
    sleep_until (due);
    /* How late the first frame on the new clock comes (the machine may be
     * loaded): the step is taken that much later. */
    if (late_ms < 0 && h.timestamp_ms >= step_at_ms)
      late_ms = (g_get_monotonic_time () - due) / 1000;
    ts = base + h.timestamp_ms + (h.timestamp_ms >= step_at_ms ? step_ms : 0);
    r = push_video_at (data, &h, i, (guint64) ts);
    if (r == IV_ERR_NONE) {
      taken++;
    } else {
      fail_unless (r == (step_ms > 0 ? IV_ERR_CS_TIMESTAMP :
              IV_ERR_INVALID_PARAM), "%s", iv_err_str (r));
      /* Refused only for the seconds after the step: 3 s on the new clock
       * and up to the next keyframe (1 s), after the first frame came. */
      fail_unless (h.timestamp_ms >= step_at_ms
          && (gint64) h.timestamp_ms < step_at_ms + 5000 + late_ms,
          "frame at %" G_GUINT64_FORMAT " ms refused (the first on the "
          "new clock came %" G_GINT64_FORMAT " ms late)",
          (guint64) h.timestamp_ms, late_ms);
      refused++;
    }
  }
  fail_unless (refused >= 25, "%u frames refused", refused);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);

  store = cs_store_new (store_uri, NULL, NULL);
  objects = cs_store_list (store, "cam1/rec/", NULL, NULL);
  fail_unless (objects != NULL);
  for (guint i = 0; i < objects->len; i++) {
    CsStoreObject *obj = g_ptr_array_index (objects, i);
    g_autoptr (GBytes) data = cs_store_get (store, obj->key, NULL, NULL);
    CsMediaInfo info;
    gint64 start_ms, dur_ms;

    fail_unless (cs_key_parse_segment (obj->key, &start_ms, &dur_ms));
    fail_unless (data != NULL && cs_test_read_ts (data, &info));
    stored += info.video_frames;
    g_string_append_printf (found, " %s: %u frames;", obj->key,
        info.video_frames);
    cs_media_info_clear (&info);
    if (clock_ms && start_ms >= now - 1000 && start_ms < now + 60000)
      after++, before++;
    else if (start_ms >= base && start_ms + dur_ms <= base + step_at_ms + 1000)
      before++;
    else if (start_ms >= base + step_ms + step_at_ms
        && start_ms < base + step_ms + 60000)
      after++;
    else
      fail ("%s is in neither clock's time (base %" G_GINT64_FORMAT ")",
          obj->key, base);
  }
  fail_unless (before > 0 && after > 0, "%u before, %u after", before, after);
  fail_unless (stored == taken, "%u frames taken, %u stored (base %"
      G_GINT64_FORMAT "):%s", taken, stored, base, found->str);
}

GST_START_TEST (test_clock_step_ahead_taken)
{
  check_clock_step (0, 2 * 3600 * 1000, 0);
}

GST_END_TEST;

GST_START_TEST (test_clock_step_back_taken)
{
  check_clock_step (0, -3600 * 1000, 0);
}

GST_END_TEST;

/* The same from a camera that is late meanwhile: held back longer than a
 * frame may stray from the new clock, then handing its frames over at once,
 * it still keeps to it, and the step is taken as soon. */
GST_START_TEST (test_clock_step_late_camera_taken)
{
  check_clock_step (0, 2 * 3600 * 1000, 3000);
}

GST_END_TEST;

/* An encoder's monotonic clock restarting near 0 (the step takes the
 * stream's base below 0). */
GST_START_TEST (test_clock_restart_taken)
{
  check_clock_step (3000, -7500, 0);
}

GST_END_TEST;

/* Frames that keep to no clock (from 2 s on, two or four hours ahead by
 * turns) are refused to the end: no step is taken from them. */
GST_START_TEST (test_no_clock_kept_refused)
{
  iv_cs_init_parm_s p = parm ();
  guint64 base = g_get_real_time () / 1000;
  guint refused = 0, wild = 0;
  gint64 t0;

  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < frames->len; i++) {
    ivcs_frame_header h;
    guint8 *data = frame_at (i, &h);
    guint64 ts;
    int r;

    if (h.stream != 1 || h.timestamp_ms > 8000)
      continue;
    sleep_until (t0 + (gint64) h.timestamp_ms * 1000);
    ts = base + h.timestamp_ms;
    if (h.timestamp_ms >= 2000)
      ts += (1 + wild++ % 2) * G_GUINT64_CONSTANT (7200 * 1000);
    r = push_video_at (data, &h, i, ts);
    fail_unless_equals_int (r, h.timestamp_ms < 2000 ? IV_ERR_NONE :
        IV_ERR_CS_TIMESTAMP);
    refused += r != IV_ERR_NONE;
  }
  fail_unless (refused >= 125, "%u frames refused", refused);
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
}

GST_END_TEST;

/* Frames pushed far faster than the pipeline takes them: the queues fill,
 * and every IV_ERR_CS_QUEUE_FULL is counted as such.  The 12 s of frames
 * again, later, until both queues were full (on a loaded machine the
 * pipeline may keep up with one pass). */
GST_START_TEST (test_queue_full_counted)
{
  iv_cs_init_parm_s p = parm ();
  guint64 base = g_get_real_time () / 1000;
  guint taken[2] = { 0 }, full[2] = { 0 };
  iv_cs_push_stats_s s;

  p.u32MaxSizeInAGop = 100 * 1024;      /* queues of 50 and 10 KiB */
  fail_unless_equals_int (iv_cs_init (&p), IV_ERR_NONE);
  fail_unless (wait_for_start ());
  for (guint n = 0; n < 20 * frames->len && !(full[0] && full[1]); n++) {
    guint i = n % frames->len;
    ivcs_frame_header h;
    guint8 *data = frame_at (i, &h);
    ivcs_packed_s packed;
    iv_cm_aenc_stream_s a;
    int r;

    h.timestamp_ms += n / frames->len * 13000;
    if (h.stream == 1) {
      ivcs_packs_make (&packed, data, h.length, base +
          h.timestamp_ms, h.keyframe, FALSE, i, IVCS_PACKS_PER_NAL);
      r = iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264,
          &packed.stream);
      ivcs_packs_clear (&packed);
    } else {
      a.pu8Stream = data;
      a.u32Len = h.length;
      a.u64TimeStamp = base + h.timestamp_ms;
      r = iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264,
          &a);
    }
    fail_unless (r == IV_ERR_NONE || r == IV_ERR_CS_QUEUE_FULL, "%s",
        iv_err_str (r));
    if (r == IV_ERR_NONE)
      taken[h.stream]++;
    else
      full[h.stream]++;
  }
  fail_unless (full[1] > 0 && full[0] > 0);
  for (guint stream = 0; stream < 2; stream++) {
    fail_unless_equals_int (iv_cs_get_push_stats (stream, &s), IV_ERR_NONE);
    fail_unless_equals_int64 (s.u64Pushed, taken[stream]);
    fail_unless_equals_int64 (s.u64Refused, full[stream]);
    fail_unless_equals_int64 (s.u64QueueFull, full[stream]);
  }
  fail_unless_equals_int (iv_cs_exit (0), IV_ERR_NONE);
  fail_unless_equals_int (iv_cs_get_push_stats (IV_CS_STREAM_TYPE_VIDEO, &s),
      IV_ERR_NOT_INIT);
}

GST_END_TEST;

static Suite *
ivcs_frames_suite (void)
{
  Suite *s = suite_create ("ivcs-frames");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_unchecked_fixture (tc, load_frames, NULL);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_every_layout_recorded);
  tcase_add_test (tc, test_h265_layouts_recorded);
  tcase_add_test (tc, test_bad_frames_refused_and_said);
  tcase_add_test (tc, test_wild_timestamps);
  tcase_add_test (tc, test_clock_step_ahead_taken);
  tcase_add_test (tc, test_clock_step_back_taken);
  tcase_add_test (tc, test_clock_step_late_camera_taken);
  tcase_add_test (tc, test_clock_restart_taken);
  tcase_add_test (tc, test_no_clock_kept_refused);
  tcase_add_test (tc, test_queue_full_counted);
  return s;
}

GST_CHECK_MAIN (ivcs_frames);
