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

/* Sends @msg and reads the whole body.  Transport failures become
 * CS_STORE_ERROR_UNAVAILABLE (or FAILED for TLS trust errors); the status is
 * left to the caller.  Returns the body, or NULL with @error set. */
GBytes *cs_http_send (SoupSession * session, SoupMessage * msg,
    GCancellable * cancellable, GError ** error);

/* Maps an HTTP status that is not 2xx to a CsStoreError. */
CsStoreError cs_http_status_to_error_code (guint status);

G_END_DECLS
