/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve against what an attacker or an unlucky user does: links and
 * FIFOs in a file store, a store that does not answer, more connections
 * than open files, clients that send nothing, stored HTML, foreign Host
 * names, times out of range.  Requests are written by hand on plain
 * sockets, so that each says exactly what is sent. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "cs-test-csctl.h"
#include "cs-test-server.h"
#include "cs-test-util.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define SEGMENT "cam1/rec/20231114/22/1700000000000_1000.ts"

static gchar *store_dir;

/* A store of a few small objects (their bytes do not matter here). */
static void
setup (void)
{
  const gchar *objects[] = { SEGMENT, "cam1/ev/20231114/1700000000000/"
        "event.json", "cam1/evil.html", "cam1/evil.js", NULL
  };

  store_dir = g_dir_make_tmp ("csctl-serve-XXXXXX", NULL);
  for (const gchar ** o = objects; *o; o++) {
    g_autofree gchar *path = g_build_filename (store_dir, *o, NULL);
    g_autofree gchar *dir = g_path_get_dirname (path);

    fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
    fail_unless (g_file_set_contents (path, g_str_has_suffix (*o, ".json") ?
            "{}" : "<script>alert(document.domain)</script>", -1, NULL));
  }
}

static void
teardown (void)
{
  cs_test_remove_tree (store_dir);
  g_clear_pointer (&store_dir, g_free);
}

typedef struct
{
  GSubprocess *process;
  guint port;
} Serve;

static void
limit_files (gpointer data)
{
  struct rlimit files = { GPOINTER_TO_UINT (data), GPOINTER_TO_UINT (data) };

  setrlimit (RLIMIT_NOFILE, &files);
}

/* csctl serve @uri --listen 127.0.0.1:0 and @... (NULL-terminated), with
 * at most @files open files when not 0. */
static void
serve_start (Serve * sv, const gchar * uri, guint files, ...)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) extra = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;

  va_start (ap, files);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (extra, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (extra, NULL);
  if (files)
    g_subprocess_launcher_set_child_setup (launcher, limit_files,
        GUINT_TO_POINTER (files), NULL);
  sv->process = cs_test_csctl_serve (launcher, NULL, uri,
      (const gchar * const *) extra->pdata, &sv->port, NULL);
}

static void
serve_stop (Serve * sv)
{
  g_subprocess_force_exit (sv->process);
  g_subprocess_wait (sv->process, NULL, NULL);
  g_clear_object (&sv->process);
}

/* A connection to the server from @from (an address on loopback), its
 * reads and writes bounded by @timeout_s. */
static GSocket *
connect_from (Serve * sv, const gchar * from, guint timeout_s)
{
  g_autoptr (GSocketAddress) address =
      g_inet_socket_address_new_from_string ("127.0.0.1", sv->port);
  g_autoptr (GSocketAddress) source =
      g_inet_socket_address_new_from_string (from, 0);
  g_autoptr (GError) error = NULL;
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);

  fail_unless (s != NULL && g_socket_bind (s, source, FALSE, &error)
      && g_socket_connect (s, address, NULL, &error),
      "%s", error ? error->message : "");
  g_socket_set_timeout (s, timeout_s);
  return s;
}

static GSocket *
connect_to (Serve * sv, guint timeout_s)
{
  return connect_from (sv, "127.0.0.1", timeout_s);
}

static void
send_all (GSocket * s, const gchar * text)
{
  for (gsize done = 0, len = strlen (text); done < len;) {
    gssize n = g_socket_send (s, text + done, len - done, NULL, NULL);

    fail_unless (n > 0);
    done += n;
  }
}

/* GET @path with @host (NULL: 127.0.0.1:port) on @s. */
static void
send_get (Serve * sv, GSocket * s, const gchar * path, const gchar * host)
{
  g_autofree gchar *h = host ? g_strdup (host) :
      g_strdup_printf ("127.0.0.1:%u", sv->port);
  g_autofree gchar *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s\r\n"
      "\r\n", path, h);

  send_all (s, req);
}

/* What comes on @s until the server closes it (after its answer) or the
 * socket times out; NULL when nothing came. */
static gchar *
read_answer (GSocket * s)
{
  GString *answer = g_string_new (NULL);
  gchar buf[4096];
  gssize n;

  while ((n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (answer, buf, n);
  if (answer->len == 0) {
    g_string_free (answer, TRUE);
    return NULL;
  }
  return g_string_free (answer, FALSE);
}

static guint
status_of (const gchar * answer)
{
  return answer && g_str_has_prefix (answer, "HTTP/1.1 ") ?
      atoi (answer + 9) : 0;
}

/* GET @path as a browser at @host would; the whole answer. */
static gchar *
get (Serve * sv, const gchar * path, const gchar * host)
{
  g_autoptr (GSocket) s = connect_to (sv, 10);

  send_get (sv, s, path, host);
  return read_answer (s);
}

static gboolean
has_header (const gchar * answer, const gchar * header)
{
  g_autofree gchar *line = g_strconcat ("\r\n", header, "\r\n", NULL);
  const gchar *end = strstr (answer, "\r\n\r\n");
  const gchar *at = strstr (answer, line);

  return at != NULL && end != NULL && at <= end;
}

/* A link in a file store to a directory outside it (`ln -s / root`
 * served /etc/shadow), to a file outside it, and to a directory inside it:
 * nothing is served through a link (the listing does not show links
 * either).  The links lead to a directory of the test's own. */
GST_START_TEST (test_no_links)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *outside = g_dir_make_tmp ("csctl-outside-XXXXXX", NULL);
  g_autofree gchar *secret = g_build_filename (outside, "secret.ts", NULL);
  g_autofree gchar *root = g_build_filename (store_dir, "root", NULL);
  g_autofree gchar *file = g_build_filename (store_dir, "cam1", "link.ts",
      NULL);
  g_autofree gchar *dir = g_build_filename (store_dir, "cam1", "rec2", NULL);
  const gchar *paths[] = { "/store/root/secret.ts", "/store/cam1/link.ts",
    "/store/cam1/rec2/20231114/22/1700000000000_1000.ts", NULL
  };
  Serve sv;

  fail_unless (g_file_set_contents (secret, "TOP SECRET", -1, NULL));
  fail_unless (symlink (outside, root) == 0);
  fail_unless (symlink (secret, file) == 0);
  fail_unless (symlink ("rec", dir) == 0);
  serve_start (&sv, uri, 0, NULL);
  for (const gchar ** p = paths; *p; p++) {
    g_autofree gchar *answer = get (&sv, *p, NULL);

    fail_unless_equals_int (status_of (answer), 404);
    fail_unless (strstr (answer, "TOP SECRET") == NULL, "%s", answer);
    fail_unless (strstr (answer, "<script>") == NULL, "%s", answer);
    fail_unless (strstr (answer, "not a regular file") != NULL, "%s", answer);
  }
  {
    g_autofree gchar *answer = get (&sv, "/store/" SEGMENT, NULL);
    fail_unless_equals_int (status_of (answer), 200);
  }
  serve_stop (&sv);
  cs_test_remove_tree (outside);
}

GST_END_TEST;

/* A FIFO in the store: a request for it is answered at once, and so is
 * one sent while it waits (store reads held the one main loop). */
GST_START_TEST (test_fifo_holds_nothing)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *fifo = g_build_filename (store_dir, "cam1", "fifo.ts",
      NULL);
  g_autoptr (GSocket) held = NULL;
  g_autofree gchar *other = NULL, *answer = NULL;
  Serve sv;

  fail_unless (mkfifo (fifo, 0644) == 0);
  serve_start (&sv, uri, 0, NULL);
  held = connect_to (&sv, 10);
  send_get (&sv, held, "/store/cam1/fifo.ts", NULL);
  other = get (&sv, "/api/devices", NULL);
  fail_unless_equals_int (status_of (other), 200);
  fail_unless (strstr (other, "\"cam1\"") != NULL, "%s", other);
  answer = read_answer (held);
  fail_unless_equals_int (status_of (answer), 404);
  serve_stop (&sv);
}

GST_END_TEST;

/* A store that does not answer (an HTTP store whose server holds every
 * request): the page is still served, and the store's request is answered
 * 504 after --timeout. */
GST_START_TEST (test_slow_store)
{
  CsTestServer *srv = cs_test_server_start (NULL);
  g_autofree gchar *uri = cs_test_server_uri (srv);
  g_autoptr (GSocket) held = NULL;
  g_autofree gchar *page = NULL, *answer = NULL;
  gint64 t0;
  Serve sv;

  srv->hang = TRUE;
  serve_start (&sv, uri, 0, "--timeout", "2", NULL);
  held = connect_to (&sv, 20);
  send_get (&sv, held, "/store/" SEGMENT, NULL);
  t0 = g_get_monotonic_time ();
  page = get (&sv, "/", NULL);
  fail_unless_equals_int (status_of (page), 200);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC);
  answer = read_answer (held);
  fail_unless_equals_int (status_of (answer), 504);
  fail_unless (strstr (answer, "did not answer within 2 s") != NULL, "%s",
      answer);
  serve_stop (&sv);
  cs_test_server_stop (srv);
}

GST_END_TEST;

/* With 128 open files, 3 times as many connections kept alive, each
 * closed by its client after the answer: libsoup 3.2 left them in
 * CLOSE-WAIT and the server went deaf after about 128. */
GST_START_TEST (test_more_connections_than_files)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  Serve sv;

  serve_start (&sv, uri, 128, NULL);
  for (guint i = 0; i < 3 * 128; i++) {
    g_autoptr (GSocket) s = connect_to (&sv, 10);
    gchar buf[4096];
    gssize n;

    send_get (&sv, s, "/api/devices", NULL);
    n = g_socket_receive (s, buf, sizeof buf - 1, NULL, NULL);
    fail_unless (n > 0, "connection %u: no answer", i);
    buf[n] = '\0';
    fail_unless_equals_int (status_of (buf), 200);
  }
  serve_stop (&sv);
}

GST_END_TEST;

/* With 128 open files, as many connections that send nothing and one that
 * sends a byte every 0.5 s: each is shut after --timeout, and a request
 * behind them is answered. */
GST_START_TEST (test_slow_clients)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (GPtrArray) idle = g_ptr_array_new_with_free_func
      (g_object_unref);
  g_autoptr (GSocket) slow = NULL;
  g_autofree gchar *answer = NULL;
  gchar byte;
  gint64 t0;
  Serve sv;

  serve_start (&sv, uri, 128, "--timeout", "2", NULL);
  for (guint i = 0; i < 128; i++)
    g_ptr_array_add (idle, connect_to (&sv, 30));
  slow = connect_to (&sv, 30);
  t0 = g_get_monotonic_time ();
  /* A request line, then a header that never ends, until shut. */
  for (guint i = 0; g_get_monotonic_time () - t0 < 20 * G_USEC_PER_SEC; i++) {
    const gchar *line = "GET / HTTP/1.1\r\nX-Slow: ";

    if (g_socket_send (slow, i < strlen (line) ? line + i : "a", 1, NULL,
            NULL) != 1)
      break;
    g_usleep (G_USEC_PER_SEC / 2);
  }
  fail_unless (g_get_monotonic_time () - t0 < 15 * G_USEC_PER_SEC,
      "a client sending a byte every 0.5 s kept its connection");
  answer = get (&sv, "/api/devices", NULL);
  fail_unless_equals_int (status_of (answer), 200);
  fail_unless (strstr (answer, "\r\nConnection: close\r\n") != NULL, "%s",
      answer);
  /* Every silent connection was shut, not answered. */
  for (guint i = 0; i < idle->len; i++)
    fail_unless_equals_int (g_socket_receive (g_ptr_array_index (idle, i),
            &byte, 1, NULL, NULL), 0);
  serve_stop (&sv);
}

GST_END_TEST;

/* Room for 128 connections (192 open files): one client that opens them
 * all and sends nothing holds 64, the rest are closed at once, and another
 * client (127.0.0.2) is answered now, not after the request timeout. */
GST_START_TEST (test_one_client_cannot_take_all)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autoptr (GPtrArray) idle = g_ptr_array_new_with_free_func
      (g_object_unref);
  g_autoptr (GSocket) other = NULL;
  g_autofree gchar *answer = NULL;
  guint closed = 0;
  gchar byte;
  gint64 t0;
  Serve sv;

  serve_start (&sv, uri, 192, "--timeout", "20", NULL);
  for (guint i = 0; i < 128; i++)
    g_ptr_array_add (idle, connect_to (&sv, 2));
  /* Closed: the end of the stream, not the 2 s socket timeout. */
  for (guint i = 64; i < idle->len && g_socket_receive (g_ptr_array_index
          (idle, i), &byte, 1, NULL, NULL) == 0; i++)
    closed++;
  fail_unless_equals_int (closed, 64);
  t0 = g_get_monotonic_time ();
  other = connect_from (&sv, "127.0.0.2", 30);
  send_get (&sv, other, "/api/devices", NULL);
  answer = read_answer (other);
  fail_unless_equals_int (status_of (answer), 200);
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC,
      "another client waited %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
  serve_stop (&sv);
}

GST_END_TEST;

/* Only the types of the layout; anything else someone stored is an
 * attachment; nothing is sniffed; the page has its CSP. */
GST_START_TEST (test_types)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  const struct
  {
    const gchar *path, *type;
    gboolean attachment;
  } cases[] = {
    {"/store/" SEGMENT, "video/mp2t", FALSE},
    {"/store/cam1/ev/20231114/1700000000000/event.json", "application/json",
        FALSE},
    {"/store/cam1/evil.html", "application/octet-stream", TRUE},
    {"/store/cam1/evil.js", "application/octet-stream", TRUE},
    {"/api/devices", "application/json", FALSE},
  };
  g_autofree gchar *page = NULL;
  Serve sv;

  serve_start (&sv, uri, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *answer = get (&sv, cases[i].path, NULL);
    g_autofree gchar *type = g_strconcat ("Content-Type: ", cases[i].type,
        NULL);

    fail_unless_equals_int (status_of (answer), 200);
    fail_unless (has_header (answer, type), "%s", answer);
    fail_unless (has_header (answer, "X-Content-Type-Options: nosniff"),
        "%s", answer);
    fail_unless_equals_int (has_header (answer,
            "Content-Disposition: attachment"), cases[i].attachment);
    fail_unless (has_header (answer, "Content-Security-Policy: default-src "
            "'none'; sandbox"), "%s", answer);
  }
  page = get (&sv, "/", NULL);
  fail_unless_equals_int (status_of (page), 200);
  fail_unless (strstr (page, "\r\nContent-Security-Policy: default-src "
          "'none'; script-src 'self';") != NULL, "%s", page);
  serve_stop (&sv);
}

GST_END_TEST;

/* DNS rebinding: a page of evil.example whose name now resolves to this
 * machine.  A name that resolves here is not enough. */
GST_START_TEST (test_host_names)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  const struct
  {
    const gchar *host;
    guint status;
  } cases[] = {
    {NULL, 200}, {"localhost", 200}, {"LOCALHOST:8080", 200},
    {"evil.example", 403}, {"evil.example:8080", 403}, {"127.0.0.2", 403},
    {"localhost.evil.example", 403},
  };
  Serve sv;

  serve_start (&sv, uri, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *answer = get (&sv, "/store/" SEGMENT, cases[i].host);

    fail_unless_equals_int (status_of (answer), cases[i].status);
    if (cases[i].status == 403)
      fail_unless (strstr (answer, "--allow-host") != NULL
          && strstr (answer, "<script>") == NULL, "%s", answer);
  }
  {
    g_autoptr (GSocket) s = connect_to (&sv, 10);
    g_autofree gchar *answer = NULL;

    send_all (s, "GET / HTTP/1.0\r\n\r\n");
    answer = read_answer (s);
    fail_unless (strstr (answer, "no Host") != NULL, "%s", answer);
  }
  serve_stop (&sv);
}

GST_END_TEST;

/* A name the user gives is answered, others still are not. */
GST_START_TEST (test_allow_host)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  g_autofree gchar *allowed = NULL, *other = NULL;
  Serve sv;

  serve_start (&sv, uri, 0, "--allow-host", "viewer.example", NULL);
  allowed = get (&sv, "/store/" SEGMENT, "Viewer.Example.:8080");
  fail_unless_equals_int (status_of (allowed), 200);
  other = get (&sv, "/store/" SEGMENT, "evil.example");
  fail_unless_equals_int (status_of (other), 403);
  serve_stop (&sv);
}

GST_END_TEST;

/* Times past year 9999 and event ids no time can be: a clear 400 before
 * the store is asked (a NULL prefix listed the whole store). */
GST_START_TEST (test_api_ranges)
{
  g_autofree gchar *uri = g_strdup_printf ("file://%s", store_dir);
  const gchar *paths[] = {
    "/api/ls?device=cam1&from=253402300800000&to=253402300900000",
    "/api/ls?device=cam1&from=4611686018427387000&to=4611686018427387900",
    "/api/playlist.m3u8?device=cam1&from=0&to=99999999999999999999",
    "/api/playlist.m3u8?device=cam1&event=4611686018427387000",
    "/api/playlist.m3u8?device=cam1&event=99999999999999999999",
  };
  Serve sv;

  serve_start (&sv, uri, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
    g_autofree gchar *answer = get (&sv, paths[i], NULL);

    fail_unless_equals_int (status_of (answer), 400);
    fail_unless (strstr (answer, "9999") != NULL, "%s", answer);
    fail_unless (strstr (answer, "(null)") == NULL, "%s", answer);
  }
  serve_stop (&sv);
}

GST_END_TEST;

static Suite *
csctl_serve_suite (void)
{
  Suite *s = suite_create ("csctl-serve");
  TCase *tc = tcase_create ("serve");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_links);
  tcase_add_test (tc, test_fifo_holds_nothing);
  tcase_add_test (tc, test_slow_store);
  tcase_add_test (tc, test_more_connections_than_files);
  tcase_add_test (tc, test_one_client_cannot_take_all);
  tcase_add_test (tc, test_slow_clients);
  tcase_add_test (tc, test_types);
  tcase_add_test (tc, test_host_names);
  tcase_add_test (tc, test_allow_host);
  tcase_add_test (tc, test_api_ranges);
  return s;
}

GST_CHECK_MAIN (csctl_serve);
