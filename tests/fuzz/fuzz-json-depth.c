/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: deep and huge JSON from the store.  The input's first two
 * bytes say how many times to nest it (up to 300000 '[' or '{' levels,
 * past what json-glib's recursive parser survives) and the rest is put
 * in the middle; every reader of store JSON must refuse what is too deep
 * or too large before parsing, and never crash. */
#include "cs-event-record.h"
#include "cs-json.h"
#include "cs-service.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
read_all (const gchar * json, gsize len)
{
  g_autoptr (JsonNode) node = cs_json_parse (json, len, "doc", NULL);
  g_autoptr (CsEventRecord) r = cs_event_record_parse (json, len, NULL);
  g_autoptr (CsService) svc = cs_service_parse (json, len, NULL);

  g_assert (node == NULL || len <= CS_JSON_MAX_BYTES);
  g_assert (r == NULL || node != NULL);
  g_assert (svc == NULL || node != NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  guint levels;
  gchar open;
  g_autoptr (GString) doc = NULL;

  read_all ((const gchar *) data, size);
  if (size < 2)
    return 0;
  levels = (guint64) (data[0] << 8 | data[1]) * 300000 / 65535;
  open = levels % 2 ? '{' : '[';
  doc = g_string_sized_new (2 * levels + size);
  for (guint i = 0; i < levels; i++)
    g_string_append_c (doc, open == '[' ? '[' : i % 2 ? '[' : '{');
  g_string_append_len (doc, (const gchar *) data + 2, size - 2);
  for (guint i = levels; i > 0; i--)
    g_string_append_c (doc, open == '[' ? ']' : (i - 1) % 2 ? ']' : '}');
  read_all (doc->str, doc->len);
  return 0;
}
