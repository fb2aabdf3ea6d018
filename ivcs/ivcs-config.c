/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ivcs-config.h"
#include "cs-key.h"
#include "cs-service.h"

#include <string.h>

#define GROUP "cloud-storage"

/* The environment's IVCS_<NAME> over the key file's <name>. */
static gchar *
setting (GKeyFile * kf, const gchar * name)
{
  g_autofree gchar *var = g_ascii_strup (name, -1);
  g_autofree gchar *env_name = g_strconcat ("IVCS_", var, NULL);
  const gchar *env = g_getenv (env_name);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return kf ? g_key_file_get_string (kf, GROUP, name, NULL) : NULL;
}

static gboolean
number (GKeyFile * kf, const gchar * name, guint fallback, guint min,
    guint * value, GError ** error)
{
  g_autofree gchar *text = setting (kf, name);
  guint64 v;

  *value = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, G_MAXUINT32, &v, NULL)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
        "%s must be a whole number of at least %u", name, min);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

/* true/false (also 1/0, yes/no, on/off, any case): a value that is none
 * of them is refused rather than taken as one. */
static gboolean
boolean (GKeyFile * kf, const gchar * name, gboolean fallback,
    gboolean * value, GError ** error)
{
  static const gchar *const yes[] = { "true", "1", "yes", "on", NULL };
  static const gchar *const no[] = { "false", "0", "no", "off", NULL };
  g_autofree gchar *text = setting (kf, name);

  *value = fallback;
  if (text == NULL)
    return TRUE;
  g_strstrip (text);
  for (guint i = 0; yes[i]; i++) {
    if (g_ascii_strcasecmp (text, yes[i]) == 0) {
      *value = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp (text, no[i]) == 0) {
      *value = FALSE;
      return TRUE;
    }
  }
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
      "%s must be true or false", name);
  return FALSE;
}

gboolean
ivcs_config_load (IvcsConfig * c, GError ** error)
{
  const gchar *path = g_getenv ("IVCS_CONFIG");
  g_autoptr (GKeyFile) kf = NULL;

  memset (c, 0, sizeof *c);
  if (path != NULL && path[0] != '\0') {
    kf = g_key_file_new ();
    if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error)) {
      g_prefix_error (error, "IVCS_CONFIG %s: ", path);
      return FALSE;
    }
  }
  return ivcs_config_read (c, kf, error);
}

gboolean
ivcs_config_read (IvcsConfig * c, GKeyFile * kf, GError ** error)
{
  g_autofree gchar *channels = NULL;

  memset (c, 0, sizeof *c);
  c->location = setting (kf, "location");
  c->device_id = setting (kf, "device_id");
  c->endpoint = setting (kf, "endpoint");
  c->region = setting (kf, "region");
  c->access_key = setting (kf, "access_key");
  c->secret_key = setting (kf, "secret_key");
  c->tls_ca_file = setting (kf, "tls_ca_file");
  c->spool_dir = setting (kf, "spool_dir");
  c->encryption_key_file = setting (kf, "encryption_key_file");
  if (c->location == NULL || c->device_id == NULL) {
    g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_NOT_FOUND,
        "no store location or device id: set IVCS_CONFIG to a key file with "
        "[" GROUP "] location= and device_id= (or IVCS_LOCATION and "
        "IVCS_DEVICE_ID)");
    goto fail;
  }
  if (!cs_key_name_is_valid (c->device_id)) {
    g_set_error_literal (error, G_KEY_FILE_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "device_id: use 1 to 128 of "
        "A-Z a-z 0-9 . _ - (not starting with '.')");
    goto fail;
  }
  if (!number (kf, "service_poll_s", 60, 1, &c->service_poll_s, error)
      || !number (kf, "drain_timeout_s", 10, 0, &c->drain_timeout_s, error))
    goto fail;
  channels = setting (kf, "channels");
  if (channels != NULL) {
    c->channels = g_strsplit_set (channels, ";, ", -1);
    for (gchar ** ch = c->channels; *ch; ch++)
      if (**ch != '\0' && !cs_service_channel_is_valid (*ch)) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
            "channels: '%s' is not full-time, event-video or event-pic",
            *ch);
        goto fail;
      }
  }
  /* Read now, so that a bad key file is a configuration error. */
  if (c->encryption_key_file != NULL
      && !(c->keyring = cs_keyring_load (c->encryption_key_file, error))) {
    g_prefix_error (error, "encryption_key_file: ");
    goto fail;
  }
  if (!boolean (kf, "audio", TRUE, &c->audio, error)
      || !boolean (kf, "force_path_style", TRUE, &c->force_path_style,
          error))
    goto fail;
  if (!(c->container = setting (kf, "container")))
    c->container = g_strdup ("fmp4");
  if (!g_str_equal (c->container, "mpegts")
      && !g_str_equal (c->container, "fmp4")) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
        "container: '%s' is not mpegts or fmp4", c->container);
    goto fail;
  }
  return TRUE;

fail:
  ivcs_config_clear (c);
  return FALSE;
}

void
ivcs_config_clear (IvcsConfig * c)
{
  g_free (c->location);
  g_free (c->device_id);
  g_free (c->endpoint);
  g_free (c->region);
  g_free (c->access_key);
  g_free (c->secret_key);
  g_free (c->tls_ca_file);
  g_free (c->spool_dir);
  g_free (c->encryption_key_file);
  g_clear_pointer (&c->keyring, cs_keyring_unref);
  g_free (c->container);
  g_strfreev (c->channels);
  memset (c, 0, sizeof *c);
}
