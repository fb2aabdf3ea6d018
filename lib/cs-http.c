/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "cs-http.h"

#include <string.h>

SoupSession *
cs_http_session_new (const CsStoreConfig * config, GError ** error)
{
  guint timeout = config->timeout_s ? config->timeout_s : 15;
  SoupSession *session = soup_session_new_with_options ("timeout", timeout,
      "idle-timeout", 60, "user-agent", "gst-cloudstorage/" VERSION, NULL);

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
cs_http_send (SoupSession * session, SoupMessage * msg,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GError) send_error = NULL;
  GBytes *body = soup_session_send_and_read (session, msg, cancellable,
      &send_error);

  if (body != NULL)
    return body;
  if (send_error->domain == G_TLS_ERROR
      || soup_message_get_tls_peer_certificate_errors (msg) != 0) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_FAILED,
        "TLS connection to %s refused: %s (set tls-ca-file for a private CA)",
        g_uri_get_host (soup_message_get_uri (msg)), send_error->message);
  } else {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_UNAVAILABLE,
        "cannot reach %s: %s", g_uri_get_host (soup_message_get_uri (msg)),
        send_error->message);
  }
  return NULL;
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
