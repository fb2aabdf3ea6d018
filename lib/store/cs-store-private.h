/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What each kind of store implements behind cs-store.h. */
#pragma once

#include "cs-store.h"

typedef struct {
  gboolean (*put) (CsStore * store, const gchar * key, GBytes * data,
      const gchar * content_type, GCancellable * cancellable, GError ** error);
  GBytes *(*get) (CsStore * store, const gchar * key,
      GCancellable * cancellable, GError ** error);
  gboolean (*delete) (CsStore * store, const gchar * key,
      GCancellable * cancellable, GError ** error);
  GPtrArray *(*list) (CsStore * store, const gchar * prefix,
      GCancellable * cancellable, GError ** error);
  gchar *(*url) (CsStore * store, const gchar * key, guint expires_s);
  void (*free) (CsStore * store);
  /* NULL for a store that cannot be listed. */
  GPtrArray *(*list_names) (CsStore * store, const gchar * after, guint max,
      GCancellable * cancellable, GError ** error);
} CsStoreBackend;

struct _CsStore {
  const CsStoreBackend *backend;
  gint refs;                    /* owners (atomic): see cs_store_ref () */
  gchar *display_uri;
  gchar *identity;              /* set by the backend: see cs_store_get_identity () */
  const gchar *local_dir;       /* set by the file backend */
};

/* Each returns a store whose first member is a CsStore. */
CsStore *cs_store_file_new (const gchar * root, GError ** error);
CsStore *cs_store_s3_new (const gchar * bucket, const gchar * prefix,
    const CsStoreConfig * config, GError ** error);
CsStore *cs_store_http_new (GUri * base, const CsStoreConfig * config,
    GError ** error);

void cs_store_object_free (CsStoreObject * obj);
GPtrArray *cs_store_object_array_new (void);
void cs_store_object_array_sort (GPtrArray * objects);

/* A request on the bucket of an s3:// store itself, for what cs-store.h
 * does not cover (its lifecycle configuration): @query names the
 * subresource ("lifecycle", ""), @body (with its Content-MD5, as S3 wants
 * for a configuration) may be NULL.  The answer's body, or NULL with
 * *@s3_code (when not NULL) the S3 error code; CS_STORE_ERROR_NOT_SUPPORTED
 * for another kind of store. */
GBytes *cs_store_s3_bucket_request (CsStore * store, const gchar * method,
    const gchar * const *query, GBytes * body, const gchar * what,
    gchar ** s3_code, GCancellable * cancellable, GError ** error);
/* The prefix of an s3:// store's keys in its bucket ("" or "a/b/"); NULL for
 * another kind of store. */
const gchar *cs_store_s3_get_prefix (CsStore * store);
