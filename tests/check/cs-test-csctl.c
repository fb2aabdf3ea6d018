/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-csctl.h"

#include <gst/check/gstcheck.h>

gint
cs_test_csctl (gchar ** out, gchar ** err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;
  gint status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CSCTL"));
  va_start (ap, err);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, 0, NULL,
          NULL, out, err, &status, NULL));
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}
