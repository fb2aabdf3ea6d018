/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A directory of objects waiting for the store, kept across outages and
 * restarts: each is written crash-safely (temporary name, fsync, rename),
 * named by its key, and removed only once the store has it.  A file a crash
 * left half-written never has a key's name, and is discarded at open. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsSpool CsSpool;

/* Creates @dir if need be; *@discarded counts the half-written files it
 * removed. */
CsSpool *cs_spool_open (const gchar * dir, guint64 max_bytes,
    guint * discarded, GError ** error);
void cs_spool_free (CsSpool * spool);

/* Stores @data under @key.  When the spool would exceed its limit, the
 * oldest objects are removed first and their keys added to @dropped. */
gboolean cs_spool_write (CsSpool * spool, const gchar * key, GBytes * data,
    GPtrArray * dropped, GError ** error);
GBytes *cs_spool_read (CsSpool * spool, const gchar * key, GError ** error);
void cs_spool_remove (CsSpool * spool, const gchar * key);
/* The keys waiting, oldest first. */
GPtrArray *cs_spool_keys (CsSpool * spool);
guint64 cs_spool_bytes (CsSpool * spool);

G_END_DECLS
