/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <device>/service.json: what a device may record, written by the operator
 * (csctl activate/deactivate), read by the device.
 *
 *   {"device": "cam1", "updated_ms": 1795500000000,
 *    "channels": {"full-time": {"until_ms": 1798000000000},
 *                 "event-video": {"until_ms": 0}},
 *    "ai": {"person": {"until_ms": 1798000000000}}}
 *
 * A channel or AI service is active while it is listed and now < until_ms
 * (0: no end).  Channels: full-time, event-video, event-pic. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsService CsService;

CsService *cs_service_new (const gchar * device_id);
/* NULL with @error when @json is not a service document. */
CsService *cs_service_parse (const gchar * json, gsize len, GError ** error);
gchar *cs_service_to_json (CsService * svc, gint64 now_ms);
void cs_service_free (CsService * svc);

gboolean cs_service_channel_is_valid (const gchar * channel);
/* @until_ms 0: no end.  @name is a channel, or an AI type for the _ai calls
 * (1 to 128 of A-Z a-z 0-9 . _ -). */
void cs_service_activate (CsService * svc, const gchar * channel,
    gint64 until_ms);
void cs_service_deactivate (CsService * svc, const gchar * channel);
gboolean cs_service_is_active (CsService * svc, const gchar * channel,
    gint64 now_ms);
void cs_service_activate_ai (CsService * svc, const gchar * ai,
    gint64 until_ms);
void cs_service_deactivate_ai (CsService * svc, const gchar * ai);
gboolean cs_service_ai_is_active (CsService * svc, const gchar * ai,
    gint64 now_ms);
/* The AI types listed (g_list_free; the names belong to @svc) and the
 * until_ms of one (-1 when not listed). */
GList *cs_service_ai_names (CsService * svc);
gint64 cs_service_ai_until (CsService * svc, const gchar * ai);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsService, cs_service_free)

G_END_DECLS
