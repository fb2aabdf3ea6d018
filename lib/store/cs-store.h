/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client for every store URI the project knows: file://, s3://, http(s)://.
 *
 * Keys are relative to the store root named by the URI (its path or prefix is
 * added by the client) and must pass cs_key_is_valid().
 *
 * A CsStore may be used from several threads at once: after cs_store_new ()
 * its settings are only read, the S3 clock correction is atomic, the file
 * store writes each object under a temporary name of its own, and the
 * S3/HTTP stores send through one SoupSession with libsoup's synchronous API
 * (thread-safe since libsoup 3.2).  So one store (one HTTP session: one
 * connection pool, one TLS setup) serves every upload of a recording. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CS_STORE_ERROR (cs_store_error_quark ())
GQuark cs_store_error_quark (void);

typedef enum {
  CS_STORE_ERROR_INVALID_ARGUMENT,      /* bad URI, key or configuration */
  CS_STORE_ERROR_NOT_FOUND,             /* no such object, bucket or path */
  CS_STORE_ERROR_NOT_AUTHORIZED,        /* credentials refused (401/403) */
  CS_STORE_ERROR_UNAVAILABLE,           /* worth retrying: network, timeout, 5xx, 429 */
  CS_STORE_ERROR_FAILED,                /* any other refusal; retrying will not help */
  CS_STORE_ERROR_NOT_SUPPORTED,         /* the operation does not exist for this kind of store */
} CsStoreError;

/* What a user should hear that is not an error (the S3 clock correction),
 * called on the thread of the request. */
typedef void (*CsStoreNoticeFunc) (const gchar * message, gpointer data);

typedef struct {
  CsStoreNoticeFunc notice;     /* NULL: g_message () */
  gpointer notice_data;         /* must outlive the store */
  const gchar *endpoint;        /* s3: "http(s)://host[:port]"; NULL = AWS for region */
  const gchar *region;          /* s3: NULL = CS_STORE_DEFAULT_REGION */
  const gchar *access_key;
  const gchar *secret_key;
  const gchar *session_token;   /* optional */
  guint timeout_s;              /* network I/O timeout; 0 = 15 s */
  const gchar *tls_ca_file;     /* PEM bundle to trust instead of the system's */
  gboolean virtual_hosted;      /* s3: the bucket in the host name
                                 * (bucket.host), not the path */
} CsStoreConfig;

/* The region of an s3:// store when none is set. */
#define CS_STORE_DEFAULT_REGION "us-east-1"

/* Sets what @config leaves NULL of the credentials from the environment:
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (the names
 * AWS's own tools read), so that secrets need not be in a command line. */
void cs_store_config_fill_from_env (CsStoreConfig * config);

typedef struct {
  gchar *key;
  guint64 size;
} CsStoreObject;

typedef struct _CsStore CsStore;

CsStore *cs_store_new (const gchar * uri, const CsStoreConfig * config,
    GError ** error);
/* Another owner of @store (each calls cs_store_free () once). */
CsStore *cs_store_ref (CsStore * store);
/* Drops one owner; the last frees the store. */
void cs_store_free (CsStore * store);

/* The URI with any credentials left out, for logs and messages. */
const gchar *cs_store_get_display_uri (CsStore * store);
/* What the store is, the same for every URI and setting that names the same
 * one ("file:/var/lib/cs", "s3:https://host:port/bucket/prefix/",
 * "http://host/path/"); never a credential. */
const gchar *cs_store_get_identity (CsStore * store);

/* The directory a file:// store keeps its objects below; NULL for another
 * kind of store. */
const gchar *cs_store_get_local_dir (CsStore * store);

gboolean cs_store_put (CsStore * store, const gchar * key, GBytes * data,
    const gchar * content_type, GCancellable * cancellable, GError ** error);
GBytes *cs_store_get (CsStore * store, const gchar * key,
    GCancellable * cancellable, GError ** error);
gboolean cs_store_delete (CsStore * store, const gchar * key,
    GCancellable * cancellable, GError ** error);
/* All objects whose key starts with @prefix ("" = all), sorted by key.
 * Returns a GPtrArray of CsStoreObject. */
GPtrArray *cs_store_list (CsStore * store, const gchar * prefix,
    GCancellable * cancellable, GError ** error);
/* The first level of the store's keys (its devices), without listing what
 * lies below them: at most @max valid names after @after (NULL: from the
 * first), in the order of their keys ("cam1-x" < "cam1" < "cam10", as the
 * '/' after each sorts).  A GPtrArray of names; fewer than @max means the
 * last. */
GPtrArray *cs_store_list_names (CsStore * store, const gchar * after,
    guint max, GCancellable * cancellable, GError ** error);

/* A URL any HTTP client or player can read @key at: a file:// URI, the
 * plain URL, or for S3 a presigned URL valid for @expires_s. */
gchar *cs_store_get_url (CsStore * store, const gchar * key, guint expires_s,
    GError ** error);

gboolean cs_store_error_is_transient (const GError * error);
/* What the server said, carried by a CS_STORE_ERROR (souphttpsrc's
 * http-status-code): the HTTP status of its answer (0 when there was none:
 * a file store, a network failure) and the S3 error code of its error
 * document ("NoSuchBucket"...; NULL when there was none). */
guint cs_store_error_get_http_status (const GError * error);
const gchar *cs_store_error_get_s3_code (const GError * error);
/* For the stores: records them in @error (a CS_STORE_ERROR), if set. */
void cs_store_error_set_answer (GError ** error, guint http_status,
    const gchar * s3_code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStore, cs_store_free)

G_END_DECLS
