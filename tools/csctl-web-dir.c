/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where csctl serve's page is: CSCTL_WEB_DIR, else installed beside csctl
 * (share/gst-cloudstorage/web, found from csctl's own path, so that a moved
 * prefix or a DESTDIR install works too), else the source tree csctl was
 * built from (running from the build tree). */
#include "csctl.h"

gchar *
csctl_find_web_dir (void)
{
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *bindir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree gchar *installed = g_path_is_absolute
      (CSCTL_WEB_DIR_FROM_BINDIR) ? g_strdup (CSCTL_WEB_DIR_FROM_BINDIR) :
      bindir ? g_build_filename (bindir, CSCTL_WEB_DIR_FROM_BINDIR, NULL) :
      NULL;
  g_autofree gchar *page = installed ? g_build_filename (installed,
      "index.html", NULL) : NULL;

  if (g_getenv ("CSCTL_WEB_DIR") != NULL)
    return g_strdup (g_getenv ("CSCTL_WEB_DIR"));
  if (page != NULL && g_file_test (page, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&installed);
  return g_strdup (CSCTL_SOURCE_WEB_DIR);
}
