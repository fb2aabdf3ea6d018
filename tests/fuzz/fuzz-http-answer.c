/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: an HTTP answer's body as the store client reads it, through
 * a stream with a cap (the first two input bytes set the cap), then as an
 * S3 error document and listing page. */
#include "cs-http.h"
#include "cs-s3-xml.h"
#include "cs-store-private.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GPtrArray) objects = cs_store_object_array_new ();
  g_autofree gchar *code = NULL, *message = NULL, *token = NULL;
  gboolean truncated;
  gsize cap, len;

  if (size < 2)
    return 0;
  cap = data[0] << 8 | data[1];
  /* In pieces, as the network gives it. */
  in = g_memory_input_stream_new ();
  for (gsize at = 2; at < size;) {
    gsize piece = MIN (size - at, 1 + data[at] % 97);
    g_memory_input_stream_add_data (G_MEMORY_INPUT_STREAM (in),
        g_memdup2 (data + at, piece), piece, g_free);
    at += piece;
  }
  body = cs_http_read_capped (in, cap, &truncated, NULL, NULL);
  g_assert (body != NULL);
  len = g_bytes_get_size (body);
  g_assert (len == MIN (size - 2, cap));
  g_assert (truncated == (size - 2 > cap));
  g_assert (len == 0 || memcmp (g_bytes_get_data (body, NULL), data + 2,
          len) == 0);
  cs_s3_xml_parse_error (g_bytes_get_data (body, NULL), len, &code, &message);
  cs_s3_xml_parse_list (g_bytes_get_data (body, NULL), len, 0, objects,
      &token, NULL);
  return 0;
}
