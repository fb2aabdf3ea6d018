/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every JSON document of the store shares. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What a document of the store may be: service.json is a few KiB, and
 * event.json too but for its list of segments (the longest event
 * cseventgate makes, 48 h of 4 s segments, is 2.6 MB); both are a few
 * levels deep.  Larger or deeper input is refused before json-glib sees it
 * (its parser recurses per level: 200000 nested brackets overflow the
 * stack). */
#define CS_JSON_MAX_BYTES (4 * 1024 * 1024)
#define CS_JSON_MAX_DEPTH 32

/* The one entry point for JSON read from the store: checks size and depth,
 * then parses.  @len -1: @json ends with a NUL.  @what names the document
 * in errors ("event.json").  Returns the root node, or NULL with @error
 * set (JSON_PARSER_ERROR). */
JsonNode *cs_json_parse (const gchar * json, gssize len, const gchar * what,
    GError ** error);

/* The builder's document, pretty-printed. */
gchar *cs_json_builder_to_data (JsonBuilder * builder);
/* The object member @name as an integer, or @fallback when it is absent or
 * null; FALSE when it is there but not an integer. */
gboolean cs_json_get_int (JsonObject * obj, const gchar * name,
    gint64 fallback, gint64 * value);

/* The member @name when it is a string (else NULL) or a boolean (else
 * @fallback): never a critical warning on a document of the wrong shape. */
const gchar *cs_json_get_string (JsonObject * obj, const gchar * name);
gboolean cs_json_get_bool (JsonObject * obj, const gchar * name,
    gboolean fallback);

G_END_DECLS
