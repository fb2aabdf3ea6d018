/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Object keys are built only from input that passed these checks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_KEY_MAX_NAME_LEN 128
#define CS_KEY_MAX_LEN 1024

/* A device id, event id or one level of a prefix: 1 to 128 of [A-Za-z0-9._-],
 * not starting with '.' (so never "." or ".."). */
gboolean cs_key_name_is_valid (const gchar * name);
/* Names joined by single '/', no leading or trailing '/'; "" is valid. */
gboolean cs_key_prefix_is_valid (const gchar * prefix);
/* A non-empty valid prefix no longer than CS_KEY_MAX_LEN. */
gboolean cs_key_is_valid (const gchar * key);

/* A segment stored as it was made: no key id in its name. */
#define CS_KEY_NO_KEY_ID (-1)

/* A segment's name: "<start_ms>_<duration_ms>.<ext>", or encrypted with
 * key @key_id (0 to G_MAXUINT32) "<start_ms>_<duration_ms>_k<key_id>.<ext>"
 * (see cs-crypt.h). */
gchar *cs_key_segment_name (gint64 start_ms, gint64 duration_ms,
    gint64 key_id, const gchar * ext);
/* "<device>/rec/<YYYYMMDD>/<HH>/" and the segment's name, UTC. */
gchar *cs_key_recording_segment (const gchar * device_id, gint64 start_ms,
    gint64 duration_ms, gint64 key_id, const gchar * ext);
/* The longest segment a name may give: cssink's segment-duration is at most
 * an hour, and a keyframe comes long before a day has passed.  A longer one
 * is a foreign name (it would span every playlist it falls in). */
#define CS_KEY_SEGMENT_MAX_MS (24 * 3600 * G_GINT64_CONSTANT (1000))
/* Start, duration and key id (CS_KEY_NO_KEY_ID when none; @key_id may be
 * NULL) from a segment key's last name, "<start>_<dur>[_k<id>].<ext>" with
 * ext "ts" (MPEG-TS) or "mp4" (fragmented MP4) and a duration of at most
 * CS_KEY_SEGMENT_MAX_MS: the one parser of segment names.  FALSE for
 * anything else. */
gboolean cs_key_parse_segment_full (const gchar * key, gint64 * start_ms,
    gint64 * duration_ms, gint64 * key_id);
/* cs_key_parse_segment_full () without the key id. */
gboolean cs_key_parse_segment (const gchar * key, gint64 * start_ms,
    gint64 * duration_ms);
/* @key names a segment (cs_key_parse_segment () takes it). */
gboolean cs_key_is_segment (const gchar * key);
/* @key names a fragmented MP4 segment ("….mp4"). */
gboolean cs_key_segment_is_fmp4 (const gchar * key);
/* The init part (ftyp, moov, then a free box filling up) of every .mp4
 * segment is exactly this long, so that a playlist's
 * #EXT-X-MAP:BYTERANGE is known from the name alone (no read of the
 * segment). */
#define CS_KEY_FMP4_INIT_SIZE 4096
/* "<device>/rec/<YYYYMMDD>/<HH>/": where segments starting in the hour of
 * @utc_ms are. */
gchar *cs_key_recording_hour (const gchar * device_id, gint64 utc_ms);

/* "<device>/ev/<YYYYMMDD>/<event_id>/": an event's objects, the day being
 * that of @start_ms (its first trigger). */
gchar *cs_key_event_dir (const gchar * device_id, const gchar * event_id,
    gint64 start_ms);
/* "<device>/ev/<YYYYMMDD>/": the events that started on the day of
 * @utc_ms. */
gchar *cs_key_events_day (const gchar * device_id, gint64 utc_ms);

/* The objects of an event directory (cs_key_event_dir ()). */
#define CS_KEY_EVENT_JSON "event.json"
#define CS_KEY_EVENT_PLAYLIST "index.m3u8"
#define CS_KEY_EVENT_SNAPSHOT "snapshot.jpg"

/* "<device>/service.json": what the device may record. */
gchar *cs_key_service (const gchar * device_id);
/* @key (of @device_id's objects) as a URI relative to the event directory
 * @event_dir, for the event's playlist: its own segments by name, the
 * full-time ones it points at by a path up to the device's directory. */
gchar *cs_key_relative_to_event_dir (const gchar * event_dir,
    const gchar * device_id, const gchar * key);

/* The MIME type of an object of the store layout, from its key's extension
 * (the one home of them): .ts video/mp2t, .mp4 video/mp4, .jpg image/jpeg, .m3u8
 * application/vnd.apple.mpegurl, .json application/json; anything else
 * application/octet-stream. */
const gchar *cs_key_content_type (const gchar * key);

G_END_DECLS
