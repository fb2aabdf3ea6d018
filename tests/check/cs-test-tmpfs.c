/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-test-tmpfs.h"

#include <gst/check/gstcheck.h>
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

void
cs_test_mount_tmpfs (const gchar * dir, const gchar * size,
    gboolean read_only)
{
  static gboolean unshared;
  g_autofree gchar *options = g_strdup_printf ("size=%s,mode=0700", size);

  fail_unless (geteuid () == 0, "mounting a small filesystem needs root "
      "(tests/run-tests.sh runs as root)");
  if (!unshared) {
    fail_unless (unshare (CLONE_NEWNS) == 0, "unshare: %s",
        g_strerror (errno));
    /* Nothing mounted here reaches the rest of the system. */
    fail_unless (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
        "%s", g_strerror (errno));
    unshared = TRUE;
  }
  fail_unless (g_mkdir_with_parents (dir, 0700) == 0);
  fail_unless (mount ("tmpfs", dir, "tmpfs", read_only ? MS_RDONLY : 0,
          options) == 0,
      "mount tmpfs on %s: %s", dir, g_strerror (errno));
}

void
cs_test_unmount (const gchar * dir)
{
  umount2 (dir, MNT_DETACH);
}
