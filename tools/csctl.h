/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What csctl's commands share. */
#pragma once

#include "cs-playlist.h"
#include "cs-store.h"

G_BEGIN_DECLS

extern gchar *opt_output;

/* Checks DEVICE (argv[2]) and --from/--to, opens STORE (argv[1]); on failure
 * *@rc is the exit status. */
CsStore *csctl_open_range (int argc, char **argv, gint64 * from, gint64 * to,
    int *rc, GError ** error);

/* Every segment of @device that overlaps [@from, @to), sorted by start; uri
 * is its URL when @urls, else its key. */
GArray *csctl_find_segments (CsStore * store, const gchar * device,
    gint64 from, gint64 to, gboolean urls, GError ** error);

int csctl_export (int argc, char **argv, GError ** error);

G_END_DECLS
