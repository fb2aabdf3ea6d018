/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3://bucket/prefix — any S3-compatible service, SigV4; path-style
 * requests (http://host/bucket/key), or virtual-hosted style
 * (http://bucket.host/key) for services that want the bucket in the host
 * name. */
#include "cs-store-private.h"
#include "cs-http.h"
#include "cs-s3-xml.h"
#include "cs-sigv4.h"

#include <string.h>

typedef struct {
  CsStore parent;
  SoupSession *session;
  gchar *endpoint;              /* "scheme://host[:port]", no trailing '/';
                                 * virtual-hosted: "scheme://bucket.host..." */
  gchar *host_header;           /* as signed: "[bucket.]host[:port]" */
  gboolean virtual_hosted;
  gchar *bucket;
  gchar *prefix;                /* "" or "a/b/" */
  gchar *region;
  gchar *access_key;
  gchar *secret_key;
  gchar *session_token;
  gint clock_offset_s;          /* server minus device time (atomic) */
  CsStoreNoticeFunc notice;
  gpointer notice_data;
} CsStoreS3;

/* The device's time as the server sees it, for signing: a camera may start
 * with its clock hours off, before NTP has run. */
static gint64
s3_now (CsStoreS3 * self)
{
  return g_get_real_time () / G_USEC_PER_SEC +
      g_atomic_int_get (&self->clock_offset_s);
}

/* After a RequestTimeTooSkewed refusal (@code of the error document) of a
 * request signed with @signed_offset: takes the offset from the answer's
 * Date header, as AWS's own SDKs do.  TRUE when the offset now differs from
 * the one signed with (worth one more try). */
static gboolean
s3_correct_clock (CsStoreS3 * self, SoupMessage * msg, const gchar * code,
    gint signed_offset)
{
  g_autoptr (GDateTime) server = NULL;
  g_autofree gchar *text = NULL;
  const gchar *date = soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Date");
  gint64 offset;

  if (g_strcmp0 (code, "RequestTimeTooSkewed") != 0 || date == NULL)
    return FALSE;
  server = soup_date_time_new_from_http_string (date);
  if (server == NULL)
    return FALSE;
  offset = g_date_time_to_unix (server) - g_get_real_time () / G_USEC_PER_SEC;
  if (offset == signed_offset || offset < G_MININT || offset > G_MAXINT)
    return FALSE;
  /* Uploads of several kinds share the store: the first to correct it says
   * so; the others were refused for the same reason and try again. */
  if (!g_atomic_int_compare_and_exchange (&self->clock_offset_s,
          signed_offset, (gint) offset))
    return TRUE;
  text = g_strdup_printf ("the device clock is %" G_GINT64_FORMAT " s %s "
      "the S3 server's (%s): requests are signed with the server's time",
      ABS (offset), offset > 0 ? "behind" : "ahead of", date);
  if (self->notice != NULL)
    self->notice (text, self->notice_data);
  else
    g_message ("%s", text);
  return TRUE;
}

/* An S3 error (@code of its error document, or NULL) as a CsStoreError a
 * user can act on; never quotes secrets. */
static void
set_s3_error (CsStoreS3 * self, GError ** error, guint status,
    const gchar * code, const gchar * what, const gchar * key)
{
  const gchar *hint = "";
  const gchar *s3_code = code;
  guint answer_status = status;

  if (code == NULL)
    code = soup_status_get_phrase (status);

  if (g_strcmp0 (code, "SignatureDoesNotMatch") == 0)
    hint = ": the secret key is wrong";
  else if (g_strcmp0 (code, "InvalidAccessKeyId") == 0)
    hint = ": the access key is unknown to the server";
  else if (g_strcmp0 (code, "RequestTimeTooSkewed") == 0)
    hint = ": the device clock is too far from the server's";
  else if (g_strcmp0 (code, "NoSuchBucket") == 0)
    hint = ": the bucket does not exist";
  else if (g_strcmp0 (code, "AccessDenied") == 0)
    hint = ": these credentials may not do this";
  else if (g_strcmp0 (code, "SlowDown") == 0)
    status = 503;               /* whatever status it came with: retry */

  g_set_error (error, CS_STORE_ERROR, cs_http_status_to_error_code (status),
      "S3 %s of '%s' in bucket '%s' failed: HTTP %u %s%s", what, key,
      self->bucket, answer_status, code, hint);
  cs_store_error_set_answer (error, answer_status, s3_code);
}

/* The request path of @key (NULL: the bucket), not yet encoded. */
static gchar *
s3_path (CsStoreS3 * self, const gchar * key)
{
  if (self->virtual_hosted)
    return g_strconcat ("/", key, NULL);
  return key ? g_strdup_printf ("/%s/%s", self->bucket, key) :
      g_strdup_printf ("/%s", self->bucket);
}

/* One signed request; @key is the full object key or NULL for the bucket.
 * Returns the body of a 2xx answer, else NULL with @error set (and
 * *@s3_code, when not NULL, the error document's code).  @content_md5: the
 * Content-MD5 header, which S3 wants on a bucket's configuration. */
static GBytes *
s3_request_once (CsStoreS3 * self, const gchar * method, const gchar * key,
    const gchar * const *query, GBytes * body, const gchar * content_type,
    const gchar * content_md5, const gchar * what, gchar ** s3_code,
    gboolean * clock_corrected, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *path = NULL, *canonical_uri = NULL, *canonical_query =
      NULL, *url = NULL, *payload_hash = NULL, *amz_date = NULL, *auth = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) reply = NULL;
  SoupMessageHeaders *headers;
  guint status;
  gint signed_offset;           /* the clock correction it is signed with */
  gsize len = 0;
  const guint8 *data = body ? g_bytes_get_data (body, &len) : NULL;

  path = s3_path (self, key);
  canonical_uri = cs_sigv4_uri_encode (path, TRUE);
  canonical_query = cs_sigv4_canonical_query (query);
  url = g_strdup_printf ("%s%s%s%s", self->endpoint, canonical_uri,
      *canonical_query ? "?" : "", canonical_query);
  msg = soup_message_new (method, url);
  if (msg == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "cannot make an S3 request URL from endpoint %s", self->endpoint);
    return NULL;
  }

  payload_hash = cs_sigv4_sha256_hex (data ? data : (const guint8 *) "", len);
  signed_offset = g_atomic_int_get (&self->clock_offset_s);
  amz_date = cs_sigv4_amz_date (g_get_real_time () / G_USEC_PER_SEC +
      signed_offset);
  CsSigV4Request sig = {
    .method = method,.canonical_uri = canonical_uri,
    .canonical_query = canonical_query,.host = self->host_header,
    .payload_sha256 = payload_hash,.amz_date = amz_date,
    .session_token = self->session_token,.region = self->region,
    .access_key = self->access_key,.secret_key = self->secret_key,
  };
  auth = cs_sigv4_authorization (&sig);

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Host", self->host_header);
  soup_message_headers_replace (headers, "x-amz-date", amz_date);
  soup_message_headers_replace (headers, "x-amz-content-sha256",
      payload_hash);
  if (self->session_token)
    soup_message_headers_replace (headers, "x-amz-security-token",
        self->session_token);
  soup_message_headers_replace (headers, "Authorization", auth);
  if (content_md5 != NULL)
    soup_message_headers_replace (headers, "Content-MD5", content_md5);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  /* A bucket request is a listing; an object's GET its data. */
  reply = cs_http_send (self->session, msg, key == NULL ?
      CS_HTTP_MAX_LIST_BYTES : g_str_equal (method, "GET") ?
      CS_HTTP_MAX_OBJECT_BYTES : CS_HTTP_MAX_ERROR_BYTES, cancellable, error);
  if (reply == NULL)
    return NULL;
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_autofree gchar *code = NULL, *message = NULL;
    gsize reply_len = 0;
    const gchar *xml = g_bytes_get_data (reply, &reply_len);

    if (xml != NULL && reply_len > 0)
      cs_s3_xml_parse_error (xml, reply_len, &code, &message);
    *clock_corrected = status == 403 && s3_correct_clock (self, msg, code,
        signed_offset);
    set_s3_error (self, error, status, code, what, key ? key : "");
    if (s3_code != NULL)
      *s3_code = g_steal_pointer (&code);
    return NULL;
  }
  return g_steal_pointer (&reply);
}

/* One signed request, signed again once when the server's answer set the
 * device's clock right. */
static GBytes *
s3_request (CsStoreS3 * self, const gchar * method, const gchar * key,
    const gchar * const *query, GBytes * body, const gchar * content_type,
    const gchar * content_md5, const gchar * what, gchar ** s3_code,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GError) first_error = NULL;
  gboolean clock_corrected = FALSE;
  GBytes *reply = s3_request_once (self, method, key, query, body,
      content_type, content_md5, what, s3_code, &clock_corrected,
      cancellable, &first_error);

  if (reply != NULL || !clock_corrected) {
    if (first_error)
      g_propagate_error (error, g_steal_pointer (&first_error));
    return reply;
  }
  if (s3_code != NULL)
    g_clear_pointer (s3_code, g_free);
  return s3_request_once (self, method, key, query, body, content_type,
      content_md5, what, s3_code, &clock_corrected, cancellable, error);
}

/* A request on one object of the store (its key under the prefix). */
static GBytes *
s3_object_request (CsStore * store, const gchar * method, const gchar * key,
    GBytes * body, const gchar * content_type, const gchar * what,
    GCancellable * cancellable, GError ** error)
{
  CsStoreS3 *self = (CsStoreS3 *) store;
  g_autofree gchar *k = g_strconcat (self->prefix, key, NULL);

  return s3_request (self, method, k, NULL, body, content_type, NULL, what,
      NULL, cancellable, error);
}

static gboolean
s3_put (CsStore * store, const gchar * key, GBytes * data,
    const gchar * content_type, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GBytes) reply = s3_object_request (store, "PUT", key, data,
      content_type, "upload", cancellable, error);
  return reply != NULL;
}

static GBytes *
s3_get (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  return s3_object_request (store, "GET", key, NULL, NULL, "download",
      cancellable, error);
}

static gboolean
s3_delete (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) reply = s3_object_request (store, "DELETE", key, NULL,
      NULL, "delete", cancellable, error);
  return reply != NULL;
}

/* One page of a ListObjectsV2 listing (@query) appended to @out; *@next is
 * its continuation token, NULL on the last page. */
static gboolean
s3_list_page (CsStoreS3 * self, const gchar * const *query, GPtrArray * out,
    gchar ** next, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GBytes) reply = s3_request (self, "GET", NULL, query, NULL,
      NULL, NULL, "listing", NULL, cancellable, error);
  g_autoptr (GError) parse_error = NULL;
  const gchar *xml;
  gsize len;

  if (reply == NULL)
    return FALSE;
  xml = g_bytes_get_data (reply, &len);
  if (!cs_s3_xml_parse_list (xml, len, strlen (self->prefix), out, next,
          &parse_error)) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_FAILED,
        "S3 listing of bucket '%s' is not readable: %s", self->bucket,
        parse_error->message);
    return FALSE;
  }
  return TRUE;
}

static GPtrArray *
s3_list (CsStore * store, const gchar * prefix, GCancellable * cancellable,
    GError ** error)
{
  CsStoreS3 *self = (CsStoreS3 *) store;
  g_autofree gchar *k = g_strconcat (self->prefix, prefix, NULL);
  g_autofree gchar *token = NULL;
  g_autoptr (GPtrArray) out = cs_store_object_array_new ();

  /* ListObjectsV2, following continuation tokens to the end. */
  do {
    const gchar *query[] = { "list-type", "2", "prefix", k,
      token ? "continuation-token" : NULL, token, NULL
    };
    gchar *next = NULL;

    if (!s3_list_page (self, query, out, &next, cancellable, error))
      return NULL;
    g_free (token);
    token = next;
  } while (token != NULL);

  cs_store_object_array_sort (out);
  return g_steal_pointer (&out);
}

/* ListObjectsV2 with the delimiter '/': the store's first level as common
 * prefixes, a page at a time, never what lies below them. */
static GPtrArray *
s3_list_names (CsStore * store, const gchar * after, guint max,
    GCancellable * cancellable, GError ** error)
{
  CsStoreS3 *self = (CsStoreS3 *) store;
  g_autofree gchar *max_keys = g_strdup_printf ("%u", MIN (max, 1000));
  /* '~' sorts after every character of a key: past all of @after's keys. */
  g_autofree gchar *start = after ? g_strconcat (self->prefix, after, "/~",
      NULL) : NULL;
  g_autofree gchar *token = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  do {
    const gchar *query[] = { "list-type", "2", "delimiter", "/",
      "max-keys", max_keys, "prefix", self->prefix,
      token ? "continuation-token" : start ? "start-after" : NULL,
      token ? token : start, NULL
    };
    g_autoptr (GPtrArray) found = cs_store_object_array_new ();
    gchar *next = NULL;

    if (!s3_list_page (self, query, found, &next, cancellable, error))
      return NULL;
    for (guint i = 0; i < found->len && names->len < max; i++) {
      const gchar *key = ((CsStoreObject *) g_ptr_array_index (found, i))->key;
      gsize n = strlen (key);

      if (n > 1 && key[n - 1] == '/')
        g_ptr_array_add (names, g_strndup (key, n - 1));
    }
    g_free (token);
    token = next;
  } while (token != NULL && names->len < max);
  return g_steal_pointer (&names);
}

static gchar *
s3_url (CsStore * store, const gchar * key, guint expires_s)
{
  CsStoreS3 *self = (CsStoreS3 *) store;
  g_autofree gchar *full_key = g_strconcat (self->prefix, key, NULL);
  g_autofree gchar *path = s3_path (self, full_key);
  g_autofree gchar *canonical_uri = cs_sigv4_uri_encode (path, TRUE);
  g_autofree gchar *amz_date = cs_sigv4_amz_date (s3_now (self));
  CsSigV4Request sig = {
    .method = "GET",.canonical_uri = canonical_uri,.host = self->host_header,
    .amz_date = amz_date,.session_token = self->session_token,
    .region = self->region,.access_key = self->access_key,
    .secret_key = self->secret_key,
  };
  g_autofree gchar *query = cs_sigv4_presigned_query (&sig, expires_s);

  return g_strdup_printf ("%s%s?%s", self->endpoint, canonical_uri, query);
}

static void
s3_free (CsStore * store)
{
  CsStoreS3 *self = (CsStoreS3 *) store;

  g_clear_object (&self->session);
  g_free (self->endpoint);
  g_free (self->host_header);
  g_free (self->bucket);
  g_free (self->prefix);
  g_free (self->region);
  g_free (self->access_key);
  if (self->secret_key)
    memset (self->secret_key, 0, strlen (self->secret_key));
  g_free (self->secret_key);
  g_free (self->session_token);
  g_free (self);
}

static const CsStoreBackend s3_backend = {
  s3_put, s3_get, s3_delete, s3_list, s3_url, s3_free, s3_list_names
};

static gboolean
check_s3 (CsStore * store, const gchar * what, GError ** error)
{
  if (store->backend == &s3_backend)
    return TRUE;
  g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_SUPPORTED,
      "%s needs an s3:// store, not %s", what, store->display_uri);
  return FALSE;
}

GBytes *
cs_store_s3_bucket_request (CsStore * store, const gchar * method,
    const gchar * const *query, GBytes * body, const gchar * what,
    gchar ** s3_code, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *md5 = NULL;

  if (!check_s3 (store, what, error))
    return NULL;
  if (body != NULL) {
    g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
    guint8 digest[16];
    gsize len = sizeof (digest);

    g_checksum_update (sum, g_bytes_get_data (body, NULL),
        g_bytes_get_size (body));
    g_checksum_get_digest (sum, digest, &len);
    md5 = g_base64_encode (digest, len);
  }
  return s3_request ((CsStoreS3 *) store, method, NULL, query, body,
      body ? "application/xml" : NULL, md5, what, s3_code, cancellable,
      error);
}

const gchar *
cs_store_s3_get_prefix (CsStore * store)
{
  return store->backend == &s3_backend ? ((CsStoreS3 *) store)->prefix :
      NULL;
}

CsStore *
cs_store_s3_new (const gchar * bucket, const gchar * prefix,
    const CsStoreConfig * config, GError ** error)
{
  const gchar *region = config->region && *config->region ?
      config->region : CS_STORE_DEFAULT_REGION;
  g_autofree gchar *endpoint = config->endpoint && *config->endpoint ?
      g_strdup (config->endpoint) :
      g_strdup_printf ("https://s3.%s.amazonaws.com", region);
  g_autoptr (GUri) uri = g_uri_parse (endpoint, G_URI_FLAGS_ENCODED, NULL);
  CsStoreS3 *self;

  /* Requests go to the endpoint's root: a path, query,
   * fragment or user there would be dropped. */
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)
      || (*g_uri_get_path (uri) && !g_str_equal (g_uri_get_path (uri), "/"))
      || g_uri_get_query (uri) || g_uri_get_fragment (uri)
      || g_uri_get_userinfo (uri)) {
    /* Never a user's password in a message. */
    g_autofree gchar *shown = uri ? g_uri_to_string_partial (uri,
        G_URI_HIDE_USERINFO) : g_strdup (endpoint);

    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "the S3 endpoint '%s' is not an http(s)://host[:port] URL (no path, "
        "query or user: the bucket and prefix are in the s3:// URI)", shown);
    return NULL;
  }
  if (config->access_key == NULL || !*config->access_key
      || config->secret_key == NULL || !*config->secret_key) {
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT,
        "an s3:// store needs an access key and a secret key");
    return NULL;
  }

  /* In a host name the bucket must be a DNS name: lower case, digits, '-'
   * and '.' (S3's own rule for virtual-hosted requests). */
  if (config->virtual_hosted && (!*bucket || bucket[strspn (bucket,
                  "abcdefghijklmnopqrstuvwxyz0123456789-.")] != '\0')) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "the bucket '%s' cannot be in a host name (virtual-hosted style): "
        "use path-style requests", bucket);
    return NULL;
  }

  self = g_new0 (CsStoreS3, 1);
  self->parent.backend = &s3_backend;
  self->session = cs_http_session_new (config, error);
  if (self->session == NULL) {
    s3_free (&self->parent);
    return NULL;
  }
  self->host_header = cs_http_host_header (uri);
  self->endpoint = g_strdup_printf ("%s://%s", g_uri_get_scheme (uri),
      self->host_header);
  self->bucket = g_strdup (bucket);
  self->prefix = *prefix ? g_strconcat (prefix, "/", NULL) : g_strdup ("");
  self->region = g_strdup (region);
  self->notice = config->notice;
  self->notice_data = config->notice_data;
  self->access_key = g_strdup (config->access_key);
  self->secret_key = g_strdup (config->secret_key);
  self->session_token = config->session_token && *config->session_token ?
      g_strdup (config->session_token) : NULL;
  self->parent.identity = g_strdup_printf ("s3:%s/%s/%s", self->endpoint,
      self->bucket, self->prefix);
  if (config->virtual_hosted) {
    gchar *host = g_strconcat (bucket, ".", self->host_header, NULL);

    g_free (self->host_header);
    self->host_header = host;
    g_free (self->endpoint);
    self->endpoint = g_strdup_printf ("%s://%s", g_uri_get_scheme (uri),
        host);
    self->virtual_hosted = TRUE;
  }
  return &self->parent;
}
