/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP(S) stores reach the network as curl does: through the proxies of
 * http_proxy, https_proxy, all_proxy and no_proxy, and otherwise directly,
 * without loading libproxy and the desktop's proxy settings modules. */
#include <gst/check/gstcheck.h>

#include "cs-store.h"
#include "cs-test-server.h"
#include "cs-test-util.h"

static CsTestServer *srv;

static void
setup (void)
{
  const gchar *vars[] = { "http_proxy", "https_proxy", "HTTPS_PROXY",
    "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"
  };

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    g_unsetenv (vars[i]);
  srv = cs_test_server_start (NULL);
}

static void
teardown (void)
{
  cs_test_server_stop (srv);
}

static gboolean
put_one (const gchar * uri, GError ** error)
{
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, error);
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);

  return store != NULL && cs_store_put (store, "cam1/a.ts", data,
      "video/mp2t", NULL, error);
}

/* No proxy set: the object goes straight to the server, and no proxy
 * module was loaded for it (3.7 MB of libproxy, dconf and GNOME settings
 * in a camera's memory). */
GST_START_TEST (test_direct_without_proxy_modules)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autoptr (GError) error = NULL;

  fail_unless (put_one (uri, &error), "%s", error ? error->message : "");
  fail_unless_equals_int (srv->stored->len, 1);
  fail_if (cs_test_is_mapped ("libproxy"), "libproxy was loaded");
  fail_if (cs_test_is_mapped ("gio/modules/libgiognomeproxy"), "a GIO proxy module "
      "was loaded");
}

GST_END_TEST;

/* http_proxy: the request goes to the proxy, for a host the proxy alone
 * can reach. */
GST_START_TEST (test_http_proxy)
{
  g_autofree gchar *proxy = cs_test_server_uri (srv);
  g_autoptr (GError) error = NULL;

  g_setenv ("http_proxy", proxy, TRUE);
  fail_unless (put_one ("http://store.invalid/dir", &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (srv->stored->len, 1);
  fail_unless_equals_string (g_ptr_array_index (srv->stored, 0),
      "dir/cam1/a.ts");
}

GST_END_TEST;

/* no_proxy: the hosts named there are reached directly. */
GST_START_TEST (test_no_proxy)
{
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autoptr (GError) error = NULL;

  g_setenv ("all_proxy", "http://127.0.0.1:1", TRUE);     /* nobody there */
  g_setenv ("no_proxy", "example.com, 127.0.0.1", TRUE);
  fail_unless (put_one (uri, &error), "%s", error ? error->message : "");
  fail_unless_equals_int (srv->stored->len, 1);
  g_unsetenv ("no_proxy");
  fail_if (put_one (uri, &error));
}

GST_END_TEST;

static Suite *
store_proxy_suite (void)
{
  Suite *s = suite_create ("store-proxy");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_direct_without_proxy_modules);
  tcase_add_test (tc, test_http_proxy);
  tcase_add_test (tc, test_no_proxy);
  return s;
}

GST_CHECK_MAIN (store_proxy);
