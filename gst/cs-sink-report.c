/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-sink-report.h"

GST_DEBUG_CATEGORY_EXTERN (gst_cs_sink_debug);
#define GST_CAT_DEFAULT gst_cs_sink_debug

static GstStructure *
report_structure (const gchar * name, const CsOutboxReport * r)
{
  return gst_structure_new (name, "key", G_TYPE_STRING, r->key,
      "start-ms", G_TYPE_INT64, r->start_ms,
      "duration-ms", G_TYPE_INT64, r->duration_ms,
      "bytes", G_TYPE_UINT64, r->bytes, NULL);
}

/* What the store said, as the details of an error or warning (as
 * souphttpsrc's http-status-code): 0 and NULL when it said nothing. */
#define FAILURE_DETAILS(r) ("key", G_TYPE_STRING, (r)->key, \
      "attempt", G_TYPE_UINT, (r)->attempt, \
      "http-status-code", G_TYPE_UINT, (r)->http_status, \
      "s3-error-code", G_TYPE_STRING, (r)->s3_code, NULL)

/* A refusal retrying cannot mend, or retries used up: an element error (a
 * warning for an object that only waited too long), with the details. */
void
cs_sink_report_post_failure (GstElement * self, const CsOutboxReport * r)
{
  const gchar *text = r->error->message;

  if (r->kind != CS_OUTBOX_SEGMENT) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
        ("An event object could not be uploaded."), ("%s: %s", r->key, text),
        FAILURE_DETAILS (r));
  } else if (g_error_matches (r->error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_AUTHORIZED)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_AUTHORIZED,
        ("The store refused the credentials."), ("%s", text),
        FAILURE_DETAILS (r));
  } else if (g_error_matches (r->error, CS_STORE_ERROR,
          CS_STORE_ERROR_NOT_FOUND)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_FOUND,
        ("The store location does not exist."), ("%s", text),
        FAILURE_DETAILS (r));
  } else if (cs_store_error_is_transient (r->error)) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
        ("A segment could not be uploaded after %u attempts.", r->attempt),
        ("%s", text), FAILURE_DETAILS (r));
  } else {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, WRITE,
        ("The store refused a segment."), ("%s", text), FAILURE_DETAILS (r));
  }
}

/* A segment's outcome as the element message the README names. */
GstStructure *
cs_sink_report_segment_message (const CsOutboxReport * r)
{
  GstStructure *s = NULL;
  gboolean retry = r->outcome == CS_OUTBOX_ATTEMPT_FAILED;

  switch (r->outcome) {
    case CS_OUTBOX_UPLOADED:
      s = report_structure ("cs-segment-uploaded", r);
      gst_structure_set (s, "attempts", G_TYPE_UINT, r->attempt, NULL);
      break;
    case CS_OUTBOX_DROPPED:
      s = report_structure ("cs-segment-dropped", r);
      gst_structure_set (s, "reason", G_TYPE_STRING, r->reason,
          "attempts", G_TYPE_UINT, r->attempt, NULL);
      break;
    case CS_OUTBOX_ATTEMPT_FAILED:
    case CS_OUTBOX_FAILED:
      s = report_structure ("cs-upload-failed", r);
      gst_structure_set (s, "attempt", G_TYPE_UINT, r->attempt,
          "error", G_TYPE_STRING, r->error->message,
          "will-retry", G_TYPE_BOOLEAN, retry,
          "retry-in-ms", G_TYPE_INT64, retry ? r->retry_in_ms : (gint64) 0,
          "http-status-code", G_TYPE_UINT, r->http_status, NULL);
      if (r->s3_code != NULL)
        gst_structure_set (s, "s3-error-code", G_TYPE_STRING, r->s3_code,
            NULL);
      break;
    case CS_OUTBOX_NOT_SPOOLED:
      break;
  }
  return s;
}

