/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-ticker.h"

static GMainContext *context;

static gpointer
ticker_thread (gpointer data)
{
  g_main_context_push_thread_default (context);
  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

static GMainContext *
ticker_context (void)
{
  static gsize started;

  if (g_once_init_enter (&started)) {
    context = g_main_context_new ();
    /* Lives as long as the process, like GStreamer's own clock thread. */
    g_thread_unref (g_thread_new ("cs-ticker", ticker_thread, NULL));
    g_once_init_leave (&started, 1);
  }
  return context;
}

GSource *
cs_ticker_add (guint interval_ms, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, ticker_context ());
  return source;
}

void
cs_ticker_remove (GSource * source)
{
  if (source == NULL)
    return;
  g_source_destroy (source);
  g_source_unref (source);
}
