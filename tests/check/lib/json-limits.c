/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON read from the store (event.json, service.json) is checked for size
 * and depth before json-glib parses it: a document of 200000 nested
 * brackets crashed every reader (json-glib recurses per level), and anyone
 * who can write to the store could crash-loop the devices and viewers. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <sys/wait.h>

#include "cs-event-record.h"
#include "cs-json.h"
#include "cs-key.h"
#include "cs-service.h"
#include "cs-store.h"
#include "cs-test-util.h"

#define T0 G_GINT64_CONSTANT (1700000000000)    /* 2023-11-14T22:13:20Z */

/* @depth '[' then as many ']': what crashed csctl, serve and libivcs. */
static gchar *
nested (guint depth)
{
  gchar *s = g_malloc (2 * depth + 1);

  memset (s, '[', depth);
  memset (s + depth, ']', depth);
  s[2 * depth] = '\0';
  return s;
}

GST_START_TEST (test_deep_documents_refused)
{
  g_autofree gchar *deep = nested (200000);
  g_autoptr (GError) error = NULL;
  g_autoptr (CsEventRecord) r = NULL;
  g_autoptr (CsService) svc = NULL;

  r = cs_event_record_parse (deep, strlen (deep), &error);
  fail_unless (r == NULL);
  fail_unless (g_error_matches (error, JSON_PARSER_ERROR,
          JSON_PARSER_ERROR_INVALID_DATA), "%s", error->message);
  fail_unless (strstr (error->message, "event.json") != NULL
      && strstr (error->message, "deep") != NULL, "%s", error->message);
  g_clear_error (&error);
  svc = cs_service_parse (deep, -1, &error);
  fail_unless (svc == NULL);
  fail_unless (strstr (error->message, "service.json") != NULL
      && strstr (error->message, "deep") != NULL, "%s", error->message);
}

GST_END_TEST;

/* The depth limit counts arrays and objects, not brackets in strings. */
GST_START_TEST (test_depth_limit)
{
  g_autofree gchar *at_limit = nested (CS_JSON_MAX_DEPTH);
  g_autofree gchar *past = nested (CS_JSON_MAX_DEPTH + 1);
  g_autofree gchar *in_string = g_strdup_printf ("{\"a\": \"%s\\\"[[\"}",
      past);
  g_autoptr (JsonNode) ok = NULL, str = NULL;
  g_autoptr (GError) error = NULL;

  ok = cs_json_parse (at_limit, -1, "doc", &error);
  fail_unless (ok != NULL, "%s", error ? error->message : "");
  fail_unless (cs_json_parse (past, -1, "doc", &error) == NULL);
  fail_unless (strstr (error->message, "32 levels") != NULL, "%s",
      error->message);
  str = cs_json_parse (in_string, -1, "doc", NULL);
  fail_unless (str != NULL && JSON_NODE_HOLDS_OBJECT (str));
}

GST_END_TEST;

/* Larger than 4 MiB: refused before parsing; the longest event cseventgate
 * makes (48 h: event-interval and min-record-time at their most) is read. */
GST_START_TEST (test_size_limit)
{
  g_autoptr (CsEventRecord) longest = cs_event_record_new ("cam1", "1700000000000",
      T0);
  g_autoptr (CsEventRecord) back = NULL;
  g_autofree gchar *json = NULL;
  g_autoptr (GString) huge = g_string_new ("{\"id\": \"1\", \"pad\": \"");
  g_autoptr (GError) error = NULL;

  for (gint64 t = T0; t < T0 + 48 * 3600 * 1000; t += 4000)
    g_ptr_array_add (longest->segments, cs_key_recording_segment ("cam1", t,
            4000, CS_KEY_NO_KEY_ID, "ts"));
  json = cs_event_record_to_json (longest);
  fail_unless (strlen (json) < CS_JSON_MAX_BYTES);
  back = cs_event_record_parse (json, strlen (json), &error);
  fail_unless (back != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (back->segments->len, longest->segments->len);

  while (huge->len <= CS_JSON_MAX_BYTES)
    g_string_append (huge, "0123456789abcdef");
  g_string_append (huge, "\"}");
  fail_unless (cs_event_record_parse (huge->str, huge->len, &error) == NULL);
  fail_unless (strstr (error->message, "larger than") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  /* NUL-terminated input is measured without reading all of it. */
  fail_unless (cs_json_parse (huge->str, -1, "doc", &error) == NULL);
  fail_unless (strstr (error->message, "larger than") != NULL);
}

GST_END_TEST;

static void
put (CsStore * store, const gchar * key, const gchar * text)
{
  g_autoptr (GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;

  fail_unless (cs_store_put (store, key, data, NULL, NULL, &error), "%s",
      error ? error->message : "");
}

/* Two events of a day, one event.json of them hostile: csctl ls names that
 * one on stderr (exit 1) and lists the other; it used to die (SIGSEGV). */
GST_START_TEST (test_csctl_ls_skips_deep_event)
{
  g_autofree gchar *dir = g_dir_make_tmp ("cs-json-XXXXXX", NULL);
  g_autofree gchar *uri = g_strdup_printf ("file://%s", dir);
  g_autoptr (CsStore) store = cs_store_new (uri, NULL, NULL);
  g_autoptr (CsEventRecord) good = cs_event_record_new ("cam1",
      "1700000001000", T0 + 1000);
  g_autofree gchar *good_json = NULL, *good_dir = NULL, *bad_dir = NULL;
  g_autofree gchar *good_key = NULL, *bad_key = NULL, *deep = nested (200000);
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *argv[] = { g_getenv ("CSCTL"), "ls", uri, "cam1", "--from",
    "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z", NULL
  };
  gint status;

  good->end_ms = T0 + 9000;
  good->ended = TRUE;
  good_json = cs_event_record_to_json (good);
  good_dir = cs_key_event_dir ("cam1", "1700000001000", T0 + 1000);
  bad_dir = cs_key_event_dir ("cam1", "1700000002000", T0 + 2000);
  good_key = g_strconcat (good_dir, "event.json", NULL);
  bad_key = g_strconcat (bad_dir, "event.json", NULL);
  put (store, good_key, good_json);
  put (store, bad_key, deep);

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL,
          &out, &err, &status, NULL));
  fail_unless (WIFEXITED (status), "csctl ls died: %s", err);
  fail_unless_equals_int (WEXITSTATUS (status), 1);
  fail_unless (strstr (err, bad_key) != NULL
      && strstr (err, "nested more than") != NULL, "%s", err);
  fail_unless (strstr (out, "1700000001000") != NULL, "%s", out);
  fail_unless (strstr (out, "1700000002000") == NULL, "%s", out);
  cs_test_remove_tree (dir);
}

GST_END_TEST;

static Suite *
json_limits_suite (void)
{
  Suite *s = suite_create ("json-limits");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_deep_documents_refused);
  tcase_add_test (tc, test_depth_limit);
  tcase_add_test (tc, test_size_limit);
  tcase_add_test (tc, test_csctl_ls_skips_deep_event);
  return s;
}

GST_CHECK_MAIN (json_limits);
