/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl export: the segments of a range remuxed, not re-encoded, into one
 * MP4 (splitmuxsrc ! parsers ! mp4mux), cut at the keyframe at or before
 * --from and at --to. */
#include "csctl.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
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
} Export;

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
      got = GST_MESSAGE_TYPE (msg);
      if (got == GST_MESSAGE_ERROR)
        gst_message_parse_error (msg, &ex->error, NULL);
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

/* Local files for the segments: a file store's own, others downloaded. */
static GStrv
local_files (CsStore * store, GArray * segs, const gchar * tmpdir,
    GError ** error)
{
  g_autoptr (GStrvBuilder) files = g_strv_builder_new ();

  for (guint i = 0; i < segs->len; i++) {
    const gchar *key = g_array_index (segs, CsPlaylistEntry, i).uri;
    g_autofree gchar *url = cs_store_get_url (store, key, 3600, error);
    g_autofree gchar *path = url ? g_filename_from_uri (url, NULL, NULL) :
        NULL;

    if (url == NULL)
      return NULL;
    if (path == NULL) {
      g_autoptr (GBytes) data = cs_store_get (store, key, NULL, error);
      path = g_strdup_printf ("%s/%05u.ts", tmpdir, i);
      if (data == NULL || !g_file_set_contents (path,
              g_bytes_get_data (data, NULL), g_bytes_get_size (data), error))
        return NULL;
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

/* Exports [@start, @stop) of the timeline; @stop NONE: to the end.  @span
 * is the length, for the progress shown. */
static int
run_export (Export * ex, GstClockTime start, GstClockTime stop,
    GstClockTime span, GError ** error)
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
  g_object_set (sink, "location", opt_output, NULL);
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
  if (wait_for (ex, GST_MESSAGE_EOS, span, 24 * 3600 * GST_SECOND) ==
      GST_MESSAGE_EOS)
    return 0;
  if (ex->error != NULL)
    g_propagate_error (error, g_steal_pointer (&ex->error));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the export stalled");
  return 1;
}

int
csctl_export (int argc, char **argv, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GArray) segs = NULL;
  g_autofree gchar *tmpdir = NULL;
  Export ex = { NULL };
  gint64 from, to;
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
  ex.files = local_files (store, segs, tmpdir, error);
  if (ex.files != NULL) {
    gst_init (NULL, NULL);
    ex.pipeline = gst_pipeline_new ("export");
    ex.held = g_ptr_array_new_with_free_func (gst_object_unref);
    CsPlaylistEntry *last = &g_array_index (segs, CsPlaylistEntry,
        segs->len - 1);
    gboolean to_end = to >= last->start_ms + last->duration_ms;

    rc = run_export (&ex, timeline_position (segs, from),
        to_end ? GST_CLOCK_TIME_NONE : timeline_position (segs, to),
        timeline_position (segs, to), error);
    gst_element_set_state (ex.pipeline, GST_STATE_NULL);
    gst_object_unref (ex.pipeline);
    g_ptr_array_unref (ex.held);
  } else {
    rc = 1;
  }
  g_strfreev (ex.files);
  remove_downloads (tmpdir);
  if (rc != 0)
    g_unlink (opt_output);
  return rc;
}
