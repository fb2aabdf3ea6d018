/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-proxy.h"

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

struct _CsTestProxy {
  gchar *upstream;              /* "http://127.0.0.1:7480" */
  gdouble fault_rate;
  GRand *rand;
  SoupSession *session;
  SoupServer *server;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint port;
  GPtrArray *hung;
  GMutex lock;
  CsTestProxyCounts counts;
};

/* End-to-end headers only; Host is kept, as the signature covers it. */
static void
copy_header (const char *name, const char *value, gpointer to)
{
  const gchar *hop[] = { "Content-Length", "Connection", "Keep-Alive",
    "Transfer-Encoding", "Expect", NULL
  };

  for (guint i = 0; hop[i]; i++)
    if (g_ascii_strcasecmp (name, hop[i]) == 0)
      return;
  soup_message_headers_replace (to, name, value);
}

/* Runs in the proxy's thread; one request at a time is enough for cssink,
 * which uploads one segment at a time. */
static void
handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CsTestProxy *p = data;
  gdouble draw = g_rand_double (p->rand);
  guint fault = g_rand_int_range (p->rand, 0, 4);
  SoupMessageBody *body;
  g_autoptr (SoupMessage) fwd = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autofree gchar *url = NULL;
  const gchar *q = g_uri_get_query (soup_server_message_get_uri (msg));

  g_mutex_lock (&p->lock);
  if (draw < p->fault_rate && fault == 0) {
    p->counts.error_500++;
    g_mutex_unlock (&p->lock);
    soup_server_message_set_status (msg, 500, NULL);
    return;
  }
  if (draw < p->fault_rate && fault == 1) {
    const gchar *xml = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
        "<Message>Please reduce your request rate.</Message></Error>";
    p->counts.slow_down++;
    g_mutex_unlock (&p->lock);
    soup_server_message_set_status (msg, 503, NULL);
    soup_server_message_set_response (msg, "application/xml",
        SOUP_MEMORY_STATIC, xml, strlen (xml));
    return;
  }
  if (draw < p->fault_rate && fault == 2) {
    GIOStream *conn;
    p->counts.cut++;
    g_mutex_unlock (&p->lock);
    conn = soup_server_message_steal_connection (msg);
    g_io_stream_close (conn, NULL, NULL);
    g_object_unref (conn);
    return;
  }
  if (draw < p->fault_rate) {
    p->counts.hung++;
    soup_server_message_pause (msg);
    g_ptr_array_add (p->hung, g_object_ref (msg));
    g_mutex_unlock (&p->lock);
    return;
  }
  p->counts.forwarded++;
  g_mutex_unlock (&p->lock);

  url = g_strdup_printf ("%s%s%s%s", p->upstream, g_uri_get_path
      (soup_server_message_get_uri (msg)), q ? "?" : "", q ? q : "");
  fwd = soup_message_new (soup_server_message_get_method (msg), url);
  soup_message_headers_foreach (soup_server_message_get_request_headers
      (msg), copy_header, soup_message_get_request_headers (fwd));
  body = soup_server_message_get_request_body (msg);
  request = soup_message_body_flatten (body);
  soup_message_set_request_body_from_bytes (fwd, NULL, request);
  reply = soup_session_send_and_read (p->session, fwd, NULL, NULL);
  soup_server_message_set_status (msg, soup_message_get_status (fwd), NULL);
  if (reply != NULL)
    soup_server_message_set_response (msg, "application/xml",
        SOUP_MEMORY_COPY, g_bytes_get_data (reply, NULL),
        g_bytes_get_size (reply));
}

static gpointer
proxy_thread (gpointer data)
{
  CsTestProxy *p = data;

  g_main_context_push_thread_default (p->context);
  g_main_loop_run (p->loop);
  g_main_context_pop_thread_default (p->context);
  return NULL;
}

CsTestProxy *
cs_test_proxy_start (const gchar * upstream, gdouble fault_rate, guint32 seed)
{
  CsTestProxy *p = g_new0 (CsTestProxy, 1);
  GSList *uris;

  p->upstream = g_strdup (upstream);
  p->fault_rate = fault_rate;
  p->rand = g_rand_new_with_seed (seed);
  p->hung = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&p->lock);
  p->context = g_main_context_new ();
  p->loop = g_main_loop_new (p->context, FALSE);
  g_main_context_push_thread_default (p->context);
  p->session = soup_session_new ();
  p->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (p->server, NULL, handle, p, NULL);
  fail_unless (soup_server_listen_local (p->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  g_main_context_pop_thread_default (p->context);
  uris = soup_server_get_uris (p->server);
  p->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  p->thread = g_thread_new ("test-proxy", proxy_thread, p);
  return p;
}

gchar *
cs_test_proxy_uri (CsTestProxy * p)
{
  return g_strdup_printf ("http://127.0.0.1:%u", p->port);
}

void
cs_test_proxy_get_counts (CsTestProxy * p, CsTestProxyCounts * c)
{
  g_mutex_lock (&p->lock);
  *c = p->counts;
  g_mutex_unlock (&p->lock);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (((CsTestProxy *) data)->loop);
  return G_SOURCE_REMOVE;
}

void
cs_test_proxy_stop (CsTestProxy * p)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, quit_loop, p, NULL);
  g_source_attach (source, p->context);
  g_source_unref (source);
  g_thread_join (p->thread);
  g_ptr_array_unref (p->hung);
  g_object_unref (p->server);
  g_object_unref (p->session);
  g_main_loop_unref (p->loop);
  g_main_context_unref (p->context);
  g_rand_free (p->rand);
  g_mutex_clear (&p->lock);
  g_free (p->upstream);
  g_free (p);
}
