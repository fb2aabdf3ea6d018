/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve: the store for a browser.  The web page (web/) and hls.js are
 * served from the web directory; the JSON API is csctl's own:
 *
 *   GET /api/devices                          {"devices": [...]}
 *   GET /api/ls?device=D&from=T&to=T          as csctl ls --json
 *   GET /api/playlist.m3u8?device=D&from=T&to=T | &event=ID
 *   GET /store/<key>                          an object of the store
 *
 * Playlists name their segments as /store/<key>, so a page plays any store
 * (file://, s3:// with credentials) through this server.  Keys are
 * validated; nothing outside the store or the web directory is served. */
#include "csctl.h"
#include "cs-json.h"
#include "cs-key.h"

#include <libsoup/soup.h>
#include <string.h>

extern gchar *opt_listen;

typedef struct
{
  CsStore *store;
  gchar *web_dir;
} Serve;

static void
reply (SoupServerMessage * msg, guint status, const gchar * type,
    GBytes * body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
      g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
reply_text (SoupServerMessage * msg, guint status, const gchar * type,
    const gchar * text)
{
  g_autoptr (GBytes) body = g_bytes_new (text, strlen (text));

  reply (msg, status, type, body);
}

static void
reply_error (SoupServerMessage * msg, guint status, const gchar * what)
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

static guint
status_of (const GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_FOUND))
    return SOUP_STATUS_NOT_FOUND;
  if (error->domain == G_OPTION_ERROR)
    return SOUP_STATUS_BAD_REQUEST;
  return SOUP_STATUS_BAD_GATEWAY;
}

static const gchar *
content_type (const gchar * name)
{
  static const struct
  {
    const gchar *suffix, *type;
  } types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"},
    {".css", "text/css"}, {".ts", "video/mp2t"}, {".jpg", "image/jpeg"},
    {".json", "application/json"}, {".m3u8", "application/vnd.apple.mpegurl"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (name, types[i].suffix))
      return types[i].type;
  return "application/octet-stream";
}

/* The page's own files, by name only. */
static void
on_web (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  static const struct
  {
    const gchar *url, *file;
  } files[] = {
    {"/", "index.html"}, {"/index.html", "index.html"},
    {"/app.js", "app.js"}, {"/style.css", "style.css"},
    {"/hls.min.js", "node_modules/hls.js/dist/hls.min.js"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *file = NULL, *contents = NULL;
    g_autoptr (GBytes) body = NULL;
    gsize len;

    if (!g_str_equal (path, files[i].url))
      continue;
    file = g_build_filename (sv->web_dir, files[i].file, NULL);
    if (!g_file_get_contents (file, &contents, &len, NULL)) {
      reply_error (msg, SOUP_STATUS_NOT_FOUND,
          "the page's files are missing (run scripts/setup.sh)");
      return;
    }
    body = g_bytes_new_take (g_steal_pointer (&contents), len);
    reply (msg, SOUP_STATUS_OK, content_type (files[i].file), body);
    return;
  }
  reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such page");
}

static void
on_store (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  const gchar *key = path + strlen ("/store/");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;

  if (!cs_key_is_valid (key)) {
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "not a key of the store");
    return;
  }
  body = cs_store_get (sv->store, key, NULL, &error);
  if (body == NULL)
    reply_error (msg, status_of (error), error->message);
  else
    reply (msg, SOUP_STATUS_OK, content_type (key), body);
}

/* DEVICE and the range (or event) of a request. */
static gboolean
request_args (GHashTable * query, const gchar ** device, gint64 * from,
    gint64 * to, GError ** error)
{
  const gchar *f = query ? g_hash_table_lookup (query, "from") : NULL;
  const gchar *t = query ? g_hash_table_lookup (query, "to") : NULL;

  *device = query ? g_hash_table_lookup (query, "device") : NULL;
  if (!cs_key_name_is_valid (*device)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "give a valid device");
    return FALSE;
  }
  *to = g_get_real_time () / 1000;
  if (t && !csctl_parse_time (t, to, error))
    return FALSE;
  *from = *to - 24 * 3600 * G_GINT64_CONSTANT (1000);
  if (f && !csctl_parse_time (f, from, error))
    return FALSE;
  if (*from >= *to || *to - *from > 31 * 24 * 3600 * G_GINT64_CONSTANT (1000)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "from must be before to, at most 31 days");
    return FALSE;
  }
  return TRUE;
}

static void
on_ls (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = NULL;
  const gchar *device;
  gint64 from, to;

  if (request_args (query, &device, &from, &to, &error))
    json = csctl_ls_json (sv->store, device, from, to, &error);
  if (json == NULL)
    reply_error (msg, status_of (error), error->message);
  else
    reply_text (msg, SOUP_STATUS_OK, "application/json", json);
}

static void
on_playlist (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) segs = NULL;
  g_autofree gchar *text = NULL;
  const gchar *device, *event = query ? g_hash_table_lookup (query, "event") :
      NULL;
  gint64 from, to;

  if (request_args (query, &device, &from, &to, &error))
    segs = event ? csctl_event_segments (sv->store, device, event, FALSE,
        &from, &to, &error) : csctl_find_segments (sv->store, device, from,
        to, FALSE, &error);
  if (segs == NULL) {
    reply_error (msg, status_of (error), error->message);
    return;
  }
  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    gchar *url = g_strconcat ("/store/", e->uri, NULL);
    g_free (e->uri);
    e->uri = url;
  }
  text = cs_playlist_vod ((CsPlaylistEntry *) segs->data, segs->len);
  reply_text (msg, SOUP_STATUS_OK, "application/vnd.apple.mpegurl", text);
}

/* Devices: the first level of the store's keys. */
static void
on_devices (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Serve *sv = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) objects = cs_store_list (sv->store, "", NULL, &error);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autofree gchar *json = NULL;

  if (objects == NULL) {
    reply_error (msg, status_of (error), error->message);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (guint i = 0; i < objects->len; i++) {
    const gchar *key = ((CsStoreObject *) g_ptr_array_index (objects, i))->key;
    const gchar *slash = strchr (key, '/');
    g_autofree gchar *device = slash ? g_strndup (key, slash - key) : NULL;

    if (device && cs_key_name_is_valid (device)
        && g_hash_table_add (seen, g_strdup (device)))
      json_builder_add_string_value (b, device);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json = cs_json_builder_to_data (b);
  reply_text (msg, SOUP_STATUS_OK, "application/json", json);
}

int
csctl_serve (int argc, char **argv, GError ** error)
{
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree gchar *host = NULL;
  GSList *uris;
  Serve sv = { NULL, NULL };
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
  host = g_strndup (opt_listen, colon - opt_listen);
  address = g_inet_socket_address_new_from_string (host, port);
  if (address == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "'%s' is not an IP address", host);
    return 2;
  }
  sv.store = csctl_open_store (argv[1], error);
  if (sv.store == NULL)
    return 1;
  sv.web_dir = g_strdup (g_getenv ("CSCTL_WEB_DIR") ?
      g_getenv ("CSCTL_WEB_DIR") : CSCTL_WEB_DIR);

  server = soup_server_new ("server-header", "csctl", NULL);
  soup_server_add_handler (server, "/", on_web, &sv, NULL);
  soup_server_add_handler (server, "/store/", on_store, &sv, NULL);
  soup_server_add_handler (server, "/api/ls", on_ls, &sv, NULL);
  soup_server_add_handler (server, "/api/playlist.m3u8", on_playlist, &sv,
      NULL);
  soup_server_add_handler (server, "/api/devices", on_devices, &sv, NULL);
  if (!soup_server_listen (server, address, 0, error)) {
    cs_store_free (sv.store);
    g_free (sv.web_dir);
    return 1;
  }
  uris = soup_server_get_uris (server);
  if (uris) {
    g_autofree gchar *url = g_uri_to_string (uris->data);
    g_print ("serving %s on %s\n", cs_store_get_display_uri (sv.store), url);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  cs_store_free (sv.store);
  g_free (sv.web_dir);
  return 0;
}
