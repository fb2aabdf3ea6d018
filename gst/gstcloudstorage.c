/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cloudstorage plugin: registers its elements, nothing else. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcselements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (cssink, plugin);

  ok |= GST_ELEMENT_REGISTER (cseventgate, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, cloudstorage,
    "Store encoded audio/video in cloud storage in short segments",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
