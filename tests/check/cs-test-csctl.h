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
/* @csctl (NULL: $CSCTL) serve @store on any port of 127.0.0.1, run in
 * @cwd (NULL: this one) without CSCTL_WEB_DIR; its port in *@port.  Stop
 * it with g_subprocess_force_exit (). */
GSubprocess *cs_test_csctl_serve (const gchar * csctl, const gchar * store,
    const gchar * cwd, guint * port);

G_END_DECLS
