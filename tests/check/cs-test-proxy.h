/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fault-injecting HTTP proxy on 127.0.0.1 in front of a real server: each
 * request, drawn from a seeded random sequence, is forwarded as it is (Host
 * included, so that SigV4 still holds) or answered 500, answered 503
 * SlowDown, cut off (connection closed) or left hanging. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsTestProxy CsTestProxy;

typedef struct {
  guint forwarded, error_500, slow_down, cut, hung;
} CsTestProxyCounts;

CsTestProxy *cs_test_proxy_start (const gchar * upstream, gdouble fault_rate,
    guint32 seed);
gchar *cs_test_proxy_uri (CsTestProxy * proxy);
void cs_test_proxy_get_counts (CsTestProxy * proxy, CsTestProxyCounts * c);
void cs_test_proxy_stop (CsTestProxy * proxy);

G_END_DECLS
