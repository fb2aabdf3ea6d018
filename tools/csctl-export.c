/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl export: the segments of a range remuxed, not re-encoded, into one
 * MP4 (splitmuxsrc ! parsers ! mp4mux), cut at the keyframe at or before
 * --from and at --to.  An MP4 holds one format per stream: where the
 * recording changes format (codec, picture size, audio rate, codec
 * headers, container), the export goes on in a file of its own, FILE-2.mp4,
 * ...  Each MP4's creation time is the time of the recording it starts
 * with. */
#include "csctl.h"
#include "cs-fmp4-boxes.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

typedef struct {
  GStrv files;
  GstElement *pipeline, *src, *mux;
  GError *error;
  /* Until the seek, splitmuxsrc's pads are held: nothing before the range
   * may reach the muxer (mp4mux cannot be flushed). */
  gboolean hold;
  GMutex lock;
  GCond cond;
  GPtrArray *held;              /* GstPad, blocked */
  gboolean all_pads;
  /* A format change ended the run: at the buffer of @change_pts on the
   * run's timeline, from format @change_from to @change_to. */
  gboolean changed;
  GstClockTime change_pts;
  gchar *change_from, *change_to;
} Export;

/* What one MP4 cannot change: the codec and, with @full, the picture size,
 * the audio rate and channels and the codec headers (after " #"). */
static gchar *
format_key (GstCaps * caps, gboolean full)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *headers = gst_structure_get_value (s, "codec_data");
  GString *key = g_string_new (gst_structure_get_name (s));
  gint a, b;

  if (!full)
    return g_string_free (key, FALSE);
  if (gst_structure_get_int (s, "width", &a)
      && gst_structure_get_int (s, "height", &b))
    g_string_append_printf (key, " %dx%d", a, b);
  if (gst_structure_get_int (s, "rate", &a))
    g_string_append_printf (key, " %d Hz", a);
  if (gst_structure_get_int (s, "channels", &a))
    g_string_append_printf (key, " %d ch", a);
  if (headers != NULL && GST_VALUE_HOLDS_BUFFER (headers)) {
    GstMapInfo map;
    GstBuffer *buf = gst_value_get_buffer (headers);

    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      g_autofree gchar *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA1,
          map.data, map.size);
      g_string_append_printf (key, " #%.8s", sum);
      gst_buffer_unmap (buf, &map);
    }
  }
  return g_string_free (key, FALSE);
}

/* On splitmuxsrc's pads (the codec) and on the parsers' (the rest): caps
 * of another format than the pad's first are dropped, with all that
 * follows but EOS; the first buffer in the new format says where, in an
 * application message the export stops at. */
static GstPadProbeReturn
format_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Export *ex = data;
  GObject *o = G_OBJECT (pad);
  gboolean full = g_object_get_data (o, "csctl-full") != NULL;
  const gchar *first = g_object_get_data (o, "csctl-format");
  const gchar *next = g_object_get_data (o, "csctl-next");

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    if (next == NULL)
      return GST_PAD_PROBE_OK;
    if (g_object_get_data (o, "csctl-said") == NULL) {
      GstClockTime pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf)
          : GST_BUFFER_DTS (buf);
      GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT,
          0);
      const GstSegment *seg;

      /* splitmuxsrc's timestamps run on from the first segment's own; the
       * stream time is the position on the timeline of the run. */
      if (seg_event != NULL) {
        gst_event_parse_segment (seg_event, &seg);
        pts = gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts);
        gst_event_unref (seg_event);
      }
      g_object_set_data (o, "csctl-said", GINT_TO_POINTER (1));
      gst_element_post_message (ex->pipeline,
          gst_message_new_application (GST_OBJECT (pad),
              gst_structure_new ("csctl-format-change", "pts", G_TYPE_UINT64,
                  pts, "from", G_TYPE_STRING, first, "to", G_TYPE_STRING,
                  next, NULL)));
    }
    return GST_PAD_PROBE_DROP;
  }
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  if (next == NULL
      && GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gchar *key;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    key = format_key (caps, full);
    if (first == NULL) {
      g_object_set_data_full (o, "csctl-format", key, g_free);
      return GST_PAD_PROBE_OK;
    }
    if (g_str_equal (first, key)) {
      g_free (key);
      return GST_PAD_PROBE_OK;
    }
    g_object_set_data_full (o, "csctl-next", key, g_free);
    return GST_PAD_PROBE_DROP;
  }
  return next ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Watches @pad's format: a splitmuxsrc pad's codec, from @caps; a parser's
 * whole format (@caps NULL), from its first caps. */
static void
watch_format (Export * ex, GstPad * pad, GstCaps * caps)
{
  if (caps != NULL)
    g_object_set_data_full (G_OBJECT (pad), "csctl-format",
        format_key (caps, FALSE), g_free);
  else
    g_object_set_data (G_OBJECT (pad), "csctl-full", GINT_TO_POINTER (1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, format_probe, ex, NULL);
}

static GstPadProbeReturn
hold_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Export *ex = data;

  g_mutex_lock (&ex->lock);
  if (!g_ptr_array_find (ex->held, pad, NULL))
    g_ptr_array_add (ex->held, gst_object_ref (pad));
  g_cond_broadcast (&ex->cond);
  g_mutex_unlock (&ex->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_no_more_pads (GstElement * src, gpointer data)
{
  Export *ex = data;

  g_mutex_lock (&ex->lock);
  ex->all_pads = TRUE;
  g_cond_broadcast (&ex->cond);
  g_mutex_unlock (&ex->lock);
}

static GStrv
on_format_location (GstElement * src, gpointer data)
{
  return g_strdupv (((Export *) data)->files);
}

static void
on_pad_added (GstElement * src, GstPad * pad, gpointer data)
{
  Export *ex = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));
  gboolean video = g_str_has_prefix (name, "video/");
  GstElement *parse = gst_element_factory_make (!video ? "aacparse" :
      g_str_equal (name, "video/x-h265") ? "h265parse" : "h264parse", NULL);
  GstPad *sinkpad, *muxpad;

  watch_format (ex, pad, caps);
  gst_caps_unref (caps);
  if (ex->hold)
    g_object_set_data (G_OBJECT (pad), "csctl-hold",
        GSIZE_TO_POINTER (gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK |
                GST_PAD_PROBE_TYPE_BUFFER, hold_probe, ex, NULL)));
  gst_bin_add (GST_BIN (ex->pipeline), parse);
  sinkpad = gst_element_get_static_pad (parse, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  muxpad = gst_element_request_pad_simple (ex->mux, video ? "video_%u" :
      "audio_%u");
  sinkpad = gst_element_get_static_pad (parse, "src");
  watch_format (ex, sinkpad, NULL);
  gst_pad_link (sinkpad, muxpad);
  gst_object_unref (sinkpad);
  gst_object_unref (muxpad);
  gst_element_sync_state_with_parent (parse);
}

/* Waits for @types (or an error) for at most @timeout; on a terminal,
 * prints how far the export is while it waits. */
static GstMessageType
wait_for (Export * ex, GstMessageType types, GstClockTime span,
    GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (ex->pipeline);
  gboolean tty = isatty (STDERR_FILENO);
  /* For a program that shows it (csctl serve): a line at each step. */
  gboolean lines = g_getenv ("CSCTL_EXPORT_PROGRESS") != NULL;
  GstMessageType got = 0;

  for (GstClockTime waited = 0; waited < timeout && !got;
      waited += GST_SECOND / 5) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_SECOND / 5,
        types | GST_MESSAGE_ERROR);
    gint64 pos;

    if (msg != NULL) {
      const GstStructure *st = gst_message_get_structure (msg);

      got = GST_MESSAGE_TYPE (msg);
      if (got == GST_MESSAGE_ERROR)
        gst_message_parse_error (msg, &ex->error, NULL);
      if (got == GST_MESSAGE_APPLICATION) {
        ex->changed = TRUE;
        gst_structure_get_uint64 (st, "pts", &ex->change_pts);
        ex->change_from = g_strdup (gst_structure_get_string (st, "from"));
        ex->change_to = g_strdup (gst_structure_get_string (st, "to"));
      }
      gst_message_unref (msg);
    } else if ((tty || lines) && span > 0
        && gst_element_query_position (ex->pipeline, GST_FORMAT_TIME, &pos)) {
      g_printerr (lines ? "exporting: %d %%\n" : "\rexporting: %3d %%",
          (int) MIN (100, pos * 100 / span));
    }
  }
  if (tty && !lines && span > 0)
    g_printerr ("\r%*s\r", 20, "");
  gst_object_unref (bus);
  return got;
}

/* Where @t falls on splitmuxsrc's timeline, which runs the segments back to
 * back (a gap takes no time in the export). */
static GstClockTime
timeline_position (GArray * segs, gint64 t)
{
  gint64 ms = 0;

  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    ms += CLAMP (t - e->start_ms, 0, e->duration_ms);
  }
  return ms * GST_MSECOND;
}

/* A fragmented MP4 segment's own copy at @path, its times from 0: its
 * stored times run on from its UTC start, which a demuxer takes for its
 * length (splitmuxsrc would put the next segment hours later). */
static gboolean
write_fmp4_from_zero (GBytes * data, const gchar * path, GError ** error)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  gint64 start_us = cs_fmp4_boxes_start_us (bytes, len);
  g_autoptr (GBytes) moved = cs_fmp4_boxes_lay_out (bytes, len, -start_us,
      error);

  return moved != NULL && g_file_set_contents (path,
      g_bytes_get_data (moved, NULL), g_bytes_get_size (moved), error);
}

/* Whether @path starts as MPEG-TS does (a sync byte at each of its first
 * two packets): an object named like a segment that is not one (an empty
 * upload, a stray file) would fail the whole export in splitmuxsrc. */
static gboolean
is_mpegts (const gchar * path)
{
  guint8 head[189];
  FILE *f = fopen (path, "rb");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fread (head, 1, sizeof head, f) == sizeof head && head[0] == 0x47
      && head[188] == 0x47;
  fclose (f);
  return ok;
}

/* Local files for the segments: a file store's own MPEG-TS, others
 * downloaded (encrypted ones decrypted; fragmented MP4 always copied, its
 * times from 0).  A segment that is not MPEG-TS is named on stderr and
 * taken out of @segs: the export holds the rest. */
static GStrv
local_files (CsStore * store, GArray * segs, const gchar * tmpdir,
    GError ** error)
{
  g_autoptr (GStrvBuilder) files = g_strv_builder_new ();

  for (guint i = 0; i < segs->len; i++) {
    const CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    const gchar *key = e->uri;
    g_autofree gchar *url = cs_store_get_url (store, key, 3600, error);
    g_autofree gchar *path = url && e->key_uri == NULL && !e->fmp4 ?
        g_filename_from_uri (url, NULL, NULL) : NULL;

    if (url == NULL)
      return NULL;
    if (path == NULL) {
      g_autoptr (GBytes) data = csctl_read_object (store, key, NULL, error);
      path = g_strdup_printf ("%s/%05u.%s", tmpdir, i, e->fmp4 ? "mp4" :
          "ts");
      if (data == NULL || !(e->fmp4 ? write_fmp4_from_zero (data, path,
                  error) : g_file_set_contents (path,
                  g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                  error)))
        return NULL;
    }
    if (!e->fmp4 && !is_mpegts (path)) {
      g_printerr ("csctl export: skipping %s: it is not an MPEG-TS "
          "segment\n", key);
      g_array_remove_index (segs, i--);
      continue;
    }
    g_strv_builder_add (files, path);
  }
  return g_strv_builder_end (files);
}

static void
remove_downloads (const gchar * tmpdir)
{
  g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (tmpdir);
}

static gboolean
release_pad (GstElement * src, GstPad * pad, gpointer data)
{
  gst_pad_remove_probe (pad, GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT
              (pad), "csctl-hold")));
  return TRUE;
}

/* Once every pad of splitmuxsrc holds its first buffer: from the keyframe
 * at or before @start to @stop exactly (NONE: the end).  The flush drops
 * what was held; then the pads are let go. */
static gboolean
seek_held (Export * ex, GstClockTime start, GstClockTime stop,
    GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gboolean ready, ok;

  g_mutex_lock (&ex->lock);
  while (!(ready = ex->all_pads
          && ex->held->len == ex->src->numsrcpads)
      && g_cond_wait_until (&ex->cond, &ex->lock, deadline));
  g_mutex_unlock (&ex->lock);
  if (!ready) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the segments did not start");
    return FALSE;
  }
  ok = gst_element_seek (ex->src, 1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT |
      GST_SEEK_FLAG_SNAP_BEFORE, GST_SEEK_TYPE_SET, start,
      GST_CLOCK_TIME_IS_VALID (stop) ? GST_SEEK_TYPE_SET : GST_SEEK_TYPE_NONE,
      stop);
  g_mutex_lock (&ex->lock);
  ex->hold = FALSE;
  g_mutex_unlock (&ex->lock);
  gst_element_foreach_src_pad (ex->src, release_pad, NULL);
  if (!ok)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot seek to the start of the range");
  return ok;
}

/* Exports [@start, @stop) of the timeline of @ex->files into @path; @stop
 * NONE: to the end.  @span is the length, for the progress shown.  A format
 * change ends it early: 0 with @ex->changed set. */
static int
run_export (Export * ex, const gchar * path, GstClockTime start,
    GstClockTime stop, GstClockTime span, GError ** error)
{
  GstElement *sink = gst_element_factory_make ("filesink", NULL);

  ex->src = gst_element_factory_make ("splitmuxsrc", NULL);
  ex->mux = gst_element_factory_make ("mp4mux", NULL);
  if (ex->src == NULL || sink == NULL || ex->mux == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "splitmuxsrc, mp4mux or filesink is missing (gst-plugins-good)");
    return 1;
  }
  g_object_set (ex->mux, "faststart", TRUE, NULL);
  g_object_set (sink, "location", path, NULL);
  gst_bin_add_many (GST_BIN (ex->pipeline), ex->src, ex->mux, sink, NULL);
  gst_element_link (ex->mux, sink);
  g_signal_connect (ex->src, "format-location",
      G_CALLBACK (on_format_location), ex);
  g_signal_connect (ex->src, "pad-added", G_CALLBACK (on_pad_added), ex);
  g_signal_connect (ex->src, "no-more-pads", G_CALLBACK (on_no_more_pads),
      ex);

  ex->hold = start > 0 || GST_CLOCK_TIME_IS_VALID (stop);
  gst_element_set_state (ex->pipeline, GST_STATE_PAUSED);
  if (ex->hold && !seek_held (ex, start, stop, error))
    return 1;
  gst_element_set_state (ex->pipeline, GST_STATE_PLAYING);
  switch (wait_for (ex, GST_MESSAGE_EOS | GST_MESSAGE_APPLICATION, span,
          24 * 3600 * GST_SECOND)) {
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_APPLICATION:
      return 0;
    default:
      break;
  }
  if (ex->error != NULL)
    g_propagate_error (error, g_steal_pointer (&ex->error));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the export stalled");
  return 1;
}

/* The segment of @segs (past the first) whose start on the timeline is
 * nearest to @pts: where the format changed. */
static guint
segment_at (GArray * segs, GstClockTime pts)
{
  guint best = 1;
  GstClockTimeDiff best_diff = G_MAXINT64;

  for (guint i = 1; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    GstClockTimeDiff d = ABS (GST_CLOCK_DIFF (timeline_position (segs,
                e->start_ms), pts));

    if (d < best_diff) {
      best_diff = d;
      best = i;
    }
  }
  return best;
}

/* FILE.mp4 for the first part, FILE-2.mp4 for the second, ... */
static gchar *
part_path (guint part)
{
  const gchar *base = strrchr (opt_output, '/');
  const gchar *dot = strrchr (base ? base : opt_output, '.');

  if (part == 0)
    return g_strdup (opt_output);
  if (dot == NULL)
    return g_strdup_printf ("%s-%u", opt_output, part + 1);
  return g_strdup_printf ("%.*s-%u%s", (int) (dot - opt_output), opt_output,
      part + 1, dot);
}

/* Exports the part of [@from, @to) in @segs[@first, @end) (with @files,
 * their local copies) into @path.  0, or 1 on failure; when a format
 * change ends the part early, 0 with *@change set to the index in @segs of
 * the segment that changes and @what to the formats. */
static int
export_part (GArray * segs, GStrv files, guint first, guint end, gint64 from,
    gint64 to, const gchar * path, guint * change, gchar ** what,
    GError ** error)
{
  g_autoptr (GArray) part = g_array_sized_new (FALSE, FALSE,
      sizeof (CsPlaylistEntry), end - first);
  g_autoptr (GStrvBuilder) part_files = g_strv_builder_new ();
  CsPlaylistEntry *last;
  Export ex = { NULL };
  gboolean to_end;
  int rc;

  g_array_append_vals (part, &g_array_index (segs, CsPlaylistEntry, first),
      end - first);
  for (guint i = first; i < end; i++)
    g_strv_builder_add (part_files, files[i]);
  ex.files = g_strv_builder_end (part_files);
  ex.pipeline = gst_pipeline_new ("export");
  ex.held = g_ptr_array_new_with_free_func (gst_object_unref);
  g_mutex_init (&ex.lock);
  g_cond_init (&ex.cond);
  last = &g_array_index (part, CsPlaylistEntry, part->len - 1);
  to_end = to >= last->start_ms + last->duration_ms;
  rc = run_export (&ex, path, timeline_position (part, from),
      to_end ? GST_CLOCK_TIME_NONE : timeline_position (part, to),
      timeline_position (part, to), error);
  gst_element_set_state (ex.pipeline, GST_STATE_NULL);
  gst_object_unref (ex.pipeline);
  g_ptr_array_unref (ex.held);
  g_mutex_clear (&ex.lock);
  g_cond_clear (&ex.cond);
  g_strfreev (ex.files);
  *change = 0;
  if (rc == 0 && ex.changed) {
    g_autofree gchar *a = g_strndup (ex.change_from, strcspn (ex.change_from,
            "#"));
    g_autofree gchar *b = g_strndup (ex.change_to, strcspn (ex.change_to,
            "#"));

    *change = first + segment_at (part, ex.change_pts);
    g_strchomp (a);
    g_strchomp (b);
    *what = g_str_equal (a, b) ? g_strdup_printf ("%s, other codec headers",
        b) : g_strdup_printf ("%s -> %s", a, b);
  }
  g_free (ex.change_from);
  g_free (ex.change_to);
  return rc;
}

/* The end of the run of segments of one container from @first: splitmuxsrc
 * reads one container, so MPEG-TS and fMP4 go to files of their own. */
static guint
container_end (GArray * segs, guint first)
{
  gboolean fmp4 = g_array_index (segs, CsPlaylistEntry, first).fmp4;
  guint end = first + 1;

  while (end < segs->len && g_array_index (segs, CsPlaylistEntry, end).fmp4
      == fmp4)
    end++;
  return end;
}

int
csctl_export (int argc, char **argv, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GArray) segs = NULL;
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) said = g_string_new (NULL);
  g_autofree gchar *tmpdir = NULL;
  g_auto (GStrv) files = NULL;
  gint64 from, to;
  guint first = 0, end;
  int rc;

  if (opt_output == NULL) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give the MP4 to write with -o");
    return 2;
  }
  if (!csctl_check_event_or_range (error))
    return 2;
  store = csctl_open_range (argc, argv, &from, &to, &rc, error);
  if (store == NULL)
    return rc;
  segs = opt_event ? csctl_event_segments (store, argv[2], opt_event, FALSE,
      &from, &to, NULL, error) : csctl_find_segments (store, argv[2], from,
      to, FALSE, NULL, error);
  if (segs == NULL)
    return 1;
  tmpdir = g_dir_make_tmp ("csctl-export-XXXXXX", error);
  if (tmpdir == NULL)
    return 1;
  files = local_files (store, segs, tmpdir, error);
  rc = files ? 0 : 1;
  if (rc == 0 && segs->len == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "no segment in the range can be read");
    rc = 1;
  }
  if (files != NULL)
    gst_init (NULL, NULL);
  /* One part per format: a part that meets a change is made again up to
   * the segment that changes, and the next starts there. */
  end = segs->len ? container_end (segs, 0) : 0;
  while (rc == 0 && first < segs->len) {
    g_autofree gchar *path = part_path (written->len), *what = NULL;
    guint change;

    rc = export_part (segs, files, first, end, from, to, path, &change,
        &what, error);
    if (rc == 0 && change != 0 && change >= end) {
      /* Within the part's one segment: there is nothing to split at. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "the format changes within %s (%s): it cannot be exported",
          g_array_index (segs, CsPlaylistEntry, end - 1).uri, what);
      rc = 1;
    }
    if (rc == 0 && change != 0) {
      CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, change);
      g_autofree gchar *at = csctl_format_time (e->start_ms);

      g_string_append_printf (said, "%s changes format at %s (%s UTC): "
          "%s\n", argv[2], e->uri, at, what);
      end = change;
      continue;
    }
    if (rc == 0 && !csctl_mp4_set_creation_time (path, MAX (from,
                g_array_index (segs, CsPlaylistEntry, first).start_ms) / 1000,
            error))
      rc = 1;
    if (rc == 0) {
      CsPlaylistEntry *a = &g_array_index (segs, CsPlaylistEntry, first);
      CsPlaylistEntry *z = &g_array_index (segs, CsPlaylistEntry, end - 1);
      g_autofree gchar *f = csctl_format_time (MAX (from, a->start_ms));
      g_autofree gchar *t = csctl_format_time (MIN (to, z->start_ms +
              z->duration_ms));

      g_string_append_printf (said, "%s: %s to %s UTC\n", path, f, t);
      g_ptr_array_add (written, g_steal_pointer (&path));
      first = end;
      end = first < segs->len ? container_end (segs, first) : segs->len;
    }
  }
  remove_downloads (tmpdir);
  if (rc != 0) {
    g_unlink (opt_output);
    for (guint i = 0; i < written->len; i++)
      g_unlink (g_ptr_array_index (written, i));
  } else if (written->len > 1) {
    fputs (said->str, stdout);
  }
  return rc;
}
