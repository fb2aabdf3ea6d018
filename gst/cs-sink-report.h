/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What cssink tells the application of its outbox's reports: the element
 * messages the README names for segments (cs-segment-uploaded,
 * cs-segment-dropped, cs-upload-failed) and, for a failure retrying cannot
 * mend, an element error or warning whose details say what the store
 * answered (as souphttpsrc's http-status-code). */
#pragma once

#include <gst/gst.h>
#include "cs-outbox.h"

G_BEGIN_DECLS

/* The message of a segment's outcome, or NULL (NOT_SPOOLED). */
GstStructure *cs_sink_report_segment_message (const CsOutboxReport * r);
/* Posts the error (or warning) of a FAILED report from @sink. */
void cs_sink_report_post_failure (GstElement * sink,
    const CsOutboxReport * r);

G_END_DECLS
