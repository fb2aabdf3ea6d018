/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-key.h"

#include <string.h>

static gboolean
name_char_is_valid (gchar c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

/* Checks the name that starts at @name and ends at '/' or NUL; returns its
 * length or 0 when it is not valid. */
static gsize
valid_name_length (const gchar * name)
{
  gsize n = 0;

  if (name[0] == '.')
    return 0;
  while (name[n] != '\0' && name[n] != '/') {
    if (!name_char_is_valid (name[n]) || n == CS_KEY_MAX_NAME_LEN)
      return 0;
    n++;
  }
  return n;
}

gboolean
cs_key_name_is_valid (const gchar * name)
{
  gsize n;

  if (name == NULL)
    return FALSE;
  n = valid_name_length (name);
  return n > 0 && name[n] == '\0';
}

gboolean
cs_key_prefix_is_valid (const gchar * prefix)
{
  const gchar *p = prefix;

  if (prefix == NULL)
    return FALSE;
  if (*p == '\0')
    return TRUE;
  for (;;) {
    gsize n = valid_name_length (p);

    if (n == 0)
      return FALSE;
    p += n;
    if (*p == '\0')
      return TRUE;
    p++;                        /* the '/'; a name must follow it */
  }
}

gboolean
cs_key_is_valid (const gchar * key)
{
  return key != NULL && key[0] != '\0' && strlen (key) <= CS_KEY_MAX_LEN
      && cs_key_prefix_is_valid (key);
}

/* "<device>/<kind>/<@utc_ms formatted>/". */
static gchar *
device_time_prefix (const gchar * device_id, const gchar * kind,
    gint64 utc_ms, const gchar * format)
{
  g_autoptr (GDateTime) t = NULL;
  g_autofree gchar *when = NULL;

  g_return_val_if_fail (cs_key_name_is_valid (device_id), NULL);
  g_return_val_if_fail (utc_ms >= 0, NULL);
  t = g_date_time_new_from_unix_utc (utc_ms / 1000);
  g_return_val_if_fail (t != NULL, NULL);
  when = g_date_time_format (t, format);
  return g_strdup_printf ("%s/%s/%s/", device_id, kind, when);
}

gchar *
cs_key_recording_hour (const gchar * device_id, gint64 utc_ms)
{
  return device_time_prefix (device_id, "rec", utc_ms, "%Y%m%d/%H");
}

gboolean
cs_key_parse_segment_full (const gchar * key, gint64 * start_ms,
    gint64 * duration_ms, gint64 * key_id)
{
  const gchar *name = strrchr (key, '/');
  gchar *end;
  guint64 start, dur, id = (guint64) CS_KEY_NO_KEY_ID;

  name = name ? name + 1 : key;
  if (!g_ascii_isdigit (name[0]))
    return FALSE;
  start = g_ascii_strtoull (name, &end, 10);
  if (*end != '_' || !g_ascii_isdigit (end[1]))
    return FALSE;
  dur = g_ascii_strtoull (end + 1, &end, 10);
  if (end[0] == '_' && end[1] == 'k') {
    if (!g_ascii_isdigit (end[2]))
      return FALSE;
    id = g_ascii_strtoull (end + 2, &end, 10);
    if (id > G_MAXUINT32)
      return FALSE;
  }
  if ((strcmp (end, ".ts") != 0 && strcmp (end, ".mp4") != 0)
      || start > G_MAXINT64 / 2 || dur > (guint64) CS_KEY_SEGMENT_MAX_MS)
    return FALSE;
  *start_ms = start;
  *duration_ms = dur;
  if (key_id != NULL)
    *key_id = (gint64) id;
  return TRUE;
}

gboolean
cs_key_parse_segment (const gchar * key, gint64 * start_ms,
    gint64 * duration_ms)
{
  return cs_key_parse_segment_full (key, start_ms, duration_ms, NULL);
}

gchar *
cs_key_segment_name (gint64 start_ms, gint64 duration_ms, gint64 key_id,
    const gchar * ext)
{
  g_return_val_if_fail (cs_key_name_is_valid (ext), NULL);
  g_return_val_if_fail (start_ms >= 0 && duration_ms >= 0, NULL);
  g_return_val_if_fail (key_id >= CS_KEY_NO_KEY_ID && key_id <= G_MAXUINT32,
      NULL);

  if (key_id == CS_KEY_NO_KEY_ID)
    return g_strdup_printf ("%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT ".%s",
        start_ms, duration_ms, ext);
  return g_strdup_printf ("%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT "_k%"
      G_GINT64_FORMAT ".%s", start_ms, duration_ms, key_id, ext);
}

gchar *
cs_key_recording_segment (const gchar * device_id, gint64 start_ms,
    gint64 duration_ms, gint64 key_id, const gchar * ext)
{
  g_autofree gchar *hour = NULL;
  g_autofree gchar *name = NULL;

  g_return_val_if_fail (cs_key_name_is_valid (device_id), NULL);
  name = cs_key_segment_name (start_ms, duration_ms, key_id, ext);
  g_return_val_if_fail (name != NULL, NULL);
  hour = cs_key_recording_hour (device_id, start_ms);
  g_return_val_if_fail (hour != NULL, NULL);
  return g_strconcat (hour, name, NULL);
}

gchar *
cs_key_event_dir (const gchar * device_id, const gchar * event_id,
    gint64 start_ms)
{
  g_autofree gchar *day = NULL;

  g_return_val_if_fail (cs_key_name_is_valid (event_id), NULL);
  day = cs_key_events_day (device_id, start_ms);
  g_return_val_if_fail (day != NULL, NULL);
  return g_strdup_printf ("%s%s/", day, event_id);
}

gchar *
cs_key_events_day (const gchar * device_id, gint64 utc_ms)
{
  return device_time_prefix (device_id, "ev", utc_ms, "%Y%m%d");
}

gboolean
cs_key_is_segment (const gchar * key)
{
  gint64 start, duration;

  return key != NULL && cs_key_parse_segment (key, &start, &duration);
}

gboolean
cs_key_segment_is_fmp4 (const gchar * key)
{
  return cs_key_is_segment (key) && g_str_has_suffix (key, ".mp4");
}

const gchar *
cs_key_content_type (const gchar * key)
{
  static const gchar *types[][2] = {
    {".ts", "video/mp2t"}, {".mp4", "video/mp4"}, {".jpg", "image/jpeg"},
    {".m3u8", "application/vnd.apple.mpegurl"}, {".json", "application/json"},
  };

  for (guint i = 0; key != NULL && i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (key, types[i][0]))
      return types[i][1];
  return "application/octet-stream";
}

gchar *
cs_key_service (const gchar * device_id)
{
  g_return_val_if_fail (cs_key_name_is_valid (device_id), NULL);
  return g_strdup_printf ("%s/service.json", device_id);
}

gchar *
cs_key_relative_to_event_dir (const gchar * event_dir,
    const gchar * device_id, const gchar * key)
{
  gsize device_len = strlen (device_id) + 1;

  if (g_str_has_prefix (key, event_dir))
    return g_strdup (key + strlen (event_dir));
  g_return_val_if_fail (strncmp (key, device_id, device_len - 1) == 0
      && key[device_len - 1] == '/', NULL);
  /* An event directory is three levels below the device's:
   * ev/<YYYYMMDD>/<event_id>/ (cs_key_event_dir ()). */
  return g_strconcat ("../../../", key + device_len, NULL);
}
