/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve's connections.  Left to SoupServer (libsoup 3.2), a server
 * stopped answering after about `ulimit -n` connections: keep-alive
 * connections the client had closed stayed in CLOSE-WAIT (csctl serve
 * answers every request with "Connection: close" for that), accepting
 * stops for good at the first EMFILE, and a client that sends nothing, or
 * a byte now and then, holds its connection forever.
 *
 * So connections are accepted here, at most what the open-file limit
 * leaves room for (the others wait in the listen queue), and each must
 * have sent its request within the timeout; after that, its socket times
 * out when it makes no progress for as long.  One client address holds
 * at most MAX_PER_CLIENT of them (a browser opens 6), so that one client
 * cannot take them all from the others; the next is closed at once.
 * Main loop only. */
#include "csctl-serve.h"

#include <sys/resource.h>

/* Open files kept for the rest: stores, the page's files, GLib. */
#define RESERVED_FILES 64
#define MAX_CONNECTIONS 1024
#define MAX_PER_CLIENT 64

struct _CsctlConns
{
  SoupServer *server;
  GSocket *listener;
  GSource *accepting;           /* NULL while full or waiting to retry */
  guint retry;                  /* after an accept error */
  guint timeout_s;
  guint open, max_open;
  GHashTable *waiting;          /* peer "address:port" -> Conn whose
                                 * request is not in yet */
  GHashTable *per_client;       /* address -> connections open */
};

typedef struct
{
  CsctlConns *conns;
  GSocket *socket;              /* alive as long as its connection */
  gchar *peer;
  gchar *client;                /* the peer's address */
  guint deadline;
} Conn;

static void start_accepting (CsctlConns * conns);

static gchar *
client_name (GSocketAddress * address)
{
  return g_inet_address_to_string (g_inet_socket_address_get_address
      (G_INET_SOCKET_ADDRESS (address)));
}

static gchar *
peer_name (GSocketAddress * address)
{
  g_autofree gchar *ip = client_name (address);

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port
      (G_INET_SOCKET_ADDRESS (address)));
}

/* Adds @delta to @client's count of open connections; returns the count. */
static guint
count_client (CsctlConns * conns, const gchar * client, gint delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (conns->per_client,
          client)) + delta;

  if (n == 0)
    g_hash_table_remove (conns->per_client, client);
  else
    g_hash_table_insert (conns->per_client, g_strdup (client),
        GUINT_TO_POINTER (n));
  return n;
}

static void
stop_waiting (Conn * conn)
{
  if (conn->deadline)
    g_source_remove (conn->deadline);
  conn->deadline = 0;
  if (g_hash_table_lookup (conn->conns->waiting, conn->peer) == conn)
    g_hash_table_remove (conn->conns->waiting, conn->peer);
}

/* The request did not come in time: the connection is shut, libsoup sees
 * its end and lets it go. */
static gboolean
on_deadline (gpointer data)
{
  Conn *conn = data;

  conn->deadline = 0;
  stop_waiting (conn);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

/* libsoup let the connection go. */
static void
on_closed (gpointer data, GObject * where_the_connection_was)
{
  Conn *conn = data;
  CsctlConns *conns = conn->conns;

  stop_waiting (conn);
  count_client (conns, conn->client, -1);
  g_free (conn->peer);
  g_free (conn->client);
  g_free (conn);
  conns->open--;
  if (conns->accepting == NULL && conns->retry == 0)
    start_accepting (conns);
}

static void
take_connection (CsctlConns * conns, GSocket * socket)
{
  g_autoptr (GSocketConnection) stream = NULL;
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket,
      NULL);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket,
      NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *client = NULL;
  Conn *conn;

  if (local == NULL || remote == NULL)
    return;                     /* gone already */
  client = client_name (remote);
  if (GPOINTER_TO_UINT (g_hash_table_lookup (conns->per_client, client))
      >= MAX_PER_CLIENT) {
    g_socket_close (socket, NULL);
    return;
  }
  count_client (conns, client, 1);
  g_socket_set_timeout (socket, conns->timeout_s);
  stream = g_socket_connection_factory_create_connection (socket);
  /* Known before libsoup starts: it may read the whole request at once. */
  conn = g_new0 (Conn, 1);
  conn->conns = conns;
  conn->socket = socket;
  conn->peer = peer_name (remote);
  conn->client = g_steal_pointer (&client);
  conn->deadline = g_timeout_add_seconds (conns->timeout_s, on_deadline,
      conn);
  g_hash_table_replace (conns->waiting, conn->peer, conn);
  g_object_weak_ref (G_OBJECT (stream), on_closed, conn);
  conns->open++;
  if (!soup_server_accept_iostream (conns->server, G_IO_STREAM (stream),
          local, remote, &error))
    g_printerr ("csctl serve: %s\n", error->message);
}

static gboolean
on_retry (gpointer data)
{
  CsctlConns *conns = data;

  conns->retry = 0;
  start_accepting (conns);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket * listener, GIOCondition condition, gpointer data)
{
  CsctlConns *conns = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, &error);

  if (socket == NULL && g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (socket != NULL) {
    take_connection (conns, socket);
  } else {
    /* Out of files after all (other processes, the stores): again in a
     * second, or when a connection ends. */
    g_printerr ("csctl serve: cannot accept a connection: %s\n",
        error->message);
    conns->retry = g_timeout_add_seconds (1, on_retry, conns);
  }
  if (conns->retry == 0 && conns->open < conns->max_open)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&conns->accepting, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
start_accepting (CsctlConns * conns)
{
  if (conns->open >= conns->max_open)
    return;
  conns->accepting = g_socket_create_source (conns->listener, G_IO_IN, NULL);
  g_source_set_callback (conns->accepting, (GSourceFunc) (GCallback)
      on_incoming, conns, NULL);
  g_source_attach (conns->accepting, NULL);
}

CsctlConns *
csctl_conns_listen (SoupServer * server, GSocketAddress * address,
    guint timeout_s, GError ** error)
{
  CsctlConns *conns = g_new0 (CsctlConns, 1);
  struct rlimit files = { RLIM_INFINITY, RLIM_INFINITY };

  getrlimit (RLIMIT_NOFILE, &files);
  if (files.rlim_cur == RLIM_INFINITY
      || files.rlim_cur >= RESERVED_FILES + MAX_CONNECTIONS)
    conns->max_open = MAX_CONNECTIONS;
  else
    conns->max_open = MAX (8, (gint) files.rlim_cur - RESERVED_FILES);
  conns->server = server;
  conns->timeout_s = timeout_s;
  conns->waiting = g_hash_table_new (g_str_hash, g_str_equal);
  conns->per_client = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  conns->listener = g_socket_new (g_socket_address_get_family (address),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (conns->listener == NULL)
    return NULL;
  g_socket_set_blocking (conns->listener, FALSE);
  g_socket_set_listen_backlog (conns->listener, 128);
  if (!g_socket_bind (conns->listener, address, TRUE, error)
      || !g_socket_listen (conns->listener, error))
    return NULL;
  start_accepting (conns);
  return conns;
}

GInetSocketAddress *
csctl_conns_get_address (CsctlConns * conns)
{
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (conns->listener,
          NULL));
}

void
csctl_conns_request_read (CsctlConns * conns, SoupServerMessage * msg)
{
  g_autofree gchar *peer = peer_name (soup_server_message_get_remote_address
      (msg));
  Conn *conn = g_hash_table_lookup (conns->waiting, peer);

  if (conn != NULL)
    stop_waiting (conn);
}
