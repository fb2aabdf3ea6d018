/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One thread for the whole process that calls each cssink's idle check
 * every so often: a stream costs no thread of its own for it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Calls @func (@data) every @interval_ms on the ticker thread until it
 * returns G_SOURCE_REMOVE or cs_ticker_remove (); @notify frees @data
 * after the last call.  Returns the handle for cs_ticker_remove (). */
GSource *cs_ticker_add (guint interval_ms, GSourceFunc func, gpointer data,
    GDestroyNotify notify);
/* No call starts after this returns (one running may still finish). */
void cs_ticker_remove (GSource * source);
/* Returns once the call running now (if any) has returned.  Never from the
 * ticker thread; nothing the running call may wait for may be held. */
void cs_ticker_sync (void);

G_END_DECLS
