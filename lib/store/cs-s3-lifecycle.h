/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Retention in an S3 bucket: the lifecycle rules that expire objects
 * (GetBucketLifecycleConfiguration, PutBucketLifecycleConfiguration), which
 * AWS and Ceph RGW carry out themselves. */
#pragma once

#include "cs-store.h"

G_BEGIN_DECLS

typedef struct {
  gchar *id;
  gchar *prefix;                /* of the bucket's keys; NULL: every key */
  gint days;                    /* Expiration Days; 0 when the rule has none */
  gboolean enabled;
  gchar *xml;                   /* the <Rule> as the bucket gave it; NULL for a new one */
} CsLifecycleRule;

void cs_lifecycle_rule_free (CsLifecycleRule * rule);
/* An enabled rule expiring the keys under @prefix after @days. */
CsLifecycleRule *cs_lifecycle_rule_new (const gchar * id,
    const gchar * prefix, gint days);

/* The rules of @store's bucket (an empty array when it has none).
 * CS_STORE_ERROR_NOT_SUPPORTED for a store other than s3://. */
GPtrArray *cs_s3_lifecycle_get (CsStore * store, GCancellable * cancellable,
    GError ** error);
/* Makes @rules the bucket's whole lifecycle configuration (S3 has no other
 * way): rules read with cs_s3_lifecycle_get () are put back as they were.
 * No rules deletes the configuration. */
gboolean cs_s3_lifecycle_put (CsStore * store, GPtrArray * rules,
    GCancellable * cancellable, GError ** error);
/* Sets csctl's rules for @device of @store in @rules: its rec/ and ev/
 * keys expire after @days (0: no rules of csctl for them).  Each rule's ID
 * is "csctl " and its prefix; other rules are left as they are. */
void cs_s3_lifecycle_set_device (CsStore * store, GPtrArray * rules,
    const gchar * device, gint days);
/* The LifecycleConfiguration document of @rules. */
gchar *cs_s3_lifecycle_to_xml (GPtrArray * rules);

G_END_DECLS
