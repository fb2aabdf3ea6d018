/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running the csctl the build made ($CSCTL) from a test. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* csctl with the arguments after @err (NULL-terminated): its exit status
 * (-1 when it did not exit), its output in @out and @err when not NULL. */
gint cs_test_csctl (gchar ** out, gchar ** err, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
