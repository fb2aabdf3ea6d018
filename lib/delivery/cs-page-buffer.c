/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-page-buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
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

/* In a file: bytes are gathered this much at a time before a write (a
 * fragment comes in several pieces, a frame at a time). */
#define STAGE (64 * 1024)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  /* Linux 5.14 */
#endif

/* In memory (fd -1): data, capacity, populated.  In a file: the first
 * `written` bytes in fd, the rest in stage, data NULL. */
struct _CsPageBuffer {
  guint8 *data;                 /* NULL until the first byte */
  gsize size;
  gsize capacity;               /* mapped (in memory: whole pages) */
  gsize populated;              /* made ready, a multiple of POPULATE */
  int fd;
  gsize written;                /* of size, in the file */
  guint8 *stage;                /* STAGE bytes: size - written of them used */
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
  CsPageBuffer *self = g_new0 (CsPageBuffer, 1);

  self->fd = -1;
  return self;
}

/* A file in @dir without a name; -1 when none can be made. */
static int
open_unlinked (const gchar * dir)
{
  g_autofree gchar *name = NULL;
  int fd = open (dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);

  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
  /* A file system without O_TMPFILE (vfat): a name for a moment. */
  name = g_build_filename (dir, ".cs-segment-XXXXXX", NULL);
  fd = g_mkstemp_full (name, O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    g_unlink (name);
  return fd;
}

CsPageBuffer *
cs_page_buffer_new_in (const gchar * dir)
{
  CsPageBuffer *self = cs_page_buffer_new ();

  if (dir != NULL && (self->fd = open_unlinked (dir)) >= 0)
    self->stage = g_malloc (STAGE);
  return self;
}

static gboolean
write_at (int fd, const guint8 * data, gsize size, off_t offset)
{
  while (size > 0) {
    ssize_t n = pwrite (fd, data, size, offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    size -= n;
    offset += n;
  }
  return TRUE;
}

/* Room in memory for @size bytes after those appended, made ready: where
 * they go. */
static guint8 *
grow (CsPageBuffer * self, gsize size)
{
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
  return self->data + self->size;
}

static void
append_to_memory (CsPageBuffer * self, const guint8 * data, gsize size)
{
  if (size == 0)
    return;
  memcpy (grow (self, size), data, size);
  self->size += size;
}

/* The bytes in the file are read back into memory and the file closed:
 * the segment is handed on (its disk space is free again before the store
 * or the spool writes it there), or the file could not be written. */
static void
leave_file (CsPageBuffer * self)
{
  int fd = self->fd;
  gsize written = self->written, staged = self->size - self->written;
  g_autofree guint8 *stage = g_steal_pointer (&self->stage);

  self->fd = -1;
  self->size = self->written = 0;
  while (self->size < written) {
    gsize left = written - self->size;
    ssize_t n = pread (fd, grow (self, left), left, self->size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_warning ("a segment's file could not be read back: %s",
          n < 0 ? g_strerror (errno) : "it is shorter");
      break;
    }
    self->size += n;
  }
  close (fd);
  append_to_memory (self, stage, staged);
}

/* Writes what is staged (the buffer goes on in memory when it cannot). */
static void
flush_stage (CsPageBuffer * self)
{
  if (write_at (self->fd, self->stage, self->size - self->written,
          self->written))
    self->written = self->size;
  else
    leave_file (self);
}

void
cs_page_buffer_append (CsPageBuffer * self, const guint8 * data, gsize size)
{
  /* In a file until it cannot be written. */
  while (self->fd >= 0 && size > 0) {
    gsize n = MIN (size, STAGE - (self->size - self->written));

    memcpy (self->stage + (self->size - self->written), data, n);
    self->size += n;
    data += n;
    size -= n;
    if (self->size - self->written == STAGE)
      flush_stage (self);
  }
  append_to_memory (self, data, size);
}

gsize
cs_page_buffer_get_size (CsPageBuffer * self)
{
  return self->size;
}

void
cs_page_buffer_overwrite (CsPageBuffer * self, const guint8 * data,
    gsize size)
{
  gsize in_file;

  size = MIN (size, self->size);
  if (self->fd < 0) {
    if (size > 0)
      memcpy (self->data, data, size);
    return;
  }
  in_file = MIN (size, self->written);
  if (!write_at (self->fd, data, in_file, 0)) {
    leave_file (self);
    cs_page_buffer_overwrite (self, data, size);
    return;
  }
  memcpy (self->stage, data + in_file, size - in_file);
}

guint8 *
cs_page_buffer_get_data (CsPageBuffer * self)
{
  if (self->fd >= 0)
    leave_file (self);
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
  gsize used, size;

  if (cs_page_buffer_get_data (self) == NULL) {
    cs_page_buffer_free (self);
    return g_bytes_new (NULL, 0);
  }
  used = round_to_pages (self->size);
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
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->stage);
  g_free (self);
}
