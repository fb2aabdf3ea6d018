/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl activate / deactivate: a device's service.json in the store. */
#include "csctl.h"
#include "cs-key.h"
#include "cs-service.h"

#include <string.h>

static int
change_service (int argc, char **argv, gboolean activate, GError ** error)
{
  g_autoptr (CsStore) store = NULL;
  g_autoptr (CsService) svc = NULL;
  g_autoptr (GBytes) old = NULL, doc = NULL;
  g_autoptr (GError) get_error = NULL;
  g_autofree gchar *key = NULL, *json = NULL;
  gint64 until = 0, now = g_get_real_time () / 1000;

  if (argc != 3 || !cs_key_name_is_valid (argv[2])) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "give STORE and a valid DEVICE");
    return 2;
  }
  if ((opt_channel == NULL) == (opt_ai == NULL)
      || (opt_channel && !cs_service_channel_is_valid (opt_channel))
      || (opt_ai && !cs_key_name_is_valid (opt_ai))) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "give either --channel full-time|event-video|event-pic or --ai TYPE");
    return 2;
  }
  if (opt_until != NULL && !csctl_parse_time (opt_until, &until, error))
    return 2;
  store = csctl_open_store (argv[1], error);
  if (store == NULL)
    return 1;

  key = cs_key_service (argv[2]);
  old = cs_store_get (store, key, NULL, &get_error);
  if (old != NULL) {
    svc = cs_service_parse (g_bytes_get_data (old, NULL),
        g_bytes_get_size (old), error);
    if (svc == NULL) {
      /* Never overwrite what cannot be read. */
      g_prefix_error (error, "%s is not readable (mend or delete it): ", key);
      return 1;
    }
  } else if (g_error_matches (get_error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_FOUND)) {
    svc = cs_service_new (argv[2]);
  } else {
    g_propagate_error (error, g_steal_pointer (&get_error));
    return 1;
  }

  if (opt_channel && activate)
    cs_service_activate (svc, opt_channel, until);
  else if (opt_channel)
    cs_service_deactivate (svc, opt_channel);
  else if (activate)
    cs_service_activate_ai (svc, opt_ai, until);
  else
    cs_service_deactivate_ai (svc, opt_ai);

  json = cs_service_to_json (svc, now);
  doc = g_bytes_new (json, strlen (json));
  return cs_store_put (store, key, doc, cs_key_content_type (key), NULL,
      error) ? 0 : 1;
}

int
csctl_activate (int argc, char **argv, GError ** error)
{
  return change_service (argc, argv, TRUE, error);
}

int
csctl_deactivate (int argc, char **argv, GError ** error)
{
  return change_service (argc, argv, FALSE, error);
}
