/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A byte buffer for a segment being muxed.
 *
 * In memory: pages of its own (an anonymous mapping) rather than from
 * malloc: it grows without copying (mremap), only the pages written take
 * memory, and when the last owner of its GBytes lets go (the store has the
 * segment) the pages go back to the system at once.  A segment-sized block
 * from malloc would stay in the process (glibc keeps freed blocks of that
 * size in its heap), and a growing one is copied and over-allocated.
 *
 * In a directory (cs_page_buffer_new_in()): an unlinked file there,
 * written as the bytes come, and read back into memory when the segment is
 * handed on (so that its disk space is free again before the store or the
 * spool writes it).  While the segment is built its bytes are in the page
 * cache, not the process's memory: the kernel can write them out when
 * memory is short (a camera has no swap for anonymous pages), and a file
 * dropped within the writeback delay (30 s by default) usually never
 * reaches the disk.  No name: nothing is left behind by a crash.  When the
 * file cannot be made or written (a full disk), the buffer carries on in
 * memory with what it had.
 *
 * One owner at a time, no lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsPageBuffer CsPageBuffer;

CsPageBuffer *cs_page_buffer_new (void);
/* In an unlinked file in @dir (NULL: in memory). */
CsPageBuffer *cs_page_buffer_new_in (const gchar * dir);
void cs_page_buffer_append (CsPageBuffer * self, const guint8 * data,
    gsize size);
/* Replaces the first @size bytes appended (at most all of them). */
void cs_page_buffer_overwrite (CsPageBuffer * self, const guint8 * data,
    gsize size);
gsize cs_page_buffer_get_size (CsPageBuffer * self);
/* After the last append: the bytes, in memory, to be changed in place
 * (NULL while empty). */
guint8 *cs_page_buffer_get_data (CsPageBuffer * self);
/* The bytes appended (their pages are unmapped when the GBytes is freed);
 * frees @self. */
GBytes *cs_page_buffer_free_to_bytes (CsPageBuffer * self);
void cs_page_buffer_free (CsPageBuffer * self);

G_END_DECLS
