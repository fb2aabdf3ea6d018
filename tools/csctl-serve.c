/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve: the store for a browser.  The web page (web/) and hls.js are
 * served from the web directory; the JSON API is csctl's own:
 *
 *   GET /api/devices[?after=D]                {"devices": [...], "next": D}
 *   GET /api/ls?device=D&from=T&to=T          as csctl ls --json
 *   GET /api/playlist.m3u8?device=D&from=T&to=T | &event=ID
 *   GET /api/live.m3u8?device=D               the newest segments, live
 *   POST/GET /api/export…                     MP4s (csctl-serve-export.c)
 *   GET /api/key?id=N                         key N of --key-file (16 bytes)
 *   GET /store/<key>                          an object of the store
 *
 * With --key-file, objects are served decrypted, but segments: their
 * playlists name the key (#EXT-X-KEY), which only the page gets, and the
 * player decrypts them.
 *
 * Playlists name their segments as /store/<key>, so a page plays any store
 * (file://, s3:// with credentials) through this server.  Keys are
 * validated; nothing outside the store or the web directory is served.
 *
 * Anyone who can write to the store (a device, its firmware) must not be
 * able to script the page: store objects are served only with the types
 * of the layout (segments, pictures, JSON, playlists), anything else as an
 * attachment, nothing sniffed, and the page runs under a CSP.  A page on
 * another site must not read the store through a name that resolves to
 * this machine (DNS rebinding): only the listen address's own names are
 * answered, and those given with --allow-host.  Store I/O runs in workers
 * (csctl-serve-jobs.c), connections are bounded (csctl-serve-conns.c). */
#include "csctl-serve.h"
#include "cs-json.h"
#include "cs-key.h"

#include <glib-unix.h>
#include <string.h>

#define WORKERS 4
/* Devices in one answer: a bucket of thousands is listed a page at a time,
 * by the first level of its keys only. */
#define DEVICES_PAGE 500

extern gchar *opt_listen;
extern gchar **opt_allow_host;
extern gint opt_timeout;

/* What the page may load: itself, and hls.js's media and worker from
 * blob: URLs (MediaSource). */
#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
  "img-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; " \
  "connect-src 'self'; base-uri 'none'; form-action 'none'; " \
  "frame-ancestors 'none'"
/* Everything else is data, never a document. */
#define DATA_CSP "default-src 'none'; sandbox"

typedef struct
{
  CsctlJobs *jobs;
  CsctlConns *conns;
  CsctlLive *live;
  GInetAddress *address;        /* listened on */
  gchar *web_dir;
} Serve;

/* One request to the store, and how to answer it. */
typedef struct
{
  SoupServerMessage *msg;       /* paused until answered */
  const gchar *type;            /* NULL: by the key's name */
  CsctlLive *live;
  gchar *key, *device, *event;  /* key: also the device to list after */
  gint64 from, to;
} Request;

static void
request_free (Request * r)
{
  g_object_unref (r->msg);
  g_free (r->key);
  g_free (r->device);
  g_free (r->event);
  g_free (r);
}

void
csctl_reply (SoupServerMessage * msg, guint status, const gchar * type,
    GBytes * body)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  if (soup_message_headers_get_one (h, "Content-Security-Policy") == NULL)
    soup_message_headers_replace (h, "Content-Security-Policy", DATA_CSP);
  soup_message_headers_replace (h, "Content-Type", type);
  /* Not copied: an export's MP4 is a mapped file. */
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), body);
}

static void
reply_text (SoupServerMessage * msg, guint status, const gchar * type,
    const gchar * text)
{
  g_autoptr (GBytes) body = g_bytes_new (text, strlen (text));

  csctl_reply (msg, status, type, body);
}

void
csctl_reply_error (SoupServerMessage * msg, guint status, const gchar * what)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *json = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, what);
  json_builder_end_object (b);
  json = cs_json_builder_to_data (b);
  reply_text (msg, status, "application/json", json);
}

guint
csctl_status_of (const GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_FOUND))
    return SOUP_STATUS_NOT_FOUND;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return SOUP_STATUS_GATEWAY_TIMEOUT;
  if (error->domain == G_OPTION_ERROR)
    return SOUP_STATUS_BAD_REQUEST;
  return SOUP_STATUS_BAD_GATEWAY;
}

/* @name's type among @types (pairs of suffix and type), or NULL. */
static const gchar *
type_by_suffix (const gchar * name, const gchar * const *types)
{
  for (; types[0] != NULL; types += 2)
    if (g_str_has_suffix (name, types[0]))
      return types[1];
  return NULL;
}

/* The page's own files, by name only. */
static void
on_web (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  static const gchar *const types[] = {
    ".html", "text/html; charset=utf-8", ".js", "text/javascript",
    ".css", "text/css", NULL
  };
  static const struct
  {
    const gchar *url, *file;
  } files[] = {
    {"/", "index.html"}, {"/index.html", "index.html"},
    {"/app.js", "app.js"}, {"/style.css", "style.css"},
    {"/hls.min.js", "node_modules/hls.js/dist/hls.min.js"},
  };
  Serve *sv = data;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *file = NULL, *contents = NULL;
    g_autoptr (GBytes) body = NULL;
    gsize len;

    if (!g_str_equal (path, files[i].url))
      continue;
    file = g_build_filename (sv->web_dir, files[i].file, NULL);
    if (!g_file_get_contents (file, &contents, &len, NULL)) {
      csctl_reply_error (msg, SOUP_STATUS_NOT_FOUND,
          "the page's files are missing (run scripts/setup.sh)");
      return;
    }
    body = g_bytes_new_take (g_steal_pointer (&contents), len);
    if (g_str_has_suffix (files[i].file, ".html"))
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "Content-Security-Policy", PAGE_CSP);
    csctl_reply (msg, SOUP_STATUS_OK, type_by_suffix (files[i].file, types), body);
    return;
  }
  csctl_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such page");
}

/* A store object with the type its place in the layout gives it; anything
 * else someone put in the store is only ever downloaded. */
static void
reply_object (SoupServerMessage * msg, const gchar * key, GBytes * body)
{
  const gchar *type = cs_key_content_type (key);

  if (g_str_equal (type, "application/octet-stream"))
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Content-Disposition", "attachment");
  csctl_reply (msg, SOUP_STATUS_OK, type, body);
}

static void
answer_request (GBytes * answer, const GError * error, gpointer data)
{
  Request *r = data;

  if (error != NULL)
    csctl_reply_error (r->msg, csctl_status_of (error), error->message);
  else if (r->type == NULL)
    reply_object (r->msg, r->key, answer);
  else
    csctl_reply (r->msg, SOUP_STATUS_OK, r->type, answer);
  soup_server_message_unpause (r->msg);
}

/* Hands @r to a worker; @msg waits for its answer. */
static void
run_request (Serve * sv, Request * r, CsctlJobFunc func)
{
  soup_server_message_pause (r->msg);
  csctl_jobs_run (sv->jobs, func, answer_request, r,
      (GDestroyNotify) request_free);
}

static Request *
request_new (SoupServerMessage * msg, const gchar * type)
{
  Request *r = g_new0 (Request, 1);

  r->msg = g_object_ref (msg);
  r->type = type;
  return r;
}

static GBytes *
take_text (gchar * text)
{
  return text ? g_bytes_new_take (text, strlen (text)) : NULL;
}

/* Segments as stored (a player decrypts them), other objects decrypted. */
static GBytes *
get_object (CsStore * store, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  const gchar *key = ((Request *) data)->key;
  gint64 start_ms, duration_ms;

  if (cs_key_parse_segment (key, &start_ms, &duration_ms))
    return cs_store_get (store, key, cancellable, error);
  return csctl_read_object (store, key, cancellable, error);
}

/* A key of --key-file, to the page alone (never logged). */
static void
on_key (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  const gchar *id_text = query ? g_hash_table_lookup (query, "id") : NULL;
  const guint8 *key = NULL;
  guint64 id;

  if (!csctl_from_the_page (msg)) {
    csctl_reply_error (msg, SOUP_STATUS_FORBIDDEN,
        "a key is given to the page of this server only");
    return;
  }
  if (id_text != NULL && g_ascii_string_to_unsigned (id_text, 10, 0,
          G_MAXUINT32, &id, NULL) && csctl_keyring () != NULL)
    key = cs_keyring_lookup (csctl_keyring (), (guint32) id, NULL);
  if (key == NULL) {
    csctl_reply_error (msg, SOUP_STATUS_NOT_FOUND, csctl_keyring () ?
        "no such key in the key file" : "csctl serve has no --key-file");
    return;
  }
  /* Always whole: ffmpeg asks for it with the byte range of the segment
   * it is for, which libsoup would answer past its 16 bytes with none. */
  soup_message_headers_remove (soup_server_message_get_request_headers (msg),
      "Range");
  {
    g_autoptr (GBytes) body = g_bytes_new (key, CS_KEYRING_KEY_LEN);
    csctl_reply (msg, SOUP_STATUS_OK, "application/octet-stream", body);
  }
}

static void
on_store (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  const gchar *key = path + strlen ("/store/");
  Request *r;

  if (!cs_key_is_valid (key)) {
    csctl_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "not a key of the store");
    return;
  }
  r = request_new (msg, NULL);
  r->key = g_strdup (key);
  run_request (data, r, get_object);
}

/* A new request for DEVICE and the range (or event) of @query, or NULL
 * after an answer that says what is wrong. */
static Request *
request_from_query (SoupServerMessage * msg, GHashTable * query,
    const gchar * type)
{
  const gchar *device = query ? g_hash_table_lookup (query, "device") : NULL;
  const gchar *event = query ? g_hash_table_lookup (query, "event") : NULL;
  g_autoptr (GError) error = NULL;
  Request *r;
  gint64 from, to;

  if (!cs_key_name_is_valid (device))
    g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "give a valid device");
  else if (event != NULL)
    csctl_check_event_id (event, &error);
  if (error == NULL)
    csctl_parse_range (query ? g_hash_table_lookup (query, "from") : NULL,
        query ? g_hash_table_lookup (query, "to") : NULL, &from, &to, &error);
  if (error != NULL) {
    csctl_reply_error (msg, csctl_status_of (error), error->message);
    return NULL;
  }
  r = request_new (msg, type);
  r->device = g_strdup (device);
  r->event = g_strdup (event);
  r->from = from;
  r->to = to;
  return r;
}

static GBytes *
ls_json (CsStore * store, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  Request *r = data;

  return take_text (csctl_ls_json (store, r->device, r->from, r->to,
          cancellable, error));
}

static void
on_ls (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Request *r = request_from_query (msg, query, "application/json");

  if (r != NULL)
    run_request (data, r, ls_json);
}

static GBytes *
playlist (CsStore * store, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  Request *r = data;
  g_autoptr (GArray) segs = NULL;
  gint64 from = r->from, to = r->to;

  segs = r->event ? csctl_event_segments (store, r->device, r->event, FALSE,
      &from, &to, cancellable, error) : csctl_find_segments (store,
      r->device, from, to, FALSE, cancellable, error);
  if (segs == NULL)
    return NULL;
  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    gchar *url = g_strconcat ("/store/", e->uri, NULL);
    g_free (e->uri);
    e->uri = url;
  }
  return take_text (cs_playlist_vod ((CsPlaylistEntry *) segs->data,
          segs->len));
}

static void
on_playlist (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Request *r = request_from_query (msg, query,
      "application/vnd.apple.mpegurl");

  if (r != NULL)
    run_request (data, r, playlist);
}

/* Devices: the first level of the store's keys, a page at a time; "next"
 * is the after= of the next page (null: none). */
static GBytes *
devices_json (CsStore * store, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  Request *r = data;
  g_autoptr (GPtrArray) names = cs_store_list_names (store, r->key,
      DEVICES_PAGE, cancellable, error);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (names == NULL)
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (names, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next");
  if (names->len == DEVICES_PAGE)
    json_builder_add_string_value (b, g_ptr_array_index (names,
            names->len - 1));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return take_text (cs_json_builder_to_data (b));
}

static void
on_devices (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  const gchar *after = query ? g_hash_table_lookup (query, "after") : NULL;
  Request *r;

  if (after != NULL && !cs_key_name_is_valid (after)) {
    csctl_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "after: not a device");
    return;
  }
  r = request_new (msg, "application/json");
  r->key = g_strdup (after);
  run_request (data, r, devices_json);
}

static GBytes *
live_playlist (CsStore * store, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  Request *r = data;

  return take_text (csctl_live_playlist (r->live, store, r->device,
          cancellable, error));
}

static void
on_live (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  Request *r = request_from_query (msg, query,
      "application/vnd.apple.mpegurl");

  if (r == NULL)
    return;
  r->live = sv->live;
  run_request (sv, r, live_playlist);
}

/* The name in a Host header, without port or final dot, lower case. */
static gchar *
host_name (const gchar * host)
{
  const gchar *end = host[0] == '[' ? strchr (host, ']') : strrchr (host,
      ':');
  g_autofree gchar *name = NULL;

  if (host[0] == '[')
    name = end ? g_strndup (host + 1, end - host - 1) : g_strdup ("");
  else if (end != NULL && strchr (host, ':') == end)
    name = g_strndup (host, end - host);
  else
    name = g_strdup (host);
  if (g_str_has_suffix (name, "."))
    name[strlen (name) - 1] = '\0';
  return g_ascii_strdown (name, -1);
}

/* The listen address itself (any address when listening on all of them),
 * localhost when it is reachable so, and the --allow-host names.  A name
 * that merely resolves here is refused: a page from elsewhere can make its
 * own name resolve here (DNS rebinding). */
static gboolean
host_is_allowed (Serve * sv, const gchar * name)
{
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_string (name);
  gboolean any = g_inet_address_get_is_any (sv->address);

  if (ip != NULL)
    return any || g_inet_address_equal (ip, sv->address);
  if (g_str_equal (name, "localhost"))
    return any || g_inet_address_get_is_loopback (sv->address);
  for (gchar ** h = opt_allow_host; h && *h; h++)
    if (g_ascii_strcasecmp (*h, name) == 0)
      return TRUE;
  return FALSE;
}

/* Every response closes its connection: libsoup 3.2 never closes a
 * kept-alive connection its client has closed (CLOSE-WAIT). */
static void
on_request_started (SoupServer * server, SoupServerMessage * msg,
    gpointer data)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
}

/* Before any handler: a request for a Host that is not this server's is
 * answered here. */
static void
on_request_read (SoupServer * server, SoupServerMessage * msg, gpointer data)
{
  Serve *sv = data;
  const gchar *host = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Host");
  g_autofree gchar *name = host ? host_name (host) : NULL;
  g_autofree gchar *what = NULL;

  csctl_conns_request_read (sv->conns, msg);
  if (name != NULL && host_is_allowed (sv, name))
    return;
  what = name ? g_strdup_printf ("'%s' is not a name of this server: start "
      "csctl serve with --allow-host %s to answer it", name, name) :
      g_strdup ("no Host header");
  csctl_reply_error (msg, name ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_BAD_REQUEST,
      what);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
csctl_serve (int argc, char **argv, GError ** error)
{
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetSocketAddress) bound = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree gchar *host = NULL, *ip = NULL;
  CsctlExports *exports;
  Serve sv = { NULL };
  const gchar *colon;
  guint64 port;

  if (argc != 2) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give STORE");
    return 2;
  }
  colon = strrchr (opt_listen, ':');
  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535,
          &port, NULL)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--listen wants ADDRESS:PORT");
    return 2;
  }
  if (opt_timeout <= 0 || opt_timeout > 3600) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--timeout must be 1 to 3600 s");
    return 2;
  }
  host = g_strndup (opt_listen, colon - opt_listen);
  if (host[0] == '[' && g_str_has_suffix (host, "]")) {
    memmove (host, host + 1, strlen (host));
    host[strlen (host) - 1] = '\0';
  }
  address = g_inet_socket_address_new_from_string (host, port);
  if (address == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "'%s' is not an IP address", host);
    return 2;
  }
  /* Before the workers that read with them; playlists name the keys
   * here. */
  if (!csctl_load_keys (error))
    return 2;
  opt_key_uri = (gchar *) "/api/key?id={id}";
  sv.jobs = csctl_jobs_new (argv[1], WORKERS, opt_timeout, error);
  if (sv.jobs == NULL)
    return 1;
  sv.web_dir = csctl_find_web_dir ();
  sv.live = csctl_live_new ();
  exports = csctl_exports_new (argv[1], error);
  if (exports == NULL)
    return 1;
  server = soup_server_new ("server-header", "csctl", NULL);
  g_signal_connect (server, "request-started",
      G_CALLBACK (on_request_started), &sv);
  g_signal_connect (server, "request-read", G_CALLBACK (on_request_read),
      &sv);
  soup_server_add_handler (server, "/", on_web, &sv, NULL);
  soup_server_add_handler (server, "/store/", on_store, &sv, NULL);
  soup_server_add_handler (server, "/api/ls", on_ls, &sv, NULL);
  soup_server_add_handler (server, "/api/playlist.m3u8", on_playlist, &sv,
      NULL);
  soup_server_add_handler (server, "/api/devices", on_devices, &sv, NULL);
  soup_server_add_handler (server, "/api/live.m3u8", on_live, &sv, NULL);
  soup_server_add_handler (server, "/api/key", on_key, &sv, NULL);
  csctl_exports_add_handlers (exports, server);
  sv.conns = csctl_conns_listen (server, address, opt_timeout, error);
  if (sv.conns == NULL) {
    csctl_exports_free (exports);
    return 1;
  }
  bound = csctl_conns_get_address (sv.conns);
  sv.address = g_inet_socket_address_get_address (bound);
  ip = g_inet_address_to_string (sv.address);
  g_print (strchr (ip, ':') ? "serving %s on http://[%s]:%u/\n" :
      "serving %s on http://%s:%u/\n", argv[1], ip,
      g_inet_socket_address_get_port (bound));
  loop = g_main_loop_new (NULL, FALSE);
  /* Stopped by a signal: the exports' files are removed. */
  g_unix_signal_add (SIGINT, quit_loop, loop);
  g_unix_signal_add (SIGTERM, quit_loop, loop);
  g_main_loop_run (loop);
  csctl_exports_free (exports);
  csctl_live_free (sv.live);
  g_free (sv.web_dir);
  return 0;
}
