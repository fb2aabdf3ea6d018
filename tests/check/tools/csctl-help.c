/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl as a command-line user meets it: --help on stdout with status 0,
 * --version, each command's own help naming the command, the AWS_*
 * variables said, and a man page that covers every command. */
#include <gst/check/gstcheck.h>

#include "config.h"
#include "cs-test-csctl.h"

#include <string.h>

/* The command names --help lists ("  csctl NAME ..."). */
static GPtrArray *
listed_commands (const gchar * help)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (help, "\n", -1);

  for (gchar ** l = lines; *l; l++)
    if (g_str_has_prefix (*l, "  csctl ")) {
      const gchar *name = *l + strlen ("  csctl ");
      g_ptr_array_add (names, g_strndup (name, strcspn (name, " ")));
    }
  return names;
}

GST_START_TEST (test_help)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) names = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "--help", NULL), 0);
  fail_unless_equals_string (err, "");
  for (const gchar * const *v = (const gchar *[]) {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
          "csctl(1)", NULL}; *v; v++)
    fail_unless (strstr (out, *v) != NULL, "--help does not say %s:\n%s", *v,
        out);
  names = listed_commands (out);
  fail_unless (names->len >= 6, "--help lists %u commands:\n%s", names->len,
      out);
  for (guint i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *cmd_out = NULL, *cmd_err = NULL, *usage = NULL;

    fail_unless_equals_int (cs_test_csctl (&cmd_out, &cmd_err, name,
            "--help", NULL), 0);
    usage = g_strdup_printf ("csctl %s [OPTION", name);
    fail_unless (strstr (cmd_out, usage) != NULL,
        "csctl %s --help does not name the command:\n%s", name, cmd_out);
    fail_unless (strstr (cmd_out, "AWS_ACCESS_KEY_ID") != NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_version_and_misuse)
{
  g_autofree gchar *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, &err, "--version", NULL), 0);
  fail_unless (strstr (out, VERSION) != NULL, "--version says: %s", out);
  /* A wrong command is still an error, said on stderr. */
  fail_unless_equals_int (cs_test_csctl (&out2, &err2, "lss", NULL), 2);
  fail_unless_equals_string (out2, "");
  fail_unless (strstr (err2, "unknown command 'lss'") != NULL, "%s", err2);
}

GST_END_TEST;

/* The man page (as written; csctl-install checks it is installed) has a
 * synopsis line for every command --help lists. */
GST_START_TEST (test_man_page_covers_commands)
{
  g_autofree gchar *out = NULL, *man = NULL, *path = NULL;
  g_autoptr (GPtrArray) names = NULL;

  fail_unless_equals_int (cs_test_csctl (&out, NULL, "--help", NULL), 0);
  path = g_build_filename (g_getenv ("CS_TEST_SOURCE_DIR"), "tools",
      "csctl.1", NULL);
  fail_unless (g_file_get_contents (path, &man, NULL, NULL), "no %s", path);
  names = listed_commands (out);
  for (guint i = 0; i < names->len; i++) {
    g_autofree gchar *synopsis = g_strdup_printf ("\n.B csctl %s\n",
        (const gchar *) g_ptr_array_index (names, i));
    fail_unless (strstr (man, synopsis) != NULL,
        "csctl.1 has no synopsis of %s", synopsis + 4);
  }
}

GST_END_TEST;

static Suite *
csctl_help_suite (void)
{
  Suite *s = suite_create ("csctl-help");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_help);
  tcase_add_test (tc, test_version_and_misuse);
  tcase_add_test (tc, test_man_page_covers_commands);
  return s;
}

GST_CHECK_MAIN (csctl_help);
