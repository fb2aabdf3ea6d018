/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve's live playlists: a device's newest segments, with no
 * #EXT-X-ENDLIST, which a player reloads to follow the recording.
 *
 * A player finds its place in a reloaded playlist by the segments' media
 * sequence numbers, which must count the segments one by one and never
 * change: the store knows none, so each device's last window is kept here
 * and new segments are numbered on from it.  The first number is the first
 * segment's start in s, so that numbers still grow when serve restarts
 * (segments are longer than 1 s).  Shared by the workers: one lock. */
#include "csctl-serve.h"

#include <string.h>

#define LIVE_SEGMENTS 6         /* in a live playlist */
#define LIVE_RECENT_MS (2 * 60 * 1000)  /* a device silent longer is not live */
#define LIVE_DEVICES 256        /* numberings kept at most */

typedef struct
{
  gint64 start_ms, duration_ms;
  guint64 sequence;             /* media sequence number */
  guint64 discontinuities;      /* before it */
} Numbered;

struct _CsctlLive
{
  GMutex lock;
  GHashTable *windows;          /* device -> GArray of Numbered */
};

CsctlLive *
csctl_live_new (void)
{
  CsctlLive *live = g_new0 (CsctlLive, 1);

  g_mutex_init (&live->lock);
  live->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_array_unref);
  return live;
}

void
csctl_live_free (CsctlLive * live)
{
  g_hash_table_unref (live->windows);
  g_mutex_clear (&live->lock);
  g_free (live);
}

static const Numbered *
find_start (GArray * window, gint64 start_ms)
{
  for (guint i = 0; window && i < window->len; i++)
    if (g_array_index (window, Numbered, i).start_ms == start_ms)
      return &g_array_index (window, Numbered, i);
  return NULL;
}

/* Numbers @segs (sorted, no overlaps) on from @before (NULL: none yet).
 * A segment older than the newest numbered one and not numbered itself (a
 * late upload) is left out: it cannot be numbered without renumbering. */
static GArray *
number_segments (GArray * segs, GArray * before)
{
  GArray *window = g_array_new (FALSE, FALSE, sizeof (Numbered));
  const Numbered *newest = before && before->len ?
      &g_array_index (before, Numbered, before->len - 1) : NULL;
  Numbered last = newest ? *newest : (Numbered) { 0 };

  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    const Numbered *known = find_start (before, e->start_ms);
    Numbered n = { e->start_ms, e->duration_ms, 0, 0 };

    if (known != NULL)
      n = *known;
    else if (window->len == 0 && newest == NULL)
      n.sequence = e->start_ms / 1000;
    else if (e->start_ms > last.start_ms) {
      n.sequence = last.sequence + 1;
      n.discontinuities = last.discontinuities +
          (e->start_ms != last.start_ms + last.duration_ms);
    } else
      continue;
    /* Numbers must follow one another: a segment gone from the store
     * breaks the count, and only what follows it is kept. */
    if (window->len > 0 && n.sequence != g_array_index (window, Numbered,
            window->len - 1).sequence + 1)
      g_array_set_size (window, 0);
    g_array_append_val (window, n);
    if (known == NULL)
      last = n;
  }
  return window;
}

gchar *
csctl_live_playlist (CsctlLive * live, CsStore * store, const gchar * device,
    GCancellable * cancellable, GError ** error)
{
  gint64 now = g_get_real_time () / 1000;
  g_autoptr (GArray) segs = NULL, recent = NULL, entries = NULL;
  g_autoptr (GArray) window = NULL;
  g_autoptr (GError) local = NULL;
  const Numbered *first;

  segs = csctl_find_segments (store, device, now - LIVE_RECENT_MS,
      MIN (now + LIVE_RECENT_MS, CSCTL_MAX_TIME_MS), FALSE, cancellable,
      &local);
  if (segs == NULL) {
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "%s has stored nothing in the last %d minutes: it is not "
          "recording now", device, LIVE_RECENT_MS / 60000);
    else
      g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  /* The newest segments; where two recordings overlap, the first. */
  recent = g_array_new (FALSE, FALSE, sizeof (CsPlaylistEntry));
  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    CsPlaylistEntry *prev = recent->len ? &g_array_index (recent,
        CsPlaylistEntry, recent->len - 1) : NULL;

    if (prev == NULL || e->start_ms >= prev->start_ms + prev->duration_ms)
      g_array_append_val (recent, *e);
  }
  if (recent->len > LIVE_SEGMENTS)
    g_array_remove_range (recent, 0, recent->len - LIVE_SEGMENTS);

  g_mutex_lock (&live->lock);
  window = number_segments (recent, g_hash_table_lookup (live->windows,
          device));
  if (g_hash_table_size (live->windows) >= LIVE_DEVICES
      && !g_hash_table_contains (live->windows, device))
    g_hash_table_remove_all (live->windows);
  g_hash_table_replace (live->windows, g_strdup (device),
      g_array_ref (window));
  g_mutex_unlock (&live->lock);

  entries = g_array_new (FALSE, TRUE, sizeof (CsPlaylistEntry));
  g_array_set_clear_func (entries,
      (GDestroyNotify) csctl_playlist_entry_clear);
  for (guint i = 0; i < window->len; i++) {
    Numbered *n = &g_array_index (window, Numbered, i);
    CsPlaylistEntry e = { NULL, n->start_ms, n->duration_ms };

    for (guint j = 0; j < recent->len && e.uri == NULL; j++)
      if (g_array_index (recent, CsPlaylistEntry, j).start_ms == n->start_ms) {
        e.uri = g_strconcat ("/store/", g_array_index (recent,
                CsPlaylistEntry, j).uri, NULL);
        e.key_uri = g_strdup (g_array_index (recent, CsPlaylistEntry,
                j).key_uri);
        e.fmp4 = g_array_index (recent, CsPlaylistEntry, j).fmp4;
        e.size = g_array_index (recent, CsPlaylistEntry, j).size;
      }
    g_array_append_val (entries, e);
  }
  if (window->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "%s has stored no new segment", device);
    return NULL;
  }
  first = &g_array_index (window, Numbered, 0);
  return cs_playlist_live ((CsPlaylistEntry *) entries->data, entries->len,
      first->sequence, first->discontinuities);
}
