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

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean passed;
} Barrier;

static gboolean
barrier_passed (gpointer data)
{
  Barrier *b = data;

  g_mutex_lock (&b->lock);
  b->passed = TRUE;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->lock);
  return G_SOURCE_REMOVE;
}

/* The thread runs one call at a time: when it runs the barrier, the call
 * that was running has returned. */
void
cs_ticker_sync (void)
{
  Barrier b = { 0 };
  GSource *source;

  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, barrier_passed, &b, NULL);
  g_source_attach (source, ticker_context ());
  g_source_unref (source);
  g_mutex_lock (&b.lock);
  while (!b.passed)
    g_cond_wait (&b.cond, &b.lock);
  g_mutex_unlock (&b.lock);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
}
