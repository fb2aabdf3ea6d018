/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "cs-http.h"

#include <string.h>

/* The variable @lower, or when it is not set @upper (NULL: none). */
static const gchar *
getenv_either (const gchar * lower, const gchar * upper)
{
  const gchar *v = g_getenv (lower);

  if ((v == NULL || *v == '\0') && upper != NULL)
    v = g_getenv (upper);
  return v != NULL && *v != '\0' ? v : NULL;
}

/* Proxies as curl and libproxy's environment settings read them:
 * http_proxy, https_proxy (HTTPS_PROXY), all_proxy (ALL_PROXY), no_proxy
 * (NO_PROXY); NULL when none is set (direct connections).  Not GIO's default
 * resolver: that one loads libproxy and the desktop's settings modules
 * (dconf, GNOME), 3.7 MB of a camera's memory for settings it does not
 * have.  HTTP_PROXY is not read: a CGI program gets it from a request's
 * Proxy header. */
static GProxyResolver *
proxy_resolver_from_env (void)
{
  const gchar *http = getenv_either ("http_proxy", NULL);
  const gchar *https = getenv_either ("https_proxy", "HTTPS_PROXY");
  const gchar *all = getenv_either ("all_proxy", "ALL_PROXY");
  const gchar *no = getenv_either ("no_proxy", "NO_PROXY");
  g_auto (GStrv) ignore = NULL;
  GProxyResolver *resolver;

  if (http == NULL && https == NULL && all == NULL)
    return NULL;
  ignore = g_strsplit (no ? no : "", ",", -1);
  for (guint i = 0; ignore[i]; i++)
    g_strstrip (ignore[i]);
  resolver = g_simple_proxy_resolver_new (all, ignore);
  if (http)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER
        (resolver), "http", http);
  if (https)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER
        (resolver), "https", https);
  return resolver;
}

SoupSession *
cs_http_session_new (const CsStoreConfig * config, GError ** error)
{
  guint timeout = config->timeout_s ? config->timeout_s : 15;
  g_autoptr (GProxyResolver) proxies = proxy_resolver_from_env ();
  SoupSession *session = soup_session_new_with_options ("timeout", timeout,
      "idle-timeout", 60, "user-agent", "gst-cloudstorage/" VERSION,
      "proxy-resolver", proxies, NULL);

  if (config->tls_ca_file != NULL && *config->tls_ca_file != '\0') {
    g_autoptr (GError) ca_error = NULL;
    g_autoptr (GTlsDatabase) db =
        g_tls_file_database_new (config->tls_ca_file, &ca_error);
    if (db == NULL) {
      g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
          "cannot read the TLS CA file '%s': %s", config->tls_ca_file,
          ca_error->message);
      g_object_unref (session);
      return NULL;
    }
    soup_session_set_tls_database (session, db);
  }
  return session;
}

gchar *
cs_http_host_header (GUri * uri)
{
  const gchar *host = g_uri_get_host (uri);
  gint port = g_uri_get_port (uri);
  gint default_port =
      g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
  gboolean v6 = strchr (host, ':') != NULL;

  if (port == -1 || port == default_port)
    return v6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  return v6 ? g_strdup_printf ("[%s]:%d", host, port) :
      g_strdup_printf ("%s:%d", host, port);
}

GBytes *
cs_http_read_capped (GInputStream * in, gsize cap, gboolean * truncated,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint8 chunk[16 * 1024];

  *truncated = FALSE;
  for (;;) {
    gssize n = g_input_stream_read (in, chunk, sizeof chunk, cancellable,
        error);

    if (n < 0)
      return NULL;
    if (n == 0)
      break;
    if ((gsize) n > cap - body->len) {
      g_byte_array_append (body, chunk, cap - body->len);
      *truncated = TRUE;
      break;
    }
    g_byte_array_append (body, chunk, n);
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&body));
}

static gchar *
size_text (gsize bytes)
{
  return bytes % (1024 * 1024) == 0 ?
      g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", bytes / (1024 * 1024)) :
      g_strdup_printf ("%" G_GSIZE_FORMAT " bytes", bytes);
}

GBytes *
cs_http_send (SoupSession * session, SoupMessage * msg, gsize max_body,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GError) send_error = NULL;
  g_autoptr (GInputStream) in = soup_session_send (session, msg, cancellable,
      &send_error);
  g_autoptr (GBytes) body = NULL;
  const gchar *host = g_uri_get_host (soup_message_get_uri (msg));
  guint status;
  gsize cap;
  gboolean truncated;

  if (in == NULL) {
    if (send_error->domain == G_TLS_ERROR
        || soup_message_get_tls_peer_certificate_errors (msg) != 0) {
      g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_FAILED,
          "TLS connection to %s refused: %s (set tls-ca-file for a private "
          "CA)", host, send_error->message);
    } else {
      g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_UNAVAILABLE,
          "cannot reach %s: %s", host, send_error->message);
    }
    return NULL;
  }
  status = soup_message_get_status (msg);
  cap = SOUP_STATUS_IS_SUCCESSFUL (status) ? max_body :
      MIN (max_body, CS_HTTP_MAX_ERROR_BYTES);
  body = cs_http_read_capped (in, cap, &truncated, cancellable, &send_error);
  /* Unread data left: the connection is closed, not reused. */
  g_input_stream_close (in, NULL, NULL);
  if (body == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_UNAVAILABLE,
        "reading the answer of %s failed: %s", host, send_error->message);
    return NULL;
  }
  if (truncated) {
    g_autofree gchar *limit = size_text (cap);

    g_set_error (error, CS_STORE_ERROR, SOUP_STATUS_IS_SUCCESSFUL (status) ?
        CS_STORE_ERROR_FAILED : cs_http_status_to_error_code (status),
        "the answer of %s (HTTP %u %s) is longer than %s: not read further",
        host, status, soup_status_get_phrase (status), limit);
    cs_store_error_set_answer (error, status, NULL);
    return NULL;
  }
  return g_steal_pointer (&body);
}

CsStoreError
cs_http_status_to_error_code (guint status)
{
  if (status == 401 || status == 403)
    return CS_STORE_ERROR_NOT_AUTHORIZED;
  if (status == 404)
    return CS_STORE_ERROR_NOT_FOUND;
  if (status == 408 || status == 429 || status >= 500)
    return CS_STORE_ERROR_UNAVAILABLE;
  return CS_STORE_ERROR_FAILED;
}
