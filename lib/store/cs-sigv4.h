/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AWS Signature Version 4 for S3 requests, with GLib's GHmac and GChecksum. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *method;            /* "PUT" */
  const gchar *canonical_uri;     /* encoded path, from cs_sigv4_uri_encode () */
  const gchar *canonical_query;   /* from cs_sigv4_canonical_query (), "" if none */
  const gchar *host;              /* the Host header: "host" or "host:port" */
  const gchar *payload_sha256;    /* lowercase hex */
  const gchar *amz_date;          /* "YYYYMMDDTHHMMSSZ" */
  const gchar *session_token;     /* NULL when not using temporary credentials */
  const gchar *region;
  const gchar *access_key;
  const gchar *secret_key;
} CsSigV4Request;

/* The Authorization header value.  Signs host, x-amz-content-sha256,
 * x-amz-date and (when set) x-amz-security-token, which the caller must send
 * with the same values. */
gchar *cs_sigv4_authorization (const CsSigV4Request * req);

/* The query string of a presigned URL valid for @expires_s: @req's method,
 * canonical_uri, host, amz_date, region, credentials and session_token are
 * used; the payload is not signed.  It ends with X-Amz-Signature. */
gchar *cs_sigv4_presigned_query (const CsSigV4Request * req, guint expires_s);

/* S3's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XY; '/' kept
 * when @keep_slash. */
gchar *cs_sigv4_uri_encode (const gchar * s, gboolean keep_slash);

/* "k1=v1&k2=v2" sorted by key, both encoded; @params is a NULL-terminated
 * list of name, value pairs. */
gchar *cs_sigv4_canonical_query (const gchar * const *params);

gchar *cs_sigv4_sha256_hex (const guint8 * data, gsize len);

/* "YYYYMMDDTHHMMSSZ" for @unix_s. */
gchar *cs_sigv4_amz_date (gint64 unix_s);

G_END_DECLS
