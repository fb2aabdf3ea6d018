/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: a device's service.json, read from the store. */
#include "cs-key.h"
#include "cs-service.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (CsService) svc = cs_service_parse ((const gchar *) data, size,
      NULL);
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  gint64 start, duration;

  if (svc != NULL) {
    g_autofree gchar *json = cs_service_to_json (svc, 0);
    g_autoptr (CsService) again = cs_service_parse (json, -1, NULL);
    g_assert (again != NULL);
    g_assert (cs_service_is_active (svc, "full-time", 1) ==
        cs_service_is_active (again, "full-time", 1));
  }
  /* The same bytes as names and keys. */
  cs_key_prefix_is_valid (text);
  cs_key_parse_segment (text, &start, &duration);
  return 0;
}
