/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve's exports: a range or an event remuxed into one MP4 by csctl
 * export itself, run as a process of its own (a pipeline that fails or
 * takes long holds neither the server nor its workers), with its progress
 * read from its stderr.
 *
 *   POST /api/export?device=D&from=T&to=T | &event=ID   {"id": ...}
 *   GET  /api/export?id=ID        {"state": "running", "percent": 40, ...}
 *   GET  /api/export.mp4?id=ID    the MP4, as an attachment
 *
 * A POST must come from the page itself (its Origin is this server): a page
 * of another site cannot make the machine export.  At most EXPORTS_RUNNING
 * run at once and EXPORTS_KEPT are kept, each for EXPORT_KEEP_S after it
 * ends; the files live in a directory of their own, made at the first
 * export (a serve that never exports leaves nothing behind, even killed)
 * and removed at exit.
 * Everything here runs on the main loop. */
#include "csctl-serve.h"
#include "cs-json.h"
#include "cs-key.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define EXPORTS_RUNNING 2
#define EXPORTS_KEPT 16
#define EXPORT_KEEP_S (15 * 60)

extern gchar *opt_endpoint, *opt_region;

struct _CsctlExports
{
  gchar *store_uri;
  gchar *csctl;                 /* this program */
  gchar *dir;                   /* NULL until the first export */
  GHashTable *jobs;             /* id -> Export */
};

typedef enum
{
  EXPORT_RUNNING, EXPORT_DONE, EXPORT_FAILED
} ExportState;

typedef struct
{
  CsctlExports *owner;
  gchar *id, *file, *name;      /* name: for the download */
  GSubprocess *process;
  GDataInputStream *stderr_lines;
  GCancellable *cancellable;
  ExportState state;
  gint percent;
  gchar *error;
  gint64 ended;                 /* monotonic us */
  guint expiry;
} Export;

static void
export_free (Export * ex)
{
  g_cancellable_cancel (ex->cancellable);
  if (ex->state == EXPORT_RUNNING)
    g_subprocess_force_exit (ex->process);
  if (ex->expiry)
    g_source_remove (ex->expiry);
  g_unlink (ex->file);
  g_clear_object (&ex->stderr_lines);
  g_clear_object (&ex->process);
  g_object_unref (ex->cancellable);
  g_free (ex->id);
  g_free (ex->file);
  g_free (ex->name);
  g_free (ex->error);
  g_free (ex);
}

CsctlExports *
csctl_exports_new (const gchar * store_uri, GError ** error)
{
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", error);
  CsctlExports *exports;

  if (self == NULL)
    return NULL;
  exports = g_new0 (CsctlExports, 1);
  exports->store_uri = g_strdup (store_uri);
  exports->csctl = g_steal_pointer (&self);
  exports->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) export_free);
  return exports;
}

void
csctl_exports_free (CsctlExports * exports)
{
  g_hash_table_unref (exports->jobs);
  if (exports->dir != NULL)
    g_rmdir (exports->dir);
  g_free (exports->dir);
  g_free (exports->csctl);
  g_free (exports->store_uri);
  g_free (exports);
}

static void
reply_json (SoupServerMessage * msg, guint status, JsonBuilder * b)
{
  g_autofree gchar *json = cs_json_builder_to_data (b);
  g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));

  csctl_reply (msg, status, "application/json", body);
}

static void
read_next_line (Export * ex);

/* "exporting: 42 %" lines, and csctl's own error line. */
static void
on_line (GObject * source, GAsyncResult * result, gpointer data)
{
  Export *ex = data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish
      (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  gint percent;

  if (line == NULL)
    return;                     /* its end, or cancelled with @ex freed */
  if (sscanf (line, "exporting: %d %%", &percent) == 1)
    ex->percent = CLAMP (percent, 0, 100);
  else if (g_str_has_prefix (line, "csctl export: ")) {
    g_free (ex->error);
    ex->error = g_strdup (line + strlen ("csctl export: "));
  }
  read_next_line (ex);
}

static void
read_next_line (Export * ex)
{
  g_data_input_stream_read_line_async (ex->stderr_lines, G_PRIORITY_DEFAULT,
      ex->cancellable, on_line, ex);
}

static gboolean
on_expired (gpointer data)
{
  Export *ex = data;

  ex->expiry = 0;
  g_hash_table_remove (ex->owner->jobs, ex->id);
  return G_SOURCE_REMOVE;
}

static void
on_export_exit (GObject * source, GAsyncResult * result, gpointer data)
{
  Export *ex = data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL))
    return;                     /* cancelled: @ex is gone */
  ex->ended = g_get_monotonic_time ();
  if (g_subprocess_get_if_exited (ex->process)
      && g_subprocess_get_exit_status (ex->process) == 0) {
    ex->state = EXPORT_DONE;
    ex->percent = 100;
  } else {
    ex->state = EXPORT_FAILED;
    if (ex->error == NULL)
      ex->error = g_strdup ("the export failed");
  }
  ex->expiry = g_timeout_add_seconds (EXPORT_KEEP_S, on_expired, ex);
}

/* Room for one more: fewer than EXPORTS_RUNNING running, and the oldest
 * finished one let go when EXPORTS_KEPT are kept. */
static gboolean
make_room (CsctlExports * exports, GError ** error)
{
  GHashTableIter iter;
  Export *ex, *oldest = NULL;
  guint running = 0;

  g_hash_table_iter_init (&iter, exports->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ex)) {
    if (ex->state == EXPORT_RUNNING)
      running++;
    else if (oldest == NULL || ex->ended < oldest->ended)
      oldest = ex;
  }
  if (running >= EXPORTS_RUNNING) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
        "%u exports are running: try again when one has ended", running);
    return FALSE;
  }
  if (g_hash_table_size (exports->jobs) >= EXPORTS_KEPT && oldest != NULL)
    g_hash_table_remove (exports->jobs, oldest->id);
  return TRUE;
}

/* The arguments of csctl export for @query, or NULL with the reason. */
static GPtrArray *
export_args (CsctlExports * exports, GHashTable * query, gchar ** name,
    GError ** error)
{
  const gchar *device = query ? g_hash_table_lookup (query, "device") : NULL;
  const gchar *event = query ? g_hash_table_lookup (query, "event") : NULL;
  const gchar *from_text = query ? g_hash_table_lookup (query, "from") : NULL;
  const gchar *to_text = query ? g_hash_table_lookup (query, "to") : NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  gint64 from, to;

  if (!cs_key_name_is_valid (device)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "give a valid device");
    return NULL;
  }
  g_ptr_array_add (args, g_strdup (exports->csctl));
  g_ptr_array_add (args, g_strdup ("export"));
  g_ptr_array_add (args, g_strdup (exports->store_uri));
  g_ptr_array_add (args, g_strdup (device));
  if (event != NULL) {
    if (!csctl_check_event_id (event, error))
      return NULL;
    g_ptr_array_add (args, g_strdup ("--event"));
    g_ptr_array_add (args, g_strdup (event));
    *name = g_strdup_printf ("%s-event-%s.mp4", device, event);
  } else {
    if (from_text == NULL || to_text == NULL) {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "give from and to, or event");
      return NULL;
    }
    if (!csctl_parse_range (from_text, to_text, &from, &to, error))
      return NULL;
    g_ptr_array_add (args, g_strdup ("--from"));
    g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, from));
    g_ptr_array_add (args, g_strdup ("--to"));
    g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, to));
    *name = g_strdup_printf ("%s-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
        ".mp4", device, from, to);
  }
  if (opt_endpoint != NULL) {
    g_ptr_array_add (args, g_strdup ("--endpoint"));
    g_ptr_array_add (args, g_strdup (opt_endpoint));
  }
  if (opt_region != NULL) {
    g_ptr_array_add (args, g_strdup ("--region"));
    g_ptr_array_add (args, g_strdup (opt_region));
  }
  if (csctl_key_file () != NULL) {
    g_ptr_array_add (args, g_strdup ("--key-file"));
    g_ptr_array_add (args, g_strdup (csctl_key_file ()));
  }
  return g_steal_pointer (&args);
}

gboolean
csctl_from_the_page (SoupServerMessage * msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *origin = soup_message_headers_get_one (h, "Origin");
  const gchar *host = soup_message_headers_get_one (h, "Host");
  const gchar *site = soup_message_headers_get_one (h, "Sec-Fetch-Site");
  const gchar *name;

  /* A browser sends no Origin with a GET of its own origin, but says
   * where the request comes from (a header no page can set). */
  if (origin == NULL && host != NULL)
    return g_strcmp0 (site, "same-origin") == 0;
  if (origin == NULL || host == NULL)
    return FALSE;
  name = g_str_has_prefix (origin, "http://") ? origin + strlen ("http://") :
      g_str_has_prefix (origin, "https://") ? origin + strlen ("https://") :
      NULL;
  return name != NULL && g_ascii_strcasecmp (name, host) == 0;
}

static void
start_export (CsctlExports * exports, SoupServerMessage * msg,
    GHashTable * query)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *name = NULL;
  Export *ex;

  if (!csctl_from_the_page (msg)) {
    csctl_reply_error (msg, SOUP_STATUS_FORBIDDEN,
        "an export is started from the page of this server only");
    return;
  }
  args = export_args (exports, query, &name, &error);
  if (args != NULL && exports->dir == NULL)
    exports->dir = g_dir_make_tmp ("csctl-serve-exports-XXXXXX", &error);
  if (args == NULL || exports->dir == NULL || !make_room (exports, &error)) {
    csctl_reply_error (msg, g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_BUSY) ? 429 :
        csctl_status_of (error), error->message);
    return;
  }
  ex = g_new0 (Export, 1);
  ex->owner = exports;
  ex->id = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  ex->file = g_strdup_printf ("%s/%s.mp4", exports->dir, ex->id);
  ex->name = g_steal_pointer (&name);
  ex->cancellable = g_cancellable_new ();
  g_ptr_array_add (args, g_strdup ("-o"));
  g_ptr_array_add (args, g_strdup (ex->file));
  g_ptr_array_add (args, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "CSCTL_EXPORT_PROGRESS", "1", TRUE);
  ex->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) args->pdata, &error);
  if (ex->process == NULL) {
    ex->state = EXPORT_FAILED;
    export_free (ex);
    csctl_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        error->message);
    return;
  }
  ex->stderr_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe
      (ex->process));
  g_hash_table_insert (exports->jobs, ex->id, ex);
  read_next_line (ex);
  g_subprocess_wait_async (ex->process, ex->cancellable, on_export_exit, ex);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, ex->id);
  json_builder_end_object (b);
  reply_json (msg, SOUP_STATUS_ACCEPTED, b);
}

static Export *
find_export (CsctlExports * exports, SoupServerMessage * msg,
    GHashTable * query)
{
  const gchar *id = query ? g_hash_table_lookup (query, "id") : NULL;
  Export *ex = id ? g_hash_table_lookup (exports->jobs, id) : NULL;

  if (ex == NULL)
    csctl_reply_error (msg, SOUP_STATUS_NOT_FOUND,
        "no such export (they are kept 15 minutes)");
  return ex;
}

static void
on_export (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  static const gchar *const states[] = { "running", "done", "failed" };
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (JsonBuilder) b = NULL;
  Export *ex;

  if (g_str_equal (method, "POST")) {
    start_export (data, msg, query);
    return;
  }
  if ((ex = find_export (data, msg, query)) == NULL)
    return;
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, states[ex->state]);
  json_builder_set_member_name (b, "percent");
  json_builder_add_int_value (b, ex->percent);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, ex->name);
  if (ex->error != NULL && ex->state == EXPORT_FAILED) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, ex->error);
  }
  json_builder_end_object (b);
  reply_json (msg, SOUP_STATUS_OK, b);
}

static void
on_export_file (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *disposition = NULL;
  Export *ex = find_export (data, msg, query);

  if (ex == NULL)
    return;
  if (ex->state != EXPORT_DONE) {
    csctl_reply_error (msg, SOUP_STATUS_CONFLICT, ex->state ==
        EXPORT_RUNNING ? "the export is still running" : ex->error);
    return;
  }
  file = g_mapped_file_new (ex->file, FALSE, &error);
  if (file == NULL) {
    csctl_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        error->message);
    return;
  }
  body = g_mapped_file_get_bytes (file);
  disposition = g_strdup_printf ("attachment; filename=\"%s\"", ex->name);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Disposition", disposition);
  csctl_reply (msg, SOUP_STATUS_OK, "video/mp4", body);
}

void
csctl_exports_add_handlers (CsctlExports * exports, SoupServer * server)
{
  soup_server_add_handler (server, "/api/export", on_export, exports, NULL);
  soup_server_add_handler (server, "/api/export.mp4", on_export_file,
      exports, NULL);
}
