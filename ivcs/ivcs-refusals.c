/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counts and rate-limited stderr lines of refused frames (see
 * ivcs-refusals.h).  Lines are printed after the lock is released. */
#include "ivcs-refusals.h"

#include <string.h>

static const gchar *
stream_name (iv_cs_stream_type_e stream)
{
  return stream == IV_CS_STREAM_TYPE_VIDEO ? "video" : "audio";
}

void
ivcs_refusals_reset (IvcsRefusals * r)
{
  g_mutex_lock (&r->lock);
  if (r->said == NULL)
    r->said = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_remove_all (r->said);
  memset (r->stats, 0, sizeof r->stats);
  memset (r->since, 0, sizeof r->since);
  r->last_line_us = g_get_monotonic_time ();
  g_mutex_unlock (&r->lock);
}

void
ivcs_refusals_taken (IvcsRefusals * r, iv_cs_stream_type_e stream)
{
  g_mutex_lock (&r->lock);
  r->stats[stream].u64Pushed++;
  g_mutex_unlock (&r->lock);
}

void
ivcs_refusals_note (IvcsRefusals * r, iv_cs_stream_type_e stream, int code,
    const gchar * reason)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree gchar *key = g_strdup_printf ("%s: %s", stream_name (stream),
      reason);
  gboolean first;
  guint64 since[IV_CS_STREAM_TYPE_BUTT] = { 0 };
  gboolean summary = FALSE;

  g_mutex_lock (&r->lock);
  if (r->said == NULL) {
    g_mutex_unlock (&r->lock);
    return;                     /* never initialised: no module */
  }
  r->stats[stream].u64Refused++;
  if (code == IV_ERR_CS_QUEUE_FULL)
    r->stats[stream].u64QueueFull++;
  first = !g_hash_table_contains (r->said, key);
  if (first)
    g_hash_table_add (r->said, g_steal_pointer (&key));
  else
    r->since[stream]++;
  if (now - r->last_line_us >= IVCS_REFUSALS_PERIOD_S * G_TIME_SPAN_SECOND
      && (r->since[0] || r->since[1])) {
    memcpy (since, r->since, sizeof since);
    memset (r->since, 0, sizeof r->since);
    r->last_line_us = now;
    summary = TRUE;
  }
  g_mutex_unlock (&r->lock);

  if (first)
    g_printerr ("libivcs: refused %s frame (error %d): %s; further "
        "refusals are counted every %d s\n",
        stream == IV_CS_STREAM_TYPE_VIDEO ? "a video" : "an audio", code,
        reason, IVCS_REFUSALS_PERIOD_S);
  if (summary)
    g_printerr ("libivcs: %" G_GUINT64_FORMAT " more video and %"
        G_GUINT64_FORMAT " more audio frames were refused (reasons above)\n",
        since[IV_CS_STREAM_TYPE_VIDEO], since[IV_CS_STREAM_TYPE_AUDIO]);
}

void
ivcs_refusals_get (IvcsRefusals * r, iv_cs_stream_type_e stream,
    iv_cs_push_stats_s * stats)
{
  g_mutex_lock (&r->lock);
  *stats = r->stats[stream];
  g_mutex_unlock (&r->lock);
}

void
ivcs_refusals_say_totals (IvcsRefusals * r)
{
  iv_cs_push_stats_s s[IV_CS_STREAM_TYPE_BUTT];

  g_mutex_lock (&r->lock);
  memcpy (s, r->stats, sizeof s);
  g_mutex_unlock (&r->lock);
  if (s[0].u64Refused == 0 && s[1].u64Refused == 0)
    return;
  g_printerr ("libivcs: frames taken/refused (of which queue full): video %"
      G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
      "), audio %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%"
      G_GUINT64_FORMAT ")\n",
      s[IV_CS_STREAM_TYPE_VIDEO].u64Pushed,
      s[IV_CS_STREAM_TYPE_VIDEO].u64Refused,
      s[IV_CS_STREAM_TYPE_VIDEO].u64QueueFull,
      s[IV_CS_STREAM_TYPE_AUDIO].u64Pushed,
      s[IV_CS_STREAM_TYPE_AUDIO].u64Refused,
      s[IV_CS_STREAM_TYPE_AUDIO].u64QueueFull);
}
