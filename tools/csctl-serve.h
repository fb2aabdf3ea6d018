/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parts of csctl serve: its connections and its store workers.  Both
 * live as long as the server, that is the process. */
#pragma once

#include "csctl.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

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

G_END_DECLS
