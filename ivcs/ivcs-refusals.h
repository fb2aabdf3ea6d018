/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames iv_cs_push_stream did not take, counted and said on stderr:
 * legacy firmware ignores return codes, so a refusal must be heard.  Each
 * reason is said once when it first happens; after that, refusals are
 * summed up in one line at most every IVCS_REFUSALS_PERIOD_S seconds, and
 * once more at exit. */
#pragma once

#include <glib.h>

#include "iv_cs.h"

G_BEGIN_DECLS

#define IVCS_REFUSALS_PERIOD_S 10

/* One per process (static: zero is its initial state), reset by
 * iv_cs_init; it outlives the module, so a refusal can be said after the
 * module's lock is released. */
typedef struct {
  GMutex lock;
  iv_cs_push_stats_s stats[IV_CS_STREAM_TYPE_BUTT];
  GHashTable *said;             /* "stream: reason" said once */
  guint64 since[IV_CS_STREAM_TYPE_BUTT];        /* refused since the last line */
  gint64 last_line_us;          /* monotonic */
} IvcsRefusals;

void ivcs_refusals_reset (IvcsRefusals * r);
/* A frame of @stream was taken. */
void ivcs_refusals_taken (IvcsRefusals * r, iv_cs_stream_type_e stream);
/* A frame of @stream was refused with @code for @reason (a static string). */
void ivcs_refusals_note (IvcsRefusals * r, iv_cs_stream_type_e stream,
    int code, const gchar * reason);
void ivcs_refusals_get (IvcsRefusals * r, iv_cs_stream_type_e stream,
    iv_cs_push_stats_s * stats);
/* The totals, on stderr, when anything was refused (at exit). */
void ivcs_refusals_say_totals (IvcsRefusals * r);

G_END_DECLS
