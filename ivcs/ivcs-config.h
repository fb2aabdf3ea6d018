/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libivcs' configuration, for firmware that only calls iv_cs_*: a key file
 * named by IVCS_CONFIG, then IVCS_* environment variables over it.
 *
 *   [cloud-storage]
 *   location=s3://bucket/prefix      (or file:///dir, http(s)://...)
 *   device_id=cam1
 *   endpoint=https://s3.example.com  (s3 only)
 *   region=us-east-1
 *   access_key=...                   (else AWS_ACCESS_KEY_ID)
 *   secret_key=...                   (else AWS_SECRET_ACCESS_KEY)
 *   force_path_style=true            false: http://bucket.host/key (s3)
 *   tls_ca_file=/etc/ssl/private-ca.pem
 *   spool_dir=/var/spool/ivcs       outages and reboots lose nothing
 *   encryption_key_file=/etc/ivcs/keys  everything stored is encrypted on the
 *                                    device (lines '<id> <32 hex>', mode 600)
 *   service_poll_s=60                how often service.json is read
 *   channels=full-time;event-video   set: service.json is not read
 *   audio=true                       false: video only (no audio pushed)
 *   drain_timeout_s=10               how long iv_cs_exit(0) may upload
 *   container=fmp4                   or mpegts: MPEG-TS segments */
#pragma once

#include <glib.h>

#include "cs-keyring.h"

G_BEGIN_DECLS

typedef struct {
  gchar *location;
  gchar *device_id;
  gchar *endpoint;
  gchar *region;
  gchar *access_key;
  gchar *secret_key;
  gboolean force_path_style;    /* FALSE: virtual-hosted S3 requests */
  gchar *tls_ca_file;
  gchar *spool_dir;             /* NULL: a 3-segment memory cache */
  gchar *encryption_key_file;   /* NULL: stored in plaintext */
  CsKeyring *keyring;           /* its keys, read when the config is */
  guint service_poll_s;
  gchar **channels;             /* NULL: read service.json */
  gboolean audio;
  guint drain_timeout_s;
  gchar *container;             /* cssink's container: mpegts or fmp4 */
} IvcsConfig;

/* FALSE with @error saying what is missing or wrong (never a secret). */
gboolean ivcs_config_load (IvcsConfig * config, GError ** error);
/* The same from @key_file (may be NULL), the environment over it. */
gboolean ivcs_config_read (IvcsConfig * config, GKeyFile * key_file,
    GError ** error);
void ivcs_config_clear (IvcsConfig * config);

G_END_DECLS
