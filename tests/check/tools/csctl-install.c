/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `meson install` into a temporary DESTDIR, then csctl serve run from there
 * (not from the checkout, and with no CSCTL_WEB_DIR): the page and hls.js
 * come from the installed copy; the man page is installed; the csctl of the
 * build tree still serves the source tree's page. */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "cs-test-csctl.h"
#include "cs-test-util.h"

#include <string.h>

#define MARK "<!-- the installed copy (csctl-install test) -->"

static gchar *tmp;

static gchar *
installed (const gchar * env)
{
  return g_build_filename (tmp, g_getenv (env), NULL);
}

typedef struct
{
  GSubprocess *process;
  guint port;
} Serve;

/* @csctl (NULL: the build's) serve @store, run in @cwd without
 * CSCTL_WEB_DIR: where it finds its page on its own. */
static GSubprocess *
serve_from (const gchar * csctl, const gchar * store, const gchar * cwd,
    guint * port)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_unsetenv (launcher, "CSCTL_WEB_DIR");
  g_subprocess_launcher_set_cwd (launcher, cwd);
  return cs_test_csctl_serve (launcher, csctl, store, NULL, port, NULL);
}

static void
serve_stop (Serve * sv)
{
  g_subprocess_force_exit (sv->process);
  g_subprocess_wait (sv->process, NULL, NULL);
  g_clear_object (&sv->process);
}

/* The body of GET @path, which must answer 200. */
static GBytes *
fetch (Serve * sv, const gchar * path)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout",
      30, NULL);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", sv->port,
      path);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  GBytes *body = soup_session_send_and_read (session, msg, NULL, &error);

  fail_unless (body != NULL, "GET %s: %s", url, error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  return body;
}

static gboolean
bytes_contain (GBytes * b, const gchar * text)
{
  gsize len;
  const gchar *data = g_bytes_get_data (b, &len);

  return g_strstr_len (data, len, text) != NULL;
}

GST_START_TEST (test_installed_serve)
{
  g_autofree gchar *csctl = NULL, *web = NULL, *page = NULL, *hls = NULL,
      *man = NULL, *store = NULL, *store_uri = NULL, *hls_data = NULL,
      *out = NULL, *err = NULL;
  g_autoptr (GBytes) got_page = NULL, got_hls = NULL, build_page = NULL;
  g_autoptr (GError) error = NULL;
  gsize hls_len;
  gint status;
  Serve sv = { NULL }, build_sv = { NULL };
  const gchar *install[] = { g_getenv ("MESON"), "install", "-C",
    g_getenv ("CS_TEST_BUILD_ROOT"), "--no-rebuild", "--quiet", "--destdir",
    tmp, NULL
  };

  fail_unless (g_spawn_sync (NULL, (gchar **) install, NULL, 0, NULL, NULL,
          &out, &err, &status, &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "meson install failed:\n%s\n%s", out, err);

  csctl = installed ("CS_TEST_INSTALLED_CSCTL");
  web = installed ("CS_TEST_INSTALLED_WEB");
  man = installed ("CS_TEST_INSTALLED_MAN");
  page = g_build_filename (web, "index.html", NULL);
  hls = g_build_filename (web, "node_modules", "hls.js", "dist",
      "hls.min.js", NULL);
  for (const gchar * const *f = (const gchar *[]) {
  csctl, page, hls, man, NULL}; *f; f++)
    fail_unless (g_file_test (*f, G_FILE_TEST_IS_REGULAR), "%s is not "
        "installed", *f);
  /* Marked, so that the page served is known to be this copy. */
  {
    g_autofree gchar *html = NULL, *marked = NULL;
    fail_unless (g_file_get_contents (page, &html, NULL, NULL));
    marked = g_strconcat (html, MARK "\n", NULL);
    fail_unless (g_file_set_contents (page, marked, -1, NULL));
  }
  fail_unless (g_file_get_contents (hls, &hls_data, &hls_len, NULL));

  store = g_build_filename (tmp, "store", NULL);
  fail_unless (g_mkdir_with_parents (store, 0755) == 0);
  store_uri = g_filename_to_uri (store, NULL, NULL);
  sv.process = serve_from (csctl, store_uri, tmp, &sv.port);
  got_page = fetch (&sv, "/");
  fail_unless (bytes_contain (got_page, MARK), "the installed csctl serves "
      "another page than the installed one");
  got_hls = fetch (&sv, "/hls.min.js");
  fail_unless_equals_int (g_bytes_get_size (got_hls), hls_len);
  fail_unless (memcmp (g_bytes_get_data (got_hls, NULL), hls_data,
          hls_len) == 0);
  serve_stop (&sv);

  /* From the build tree: the checkout's page. */
  build_sv.process = serve_from (NULL, store_uri, tmp, &build_sv.port);
  build_page = fetch (&build_sv, "/");
  fail_unless (bytes_contain (build_page, "<html")
      && !bytes_contain (build_page, MARK));
  serve_stop (&build_sv);
}

GST_END_TEST;

static Suite *
csctl_install_suite (void)
{
  Suite *s = suite_create ("csctl-install");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  cs_test_add_tmp_dir_fixture (tc, &tmp, NULL);
  tcase_add_test (tc, test_installed_serve);
  return s;
}

GST_CHECK_MAIN (csctl_install);
