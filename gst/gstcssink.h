/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CS_SINK (gst_cs_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstCsSink, gst_cs_sink, GST, CS_SINK, GstBin)

G_END_DECLS
