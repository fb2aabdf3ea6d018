/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl retention: S3 lifecycle rules that expire the recordings and
 * events of a store (the service deletes them); csctl prune: whole days
 * deleted from a file:// store. */
#include "csctl.h"
#include "cs-key.h"
#include "cs-s3-lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_S (24 * 3600)
/* The layout is DEVICE/rec/DAY/HH/segment and DEVICE/ev/DAY/ID/file. */
#define MAX_DEPTH 4

gint opt_days = -1, opt_older_than = -1;
gboolean opt_yes;

/* DEVICE (argv[2]) when given, valid. */
static gboolean
check_args (int argc, char **argv, GError ** error)
{
  if (argc != 2 && argc != 3) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give STORE and optionally DEVICE");
    return FALSE;
  }
  if (argc == 3 && !cs_key_name_is_valid (argv[2])) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "'%s' is not a device id", argv[2]);
    return FALSE;
  }
  return TRUE;
}

/* The DEVICE given, as a list. */
static GPtrArray *
one_device (const gchar * device)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (devices, g_strdup (device));
  return devices;
}

/* Every device in the store, listed by the store's first level a page at a
 * time (never the whole bucket). */
static GPtrArray *
all_devices (CsStore * store, GError ** error)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func (g_free);
  const guint page = 1000;

  for (;;) {
    const gchar *after = devices->len ?
        g_ptr_array_index (devices, devices->len - 1) : NULL;
    g_autoptr (GPtrArray) names = cs_store_list_names (store, after, page,
        NULL, error);

    if (names == NULL) {
      g_ptr_array_unref (devices);
      return NULL;
    }
    for (guint i = 0; i < names->len; i++)
      g_ptr_array_add (devices, g_strdup (g_ptr_array_index (names, i)));
    if (names->len < page)
      return devices;
  }
}

static void
print_rules (GPtrArray * rules)
{
  if (rules->len == 0) {
    g_print ("the bucket has no lifecycle rules: nothing expires\n");
    return;
  }
  g_print ("lifecycle rules of the bucket:\n");
  for (guint i = 0; i < rules->len; i++) {
    CsLifecycleRule *r = g_ptr_array_index (rules, i);
    g_autofree gchar *expiry = r->days > 0 ? g_strdup_printf ("expire after "
        "%d days", r->days) : g_strdup ("no expiry by days");

    g_print ("  %s  %s%s  (%s)\n", r->prefix && *r->prefix ? r->prefix :
        "(every key)", expiry, r->enabled ? "" : ", disabled",
        r->id ? r->id : "no id");
  }
}

int
csctl_retention (int argc, char **argv, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) rules = NULL, devices = NULL;
  g_autoptr (GError) local = NULL;

  if (!check_args (argc, argv, error))
    return 2;
  if (opt_days < -1 || opt_days > 36500) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--days is 0 (remove csctl's rules) to 36500");
    return 2;
  }
  store = csctl_open_store (argv[1], error);
  if (store == NULL)
    return 1;
  rules = cs_s3_lifecycle_get (store, NULL, &local);
  if (rules == NULL) {
    if (g_error_matches (local, CS_STORE_ERROR, CS_STORE_ERROR_NOT_SUPPORTED))
      g_prefix_error (&local, "use csctl prune for a file:// store: ");
    g_propagate_error (error, g_steal_pointer (&local));
    return 1;
  }
  if (opt_days < 0) {
    print_rules (rules);
    return 0;
  }
  devices = argc == 3 ? one_device (argv[2]) : all_devices (store, error);
  if (devices == NULL)
    return 1;
  for (guint i = 0; i < devices->len; i++)
    cs_s3_lifecycle_set_device (store, rules, g_ptr_array_index (devices,
            i), opt_days);
  if (!cs_s3_lifecycle_put (store, rules, NULL, error))
    return 1;
  g_ptr_array_unref (rules);
  rules = cs_s3_lifecycle_get (store, NULL, error);
  if (rules == NULL)
    return 1;
  print_rules (rules);
  if (argc == 2)
    g_print ("%s %u devices; a device that appears later needs csctl "
        "retention too\n", opt_days > 0 ? "set for" : "removed for",
        devices->len);
  return 0;
}

/* rm -r of @name in @parent: never follows a link (a link is removed, not
 * what it names); at most @depth levels. */
static gboolean
remove_tree_at (int parent, const gchar * name, guint depth, GError ** error)
{
  struct stat st;
  int fd;
  DIR *dir;
  struct dirent *e;
  gboolean ok = TRUE;

  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    goto fail;
  if (!S_ISDIR (st.st_mode)) {
    if (unlinkat (parent, name, 0) == 0)
      return TRUE;
    goto fail;
  }
  if (depth == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s is deeper than "
        "the store's layout: left alone", name);
    return FALSE;
  }
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || (dir = fdopendir (fd)) == NULL) {
    if (fd >= 0)
      close (fd);
    goto fail;
  }
  while (ok && (e = readdir (dir)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      ok = remove_tree_at (dirfd (dir), e->d_name, depth - 1, error);
  closedir (dir);
  if (!ok)
    return FALSE;
  if (unlinkat (parent, name, AT_REMOVEDIR) == 0)
    return TRUE;
fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
      "cannot delete %s: %s", name, g_strerror (errno));
  return FALSE;
}

/* A day folder of the layout: YYYYMMDD, a real date. */
static gboolean
is_day (const gchar * name)
{
  guint64 v;

  return strlen (name) == 8 && g_ascii_string_to_unsigned (name, 10,
      19700101, 99991231, &v, NULL) && g_date_valid_dmy (v % 100,
      v / 100 % 100, v / 10000);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Real directories (never links), sorted, of @dirfd whose names @keep takes. */
static GPtrArray *
subdirs (int dirfd, gboolean (*keep) (const gchar *))
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  int fd = dup (dirfd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *e;
  struct stat st;

  if (dir == NULL) {
    if (fd >= 0)
      close (fd);
    return names;
  }
  while ((e = readdir (dir)) != NULL)
    if (keep (e->d_name) && fstatat (dirfd, e->d_name, &st,
            AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
      g_ptr_array_add (names, g_strdup (e->d_name));
  closedir (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* The day folders of @device (DEVICE/rec/DAY, DEVICE/ev/DAY) named before
 * @before: deleted when opt_yes, else listed.  Counts them in @found. */
static gboolean
prune_device (int rootfd, const gchar * device, const gchar * before,
    guint * found, GError ** error)
{
  static const gchar *const kinds[] = { "rec", "ev" };
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  /* Each level opened apart: O_NOFOLLOW looks at the last name only. */
  int devfd = openat (rootfd, device, flags);

  /* Missing, or a link: not of the layout. */
  if (devfd < 0)
    return TRUE;
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autoptr (GPtrArray) days = NULL;
    int fd = openat (devfd, kinds[k], flags);

    if (fd < 0)
      continue;
    days = subdirs (fd, is_day);
    for (guint i = 0; i < days->len; i++) {
      const gchar *day = g_ptr_array_index (days, i);

      if (strcmp (day, before) >= 0)
        break;
      (*found)++;
      if (opt_yes && !remove_tree_at (fd, day, MAX_DEPTH, error)) {
        g_prefix_error (error, "%s/%s/%s: ", device, kinds[k], day);
        close (fd);
        close (devfd);
        return FALSE;
      }
      g_print ("%s %s/%s/%s\n", opt_yes ? "deleted" : "would delete",
          device, kinds[k], day);
    }
    close (fd);
  }
  close (devfd);
  return TRUE;
}

int
csctl_prune (int argc, char **argv, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (CsStore) store = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GDateTime) cutoff = NULL;
  g_autofree gchar *root = NULL, *before = NULL;
  guint found = 0;
  gboolean ok = TRUE;
  int rootfd;

  if (!check_args (argc, argv, error))
    return 2;
  if (opt_older_than < 0 || opt_older_than > 36500) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "give --older-than N, 0 to 36500 days");
    return 2;
  }
  uri = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), "file")) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "prune deletes from a file:// store; for s3:// use csctl retention");
    return 2;
  }
  /* The checks every file store passes. */
  store = csctl_open_store (argv[1], error);
  root = store ? g_filename_from_uri (argv[1], NULL, error) : NULL;
  if (root == NULL)
    return 2;
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot open %s: %s", root, g_strerror (errno));
    return 1;
  }
  /* A day is older than N days when it ended N days ago or earlier: every
   * day before the one N days ago (UTC, as the layout's days are). */
  cutoff = g_date_time_new_from_unix_utc (g_get_real_time () /
      G_USEC_PER_SEC - (gint64) opt_older_than * DAY_S);
  before = g_date_time_format (cutoff, "%Y%m%d");
  devices = argc == 3 ? one_device (argv[2]) : subdirs (rootfd,
      cs_key_name_is_valid);
  for (guint i = 0; ok && i < devices->len; i++)
    ok = prune_device (rootfd, g_ptr_array_index (devices, i), before,
        &found, error);
  close (rootfd);
  if (!ok)
    return 1;
  g_print ("%u day folders before %.4s-%.2s-%.2s (UTC)%s\n", found, before,
      before + 4, before + 6, opt_yes ? " deleted" : found ? "; give --yes "
      "to delete them" : "");
  return 0;
}
