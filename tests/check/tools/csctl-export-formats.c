/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl export over a store that holds three formats, recorded by cssink
 * one after the other as a camera restarted with new settings: H.264
 * 320x240, H.264 640x480, H.265 640x480.  An MP4 holds one format: the
 * export is split, one file per format, each named with where the format
 * changes; each MP4's creation time is the recording's.  ffprobe reads
 * them back. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

static gchar *store_dir, *store_uri, *out;

typedef struct
{
  gchar *codec;
  gint width, height, frames;
  gchar *created;
} Probe;

/* The video stream and creation time of an MP4, as ffprobe reads them. */
static void
probe (const gchar * path, Probe * p)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-select_streams", "v:0", "-show_entries",
    "stream=codec_name,width,height,nb_read_frames:format_tags="
        "creation_time", "-of", "default=nw=1", path, NULL
  };
  gint status;

  memset (p, 0, sizeof (*p));
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "no %s", path);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &text, NULL, &status, NULL) && status == 0);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const gchar *v = strchr (lines[i], '=');

    if (v == NULL)
      continue;
    v++;
    if (g_str_has_prefix (lines[i], "codec_name="))
      p->codec = g_strdup (v);
    else if (g_str_has_prefix (lines[i], "width="))
      p->width = atoi (v);
    else if (g_str_has_prefix (lines[i], "height="))
      p->height = atoi (v);
    else if (g_str_has_prefix (lines[i], "nb_read_frames="))
      p->frames = atoi (v);
    else if (g_str_has_prefix (lines[i], "TAG:creation_time="))
      p->created = g_strdup (v);
  }
}

static void
check_mp4 (const gchar * path, const gchar * codec, gint width,
    gint frames, const gchar * created)
{
  Probe p;

  probe (path, &p);
  fail_unless_equals_string (p.codec, codec);
  fail_unless_equals_int (p.width, width);
  fail_unless_equals_int (p.height, width * 3 / 4);
  /* Every frame of the recordings in it, decoded. */
  fail_unless_equals_int (p.frames, frames);
  fail_unless_equals_string (p.created, created);
  g_free (p.codec);
  g_free (p.created);
}

static gchar *
part (guint n)
{
  return n == 1 ? g_strdup (out) : g_strdup_printf ("%s/clip-%u.mp4",
      store_dir, n);
}

static void
setup (void)
{
  const struct
  {
    gint64 start;
    gint width;
    const gchar *encoder;
  } runs[] = {
    {T0, 320, "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse"},
    {T0 + 3000, 640, "x264enc key-int-max=15 speed-preset=ultrafast ! "
          "h264parse"},
    {T0 + 6000, 640, "x265enc key-int-max=15 speed-preset=ultrafast ! "
          "h265parse"},
  };

  store_dir = g_dir_make_tmp ("csctl-export-formats-XXXXXX", NULL);
  store_uri = g_filename_to_uri (store_dir, NULL, NULL);
  out = g_build_filename (store_dir, "clip.mp4", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++) {
    g_autofree gchar *desc = g_strdup_printf ("videotestsrc num-buffers=60 "
        "pattern=%u ! video/x-raw,framerate=30/1,width=%d,height=%d ! %s "
        "name=p ! cssink name=s location=%s device-id=cam1 "
        "segment-duration=1000000000", i, runs[i].width,
        runs[i].width * 3 / 4, runs[i].encoder, store_uri);
    gint64 start = runs[i].start;
    CsRun run;

    cs_test_run (desc, 0, 120, cs_test_stamp_unix_time, &start, &run);
    fail_unless (run.eos && run.error == NULL, "%s", run.error ?
        run.error->message : "no EOS");
    cs_run_clear (&run);
  }
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_uri, g_free);
  g_clear_pointer (&out, g_free);
}

static gint
export (gchar ** said, gint64 from, gint64 to)
{
  g_autofree gchar *f = g_strdup_printf ("%" G_GINT64_FORMAT, from);
  g_autofree gchar *t = g_strdup_printf ("%" G_GINT64_FORMAT, to);
  g_autofree gchar *err = NULL;
  gint rc;

  /* What an export before wrote. */
  for (guint n = 1; n <= 4; n++) {
    g_autofree gchar *p = part (n);
    g_unlink (p);
  }
  rc = cs_test_csctl (said, &err, "export", store_uri, "cam1", "--from", f,
      "--to", t, "-o", out, NULL);

  fail_unless (rc == 0, "export failed (%d): %s", rc, err);
  return rc;
}

GST_START_TEST (test_split_by_format)
{
  g_autofree gchar *said = NULL, *p2 = part (2), *p3 = part (3),
      *p4 = part (4);

  export (&said, T0, T0 + 9000);
  check_mp4 (out, "h264", 320, 60, "2023-11-14T22:13:20.000000Z");
  check_mp4 (p2, "h264", 640, 60, "2023-11-14T22:13:23.000000Z");
  check_mp4 (p3, "hevc", 640, 60, "2023-11-14T22:13:26.000000Z");
  fail_if (g_file_test (p4, G_FILE_TEST_EXISTS));
  /* Where and what, for people; and each file with its time. */
  fail_unless (strstr (said, "changes format at cam1/rec/20231114/22/"
          "1700000003000_") && strstr (said, "320x240 -> video/x-h264 "
          "640x480"), "%s", said);
  fail_unless (strstr (said, "changes format at cam1/rec/20231114/22/"
          "1700000006000_") && strstr (said, "video/x-h264 -> "
          "video/x-h265"), "%s", said);
  fail_unless (strstr (said, "clip-3.mp4: 2023-11-14 22:13:26.000 to ")
      != NULL, "%s", said);
}

GST_END_TEST;

/* A range in one format: one MP4, nothing said. */
GST_START_TEST (test_one_format)
{
  g_autofree gchar *said = NULL, *p2 = part (2);

  export (&said, T0 + 3000, T0 + 5000);
  check_mp4 (out, "h264", 640, 60, "2023-11-14T22:13:23.000000Z");
  fail_if (g_file_test (p2, G_FILE_TEST_EXISTS));
  fail_unless_equals_string (said, "");
}

GST_END_TEST;

/* From within the first recording into the second: cut at the keyframe
 * at or before --from, and the second MP4 ends at --to. */
GST_START_TEST (test_range_across)
{
  g_autofree gchar *said = NULL, *p2 = part (2), *p3 = part (3);
  Probe p;

  export (&said, T0 + 1000, T0 + 4000);
  check_mp4 (out, "h264", 320, 30, "2023-11-14T22:13:21.000000Z");
  probe (p2, &p);
  fail_unless_equals_string (p.codec, "h264");
  fail_unless_equals_int (p.width, 640);
  fail_unless (p.frames >= 25 && p.frames <= 35, "%d frames", p.frames);
  fail_if (g_file_test (p3, G_FILE_TEST_EXISTS));
  g_free (p.codec);
  g_free (p.created);
}

GST_END_TEST;

static Suite *
csctl_export_formats_suite (void)
{
  Suite *s = suite_create ("csctl-export-formats");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_split_by_format);
  tcase_add_test (tc, test_one_format);
  tcase_add_test (tc, test_range_across);
  return s;
}

GST_CHECK_MAIN (csctl_export_formats);
