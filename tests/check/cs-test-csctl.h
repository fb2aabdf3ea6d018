/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running the csctl the build made ($CSCTL) from a test. */
#pragma once

#include <gio/gio.h>

#include "cs-test-util.h"

G_BEGIN_DECLS

/* csctl with the arguments after @err (NULL-terminated): its exit status
 * (-1 when it did not exit), its output in @out and @err when not NULL. */
gint cs_test_csctl (gchar ** out, gchar ** err, ...) G_GNUC_NULL_TERMINATED;

/* 12 s of video from @t0_ms (160x120 at 30 fps, a keyframe every 0.5 s)
 * through cseventgate (1 s of pre-roll, records 4 s after a trigger, events
 * of at most 4 s) into cssink (1 s segments) for @device in the file store
 * at @dir, with @triggers at their stream times. */
void cs_test_record_events (const gchar * dir, const gchar * device,
    gint64 t0_ms, const CsTestTrigger * triggers, guint n);
/* A recording of 2 s (60 frames of 160x120 at 30 fps, a keyframe every
 * 0.5 s; 1 s segments) from each of @starts_ms for cam1 in the file store
 * at @dir. */
void cs_test_record_spans (const gchar * dir, const gint64 * starts_ms,
    guint n);
/* @csctl (NULL: $CSCTL) serve @store --listen 127.0.0.1:0 and @extra
 * (NULL-terminated; NULL: nothing more), started by @launcher (NULL: a new
 * one; its stdout becomes a pipe), once it says where it listens: its port
 * in *@port, its base URL ("http://127.0.0.1:PORT/") in *@base, each when
 * not NULL.  Stop it with g_subprocess_force_exit (). */
GSubprocess *cs_test_csctl_serve (GSubprocessLauncher * launcher,
    const gchar * csctl, const gchar * store, const gchar * const *extra,
    guint * port, gchar ** base);

G_END_DECLS
