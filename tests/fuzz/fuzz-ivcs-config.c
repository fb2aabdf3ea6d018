/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: libivcs' configuration file (IVCS_CONFIG), written by whoever
 * sets up the device. */
#include "ivcs-config.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  IvcsConfig config;

  if (!g_key_file_load_from_data (kf, (const gchar *) data, size,
          G_KEY_FILE_NONE, NULL))
    return 0;
  if (ivcs_config_read (&config, kf, &error)) {
    g_assert (config.location != NULL && config.device_id != NULL);
    g_assert (config.service_poll_s >= 1);
    ivcs_config_clear (&config);
  } else {
    g_assert (error != NULL && error->message != NULL);
  }
  return 0;
}
