/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl: find and play back what cssink stored.
 *
 *   csctl ls STORE DEVICE [--from T] [--to T] [--json]
 *   csctl playlist STORE DEVICE --from T --to T [--expires S] [-o FILE]
 *   csctl export STORE DEVICE --from T --to T -o FILE.mp4
 *   csctl activate|deactivate STORE DEVICE --channel NAME|--ai TYPE [--until T]
 *
 * STORE is a store URI as cssink takes it; for s3:// give --endpoint (and
 * --region) and the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * (AWS_SESSION_TOKEN).  T is ISO 8601 (2026-11-24T05:00:00Z) or ms since
 * the epoch. */
#include "config.h"
#include "csctl.h"
#include "cs-crypt.h"
#include "cs-key.h"
#include "cs-json.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define HOUR_MS (3600 * G_GINT64_CONSTANT (1000))
#define MAX_RANGE_MS (31 * 24 * HOUR_MS)  /* one listing per hour in range */
#define MAX_EXPIRES_S (7 * 24 * 3600)   /* SigV4's longest presigned URL */

static gchar *opt_from, *opt_to;
gchar *opt_endpoint, *opt_region;
gchar *opt_output, *opt_channel, *opt_ai, *opt_until;
static gint opt_expires = 24 * 3600;
gchar *opt_event;
gchar *opt_listen = (gchar *) "127.0.0.1:8080";
gchar **opt_allow_host;
gint opt_timeout = 30;
static gboolean opt_json, opt_virtual_hosted;
static gchar *opt_key_file;
gchar *opt_key_uri;
static CsKeyring *keyring;      /* from --key-file, with the store */

static const GOptionEntry store_entries[] = {
  {"endpoint", 0, 0, G_OPTION_ARG_STRING, &opt_endpoint,
      "S3 endpoint, http(s)://host[:port]", "URL"},
  {"region", 0, 0, G_OPTION_ARG_STRING, &opt_region, "S3 region", "REGION"},
  {"virtual-hosted", 0, 0, G_OPTION_ARG_NONE, &opt_virtual_hosted,
      "S3 requests with the bucket in the host name (bucket.host), as cssink "
        "force-path-style=false makes", NULL},
  {"key-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_key_file,
        "The keys of an encrypted store (cssink encryption-key-file: lines "
        "'<key-id> <32 hex>', mode 600)", "FILE"},
  {NULL}
};

static const GOptionEntry ls_entries[] = {
  {"from", 0, 0, G_OPTION_ARG_STRING, &opt_from,
      "Start of the range (default: 24 h before --to)", "T"},
  {"to", 0, 0, G_OPTION_ARG_STRING, &opt_to, "End of the range (default: now)",
      "T"},
  {"json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "JSON for scripts", NULL},
  {NULL}
};

static const GOptionEntry export_entries[] = {
  {"from", 0, 0, G_OPTION_ARG_STRING, &opt_from, "Start of the range", "T"},
  {"to", 0, 0, G_OPTION_ARG_STRING, &opt_to, "End of the range", "T"},
  {"event", 0, 0, G_OPTION_ARG_STRING, &opt_event,
      "One event instead of a range", "ID"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, "The MP4 to write",
      "FILE"},
  {NULL}
};

static const GOptionEntry service_entries[] = {
  {"channel", 0, 0, G_OPTION_ARG_STRING, &opt_channel,
      "A recording channel: full-time, event-video or event-pic", "NAME"},
  {"ai", 0, 0, G_OPTION_ARG_STRING, &opt_ai, "An AI service", "TYPE"},
  {"until", 0, 0, G_OPTION_ARG_STRING, &opt_until,
      "When it ends (default: no end)", "T"},
  {NULL}
};

static const GOptionEntry serve_entries[] = {
  {"listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen,
      "Address and port to serve on (default 127.0.0.1:8080; port 0: any)",
      "ADDRESS:PORT"},
  {"allow-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_allow_host,
        "Also answer requests for this host name (default: only the listen "
        "address, and localhost on loopback); repeatable", "NAME"},
  {"timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
        "Seconds a client has to send its request, and the store to answer "
        "it (default 30)", "S"},
  {NULL}
};

static const GOptionEntry playlist_entries[] = {
  {"from", 0, 0, G_OPTION_ARG_STRING, &opt_from, "Start of the range", "T"},
  {"to", 0, 0, G_OPTION_ARG_STRING, &opt_to, "End of the range", "T"},
  {"event", 0, 0, G_OPTION_ARG_STRING, &opt_event,
      "One event instead of a range", "ID"},
  {"expires", 0, 0, G_OPTION_ARG_INT, &opt_expires,
      "Lifetime of presigned S3 URLs in seconds (default 86400, at most "
        "604800)", "S"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "Write the playlist here instead of to standard output", "FILE"},
  {"key-uri", 0, 0, G_OPTION_ARG_STRING, &opt_key_uri,
        "Where a player gets the key of encrypted segments, {id} standing "
        "for its id (default '{id}.key': the key's 16 bytes beside the "
        "playlist)", "URI"},
  {NULL}
};

static const GOptionEntry retention_entries[] = {
  {"days", 0, 0, G_OPTION_ARG_INT, &opt_days,
      "Expire recordings and events after N days (0: remove csctl's rules; "
        "without: only show the rules)", "N"},
  {NULL}
};

static const GOptionEntry prune_entries[] = {
  {"older-than", 0, 0, G_OPTION_ARG_INT, &opt_older_than,
      "Delete the days that ended N days ago or earlier (UTC)", "N"},
  {"yes", 0, 0, G_OPTION_ARG_NONE, &opt_yes,
      "Delete (without: only list what would go)", NULL},
  {NULL}
};

/* Digits only: a time or event id in ms. */
static gboolean
is_number (const gchar * text)
{
  return text != NULL && *text && text[strspn (text, "0123456789")] == '\0';
}

static void
set_time_error (GError ** error, const gchar * text)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "'%s' is not a time from 1970 to 9999: use ISO 8601 "
      "(2026-11-24T05:00:00Z) or ms since the epoch", text ? text : "");
}

gboolean
csctl_parse_time (const gchar * text, gint64 * ms, GError ** error)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) t = NULL;
  guint64 v;

  if (is_number (text)) {
    if (!g_ascii_string_to_unsigned (text, 10, 0, CSCTL_MAX_TIME_MS, &v,
            NULL)) {
      set_time_error (error, text);
      return FALSE;
    }
    *ms = v;
    return TRUE;
  }
  if (text != NULL)
    t = g_date_time_new_from_iso8601 (text, utc);
  if (t == NULL || g_date_time_to_unix (t) < 0) {
    set_time_error (error, text);
    return FALSE;
  }
  *ms = g_date_time_to_unix (t) * 1000 +
      g_date_time_get_microsecond (t) / 1000;
  return TRUE;
}

void
csctl_playlist_entry_clear (CsPlaylistEntry * e)
{
  g_free (e->uri);
  g_free (e->key_uri);
}

const gchar *
csctl_key_uri (void)
{
  return opt_key_uri ? opt_key_uri : CS_PLAYLIST_DEFAULT_KEY_URI;
}

gboolean
csctl_load_keys (GError ** error)
{
  if (opt_key_file != NULL && keyring == NULL
      && !(keyring = cs_keyring_load (opt_key_file, error)))
    return FALSE;
  return TRUE;
}

const gchar *
csctl_key_file (void)
{
  return opt_key_file;
}

CsKeyring *
csctl_keyring (void)
{
  return keyring;
}

GBytes *
csctl_read_object (CsStore * store, const gchar * key,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GBytes) data = cs_store_get (store, key, cancellable, error);

  return data ? cs_crypt_read (keyring, key, data, error) : NULL;
}

guint
csctl_url_expiry (void)
{
  return opt_expires;
}

gint
csctl_compare_entries (gconstpointer a, gconstpointer b)
{
  const CsPlaylistEntry *ea = a, *eb = b;
  return (ea->start_ms > eb->start_ms) - (ea->start_ms < eb->start_ms);
}

gchar *
csctl_format_time (gint64 ms)
{
  g_autoptr (GDateTime) t = NULL;
  g_autofree gchar *s = NULL;

  /* A time from the store (a segment's name, an event.json) may be any. */
  if (ms < 0 || ms > CSCTL_MAX_TIME_MS)
    return g_strdup_printf ("%" G_GINT64_FORMAT " ms", ms);
  t = g_date_time_new_from_unix_utc (ms / 1000);
  s = g_date_time_format (t, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%03d", s, (int) (ms % 1000));
}

/* Adds @key (of @size bytes, 0: not known) to @found when it is a segment
 * that overlaps [@from, @to). */
static gboolean
add_segment (CsStore * store, const gchar * key, guint64 size, gint64 from,
    gint64 to, gboolean urls, GArray * found, GError ** error)
{
  CsPlaylistEntry e = { NULL, 0, 0 };

  if (!cs_key_parse_segment (key, &e.start_ms, &e.duration_ms)
      || e.start_ms >= to || e.start_ms + e.duration_ms <= from)
    return TRUE;
  e.fmp4 = cs_key_segment_is_fmp4 (key);
  e.size = size;
  if (!urls)
    e.uri = g_strdup (key);
  else if (!(e.uri = cs_store_get_url (store, key, opt_expires, error)))
    return FALSE;
  e.key_uri = cs_playlist_key_uri (key, csctl_key_uri ());
  g_array_append_val (found, e);
  return TRUE;
}

GArray *
csctl_find_segments (CsStore * store, const gchar * device, gint64 from,
    gint64 to, gboolean urls, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GArray) found = g_array_new (FALSE, TRUE,
      sizeof (CsPlaylistEntry));
  g_autoptr (GPtrArray) event_keys = NULL;

  g_array_set_clear_func (found, (GDestroyNotify) csctl_playlist_entry_clear);
  /* From the hour before: a segment that began then may reach into @from. */
  for (gint64 h = MAX (from - from % HOUR_MS - HOUR_MS, 0); h < to;
      h += HOUR_MS) {
    g_autofree gchar *prefix = cs_key_recording_hour (device, h);
    g_autoptr (GPtrArray) objects = cs_store_list (store, prefix,
        cancellable, error);

    if (objects == NULL)
      return NULL;
    for (guint i = 0; i < objects->len; i++) {
      CsStoreObject *o = g_ptr_array_index (objects, i);
      if (!add_segment (store, o->key, o->size, from, to, urls, found, error))
        return NULL;
    }
  }
  /* Event video: beside each event.json. */
  event_keys = csctl_list_event_days (store, device, from, to, cancellable,
      error);
  if (event_keys == NULL)
    return NULL;
  for (guint i = 0; i < event_keys->len; i++)
    if (!add_segment (store, g_ptr_array_index (event_keys, i), 0, from, to,
            urls, found, error))
      return NULL;
  if (found->len == 0) {
    g_autofree gchar *f = csctl_format_time (from);
    g_autofree gchar *t = csctl_format_time (to);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no recording of %s between %s and %s UTC", device, f, t);
    return NULL;
  }
  g_array_sort (found, csctl_compare_entries);
  return g_steal_pointer (&found);
}

CsStore *
csctl_open_store (const gchar * uri, GError ** error)
{
  CsStoreConfig config = {
    .endpoint = opt_endpoint,.region = opt_region,
    .virtual_hosted = opt_virtual_hosted,
  };

  cs_store_config_fill_from_env (&config);
  if (!csctl_load_keys (error))
    return NULL;
  return cs_store_new (uri, &config, error);
}

gboolean
csctl_check_event_id (const gchar * id, GError ** error)
{
  if (!cs_key_name_is_valid (id) || (is_number (id)
          && !g_ascii_string_to_unsigned (id, 10, 0, CSCTL_MAX_TIME_MS, NULL,
              NULL))) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "'%s' is not an event id (the ms of its first trigger, up to year "
        "9999)", id ? id : "");
    return FALSE;
  }
  return TRUE;
}

gboolean
csctl_check_event_or_range (GError ** error)
{
  if (opt_event != NULL && (opt_from != NULL || opt_to != NULL)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give --from and --to, or --event, not both");
    return FALSE;
  }
  return opt_event == NULL || csctl_check_event_id (opt_event, error);
}

gboolean
csctl_parse_range (const gchar * from_text, const gchar * to_text,
    gint64 * from, gint64 * to, GError ** error)
{
  *to = MIN (g_get_real_time () / 1000, CSCTL_MAX_TIME_MS);
  if (to_text != NULL && !csctl_parse_time (to_text, to, error))
    return FALSE;
  *from = MAX (*to - 24 * HOUR_MS, 0);
  if (from_text != NULL && !csctl_parse_time (from_text, from, error))
    return FALSE;
  if (*from >= *to) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "from must be before to");
    return FALSE;
  }
  if (*to - *from > MAX_RANGE_MS) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "the range is longer than 31 days");
    return FALSE;
  }
  return TRUE;
}

CsStore *
csctl_open_range (int argc, char **argv, gint64 * from, gint64 * to, int *rc,
    GError ** error)
{
  *rc = 2;
  if (argc != 3) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give STORE and DEVICE");
    return NULL;
  }
  if (!cs_key_name_is_valid (argv[2])) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "'%s' is not a device id", argv[2]);
    return NULL;
  }
  if (!csctl_parse_range (opt_from, opt_to, from, to, error))
    return NULL;
  *rc = 1;
  return csctl_open_store (argv[1], error);
}

typedef struct {
  gint64 start_ms, end_ms;
  guint segments;
} Span;

/* Spans of back-to-back segments. */
static GArray *
merge_spans (GArray * segs)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));

  for (guint i = 0; i < segs->len; i++) {
    CsPlaylistEntry *e = &g_array_index (segs, CsPlaylistEntry, i);
    Span *last = spans->len ?
        &g_array_index (spans, Span, spans->len - 1) : NULL;

    if (last != NULL && last->end_ms == e->start_ms) {
      last->end_ms += e->duration_ms;
      last->segments++;
    } else {
      Span sp = { e->start_ms, e->start_ms + e->duration_ms, 1 };
      g_array_append_val (spans, sp);
    }
  }
  return spans;
}

/* What lies between spans: a gap, or where two recordings of the device
 * overlap (two cssinks with one device id). */
typedef struct {
  gint64 start_ms, end_ms;
  gboolean overlap;
  guint span;                   /* the span it comes before */
} Between;

/* Between each span and the furthest any span before it reaches. */
static GArray *
between_spans (GArray * spans)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Between));
  gint64 reach = 0;

  for (guint i = 0; i < spans->len; i++) {
    Span *sp = &g_array_index (spans, Span, i);
    Between b = { reach, sp->start_ms, FALSE, i };

    if (i > 0 && sp->start_ms < reach) {
      b = (Between) { sp->start_ms, MIN (reach, sp->end_ms), TRUE, i};
      g_array_append_val (out, b);
    } else if (i > 0 && sp->start_ms > reach) {
      g_array_append_val (out, b);
    }
    reach = MAX (reach, sp->end_ms);
  }
  return out;
}

static void
add_member (JsonBuilder * b, const gchar * name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static gchar *
ls_to_json (const gchar * device, gint64 from, gint64 to, GArray * spans,
    GPtrArray * events)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GArray) between = between_spans (spans);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, device);
  add_member (b, "from_ms", from);
  add_member (b, "to_ms", to);
  json_builder_set_member_name (b, "spans");
  json_builder_begin_array (b);
  for (guint i = 0; i < spans->len; i++) {
    Span *sp = &g_array_index (spans, Span, i);
    json_builder_begin_object (b);
    add_member (b, "start_ms", sp->start_ms);
    add_member (b, "end_ms", sp->end_ms);
    add_member (b, "segments", sp->segments);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  for (gboolean overlaps = FALSE; overlaps <= TRUE; overlaps++) {
    json_builder_set_member_name (b, overlaps ? "overlaps" : "gaps");
    json_builder_begin_array (b);
    for (guint i = 0; i < between->len; i++) {
      Between *bt = &g_array_index (between, Between, i);

      if (bt->overlap != overlaps)
        continue;
      json_builder_begin_object (b);
      add_member (b, "start_ms", bt->start_ms);
      add_member (b, "end_ms", bt->end_ms);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < events->len; i++) {
    CsEventRecord *r = g_ptr_array_index (events, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, r->id);
    add_member (b, "triggers", r->triggers);
    add_member (b, "start_ms", r->start_ms);
    add_member (b, "end_ms", r->end_ms);
    add_member (b, "alarms", r->alarms->len);
    add_member (b, "segments", r->segments->len);
    json_builder_set_member_name (b, "snapshot");
    if (r->snapshot)
      json_builder_add_string_value (b, r->snapshot);
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return cs_json_builder_to_data (b);
}

gchar *
csctl_ls_json (CsStore * store, const gchar * device, gint64 from, gint64 to,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GArray) segs = NULL, spans = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) none = NULL;
  guint unreadable = 0;

  segs = csctl_find_segments (store, device, from, to, FALSE, cancellable,
      &none);
  if (segs == NULL && !g_error_matches (none, G_IO_ERROR,
          G_IO_ERROR_NOT_FOUND)) {
    g_propagate_error (error, g_steal_pointer (&none));
    return NULL;
  }
  events = csctl_find_events (store, device, from, to, &unreadable,
      cancellable, error);
  if (events == NULL)
    return NULL;
  spans = segs ? merge_spans (segs) : g_array_new (FALSE, FALSE,
      sizeof (Span));
  return ls_to_json (device, from, to, spans, events);
}

static void
print_events (GPtrArray * events)
{
  if (events->len > 0)
    g_print ("%u events\n", events->len);
  for (guint i = 0; i < events->len; i++) {
    CsEventRecord *r = g_ptr_array_index (events, i);
    g_autofree gchar *at = csctl_format_time (r->start_ms);
    g_autofree gchar *what = csctl_describe_triggers (r->triggers);

    g_print ("  %s  %s  %.1f s  %s%s%s\n", r->id, at, r->end_ms >= 0 ?
        (r->end_ms - r->start_ms) / 1000.0 : 0.0, what,
        r->snapshot ? "  snapshot" : "", r->ended ? "" : "  (going on)");
  }
}

static int
cmd_ls (int argc, char **argv, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GArray) segs = NULL, spans = NULL, between = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) none = NULL;
  g_autofree gchar *f = NULL, *t = NULL;
  guint unreadable = 0;
  gint64 from, to;
  int rc;

  store = csctl_open_range (argc, argv, &from, &to, &rc, error);
  if (store == NULL)
    return rc;
  segs = csctl_find_segments (store, argv[2], from, to, FALSE, NULL, &none);
  if (segs == NULL && !g_error_matches (none, G_IO_ERROR,
          G_IO_ERROR_NOT_FOUND)) {
    g_propagate_error (error, g_steal_pointer (&none));
    return 1;
  }
  events = csctl_find_events (store, argv[2], from, to, &unreadable, NULL,
      error);
  if (events == NULL)
    return 1;
  if (segs == NULL && events->len == 0) {
    g_propagate_error (error, g_steal_pointer (&none));
    return 1;
  }
  spans = segs ? merge_spans (segs) : g_array_new (FALSE, FALSE,
      sizeof (Span));

  if (opt_json) {
    g_autofree gchar *json = ls_to_json (argv[2], from, to, spans, events);
    g_print ("%s\n", json);
    return unreadable ? 1 : 0;
  }
  f = csctl_format_time (from);
  t = csctl_format_time (to);
  g_print ("%s from %s to %s UTC: %u recorded spans\n", argv[2], f, t,
      spans->len);
  between = between_spans (spans);
  for (guint i = 0, j = 0; i < spans->len; i++) {
    Span *sp = &g_array_index (spans, Span, i);
    g_autofree gchar *a = csctl_format_time (sp->start_ms);
    g_autofree gchar *z = csctl_format_time (sp->end_ms);

    if (j < between->len && g_array_index (between, Between, j).span == i) {
      Between *bt = &g_array_index (between, Between, j++);
      g_print ("  %s %.1f s\n", bt->overlap ? "overlap" : "gap",
          (bt->end_ms - bt->start_ms) / 1000.0);
    }
    g_print ("  %s - %s  %.1f s in %u segments\n", a, z,
        (sp->end_ms - sp->start_ms) / 1000.0, sp->segments);
  }
  print_events (events);
  /* Listed what could be read; the exit status tells a script the rest. */
  return unreadable ? 1 : 0;
}

static int
cmd_playlist (int argc, char **argv, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GArray) segments = NULL;
  g_autofree gchar *text = NULL;
  gint64 from, to;
  int rc;

  if ((opt_from == NULL || opt_to == NULL) && opt_event == NULL) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give --from and --to, or --event");
    return 2;
  }
  if (!csctl_check_event_or_range (error))
    return 2;
  if (!cs_playlist_key_uri_is_valid (csctl_key_uri ())) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--key-uri cannot hold '\"' or a line break");
    return 2;
  }
  if (opt_expires <= 0 || opt_expires > MAX_EXPIRES_S) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--expires must be 1 to %d s (7 days: S3 refuses a presigned URL "
        "valid for longer)", MAX_EXPIRES_S);
    return 2;
  }
  store = csctl_open_range (argc, argv, &from, &to, &rc, error);
  if (store == NULL)
    return rc;
  segments = opt_event ? csctl_event_segments (store, argv[2], opt_event,
      TRUE, &from, &to, NULL, error) : csctl_find_segments (store, argv[2],
      from, to, TRUE, NULL, error);
  if (segments == NULL)
    return 1;
  text = cs_playlist_vod ((CsPlaylistEntry *) segments->data, segments->len);
  if (opt_output == NULL) {
    fputs (text, stdout);
    return 0;
  }
  return g_file_set_contents (opt_output, text, -1, error) ? 0 : 1;
}

static const struct {
  const gchar *name;
  const gchar *args;
  const gchar *summary;
  const GOptionEntry *entries;
  int (*run) (int argc, char **argv, GError ** error);
} commands[] = {
  {"ls", "STORE DEVICE [--from T] [--to T] [--json]",
      "Recorded spans, gaps and events.", ls_entries, cmd_ls},
  {"playlist", "STORE DEVICE --from T --to T|--event ID [-o FILE]",
      "A VOD HLS playlist.", playlist_entries, cmd_playlist},
  {"export", "STORE DEVICE --from T --to T|--event ID -o FILE.mp4",
      "The range remuxed into one MP4.", export_entries, csctl_export},
  {"serve", "STORE [--listen ADDRESS:PORT]",
      "A web page to browse and play the store.", serve_entries,
      csctl_serve},
  {"activate", "STORE DEVICE --channel NAME|--ai TYPE [--until T]",
      "What the device may record.", service_entries, csctl_activate},
  {"deactivate", "STORE DEVICE --channel NAME|--ai TYPE",
      "What the device may no longer record.", service_entries,
      csctl_deactivate},
  {"retention", "STORE [DEVICE] [--days N]",
      "S3 lifecycle rules that expire recordings and events (s3://).",
      retention_entries, csctl_retention},
  {"prune", "STORE [DEVICE] --older-than N [--yes]",
      "Delete whole days of recordings and events (file://).",
      prune_entries, csctl_prune},
};

/* What every command's help ends with. */
#define HELP_NOTES \
  "STORE is file:///DIR, s3://BUCKET[/PREFIX] (with --endpoint, --region)\n" \
  "or http(s)://HOST/PATH.  T is ISO 8601 (2026-11-24T05:00:00Z) or ms\n" \
  "since the epoch.\n\n" \
  "Environment:\n" \
  "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  the credentials of an s3:// store\n" \
  "  AWS_SESSION_TOKEN                         with temporary credentials\n" \
  "  CSCTL_WEB_DIR                             the page csctl serve shows\n\n" \
  "Exit status: 0 done, 1 nothing found or the store failed, 2 bad usage.\n" \
  "See csctl(1).\n"

static void
print_usage (FILE * out)
{
  fprintf (out, "usage: csctl COMMAND ARGS... (csctl COMMAND --help: its "
      "options)\n       csctl --help | --version\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  csctl %s %s\n      %s\n", commands[i].name,
        commands[i].args, commands[i].summary);
  fprintf (out, "\n%s", HELP_NOTES);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int rc = 2;

  if (argc > 1 && (g_str_equal (argv[1], "--help")
          || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))) {
    print_usage (stdout);
    return 0;
  }
  if (argc > 1 && g_str_equal (argv[1], "--version")) {
    printf ("csctl (%s) %s\n", PACKAGE, VERSION);
    return 0;
  }
  for (guint i = 0; argc > 1 && i < G_N_ELEMENTS (commands); i++) {
    g_autoptr (GOptionContext) ctx = NULL;
    g_autofree gchar *prgname = NULL;

    if (!g_str_equal (argv[1], commands[i].name))
      continue;
    /* GOption's "Usage:" line names the program: here csctl COMMAND. */
    prgname = g_strdup_printf ("csctl %s", commands[i].name);
    g_set_prgname (prgname);
    ctx = g_option_context_new (commands[i].args);
    g_option_context_set_summary (ctx, commands[i].summary);
    g_option_context_set_description (ctx, HELP_NOTES);
    g_option_context_add_main_entries (ctx, commands[i].entries, NULL);
    g_option_context_add_main_entries (ctx, store_entries, NULL);
    argv[1] = argv[0];
    if (g_option_context_parse (ctx, &argc, &argv, &error))
      rc = commands[i].run (argc - 1, argv + 1, &error);
    if (error != NULL)
      g_printerr ("csctl %s: %s\n", commands[i].name, error->message);
    return error != NULL && rc == 0 ? 1 : rc;
  }
  if (argc > 1)
    g_printerr ("csctl: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return 2;
}
