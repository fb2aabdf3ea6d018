/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (cssink);
GST_ELEMENT_REGISTER_DECLARE (cseventgate);

G_END_DECLS
