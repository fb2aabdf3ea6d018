/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A directory of objects waiting for the store, kept across outages and
 * restarts: each is written crash-safely (temporary name, fsync, rename),
 * named by its key, and removed only once the store has it.
 *
 * Layout (2): the directory holds the marker file GST-CLOUDSTORAGE-SPOOL
 * and one directory per store and device, "<device>@<16 hex digits of a
 * hash of the store's identity>", with a file OWNER that says whose it is
 * and the objects, named by their key with '%' for '/'.  A spool touches
 * only what it wrote: the objects of its own store and device (the
 * objects of others are left alone, and counted), and the temporary files
 * a crash left in its own directory (discarded, never uploaded).  A
 * directory that holds anything else and no marker is refused untouched.
 *
 * A spool of the earlier layout (1: objects directly in the directory) is
 * recognised when every file in it is named like a key of the store
 * layout; it gets the marker, and each device's objects move into the
 * directory of the first store that opens the spool with that device id
 * (the earlier layout did not record the store). */
#pragma once

#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _CsSpool CsSpool;

/* What opening found. */
typedef struct {
  guint discarded;              /* half-written files removed */
  guint migrated;               /* objects taken over from the earlier layout */
  guint foreign;                /* objects of other stores or devices, left alone */
  gchar *foreign_owners;        /* whose they are, for a message (or NULL) */
} CsSpoolOpenInfo;

/* The spool in @dir (created if need be) of @device_id's objects for
 * @store.  Fails when @dir is not a spool (nothing in it touched), or when
 * another spool is open on it for the same store and device. */
CsSpool *cs_spool_open (const gchar * dir, CsStore * store,
    const gchar * device_id, guint64 max_bytes, CsSpoolOpenInfo * info,
    GError ** error);
void cs_spool_open_info_clear (CsSpoolOpenInfo * info);
void cs_spool_free (CsSpool * spool);

/* Stores @data under @key (replacing what was there only once the new copy
 * is on disk).  When the disk is full, the oldest objects are removed one at
 * a time until it fits (none when even all of them would not make room);
 * when the spool is past its limit after the write, the oldest are removed
 * (never the one just written).  The keys removed are added to @dropped. */
gboolean cs_spool_write (CsSpool * spool, const gchar * key, GBytes * data,
    GPtrArray * dropped, GError ** error);
GBytes *cs_spool_read (CsSpool * spool, const gchar * key, GError ** error);
void cs_spool_remove (CsSpool * spool, const gchar * key);
/* The keys waiting, oldest first. */
GPtrArray *cs_spool_keys (CsSpool * spool);
guint64 cs_spool_bytes (CsSpool * spool);

G_END_DECLS
