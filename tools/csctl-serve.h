/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parts of csctl serve: its connections and its store workers.  Both
 * live as long as the server, that is the process. */
#pragma once

#include "csctl.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Every answer of serve: no caching, nothing sniffed, and data under a CSP
 * that makes it no document (unless @msg has a CSP of its own). */
void csctl_reply (SoupServerMessage * msg, guint status, const gchar * type,
    GBytes * body);
/* The request comes from the page itself: its Origin is this server
 * (https:// too, behind a proxy that adds TLS), or for a GET without an
 * Origin, the browser says Sec-Fetch-Site: same-origin. */
gboolean csctl_from_the_page (SoupServerMessage * msg);
/* {"error": @what} */
void csctl_reply_error (SoupServerMessage * msg, guint status,
    const gchar * what);
/* The HTTP status that says what @error says. */
guint csctl_status_of (const GError * error);

/* Connections are accepted here, not by SoupServer: never more at once
 * than the open-file limit allows (libsoup 3.2 stops listening for good at
 * its first EMFILE), each with @timeout_s to send its request and at most
 * @timeout_s without progress after it. */
typedef struct _CsctlConns CsctlConns;

CsctlConns *csctl_conns_listen (SoupServer * server, GSocketAddress * address,
    guint timeout_s, GError ** error);
/* Where it listens (its port chosen when 0 was asked for); unref it. */
GInetSocketAddress *csctl_conns_get_address (CsctlConns * conns);
/* @msg's request has been read: its connection's deadline is lifted. */
void csctl_conns_request_read (CsctlConns * conns, SoupServerMessage * msg);

/* Store I/O off the main loop: a few worker threads, each with a store of
 * its own (a CsStore serves one thread at a time), and an answer on the
 * main loop in time or a timeout. */
typedef struct _CsctlJobs CsctlJobs;

/* Runs in a worker: the store's answer to one request. */
typedef GBytes *(*CsctlJobFunc) (CsStore * store, gpointer data,
    GCancellable * cancellable, GError ** error);
/* Runs on the main loop once: with @func's answer or error, or with
 * G_IO_ERROR_TIMED_OUT when the store took longer than the timeout. */
typedef void (*CsctlJobDone) (GBytes * answer, const GError * error,
    gpointer data);

CsctlJobs *csctl_jobs_new (const gchar * store_uri, guint workers,
    guint timeout_s, GError ** error);
/* @destroy frees @data once both @func and @done are over with it. */
void csctl_jobs_run (CsctlJobs * jobs, CsctlJobFunc func, CsctlJobDone done,
    gpointer data, GDestroyNotify destroy);

/* Live playlists, numbered across reloads (csctl-serve-live.c). */
typedef struct _CsctlLive CsctlLive;

CsctlLive *csctl_live_new (void);
void csctl_live_free (CsctlLive * live);
/* The newest segments of @device as a live playlist (segments named
 * /store/<key>); G_IO_ERROR_NOT_FOUND when it has recorded nothing in the
 * last minutes.  Any thread. */
gchar *csctl_live_playlist (CsctlLive * live, CsStore * store,
    const gchar * device, GCancellable * cancellable, GError ** error);

/* Exports to MP4 by csctl export in a process of its own
 * (csctl-serve-export.c): POST /api/export starts one, GET /api/export
 * says how far it is, GET /api/export.mp4 downloads it. */
typedef struct _CsctlExports CsctlExports;

CsctlExports *csctl_exports_new (const gchar * store_uri, GError ** error);
void csctl_exports_add_handlers (CsctlExports * exports, SoupServer * server);
/* Stops the exports running and removes every file. */
void csctl_exports_free (CsctlExports * exports);

G_END_DECLS
