/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libsoup parts that the S3 and HTTP stores share. */
#pragma once

#include <libsoup/soup.h>
#include "cs-store.h"

G_BEGIN_DECLS

SoupSession *cs_http_session_new (const CsStoreConfig * config,
    GError ** error);

/* The Host header value libsoup sends for @uri ("host" or "host:port"). */
gchar *cs_http_host_header (GUri * uri);

/* Caps on what is read of an answer, so that a server (or anyone between)
 * whose answer never ends cannot grow the memory without bound.  An error
 * document is a few hundred bytes; a ListObjectsV2 page (1000 keys of the
 * 1024 bytes S3 allows at most) under 2 MiB; an object of the store a
 * segment, a picture or a document. */
#define CS_HTTP_MAX_ERROR_BYTES (1024 * 1024)
#define CS_HTTP_MAX_LIST_BYTES (4 * 1024 * 1024)
#define CS_HTTP_MAX_OBJECT_BYTES (512 * 1024 * 1024)

/* Sends @msg and reads its answer through a stream: at most @max_body bytes
 * of a 2xx answer, at most CS_HTTP_MAX_ERROR_BYTES of any other.  Transport
 * failures become CS_STORE_ERROR_UNAVAILABLE (or FAILED for TLS trust
 * errors); an answer longer than its cap is an error that says so (the
 * status's code for a refusal, else FAILED).  Otherwise the status is left
 * to the caller.  Returns the body, or NULL with @error set. */
GBytes *cs_http_send (SoupSession * session, SoupMessage * msg,
    gsize max_body, GCancellable * cancellable, GError ** error);

/* Reads @in to its end, or to @cap bytes (*@truncated then TRUE, and the
 * rest is not read).  NULL with @error set when reading fails. */
GBytes *cs_http_read_capped (GInputStream * in, gsize cap,
    gboolean * truncated, GCancellable * cancellable, GError ** error);

/* Maps an HTTP status that is not 2xx to a CsStoreError. */
CsStoreError cs_http_status_to_error_code (guint status);

G_END_DECLS
