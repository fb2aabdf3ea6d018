/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-page-buffer.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Room is added in steps of this much address space (pages not yet written
 * take no memory), so that a segment of a few MB is remapped a few times. */
#define STEP (1024 * 1024)
/* Pages are made ready this many at a time, before they are written: one
 * call instead of a page fault per 4 KiB (at 4 Mb/s, 120 faults a second a
 * camera, a few per cent of cssink's CPU).  At most this much is held
 * beyond the bytes written; the end of a segment gives it back. */
#define POPULATE (64 * 1024)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  /* Linux 5.14 */
#endif

struct _CsPageBuffer {
  guint8 *data;                 /* NULL until the first byte */
  gsize size;
  gsize capacity;               /* mapped, a multiple of the page size */
  gsize populated;              /* made ready, a multiple of POPULATE */
};

typedef struct {
  gpointer data;
  gsize length;
} Mapping;

static gsize
round_to_pages (gsize size)
{
  gsize page = sysconf (_SC_PAGESIZE);

  return (size + page - 1) / page * page;
}

CsPageBuffer *
cs_page_buffer_new (void)
{
  return g_new0 (CsPageBuffer, 1);
}

void
cs_page_buffer_append (CsPageBuffer * self, const guint8 * data, gsize size)
{
  if (size == 0)
    return;
  if (self->size + size > self->capacity) {
    gsize capacity = round_to_pages (self->size + size + STEP);
    void *p = self->data == NULL ?
        mmap (NULL, capacity, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) :
        mremap (self->data, self->capacity, capacity, MREMAP_MAYMOVE);

    if (p == MAP_FAILED)
      g_error ("cannot map %" G_GSIZE_FORMAT " bytes for a segment",
          capacity);
    self->data = p;
    self->capacity = capacity;
  }
  if (self->size + size > self->populated) {
    gsize end = MIN (self->capacity,
        (self->size + size + POPULATE - 1) / POPULATE * POPULATE);

    /* An older kernel says EINVAL: the pages then fault in one by one. */
    madvise (self->data + self->populated, end - self->populated,
        MADV_POPULATE_WRITE);
    self->populated = end;
  }
  memcpy (self->data + self->size, data, size);
  self->size += size;
}

gsize
cs_page_buffer_get_size (CsPageBuffer * self)
{
  return self->size;
}

guint8 *
cs_page_buffer_get_data (CsPageBuffer * self)
{
  return self->data;
}

static void
unmap (gpointer data)
{
  Mapping *m = data;

  munmap (m->data, m->length);
  g_free (m);
}

GBytes *
cs_page_buffer_free_to_bytes (CsPageBuffer * self)
{
  Mapping *m;
  gsize used = round_to_pages (self->size), size;

  if (self->size == 0) {
    cs_page_buffer_free (self);
    return g_bytes_new (NULL, 0);
  }
  /* The address space never written is given back now. */
  if (used < self->capacity)
    munmap (self->data + used, self->capacity - used);
  m = g_new (Mapping, 1);
  m->data = self->data;
  m->length = used;
  size = self->size;
  g_free (self);
  return g_bytes_new_with_free_func (m->data, size, unmap, m);
}

void
cs_page_buffer_free (CsPageBuffer * self)
{
  if (self == NULL)
    return;
  if (self->data)
    munmap (self->data, self->capacity);
  g_free (self);
}
