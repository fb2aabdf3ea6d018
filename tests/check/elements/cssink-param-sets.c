/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsed H.264 (byte-stream, whole access units from h264parse) goes through
 * cssink without a second parser; the SPS/PPS are put in front of every
 * keyframe that lacks them, so that each segment decodes on its own (ffprobe
 * on each .ts, alone), whatever upstream's config-interval, and after the
 * SPS changes mid-stream the next segments carry the new one.  Plus the
 * keeper itself on hand-made access units and codec_data. */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "cs-param-sets.h"
#include "cs-test-util.h"

/* Encodes @frames of WxH (SPS/PPS only in the encoder's codec_data) and
 * parses them into byte-stream access units with @config_interval. */
static GPtrArray *
encode (guint width, guint height, guint frames, gint config_interval)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u "
      "pattern=ball ! video/x-raw,width=%u,height=%u,framerate=25/1 ! "
      "x264enc key-int-max=25 bframes=0 speed-preset=ultrafast "
      "option-string=repeat-headers=0 ! video/x-h264,stream-format=avc ! "
      "h264parse config-interval=%d ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", frames, width, height, config_interval);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_sample_unref);
  GstSample *sample;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
              30 * GST_SECOND)))
    g_ptr_array_add (samples, sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (pipeline);
  fail_unless_equals_int (samples->len, frames);
  return samples;
}

/* Keyframes of @samples that carry an SPS (start code + NAL type 7). */
static guint
keyframes_with_sps (GPtrArray * samples, guint * keyframes)
{
  guint with = 0;

  *keyframes = 0;
  for (guint i = 0; i < samples->len; i++) {
    GstBuffer *buf = gst_sample_get_buffer (g_ptr_array_index (samples, i));
    GstMapInfo map;

    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      continue;
    (*keyframes)++;
    fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
    for (gsize j = 0; j + 3 < map.size; j++)
      if (map.data[j] == 0 && map.data[j + 1] == 0 && map.data[j + 2] == 1
          && (map.data[j + 3] & 0x1f) == 7) {
        with++;
        break;
      }
    gst_buffer_unmap (buf, &map);
  }
  return with;
}

/* Pushes the parts one after the other (timestamps running on) into
 * `appsrc ! cssink` to file://@dir, 1 s segments, until EOS. */
static void
record (const gchar * dir, GPtrArray ** parts, guint n_parts)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "block=true ! cssink name=s location=file://%s device-id=cam "
      "segment-duration=1000000000", dir);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstClockTime offset = 0, end = 0;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (guint p = 0; p < n_parts; p++) {
    for (guint i = 0; i < parts[p]->len; i++) {
      GstSample *sample = g_ptr_array_index (parts[p], i);
      GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer (sample));
      GstSample *timed;

      GST_BUFFER_PTS (buf) += offset;
      if (GST_BUFFER_DTS_IS_VALID (buf))
        GST_BUFFER_DTS (buf) += offset;
      end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
      timed = gst_sample_new (buf, gst_sample_get_caps (sample), NULL, NULL);
      fail_unless_equals_int (gst_app_src_push_sample (GST_APP_SRC (src),
              timed), GST_FLOW_OK);
      gst_sample_unref (timed);
      gst_buffer_unref (buf);
    }
    offset = end;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  cs_test_wait_eos (pipeline, 60, "the recording");
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

static void
find_segments (const gchar * dir, GPtrArray * paths)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR)
        && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      find_segments (path, paths);
    if (g_str_has_suffix (name, ".ts") || g_str_has_suffix (name, ".mp4"))
      g_ptr_array_add (paths, path);
    else
      g_free (path);
  }
  g_dir_close (d);
}

static gint
ffprobe_width (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0",
    "-show_entries", "stream=width", "-of", "csv=p=0", path, NULL
  };
  g_autofree gchar *out = NULL;
  gint status = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH
          | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
          NULL));
  return status == 0 && out ? atoi (out) : -1;
}

/* Every segment decodes alone: ffprobe decodes as many frames from it as it
 * holds (tsdemux), and all frames pushed are stored.  Adds the frames of
 * 640-wide segments to @frames_640 (if not NULL). */
static void
check_segments_alone (const gchar * dir, guint frames_in, guint * frames_640)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  guint stored = 0, decoded = 0;

  find_segments (dir, paths);
  fail_unless (paths->len >= 3, "%u segments", paths->len);
  for (guint i = 0; i < paths->len; i++) {
    const gchar *path = g_ptr_array_index (paths, i);
    g_autofree gchar *data = NULL;
    gsize size;
    CsMediaInfo info = { 0 };
    CsProbe probe;
    GBytes *bytes;

    fail_unless (g_file_get_contents (path, &data, &size, NULL));
    bytes = g_bytes_new_static (data, size);
    fail_unless (cs_test_read_ts (bytes, &info), "%s", path);
    g_bytes_unref (bytes);
    fail_unless (info.first_video_is_keyframe, "%s", path);
    fail_unless (cs_test_ffprobe (path, "v:0", &probe), "ffprobe %s", path);
    fail_unless_equals_int (probe.frames, info.video_frames);
    if (frames_640 && ffprobe_width (path) == 640)
      *frames_640 += info.video_frames;
    stored += info.video_frames;
    decoded += probe.frames;
    cs_media_info_clear (&info);
  }
  fail_unless_equals_int (stored, frames_in);
  fail_unless_equals_int (decoded, frames_in);
}

/* 100 frames, parsed upstream with @config_interval, recorded and read
 * back. */
static void
record_parsed (gint config_interval)
{
  g_autofree gchar *dir = g_dir_make_tmp ("cssink-ps-XXXXXX", NULL);
  GPtrArray *frames = encode (320, 240, 100, config_interval);
  guint keyframes, with = keyframes_with_sps (frames, &keyframes);

  /* The case exists: with 0 keyframes without an SPS come in. */
  fail_unless_equals_int (keyframes, 4);
  fail_unless_equals_int (with, config_interval == 0 ? 1 : keyframes);
  record (dir, &frames, 1);
  check_segments_alone (dir, 100, NULL);
  g_ptr_array_unref (frames);
  cs_test_remove_tree (dir);
}

/* Upstream's default: the SPS/PPS only with the first keyframe. */
GST_START_TEST (test_sets_only_at_start)
{
  record_parsed (0);
}

GST_END_TEST;

/* Upstream already sends them with every keyframe: stored as they are. */
GST_START_TEST (test_sets_with_every_keyframe)
{
  record_parsed (-1);
}

GST_END_TEST;

/* The resolution changes between two GOPs (a new SPS, with the first
 * keyframe after the change only): the segments after it carry the new
 * SPS and decode alone at the new size. */
GST_START_TEST (test_sps_change)
{
  g_autofree gchar *dir = g_dir_make_tmp ("cssink-ps-XXXXXX", NULL);
  GPtrArray *parts[2] = { encode (320, 240, 50, 0), encode (640, 480, 75, 0) };
  guint frames_640 = 0;

  record (dir, parts, 2);
  check_segments_alone (dir, 125, &frames_640);
  fail_unless_equals_int (frames_640, 75);
  g_ptr_array_unref (parts[0]);
  g_ptr_array_unref (parts[1]);
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static GBytes *
keyframe (CsParamSets * keeper, const gchar * hex, gsize * at)
{
  gsize len = strlen (hex) / 2;
  guint8 *au = g_malloc (len);
  GBytes *sets;

  for (gsize i = 0; i < len; i++)
    au[i] = g_ascii_xdigit_value (hex[2 * i]) << 4
        | g_ascii_xdigit_value (hex[2 * i + 1]);
  sets = cs_param_sets_keyframe (keeper, au, len, at);
  g_free (au);
  return sets;
}

static void
assert_bytes (GBytes * bytes, const gchar * hex)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autoptr (GString) got = g_string_new (NULL);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (got, "%02x", data[i]);
  fail_unless_equals_string (got->str, hex);
}

/* The keeper alone: what it keeps, what it inserts and where. */
GST_START_TEST (test_keeper)
{
  CsParamSets *k = cs_param_sets_new (FALSE);
  /* avcC: one SPS (67 aa), one PPS (68 bb). */
  const guint8 avcc[] = { 1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 0xaa,
    1, 0, 2, 0x68, 0xbb
  };
  GBytes *sets;
  gsize at = 99;

  /* Nothing known yet: nothing to insert. */
  fail_unless (keyframe (k, "0000000165880000", &at) == NULL);
  fail_unless (cs_param_sets_take_codec_data (k, avcc, sizeof avcc));
  /* A keyframe with an AUD: the sets go after it. */
  sets = keyframe (k, "00000001091000000165888000", &at);
  fail_unless (sets != NULL);
  assert_bytes (sets, "0000000167aa0000000168bb");
  fail_unless_equals_int (at, 6);
  g_bytes_unref (sets);
  /* Its own SPS/PPS (3-byte start codes, trailing zeros): kept, nothing
   * inserted. */
  fail_unless (keyframe (k, "0000016711000000016822000001658800", &at)
      == NULL);
  sets = keyframe (k, "000001658800", &at);
  assert_bytes (sets, "000000016711000000016822");
  fail_unless_equals_int (at, 0);
  g_bytes_unref (sets);
  /* A new SPS alone: the kept PPS goes in. */
  sets = keyframe (k, "00000001673300000001658800", &at);
  assert_bytes (sets, "000000016822");
  g_bytes_unref (sets);
  /* Not a start code anywhere, a cut record: nothing happens. */
  fail_unless (keyframe (k, "65880000", &at) == NULL);
  fail_if (cs_param_sets_take_codec_data (k, avcc, sizeof avcc - 1));
  cs_param_sets_free (k);

  /* H.265: VPS (40 01), SPS (42 01), PPS (44 01) kept from hvcC. */
  k = cs_param_sets_new (TRUE);
  {
    guint8 hvcc[23 + 3 * 7] = { 1 };
    guint8 *p = hvcc + 23;

    hvcc[22] = 3;
    for (guint t = 32; t <= 34; t++) {
      const guint8 arr[] = { 0x80 | t, 0, 1, 0, 2, t << 1, 1 };
      memcpy (p, arr, sizeof arr);
      p += sizeof arr;
    }
    fail_unless (cs_param_sets_take_codec_data (k, hvcc, sizeof hvcc));
  }
  sets = keyframe (k, "0000000126018000", &at);
  assert_bytes (sets, "000000014001000000014201000000014401");
  g_bytes_unref (sets);
  cs_param_sets_free (k);
}

GST_END_TEST;

static Suite *
cssink_param_sets_suite (void)
{
  Suite *s = suite_create ("cssink-param-sets");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_keeper);
  tcase_add_test (tc, test_sets_only_at_start);
  tcase_add_test (tc, test_sets_with_every_keyframe);
  tcase_add_test (tc, test_sps_change);
  return s;
}

GST_CHECK_MAIN (cssink_param_sets);
