/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* URI parsing and dispatch to the file, S3 and HTTP stores. */
#include "cs-store-private.h"
#include "cs-key.h"

#include <string.h>

/* An extended error domain (GLib's G_DEFINE_EXTENDED_ERROR, written out so
 * that an error of another domain gives NULL instead of a critical): each
 * error carries the server's answer. */
typedef struct {
  guint http_status;
  gchar *s3_code;
} CsStoreErrorPrivate;

static CsStoreErrorPrivate *
cs_store_error_get_private (const GError * error)
{
  /* Where GLib keeps it: just before the GError, aligned to 2 words. */
  const gsize align = 2 * sizeof (gsize);
  const gsize size = (sizeof (CsStoreErrorPrivate) + align - 1) & -align;

  if (error == NULL || error->domain != CS_STORE_ERROR)
    return NULL;
  return (CsStoreErrorPrivate *) (((guint8 *) error) - size);
}

static void
error_private_init (GError * error)
{
}

static void
error_private_copy (const GError * src, GError * dest)
{
  CsStoreErrorPrivate *from = cs_store_error_get_private (src);
  CsStoreErrorPrivate *to = cs_store_error_get_private (dest);

  if (from != NULL && to != NULL) {
    to->http_status = from->http_status;
    to->s3_code = g_strdup (from->s3_code);
  }
}

static void
error_private_clear (GError * error)
{
  CsStoreErrorPrivate *priv = cs_store_error_get_private (error);

  if (priv != NULL)
    g_clear_pointer (&priv->s3_code, g_free);
}

GQuark
cs_store_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark)) {
    GQuark q = g_error_domain_register_static ("cs-store-error-quark",
        sizeof (CsStoreErrorPrivate), error_private_init, error_private_copy,
        error_private_clear);
    g_once_init_leave (&quark, q);
  }
  return (GQuark) quark;
}

guint
cs_store_error_get_http_status (const GError * error)
{
  CsStoreErrorPrivate *priv = cs_store_error_get_private (error);

  return priv ? priv->http_status : 0;
}

const gchar *
cs_store_error_get_s3_code (const GError * error)
{
  CsStoreErrorPrivate *priv = cs_store_error_get_private (error);

  return priv ? priv->s3_code : NULL;
}

void
cs_store_error_set_answer (GError ** error, guint http_status,
    const gchar * s3_code)
{
  CsStoreErrorPrivate *priv;

  if (error == NULL || *error == NULL)
    return;
  priv = cs_store_error_get_private (*error);
  if (priv == NULL)
    return;
  priv->http_status = http_status;
  g_free (priv->s3_code);
  priv->s3_code = g_strdup (s3_code);
}

/* "/a/b/" -> "a/b" (caller frees). */
static gchar *
strip_slashes (const gchar * path)
{
  while (*path == '/')
    path++;
  gchar *s = g_strdup (path);
  gsize n = strlen (s);
  while (n > 0 && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

/* A '.' or '..' segment in @path, before or after unescaping (a file
 * store's path is unescaped: "a%2F..%2Fb" is "a/../b"); an escaped NUL is
 * refused too. */
static gboolean
has_dot_segment (const gchar * path)
{
  g_autofree gchar *unescaped = g_uri_unescape_string (path, NULL);
  const gchar *forms[] = { path, unescaped };

  if (unescaped == NULL)
    return TRUE;
  for (guint f = 0; f < G_N_ELEMENTS (forms); f++) {
    g_auto (GStrv) segments = g_strsplit (forms[f], "/", -1);
    for (guint i = 0; segments[i]; i++)
      if (g_str_equal (segments[i], ".") || g_str_equal (segments[i], ".."))
        return TRUE;
  }
  return FALSE;
}

/* What a store URI may not carry, as it would be dropped: a query, a
 * fragment, and for s3:// a port (the endpoint has it). */
static gboolean
check_uri_parts (GUri * uri, gboolean s3, GError ** error)
{
  const gchar *extra = g_uri_get_query (uri) ? "a query ('?...')" :
      g_uri_get_fragment (uri) ? "a fragment ('#...')" :
      s3 && g_uri_get_port (uri) != -1 ? "a port (set it in the endpoint)" :
      NULL;

  if (extra == NULL)
    return TRUE;
  g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
      "the store URI must not have %s: it would be ignored", extra);
  return FALSE;
}

static CsStore *
new_s3 (GUri * uri, const CsStoreConfig * config, GError ** error)
{
  const gchar *bucket = g_uri_get_host (uri);
  g_autofree gchar *prefix = strip_slashes (g_uri_get_path (uri));

  /* Bucket names: 3..63 of [a-z0-9.-] (the S3 rule, also ASCII-safe). */
  gsize n = bucket ? strlen (bucket) : 0;
  gboolean ok = n >= 3 && n <= 63;
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_islower (bucket[i]) || g_ascii_isdigit (bucket[i])
        || bucket[i] == '.' || bucket[i] == '-';
  if (!ok) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a valid S3 bucket name (3 to 63 of a-z 0-9 . -)",
        bucket ? bucket : "");
    return NULL;
  }
  if (!cs_key_prefix_is_valid (prefix)) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "invalid S3 prefix '%s': names of [A-Za-z0-9._-] separated by '/'",
        prefix);
    return NULL;
  }
  return cs_store_s3_new (bucket, prefix, config, error);
}

CsStore *
cs_store_new (const gchar * uri_string, const CsStoreConfig * config,
    GError ** error)
{
  static const CsStoreConfig no_config = { 0 };
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autofree gchar *path = NULL;
  const gchar *scheme;
  CsStore *store = NULL;

  if (config == NULL)
    config = &no_config;
  if (uri_string == NULL || *uri_string == '\0') {
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT, "no store URI given");
    return NULL;
  }
  /* Split first: GUri's parsing would silently resolve dot segments into
   * another path. */
  if (!g_uri_split (uri_string, G_URI_FLAGS_ENCODED, NULL, NULL, NULL, NULL,
          &path, NULL, NULL, &parse_error)) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "not a valid store URI: %s", parse_error->message);
    return NULL;
  }
  if (has_dot_segment (path)) {
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT,
        "the store URI must not contain '.' or '..' path segments "
        "(escaped or not)");
    return NULL;
  }
  uri = g_uri_parse (uri_string, G_URI_FLAGS_ENCODED, &parse_error);
  if (uri == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "not a valid store URI: %s", parse_error->message);
    return NULL;
  }
  if (g_uri_get_userinfo (uri) != NULL) {
    /* Credentials belong in their own settings, never in a URI that is logged. */
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT,
        "the store URI must not carry credentials; use the access-key and "
        "secret-key settings");
    return NULL;
  }

  scheme = g_uri_get_scheme (uri);
  if (!check_uri_parts (uri, g_ascii_strcasecmp (scheme, "s3") == 0, error))
    return NULL;
  if (g_ascii_strcasecmp (scheme, "file") == 0) {
    g_autofree gchar *file_path = g_uri_unescape_string (g_uri_get_path (uri),
        NULL);
    const gchar *host = g_uri_get_host (uri);
    if (file_path == NULL || file_path[0] != '/' || (host && *host
            && g_ascii_strcasecmp (host, "localhost") != 0)) {
      g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
          "a file store needs an absolute path (file:///dir)");
      return NULL;
    }
    store = cs_store_file_new (file_path, error);
  } else if (g_ascii_strcasecmp (scheme, "s3") == 0) {
    store = new_s3 (uri, config, error);
  } else if (g_ascii_strcasecmp (scheme, "http") == 0
      || g_ascii_strcasecmp (scheme, "https") == 0) {
    store = cs_store_http_new (uri, config, error);
  } else {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
        "unsupported store scheme '%s' (use file://, s3:// or http(s)://)",
        scheme);
    return NULL;
  }
  if (store != NULL) {
    store->refs = 1;
    store->display_uri = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
  }
  return store;
}

void
cs_store_config_fill_from_env (CsStoreConfig * config)
{
  if (config->access_key == NULL)
    config->access_key = g_getenv ("AWS_ACCESS_KEY_ID");
  if (config->secret_key == NULL)
    config->secret_key = g_getenv ("AWS_SECRET_ACCESS_KEY");
  if (config->session_token == NULL)
    config->session_token = g_getenv ("AWS_SESSION_TOKEN");
}

CsStore *
cs_store_ref (CsStore * store)
{
  g_atomic_int_inc (&store->refs);
  return store;
}

void
cs_store_free (CsStore * store)
{
  if (store == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&store->refs))
    return;
  g_free (store->display_uri);
  g_free (store->identity);
  store->backend->free (store);
}

const gchar *
cs_store_get_display_uri (CsStore * store)
{
  return store->display_uri;
}

const gchar *
cs_store_get_identity (CsStore * store)
{
  return store->identity;
}

const gchar *
cs_store_get_local_dir (CsStore * store)
{
  return store->local_dir;
}

static gboolean
check_key (const gchar * key, gboolean allow_empty, GError ** error)
{
  if (allow_empty ? cs_key_prefix_is_valid (key) : cs_key_is_valid (key))
    return TRUE;
  g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_INVALID_ARGUMENT,
      "invalid object key (names of [A-Za-z0-9._-] separated by '/')");
  return FALSE;
}

gboolean
cs_store_put (CsStore * store, const gchar * key, GBytes * data,
    const gchar * content_type, GCancellable * cancellable, GError ** error)
{
  g_return_val_if_fail (store != NULL && data != NULL, FALSE);
  if (!check_key (key, FALSE, error))
    return FALSE;
  return store->backend->put (store, key, data,
      content_type ? content_type : "application/octet-stream", cancellable,
      error);
}

GBytes *
cs_store_get (CsStore * store, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!check_key (key, FALSE, error))
    return NULL;
  return store->backend->get (store, key, cancellable, error);
}

gboolean
cs_store_delete (CsStore * store, const gchar * key,
    GCancellable * cancellable, GError ** error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  if (!check_key (key, FALSE, error))
    return FALSE;
  return store->backend->delete (store, key, cancellable, error);
}

GPtrArray *
cs_store_list (CsStore * store, const gchar * prefix,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *dir = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (prefix == NULL)
    prefix = "";
  /* A prefix may end inside a name ("cam1/rec/2026") or with a '/'. */
  dir = g_strdup (prefix);
  if (g_str_has_suffix (dir, "/"))
    dir[strlen (dir) - 1] = '\0';
  if (!check_key (dir, TRUE, error))
    return NULL;
  return store->backend->list (store, prefix, cancellable, error);
}

GPtrArray *
cs_store_list_names (CsStore * store, const gchar * after, guint max,
    GCancellable * cancellable, GError ** error)
{
  g_return_val_if_fail (store != NULL && max > 0, NULL);
  if (after != NULL && !cs_key_name_is_valid (after)) {
    g_set_error_literal (error, CS_STORE_ERROR,
        CS_STORE_ERROR_INVALID_ARGUMENT, "not a name of the store");
    return NULL;
  }
  if (store->backend->list_names == NULL) {
    g_set_error (error, CS_STORE_ERROR, CS_STORE_ERROR_NOT_SUPPORTED,
        "%s cannot be listed", store->display_uri);
    return NULL;
  }
  return store->backend->list_names (store, after, max, cancellable, error);
}

gchar *
cs_store_get_url (CsStore * store, const gchar * key, guint expires_s,
    GError ** error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!check_key (key, FALSE, error))
    return NULL;
  return store->backend->url (store, key, expires_s);
}

gboolean
cs_store_error_is_transient (const GError * error)
{
  return g_error_matches (error, CS_STORE_ERROR,
      CS_STORE_ERROR_UNAVAILABLE);
}

void
cs_store_object_free (CsStoreObject * obj)
{
  g_free (obj->key);
  g_free (obj);
}

GPtrArray *
cs_store_object_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cs_store_object_free);
}

static gint
compare_objects (gconstpointer a, gconstpointer b)
{
  const CsStoreObject *oa = *(CsStoreObject * const *) a;
  const CsStoreObject *ob = *(CsStoreObject * const *) b;
  return strcmp (oa->key, ob->key);
}

void
cs_store_object_array_sort (GPtrArray * objects)
{
  g_ptr_array_sort (objects, compare_objects);
}
