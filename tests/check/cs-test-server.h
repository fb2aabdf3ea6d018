/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real HTTP(S) server on 127.0.0.1, in a thread of its own, that answers
 * PUTs as a test tells it: the statuses queued in @statuses first, then 201;
 * with @hang set it holds every request until released. */
#pragma once

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  GMutex lock;                  /* guards the fields below */
  GQueue statuses;              /* guint answers to give before 201 */
  gboolean hang;
  guint requests;
  GPtrArray *stored;            /* paths (without '/') answered 201, in order */

  /* private */
  GPtrArray *held;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  gboolean https;
  guint port;
} CsTestServer;

/* With @certificate, it serves https. */
CsTestServer *cs_test_server_start (GTlsCertificate * certificate);
void cs_test_server_stop (CsTestServer * srv);
/* Answers (201) every held request and stops holding new ones. */
void cs_test_server_release_held (CsTestServer * srv);
gchar *cs_test_server_uri (CsTestServer * srv);
/* Answers the next @n requests with @status (instead of 201). */
void cs_test_server_refuse_next (CsTestServer * srv, guint n, guint status);
/* A checked fixture for @tc: each test gets a server of its own in *@srv,
 * stopped after the test.  One such fixture per test program. */
void cs_test_server_add_fixture (TCase * tc, CsTestServer ** srv);
/* Waits until the server got @n requests (fails the test after 10 s). */
void cs_test_server_wait_requests (CsTestServer * srv, guint n);

G_END_DECLS
