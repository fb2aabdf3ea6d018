/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs cs-picture-helper for one picture: the keyframe on its stdin, the
 * JPEG from its stdout, all I/O nonblocking on the calling thread (a main
 * context of its own), the helper killed past its time or its size.  Why a
 * process per picture, not one kept alive: a picture comes once per event
 * (seconds apart at the most), a spawn plus libav's load takes a fraction
 * of the picture's time, and nothing stays resident between events. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cs-picture-process.h"
#include "cs-picture-protocol.h"

#include <gio/gio.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (cs_picture_debug);
#define GST_CAT_DEFAULT cs_picture_debug

#define READ_CHUNK 16384
#define STDERR_KEPT 512         /* its tail: the reason is its last line */
#define PIPES_GRACE_S 2         /* after a kill, for the pipes to close */

static gchar *
installed_helper (const gchar * module_dir, const gchar * from_plugin_dir)
{
  if (g_path_is_absolute (from_plugin_dir))
    return g_build_filename (from_plugin_dir, CS_PICTURE_HELPER_NAME, NULL);
  return g_build_filename (module_dir, from_plugin_dir,
      CS_PICTURE_HELPER_NAME, NULL);
}

/* An address of this library's own: a global function's may be another
 * copy's (the plugin and libivcs both hold this code). */
static const gchar anchor;

static gboolean
is_program (const gchar * path)
{
  return g_file_test (path, G_FILE_TEST_IS_EXECUTABLE)
      && !g_file_test (path, G_FILE_TEST_IS_DIR);
}

gchar *
cs_picture_helper_find (GError ** error)
{
  const gchar *env = g_getenv ("CS_PICTURE_HELPER");
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  Dl_info info;
  g_autofree gchar *looked = NULL;

  if (env != NULL && env[0] != '\0') {
    if (is_program (env))
      return g_strdup (env);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "CS_PICTURE_HELPER=%s is not an executable file", env);
    return NULL;
  }
  if (dladdr (&anchor, &info) != 0 && info.dli_fname != NULL
      && g_path_is_absolute (info.dli_fname)) {
    g_autofree gchar *module_dir = g_path_get_dirname (info.dli_fname);
    g_ptr_array_add (candidates, g_build_filename (module_dir,
            CS_PICTURE_HELPER_NAME, NULL));
    g_ptr_array_add (candidates, installed_helper (module_dir,
            CS_PICTURE_HELPER_FROM_PLUGIN_DIR));
  }
  g_ptr_array_add (candidates, g_build_filename (CS_PICTURE_HELPER_INSTALLED,
          CS_PICTURE_HELPER_NAME, NULL));
  for (guint i = 0; i < candidates->len; i++)
    if (is_program (g_ptr_array_index (candidates, i)))
      return g_strdup (g_ptr_array_index (candidates, i));
  g_ptr_array_add (candidates, NULL);
  looked = g_strjoinv (", ", (gchar **) candidates->pdata);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      CS_PICTURE_HELPER_NAME " is not installed (looked for %s; "
      "CS_PICTURE_HELPER names another)", looked);
  return NULL;
}

/* The helper's environment: what GStreamer, GLib and the loader read, and
 * where the registry is; nothing else of the application's (it may hold
 * credentials, and the helper reads a camera's bytes). */
static gchar **
helper_environ (void)
{
  static const gchar *const kept_prefixes[] = { "GST_", "ORC_", "G_",
    "XDG_", "LD_", "ASAN_", "LSAN_", "UBSAN_", "LC_",
  };
  static const gchar *const kept[] = { "HOME", "PATH", "LANG", "TMPDIR" };
  g_auto (GStrv) all = g_get_environ ();
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv kept_env;

  for (gchar ** v = all; *v; v++) {
    gboolean keep = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (kept_prefixes); i++)
      keep |= g_str_has_prefix (*v, kept_prefixes[i]);
    for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
      keep |= g_str_has_prefix (*v, kept[i])
          && (*v)[strlen (kept[i])] == '=';
    if (keep)
      g_strv_builder_add (builder, *v);
  }
  kept_env = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return kept_env;
}

typedef struct
{
  GSubprocess *process;
  GBytes *input;                /* header, caps, keyframe */
  gsize written;
  GByteArray *out, *err;
  GMainContext *context;
  gboolean out_done, err_done, waited, exited, timed_out, too_big, gave_up;
  gint stopped;                 /* atomic: set on another thread */
} Run;

static gboolean
write_some (GObject * stream, gpointer data)
{
  Run *run = data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (run->input, &len);
  g_autoptr (GError) error = NULL;
  gssize n = g_pollable_output_stream_write_nonblocking
      (G_POLLABLE_OUTPUT_STREAM (stream), bytes + run->written,
      len - run->written, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n > 0)
    run->written += n;
  if (n > 0 && run->written < len)
    return G_SOURCE_CONTINUE;
  /* All written, or the helper stopped reading: its exit says why. */
  g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
read_some (GObject * stream, GByteArray * into, gboolean * done)
{
  guint8 buf[READ_CHUNK];
  g_autoptr (GError) error = NULL;
  gssize n = g_pollable_input_stream_read_nonblocking
      (G_POLLABLE_INPUT_STREAM (stream), buf, sizeof buf, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0) {
    *done = TRUE;
    return G_SOURCE_REMOVE;
  }
  g_byte_array_append (into, buf, n);
  return G_SOURCE_CONTINUE;
}

static gboolean
read_out (GObject * stream, gpointer data)
{
  Run *run = data;
  gboolean more = read_some (stream, run->out, &run->out_done);

  if (run->out->len > CS_PICTURE_JPEG_MAX && !run->too_big) {
    run->too_big = TRUE;
    g_subprocess_force_exit (run->process);
  }
  return more;
}

static gboolean
read_err (GObject * stream, gpointer data)
{
  Run *run = data;
  gboolean more = read_some (stream, run->err, &run->err_done);

  if (run->err->len > STDERR_KEPT)
    g_byte_array_remove_range (run->err, 0, run->err->len - STDERR_KEPT);
  return more;
}

static void
exited (GObject * process, GAsyncResult * result, gpointer data)
{
  Run *run = data;

  run->exited = g_subprocess_wait_finish (G_SUBPROCESS (process), result,
      NULL);
  run->waited = TRUE;
}

static void
attach (GMainContext * context, GSource * source, GSourceFunc func, Run * run)
{
  g_source_set_callback (source, func, run, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
}

static gboolean
give_up (gpointer data)
{
  Run *run = data;

  run->gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

/* The helper's time is up: killed, and its pipes given a grace to close. */
static gboolean
time_up (gpointer data)
{
  Run *run = data;

  run->timed_out = TRUE;
  g_subprocess_force_exit (run->process);
  attach (run->context, g_timeout_source_new_seconds (PIPES_GRACE_S),
      give_up, run);
  return G_SOURCE_REMOVE;
}

/* On the thread that stops the caller (no GCancellableSource: GLib 2.74
 * leaks one that fired): killed, and the loop woken to give its pipes a
 * grace. */
static void
stop (GCancellable * cancellable, gpointer data)
{
  Run *run = data;

  g_atomic_int_set (&run->stopped, TRUE);
  g_subprocess_force_exit (run->process);
  g_main_context_wakeup (run->context);
}

/* The last line the helper wrote on stderr, printable, its name off. */
static gchar *
helper_reason (GByteArray * err)
{
  g_autofree gchar *text = err->len ? g_strndup ((const gchar *) err->data,
      err->len) : g_strdup ("");
  gchar *line;

  g_strchomp (text);
  line = strrchr (text, '\n');
  line = line ? line + 1 : text;
  if (g_str_has_prefix (line, CS_PICTURE_HELPER_NAME ": "))
    line += strlen (CS_PICTURE_HELPER_NAME ": ");
  for (gchar * c = line; *c; c++)
    if (!g_ascii_isprint (*c))
      *c = '?';
  return g_strdup (line[0] ? line : "no reason given");
}

static GBytes *
outcome (Run * run, GError ** error)
{
  g_autofree gchar *reason = helper_reason (run->err);
  const guint8 *jpeg = run->out->data;

  if (g_atomic_int_get (&run->stopped) && !run->timed_out)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "stopped before " CS_PICTURE_HELPER_NAME " was done: killed");
  else if (run->timed_out || !run->exited)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        CS_PICTURE_HELPER_NAME " took more than %d s: killed",
        CS_PICTURE_WAIT_S);
  else if (run->too_big)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        CS_PICTURE_HELPER_NAME " wrote more than %d bytes: killed",
        CS_PICTURE_JPEG_MAX);
  else if (g_subprocess_get_if_signaled (run->process))
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        CS_PICTURE_HELPER_NAME " died of signal %d (%s)",
        g_subprocess_get_term_sig (run->process),
        g_strsignal (g_subprocess_get_term_sig (run->process)));
  else if (g_subprocess_get_exit_status (run->process) != 0)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        CS_PICTURE_HELPER_NAME " failed (exit %d): %s",
        g_subprocess_get_exit_status (run->process), reason);
  else if (run->out->len < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        CS_PICTURE_HELPER_NAME "'s answer is not a JPEG");
  else
    return g_bytes_new (run->out->data, run->out->len);
  return NULL;
}

/* Header, caps and keyframe, as the helper reads them. */
static GBytes *
helper_input (GstSample * keyframe, GError ** error)
{
  GstCaps *caps = gst_sample_get_caps (keyframe);
  GstBuffer *buf = gst_sample_get_buffer (keyframe);
  g_autofree gchar *caps_str = caps ? gst_caps_to_string (caps) : NULL;
  gsize frame_len = buf ? gst_buffer_get_size (buf) : 0;
  GByteArray *input;
  g_autofree gchar *header = NULL;

  if (caps_str == NULL || frame_len == 0) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no keyframe to make a picture of");
    return NULL;
  }
  if (strlen (caps_str) > CS_PICTURE_CAPS_MAX
      || frame_len > CS_PICTURE_FRAME_MAX) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "keyframe too large for a picture (%" G_GSIZE_FORMAT " bytes)",
        frame_len);
    return NULL;
  }
  header = g_strdup_printf (CS_PICTURE_MAGIC " %" G_GSIZE_FORMAT " %"
      G_GSIZE_FORMAT "\n", strlen (caps_str), frame_len);
  input = g_byte_array_sized_new (strlen (header) + strlen (caps_str)
      + frame_len);
  g_byte_array_append (input, (const guint8 *) header, strlen (header));
  g_byte_array_append (input, (const guint8 *) caps_str, strlen (caps_str));
  g_byte_array_set_size (input, input->len + frame_len);
  gst_buffer_extract (buf, 0, input->data + input->len - frame_len,
      frame_len);
  return g_byte_array_free_to_bytes (input);
}

static void
run_helper (Run * run, GMainContext * context, GCancellable * stopping)
{
  GSubprocess *p = run->process;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  gulong handler;
  gboolean grace = FALSE;

  attach (context, g_pollable_output_stream_create_source
      (G_POLLABLE_OUTPUT_STREAM (g_subprocess_get_stdin_pipe (p)), NULL),
      G_SOURCE_FUNC (write_some), run);
  attach (context, g_pollable_input_stream_create_source
      (G_POLLABLE_INPUT_STREAM (g_subprocess_get_stdout_pipe (p)), NULL),
      G_SOURCE_FUNC (read_out), run);
  attach (context, g_pollable_input_stream_create_source
      (G_POLLABLE_INPUT_STREAM (g_subprocess_get_stderr_pipe (p)), NULL),
      G_SOURCE_FUNC (read_err), run);
  attach (context, g_timeout_source_new_seconds (CS_PICTURE_WAIT_S),
      time_up, run);
  run->context = context;
  handler = stopping ? g_cancellable_connect (stopping, G_CALLBACK (stop),
      run, NULL) : 0;
  g_subprocess_wait_async (p, cancel, exited, run);
  /* stderr may stay open after the exit (a plugin scanner the helper
   * started inherits it): what came by then is enough. */
  while (!run->gave_up && !(run->waited && run->out_done)) {
    if (g_atomic_int_get (&run->stopped) && !grace) {
      attach (context, g_timeout_source_new_seconds (PIPES_GRACE_S),
          give_up, run);
      grace = TRUE;
    }
    g_main_context_iteration (context, TRUE);
  }
  g_cancellable_disconnect (stopping, handler);
  /* Its pipes still open after the kill (a child of its own holds them):
   * the GLib worker reaps it; the wait ends here, before @run does. */
  g_cancellable_cancel (cancel);
  while (!run->waited)
    g_main_context_iteration (context, TRUE);
}

GBytes *
cs_picture_process_make (GstSample * keyframe, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *helper = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GMainContext) context = NULL;
  g_auto (GStrv) child_env = helper_environ ();
  Run run = { 0 };
  GBytes *jpeg = NULL;
  sigset_t pipe_set, old_set;
  gint64 start = g_get_monotonic_time ();
  const gchar *argv[2] = { NULL, NULL };

  GST_DEBUG_CATEGORY_INIT (cs_picture_debug, "cspicture", 0,
      "event pictures made by " CS_PICTURE_HELPER_NAME);
  if (g_cancellable_set_error_if_cancelled (cancellable, error)
      || (run.input = helper_input (keyframe, error)) == NULL)
    return NULL;
  if ((helper = cs_picture_helper_find (error)) == NULL) {
    g_bytes_unref (run.input);
    return NULL;
  }
  argv[0] = helper;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_set_environ (launcher, child_env);
  run.process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (run.process == NULL) {
    g_bytes_unref (run.input);
    return NULL;
  }
  run.out = g_byte_array_new ();
  run.err = g_byte_array_new ();
  /* A helper that exits unread makes the write fail (EPIPE), not kill the
   * camera's process: SIGPIPE is blocked on this thread, and one it raised
   * is taken before the mask is restored. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  run_helper (&run, context, cancellable);
  g_main_context_pop_thread_default (context);
  if (!sigismember (&old_set, SIGPIPE)) {
    const struct timespec now = { 0, 0 };
    while (sigtimedwait (&pipe_set, NULL, &now) == SIGPIPE);
  }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);

  jpeg = outcome (&run, error);
  GST_INFO ("%s: %s in %" G_GINT64_FORMAT " ms", helper, jpeg ?
      "picture made" : "no picture", (g_get_monotonic_time () - start) / 1000);
  g_object_unref (run.process);
  g_bytes_unref (run.input);
  g_byte_array_unref (run.out);
  g_byte_array_unref (run.err);
  return jpeg;
}
