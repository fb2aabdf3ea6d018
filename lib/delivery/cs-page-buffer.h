/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A byte buffer for a segment being muxed, in pages of its own (an anonymous
 * mapping) rather than from malloc: it grows without copying (mremap), only
 * the pages written take memory, and when the last owner of its GBytes lets
 * go (the store has the segment) the pages go back to the system at once.
 * A segment-sized block from malloc would stay in the process (glibc keeps
 * freed blocks of that size in its heap), and a growing one is copied and
 * over-allocated.
 *
 * One owner at a time, no lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsPageBuffer CsPageBuffer;

CsPageBuffer *cs_page_buffer_new (void);
void cs_page_buffer_append (CsPageBuffer * self, const guint8 * data,
    gsize size);
gsize cs_page_buffer_get_size (CsPageBuffer * self);
/* The bytes appended, to be changed in place (NULL while empty). */
guint8 *cs_page_buffer_get_data (CsPageBuffer * self);
/* The bytes appended (their pages are unmapped when the GBytes is freed);
 * frees @self. */
GBytes *cs_page_buffer_free_to_bytes (CsPageBuffer * self);
void cs_page_buffer_free (CsPageBuffer * self);

G_END_DECLS
