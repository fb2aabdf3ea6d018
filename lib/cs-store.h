/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client for every store URI the project knows: file://, s3://, http(s)://.
 *
 * Keys are relative to the store root named by the URI (its path or prefix is
 * added by the client) and must pass cs_key_is_valid().  A CsStore is not
 * thread-safe: use each one from a single thread. */
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

typedef struct {
  const gchar *endpoint;        /* s3: "http(s)://host[:port]"; NULL = AWS for region */
  const gchar *region;          /* s3: NULL = "us-east-1" */
  const gchar *access_key;
  const gchar *secret_key;
  const gchar *session_token;   /* optional */
  guint timeout_s;              /* network I/O timeout; 0 = 15 s */
  const gchar *tls_ca_file;     /* PEM bundle to trust instead of the system's */
  gboolean virtual_hosted;      /* s3: the bucket in the host name
                                 * (bucket.host), not the path */
} CsStoreConfig;

typedef struct {
  gchar *key;
  guint64 size;
} CsStoreObject;

typedef struct _CsStore CsStore;

CsStore *cs_store_new (const gchar * uri, const CsStoreConfig * config,
    GError ** error);
void cs_store_free (CsStore * store);

/* The URI with any credentials left out, for logs and messages. */
const gchar *cs_store_get_display_uri (CsStore * store);
/* What the store is, the same for every URI and setting that names the same
 * one ("file:/var/lib/cs", "s3:https://host:port/bucket/prefix/",
 * "http://host/path/"); never a credential. */
const gchar *cs_store_get_identity (CsStore * store);

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

/* A URL any HTTP client or player can read @key at: a file:// URI, the
 * plain URL, or for S3 a presigned URL valid for @expires_s. */
gchar *cs_store_get_url (CsStore * store, const gchar * key, guint expires_s,
    GError ** error);

gboolean cs_store_error_is_transient (const GError * error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStore, cs_store_free)

G_END_DECLS
