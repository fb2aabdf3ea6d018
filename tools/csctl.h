/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What csctl's commands share. */
#pragma once

#include "cs-event-record.h"
#include "cs-keyring.h"
#include "cs-playlist.h"
#include "cs-store.h"

G_BEGIN_DECLS

extern gchar *opt_output, *opt_channel, *opt_ai, *opt_until, *opt_event;
extern gint opt_days, opt_older_than;
extern gboolean opt_yes;

/* The last ms csctl takes or shows: 9999-12-31T23:59:59.999Z (GDateTime,
 * and so every key's day, ends there). */
#define CSCTL_MAX_TIME_MS G_GINT64_CONSTANT (253402300799999)

/* ms since the epoch from "1700000000000" or ISO 8601 (UTC if no zone),
 * from 1970 to CSCTL_MAX_TIME_MS. */
gboolean csctl_parse_time (const gchar * text, gint64 * ms, GError ** error);
/* [@from, @to) from --from/--to or the API's from/to (NULL: the 24 h before
 * @to, now); at most 31 days. */
gboolean csctl_parse_range (const gchar * from_text, const gchar * to_text,
    gint64 * from, gint64 * to, GError ** error);
/* "2026-11-24 05:00:00.000" (UTC), or "N ms" for a time out of range. */
gchar *csctl_format_time (gint64 ms);
/* STORE with --endpoint, --region and the AWS_* credentials; reads
 * --key-file's keys too. */
CsStore *csctl_open_store (const gchar * uri, GError ** error);
/* Reads --key-file's keys (the first call; before any thread). */
gboolean csctl_load_keys (GError ** error);
/* --key-file, or NULL. */
const gchar *csctl_key_file (void);
/* --key-file's keys (once read), or NULL. */
CsKeyring *csctl_keyring (void);
/* Object @key as it was before it was stored (decrypted, see cs-crypt.h). */
GBytes *csctl_read_object (CsStore * store, const gchar * key,
    GCancellable * cancellable, GError ** error);
/* The key URI playlists name ({id}: the key id): --key-uri, or serve's. */
extern gchar *opt_key_uri;
const gchar *csctl_key_uri (void);

/* --event excludes --from and --to, and is an event id. */
gboolean csctl_check_event_or_range (GError ** error);
/* A name of the store, and when it is a number (the ms of the event's first
 * trigger, as cssink names events) a time csctl can show. */
gboolean csctl_check_event_id (const gchar * id, GError ** error);
/* Checks DEVICE (argv[2]) and --from/--to, opens STORE (argv[1]); on failure
 * *@rc is the exit status. */
CsStore *csctl_open_range (int argc, char **argv, gint64 * from, gint64 * to,
    int *rc, GError ** error);

/* Every segment of @device that overlaps [@from, @to), sorted by start; uri
 * is its URL when @urls, else its key.  None is a G_IO_ERROR_NOT_FOUND. */
GArray *csctl_find_segments (CsStore * store, const gchar * device,
    gint64 from, gint64 to, gboolean urls, GCancellable * cancellable,
    GError ** error);

void csctl_playlist_entry_clear (CsPlaylistEntry * e);
gint csctl_compare_entries (gconstpointer a, gconstpointer b);
/* --expires: the lifetime of presigned URLs, in s. */
guint csctl_url_expiry (void);

/* The keys of every object under the event days that may overlap
 * [@from, @to). */
GPtrArray *csctl_list_event_days (CsStore * store, const gchar * device,
    gint64 from, gint64 to, GCancellable * cancellable, GError ** error);
/* CsEventRecord of the events overlapping [@from, @to), by start; an
 * unreadable event.json is said on stderr and counted in @unreadable. */
GPtrArray *csctl_find_events (CsStore * store, const gchar * device,
    gint64 from, gint64 to, guint * unreadable, GCancellable * cancellable,
    GError ** error);
/* The segments of event @id (all of them present in the store), and the
 * time they cover. */
GArray *csctl_event_segments (CsStore * store, const gchar * device,
    const gchar * id, gboolean urls, gint64 * from, gint64 * to,
    GCancellable * cancellable, GError ** error);
/* What csctl ls --json prints: spans, gaps and events (an empty range is
 * no error). */
gchar *csctl_ls_json (CsStore * store, const gchar * device, gint64 from,
    gint64 to, GCancellable * cancellable, GError ** error);
/* "motion+person", for people. */
gchar *csctl_describe_triggers (guint32 triggers);

/* The directory of csctl serve's page (see csctl-web-dir.c). */
gchar *csctl_find_web_dir (void);

/* Sets the creation time of the MP4 at @path (see csctl-mp4-time.c). */
gboolean csctl_mp4_set_creation_time (const gchar * path, gint64 unix_s,
    GError ** error);

int csctl_export (int argc, char **argv, GError ** error);
int csctl_serve (int argc, char **argv, GError ** error);
int csctl_activate (int argc, char **argv, GError ** error);
int csctl_deactivate (int argc, char **argv, GError ** error);
int csctl_retention (int argc, char **argv, GError ** error);
int csctl_prune (int argc, char **argv, GError ** error);

G_END_DECLS
