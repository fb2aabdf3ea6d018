/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every JSON document of the store shares. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

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
