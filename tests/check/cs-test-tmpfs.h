/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real small filesystem for tests of a full (or read-only) disk: a tmpfs
 * of @size ("1m") mounted on @dir in a mount namespace of this process's
 * own (as root), so that it goes away with the process whatever happens.
 * Fails the test when it cannot (not root). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void cs_test_mount_tmpfs (const gchar * dir, const gchar * size,
    gboolean read_only);
/* Unmounts @dir if something is mounted there. */
void cs_test_unmount (const gchar * dir);

G_END_DECLS
