/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-server.h"

#include <gst/check/gstcheck.h>

static void
handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CsTestServer *srv = data;
  guint status;

  g_mutex_lock (&srv->lock);
  srv->requests++;
  if (srv->hang) {
    soup_server_message_pause (msg);
    g_ptr_array_add (srv->held, g_object_ref (msg));
    g_mutex_unlock (&srv->lock);
    return;
  }
  status = srv->statuses.length ?
      GPOINTER_TO_UINT (g_queue_pop_head (&srv->statuses)) : 201;
  if (status == 201)
    g_ptr_array_add (srv->stored, g_strdup (path + 1));
  g_mutex_unlock (&srv->lock);
  soup_server_message_set_status (msg, status, NULL);
}

static gboolean
release_held (gpointer data)
{
  CsTestServer *srv = data;

  g_mutex_lock (&srv->lock);
  srv->hang = FALSE;
  for (guint i = 0; i < srv->held->len; i++) {
    SoupServerMessage *msg = g_ptr_array_index (srv->held, i);
    g_ptr_array_add (srv->stored,
        g_strdup (g_uri_get_path (soup_server_message_get_uri (msg)) + 1));
    soup_server_message_set_status (msg, 201, NULL);
    soup_server_message_unpause (msg);
  }
  g_ptr_array_set_size (srv->held, 0);
  g_mutex_unlock (&srv->lock);
  return G_SOURCE_REMOVE;
}

/* Always dispatched by the server's own loop, even before it runs. */
static void
run_in_server (CsTestServer * srv, GSourceFunc func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, srv, NULL);
  g_source_attach (source, srv->context);
  g_source_unref (source);
}

void
cs_test_server_release_held (CsTestServer * srv)
{
  run_in_server (srv, release_held);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (((CsTestServer *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  CsTestServer *srv = data;

  g_main_context_push_thread_default (srv->context);
  g_main_loop_run (srv->loop);
  g_main_context_pop_thread_default (srv->context);
  return NULL;
}

CsTestServer *
cs_test_server_start (GTlsCertificate * certificate)
{
  CsTestServer *srv = g_new0 (CsTestServer, 1);
  GSList *uris;

  g_mutex_init (&srv->lock);
  srv->held = g_ptr_array_new_with_free_func (g_object_unref);
  srv->stored = g_ptr_array_new_with_free_func (g_free);
  srv->context = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->context, FALSE);
  srv->https = certificate != NULL;
  g_main_context_push_thread_default (srv->context);
  srv->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (srv->server, NULL, handle, srv, NULL);
  fail_unless (soup_server_listen_local (srv->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY | (srv->https ?
              SOUP_SERVER_LISTEN_HTTPS : 0), NULL));
  g_main_context_pop_thread_default (srv->context);
  uris = soup_server_get_uris (srv->server);
  srv->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  srv->thread = g_thread_new ("test-server", server_thread, srv);
  return srv;
}

gchar *
cs_test_server_uri (CsTestServer * srv)
{
  return g_strdup_printf ("%s://127.0.0.1:%u/", srv->https ? "https" : "http",
      srv->port);
}

void
cs_test_server_stop (CsTestServer * srv)
{
  cs_test_server_release_held (srv);
  /* A quit before the loop runs would be lost. */
  run_in_server (srv, quit_loop);
  g_thread_join (srv->thread);
  g_object_unref (srv->server);
  g_main_loop_unref (srv->loop);
  g_main_context_unref (srv->context);
  g_ptr_array_unref (srv->held);
  g_ptr_array_unref (srv->stored);
  g_queue_clear (&srv->statuses);
  g_mutex_clear (&srv->lock);
  g_free (srv);
}

void
cs_test_server_refuse_next (CsTestServer * srv, guint n, guint status)
{
  g_mutex_lock (&srv->lock);
  for (guint i = 0; i < n; i++)
    g_queue_push_tail (&srv->statuses, GUINT_TO_POINTER (status));
  g_mutex_unlock (&srv->lock);
}

/* Where cs_test_server_add_fixture puts the server: set when the suite is
 * made, before Check forks a test's process. */
static CsTestServer **fixture_server;

static void
server_fixture_setup (void)
{
  *fixture_server = cs_test_server_start (NULL);
}

static void
server_fixture_teardown (void)
{
  g_clear_pointer (fixture_server, cs_test_server_stop);
}

void
cs_test_server_add_fixture (TCase * tc, CsTestServer ** srv)
{
  g_assert (fixture_server == NULL || fixture_server == srv);
  fixture_server = srv;
  tcase_add_checked_fixture (tc, server_fixture_setup,
      server_fixture_teardown);
}

void
cs_test_server_wait_requests (CsTestServer * srv, guint n)
{
  for (gint i = 0; i < 1000; i++) {
    guint got;

    g_mutex_lock (&srv->lock);
    got = srv->requests;
    g_mutex_unlock (&srv->lock);
    if (got >= n)
      return;
    g_usleep (10000);
  }
  fail ("the server got no request %u", n);
}
