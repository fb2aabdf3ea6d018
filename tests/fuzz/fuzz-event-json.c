/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: an event's event.json, read from the store by viewers. */
#include "cs-event-record.h"
#include "cs-key.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (CsEventRecord) r = cs_event_record_parse ((const gchar *) data,
      size, NULL);

  if (r != NULL) {
    g_autofree gchar *json = cs_event_record_to_json (r);
    g_autoptr (CsEventRecord) again = cs_event_record_parse (json, -1, NULL);
    g_assert (again != NULL);
    g_assert (again->segments->len == r->segments->len);
    for (guint i = 0; i < r->segments->len; i++)
      g_assert (cs_key_is_valid (g_ptr_array_index (again->segments, i)));
  }
  return 0;
}
