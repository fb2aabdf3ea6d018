/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-http-store.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#define CHUNK (64 * 1024)

struct _CsTestHttpStore
{
  gchar *root;
  gint down;                    /* atomic: status, or 0 */
  gint endless;                 /* atomic: status, or 0 */
  gsize endless_bytes;          /* atomic */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
};

static gchar chunk[CHUNK];

static void
write_next (SoupServerMessage * msg, gpointer data)
{
  CsTestHttpStore *srv = data;

  soup_message_body_append (soup_server_message_get_response_body (msg),
      SOUP_MEMORY_STATIC, chunk, CHUNK);
  g_atomic_pointer_add (&srv->endless_bytes, CHUNK);
}

static void
answer_endless (CsTestHttpStore * srv, SoupServerMessage * msg, guint status)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/xml", NULL);
  /* What was written is not kept: the server's memory stays flat. */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_STATIC,
      "<?xml version=\"1.0\"?><Error><Code>", 34);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (write_next), srv);
}

static void
handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CsTestHttpStore *srv = data;
  const gchar *method = soup_server_message_get_method (msg);
  g_autofree gchar *file = g_build_filename (srv->root, path, NULL);
  guint status;

  if ((status = g_atomic_int_get (&srv->endless))) {
    answer_endless (srv, msg, status);
    return;
  }
  if ((status = g_atomic_int_get (&srv->down))) {
    soup_server_message_set_status (msg, status, NULL);
    return;
  }
  if (strstr (path, "/..") != NULL) {
    soup_server_message_set_status (msg, 400, NULL);
  } else if (g_str_equal (method, "PUT")) {
    SoupMessageBody *body = soup_server_message_get_request_body (msg);
    g_autofree gchar *dir = g_path_get_dirname (file);
    g_autoptr (GBytes) bytes = soup_message_body_flatten (body);

    fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
    fail_unless (g_file_set_contents (file, g_bytes_get_data (bytes, NULL),
            g_bytes_get_size (bytes), NULL));
    soup_server_message_set_status (msg, 201, NULL);
  } else if (g_str_equal (method, "GET")) {
    gchar *contents;
    gsize len;

    if (g_file_get_contents (file, &contents, &len, NULL)) {
      soup_server_message_set_response (msg, "application/octet-stream",
          SOUP_MEMORY_TAKE, contents, len);
      soup_server_message_set_status (msg, 200, NULL);
    } else {
      soup_server_message_set_status (msg, 404, NULL);
    }
  } else {
    soup_server_message_set_status (msg, 405, NULL);
  }
}

static gpointer
serve (gpointer data)
{
  CsTestHttpStore *srv = data;

  g_main_context_push_thread_default (srv->context);
  g_main_loop_run (srv->loop);
  g_main_context_pop_thread_default (srv->context);
  return NULL;
}

CsTestHttpStore *
cs_test_http_store_start (const gchar * root)
{
  CsTestHttpStore *srv = g_new0 (CsTestHttpStore, 1);
  GSList *uris;

  memset (chunk, 'x', CHUNK);
  srv->root = g_strdup (root);
  srv->context = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->context, FALSE);
  g_main_context_push_thread_default (srv->context);
  srv->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (srv->server, NULL, handle, srv, NULL);
  fail_unless (soup_server_listen_local (srv->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  g_main_context_pop_thread_default (srv->context);
  uris = soup_server_get_uris (srv->server);
  srv->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  srv->thread = g_thread_new ("http-store", serve, srv);
  return srv;
}

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

void
cs_test_http_store_stop (CsTestHttpStore * srv)
{
  GSource *source = g_idle_source_new ();

  /* Dispatched by the server's loop even if it has not run yet. */
  g_source_set_callback (source, quit, srv->loop, NULL);
  g_source_attach (source, srv->context);
  g_source_unref (source);
  g_thread_join (srv->thread);
  g_object_unref (srv->server);
  g_main_loop_unref (srv->loop);
  g_main_context_unref (srv->context);
  g_free (srv->root);
  g_free (srv);
}

gchar *
cs_test_http_store_uri (CsTestHttpStore * srv)
{
  return g_strdup_printf ("http://127.0.0.1:%u/", srv->port);
}

void
cs_test_http_store_set_down (CsTestHttpStore * srv, guint status)
{
  g_atomic_int_set (&srv->down, status);
}

void
cs_test_http_store_set_endless (CsTestHttpStore * srv, guint status)
{
  g_atomic_int_set (&srv->endless, status);
}

guint64
cs_test_http_store_endless_bytes (CsTestHttpStore * srv)
{
  return (guint64) g_atomic_pointer_get (&srv->endless_bytes);
}
