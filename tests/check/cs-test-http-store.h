/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real HTTP store on 127.0.0.1, in a thread of its own: PUT writes the
 * body to a file under a directory, GET reads it back (so a file:// store
 * on that directory reads what it was given).  It can be down (every
 * request answered with a status, e.g. 503: an outage at the same URI),
 * or answer everything with a body that never ends. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsTestHttpStore CsTestHttpStore;

CsTestHttpStore *cs_test_http_store_start (const gchar * root);
void cs_test_http_store_stop (CsTestHttpStore * srv);
/* "http://127.0.0.1:PORT/" */
gchar *cs_test_http_store_uri (CsTestHttpStore * srv);
/* Every request answered @status from now on; 0: up again. */
void cs_test_http_store_set_down (CsTestHttpStore * srv, guint status);
/* Every request answered @status with a chunked body that never ends. */
void cs_test_http_store_set_endless (CsTestHttpStore * srv, guint status);
/* Bytes of endless bodies written so far. */
guint64 cs_test_http_store_endless_bytes (CsTestHttpStore * srv);

G_END_DECLS
