/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ivcs-test.h"
#include "cs-service.h"
#include "cs-store.h"
#include "cs-test-util.h"

#include <gst/app/app.h>
#include <gst/check/gstcheck.h>
#include <string.h>

static void
frame_free (IvcsTestFrame * f)
{
  g_bytes_unref (f->data);
  g_free (f);
}

static void
pull_all (GstElement * sink, gboolean video, GPtrArray * out)
{
  GstSample *sample;

  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    IvcsTestFrame *f = g_new0 (IvcsTestFrame, 1);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    f->data = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    f->video = video;
    f->keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    f->ts_ms = gst_segment_to_running_time (gst_sample_get_segment (sample),
        GST_FORMAT_TIME, GST_BUFFER_PTS (buf)) / GST_MSECOND;
    g_ptr_array_add (out, f);
    gst_sample_unref (sample);
  }
}

static gint
by_time (gconstpointer a, gconstpointer b)
{
  const IvcsTestFrame *fa = *(IvcsTestFrame **) a, *fb = *(IvcsTestFrame **) b;
  return fa->ts_ms < fb->ts_ms ? -1 : fa->ts_ms > fb->ts_ms;
}

GPtrArray *
ivcs_test_frames (guint seconds, guint kbps, const gchar * pattern)
{
  return ivcs_test_frames_audio_at (seconds, kbps, pattern, 48000);
}

GPtrArray *
ivcs_test_frames_audio_at (guint seconds, guint kbps, const gchar * pattern,
    guint audio_rate)
{
  static GHashTable *cache;
  g_autofree gchar *name = g_strdup_printf ("%u/%u/%s/%u", seconds, kbps,
      pattern, audio_rate);
  g_autofree gchar *desc = NULL, *rate = NULL;
  GstElement *pipeline, *vsink, *asink;
  GPtrArray *frames;

  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);
  if ((frames = g_hash_table_lookup (cache, name)))
    return frames;
  rate = kbps ? g_strdup_printf ("bitrate=%u pass=cbr", kbps) : g_strdup ("");
  desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=%s ! "
      "video/x-raw,width=640,height=360,framerate=25/1 ! x264enc "
      "key-int-max=25 bframes=0 speed-preset=ultrafast "
      "option-string=scenecut=0 %s ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=v sync=false max-buffers=0 "
      "audiotestsrc num-buffers=%u samplesperbuffer=1024 ! "
      "audio/x-raw,rate=%u ! avenc_aac ! aacparse ! "
      "audio/mpeg,stream-format=adts ! appsink name=a sync=false "
      "max-buffers=0", seconds * 25, pattern, rate,
      seconds * audio_rate / 1024, audio_rate);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  vsink = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  asink = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  pull_all (vsink, TRUE, frames);
  pull_all (asink, FALSE, frames);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (vsink);
  gst_object_unref (asink);
  gst_object_unref (pipeline);
  g_ptr_array_sort (frames, by_time);
  fail_unless (frames->len > seconds * 25);
  g_hash_table_insert (cache, g_steal_pointer (&name), frames);
  return frames;
}

int
ivcs_test_push (const IvcsTestFrame * f, guint64 base_ms)
{
  gsize len;
  uint8_t *data = (uint8_t *) g_bytes_get_data (f->data, &len);

  if (f->video) {
    iv_cm_venc_pack_s pack = { data, len, base_ms + f->ts_ms,
      f->keyframe ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P, 0
    };
    iv_cm_venc_stream_s v = { {&pack}, 1 };
    return iv_cs_push_stream (IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264,
        &v);
  } else {
    iv_cm_aenc_stream_s a = { data, len, base_ms + f->ts_ms };
    return iv_cs_push_stream (IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264,
        &a);
  }
}

guint
ivcs_test_push_all (GPtrArray * frames, guint64 base_ms, IvcsTestEach each,
    gpointer data, guint * video)
{
  gint64 t0 = g_get_monotonic_time ();
  guint refused = 0, taken = 0;

  for (guint i = 0; i < frames->len; i++) {
    const IvcsTestFrame *f = g_ptr_array_index (frames, i);
    gint64 due = t0 + (gint64) f->ts_ms * 1000;
    int r;

    if (due > g_get_monotonic_time ())
      g_usleep (due - g_get_monotonic_time ());
    if (each)
      each (f, data);
    while ((r = ivcs_test_push (f, base_ms)) == IV_ERR_CS_QUEUE_FULL
        && g_get_monotonic_time () < due + 40 * 1000)
      g_usleep (2000);
    if (r != IV_ERR_NONE)
      refused++;
    else if (f->video)
      taken++;
  }
  if (video)
    *video = taken;
  return refused;
}

gchar *
ivcs_test_store_new (const gchar * channels)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ivcs-behav-XXXXXX", NULL);
  gchar *uri = g_strdup_printf ("file://%s", dir);

  g_setenv ("IVCS_LOCATION", uri, TRUE);
  g_setenv ("IVCS_DEVICE_ID", "cam1", TRUE);
  g_setenv ("IVCS_SERVICE_POLL_S", "1", TRUE);
  g_unsetenv ("IVCS_CONFIG");
  if (channels)
    g_setenv ("IVCS_CHANNELS", channels, TRUE);
  else
    g_unsetenv ("IVCS_CHANNELS");
  return uri;
}

void
ivcs_test_store_free (gchar * store_uri)
{
  cs_test_remove_tree (store_uri + strlen ("file://"));
  g_free (store_uri);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

GPtrArray *
ivcs_test_keys (const gchar * store_uri, const gchar * prefix,
    const gchar * suffix)
{
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (GPtrArray) objects = cs_store_list (store, prefix, NULL, NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; objects && i < objects->len; i++) {
    CsStoreObject *o = g_ptr_array_index (objects, i);
    if (g_str_has_suffix (o->key, suffix))
      g_ptr_array_add (keys, g_strdup (o->key));
  }
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

guint
ivcs_test_video_frames (const gchar * store_uri, const gchar * prefix)
{
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (GPtrArray) keys = ivcs_test_keys (store_uri, prefix, ".mp4");
  guint frames = 0;

  for (guint i = 0; i < keys->len; i++) {
    g_autoptr (GBytes) ts = cs_store_get (store, g_ptr_array_index (keys, i),
        NULL, NULL);
    CsMediaInfo info;

    fail_unless (ts != NULL && cs_test_read_ts (ts, &info));
    frames += info.video_frames;
    cs_media_info_clear (&info);
  }
  return frames;
}

void
ivcs_test_write_service (const gchar * store_uri, const gchar * channels)
{
  g_autoptr (CsStore) store = cs_store_new (store_uri, NULL, NULL);
  g_autoptr (CsService) svc = cs_service_new ("cam1");
  g_auto (GStrv) list = g_strsplit (channels, ";", -1);
  g_autofree gchar *json = NULL;
  g_autoptr (GBytes) data = NULL;

  for (gchar ** ch = list; *ch; ch++)
    if (**ch)
      cs_service_activate (svc, *ch, 0);
  json = cs_service_to_json (svc, 0);
  data = g_bytes_new (json, strlen (json));
  fail_unless (cs_store_put (store, "cam1/service.json", data,
          "application/json", NULL, NULL));
}

iv_cs_init_parm_s
ivcs_test_parm (void)
{
  iv_cs_init_parm_s p;

  memset (&p, 0, sizeof p);
  p.u32MaxSizeInAGop = 512 * 1024;
  p.event_record_min_time_s = 4;
  p.event_interval_time_s = 8;
  p.event_list_max_depth = 4;
  for (int i = 0; i < IV_CS_EVENT_MAX_TRIGGER; i++)
    p.event_trigger_priority[i] = -1;
  return p;
}

static GMutex messages_lock;
static GPtrArray *messages;

/* GstCheck takes the messages of the default domain (libivcs' own); they
 * are recorded here and printed. */
static void
log_message (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer data)
{
  if (g_str_has_prefix (message, "libivcs")) {
    g_mutex_lock (&messages_lock);
    g_ptr_array_add (messages, g_strdup (message));
    g_mutex_unlock (&messages_lock);
  }
  g_log_default_handler (domain, level, message, data);
}

void
ivcs_test_watch_messages (void)
{
  g_mutex_lock (&messages_lock);
  if (messages == NULL) {
    messages = g_ptr_array_new_with_free_func (g_free);
    g_log_set_handler (NULL, G_LOG_LEVEL_MESSAGE, log_message, NULL);
  }
  g_ptr_array_set_size (messages, 0);
  g_mutex_unlock (&messages_lock);
}

guint
ivcs_test_messages (const gchar * needle)
{
  guint n = 0;

  g_mutex_lock (&messages_lock);
  for (guint i = 0; messages && i < messages->len; i++)
    n += strstr (g_ptr_array_index (messages, i), needle) != NULL;
  g_mutex_unlock (&messages_lock);
  return n;
}
