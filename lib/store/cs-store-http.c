/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* http(s)://host/path — plain HTTP PUT/GET/DELETE, e.g. a WebDAV server. */
#include "cs-store-private.h"
#include "cs-http.h"
#include "cs-sigv4.h"

typedef struct {
  CsStore parent;
  SoupSession *session;
  gchar *base;                  /* "scheme://host[:port]/path/" */
} CsStoreHttp;

static gchar *
http_url (CsStore * store, const gchar * key, guint expires_s)
{
  g_autofree gchar *path = cs_sigv4_uri_encode (key, TRUE);
  return g_strconcat (((CsStoreHttp *) store)->base, path, NULL);
}

static GBytes *
http_request (CsStoreHttp * self, const gchar * method, const gchar * key,
    GBytes * body, const gchar * content_type, const gchar * what,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = http_url (&self->parent, key, 0);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) reply = NULL;
  guint status;

  if (msg == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "cannot make a request URL for '%s'", key);
    return NULL;
  }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  reply = cs_http_send (self->session, msg, g_str_equal (method, "GET") ?
      CS_HTTP_MAX_OBJECT_BYTES : CS_HTTP_MAX_ERROR_BYTES, cancellable, error);
  if (reply == NULL)
    return NULL;
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_set_error (error, CS_STORE_ERROR, cs_http_status_to_error_code (status),
        "HTTP %s of '%s' failed: %u %s", what, key, status,
        soup_status_get_phrase (status));
    cs_store_error_set_answer (error, status, NULL);
    return NULL;
  }
  return g_steal_pointer (&reply);
}

static gboolean
http_put (CsStore * store, const gchar * key, GBytes * data,
    const gchar * content_type, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GBytes) reply = http_request ((CsStoreHttp *) store, "PUT", key,
      data, content_type, "upload", cancellable, error);
  return reply != NULL;
}

static GBytes *
http_get (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  return http_request ((CsStoreHttp *) store, "GET", key, NULL, NULL,
      "download", cancellable, error);
}

static gboolean
http_delete (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) reply = http_request ((CsStoreHttp *) store, "DELETE",
      key, NULL, NULL, "delete", cancellable, error);
  return reply != NULL;
}

static GPtrArray *
http_list (CsStore * store, const gchar * prefix, GCancellable * cancellable,
    GError ** error)
{
  g_set_error_literal (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_SUPPORTED,
      "plain HTTP stores cannot be listed; use an s3:// or file:// store "
      "where the recordings must be found again");
  return NULL;
}

static void
http_free (CsStore * store)
{
  CsStoreHttp *self = (CsStoreHttp *) store;
  g_clear_object (&self->session);
  g_free (self->base);
  g_free (self);
}

static const CsStoreBackend http_backend = {
  http_put, http_get, http_delete, http_list, http_url, http_free
};

CsStore *
cs_store_http_new (GUri * base, const CsStoreConfig * config, GError ** error)
{
  CsStoreHttp *self;
  g_autofree gchar *host = NULL;
  const gchar *path = g_uri_get_path (base);

  if (g_uri_get_host (base) == NULL || !*g_uri_get_host (base)) {
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT, "the HTTP store URI has no host");
    return NULL;
  }
  self = g_new0 (CsStoreHttp, 1);
  self->parent.backend = &http_backend;
  self->session = cs_http_session_new (config, error);
  if (self->session == NULL) {
    http_free (&self->parent);
    return NULL;
  }
  host = cs_http_host_header (base);
  self->base = g_strdup_printf ("%s://%s%s%s", g_uri_get_scheme (base), host,
      *path == '/' ? "" : "/", path);
  if (!g_str_has_suffix (self->base, "/")) {
    gchar *with_slash = g_strconcat (self->base, "/", NULL);
    g_free (self->base);
    self->base = with_slash;
  }
  self->parent.identity = g_strdup (self->base);
  return &self->parent;
}
