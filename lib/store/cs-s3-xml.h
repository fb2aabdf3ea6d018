/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the XML that S3 answers with: error documents and ListObjectsV2. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Code and Message of an <Error> document; either may be NULL afterwards. */
void cs_s3_xml_parse_error (const gchar * xml, gsize len, gchar ** code,
    gchar ** message);

/* Appends a CsStoreObject per <Contents> of a ListBucketResult to @objects,
 * with @strip_len bytes cut from the front of each key (and one of size 0
 * per <CommonPrefixes> of a delimiter listing, its key the prefix).  *@next_token is the
 * NextContinuationToken when IsTruncated is true, else NULL. */
gboolean cs_s3_xml_parse_list (const gchar * xml, gsize len, gsize strip_len,
    GPtrArray * objects, gchar ** next_token, GError ** error);

/* Appends a CsLifecycleRule per <Rule> of a LifecycleConfiguration to
 * @rules, each with its XML as written. */
gboolean cs_s3_xml_parse_lifecycle (const gchar * xml, gsize len,
    GPtrArray * rules, GError ** error);

G_END_DECLS
