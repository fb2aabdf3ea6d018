/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* csctl serve's store I/O.  On the main loop, one slow store request (a
 * FIFO in a file store, an S3 endpoint that does not answer) held every
 * other request; here it holds one worker until the timeout answers it.
 *
 * A job is shared by its worker and the main loop; @answered, @timer and
 * every unref belong to the main loop (the worker hands its reference over
 * with the result), @answer and @error are written by the worker before
 * it does. */
#include "csctl-serve.h"

struct _CsctlJobs
{
  GThreadPool *pool;
  GAsyncQueue *stores;          /* CsStore not in use by a worker */
  guint timeout_s;
};

typedef struct
{
  gint refs;
  CsctlJobFunc func;
  CsctlJobDone done;
  gpointer data;
  GDestroyNotify destroy;
  GCancellable *cancellable;
  guint timeout_s;
  GBytes *answer;
  GError *error;
  guint timer;
  gboolean answered;
} Job;

static void
job_unref (gpointer p)
{
  Job *job = p;

  if (!g_atomic_int_dec_and_test (&job->refs))
    return;
  if (job->destroy)
    job->destroy (job->data);
  g_clear_pointer (&job->answer, g_bytes_unref);
  g_clear_error (&job->error);
  g_object_unref (job->cancellable);
  g_free (job);
}

static gboolean
on_result (gpointer p)
{
  Job *job = p;

  if (!job->answered) {
    job->answered = TRUE;
    g_source_remove (job->timer);
    job->done (job->answer, job->error, job->data);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer p)
{
  Job *job = p;
  g_autoptr (GError) error = NULL;

  job->answered = TRUE;
  job->timer = 0;
  g_cancellable_cancel (job->cancellable);
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "the store did not answer within %u s", job->timeout_s);
  job->done (NULL, error, job->data);
  return G_SOURCE_REMOVE;
}

static void
work (gpointer p, gpointer user_data)
{
  Job *job = p;
  CsctlJobs *jobs = user_data;

  /* A job that waited out its time in the queue is not started. */
  if (!g_cancellable_is_cancelled (job->cancellable)) {
    CsStore *store = g_async_queue_pop (jobs->stores);

    job->answer = job->func (store, job->data, job->cancellable,
        &job->error);
    g_async_queue_push (jobs->stores, store);
  }
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, on_result, job,
      job_unref);
}

CsctlJobs *
csctl_jobs_new (const gchar * store_uri, guint workers, guint timeout_s,
    GError ** error)
{
  CsctlJobs *jobs = g_new0 (CsctlJobs, 1);

  jobs->timeout_s = timeout_s;
  jobs->stores = g_async_queue_new ();
  /* As many stores as workers: a worker never waits for one. */
  for (guint i = 0; i < workers; i++) {
    CsStore *store = csctl_open_store (store_uri, error);

    if (store == NULL)
      return NULL;
    g_async_queue_push (jobs->stores, store);
  }
  jobs->pool = g_thread_pool_new (work, jobs, workers, FALSE, error);
  return jobs->pool ? jobs : NULL;
}

void
csctl_jobs_run (CsctlJobs * jobs, CsctlJobFunc func, CsctlJobDone done,
    gpointer data, GDestroyNotify destroy)
{
  Job *job = g_new0 (Job, 1);

  job->refs = 2;                /* the worker's, the timer's */
  job->func = func;
  job->done = done;
  job->data = data;
  job->destroy = destroy;
  job->cancellable = g_cancellable_new ();
  job->timeout_s = jobs->timeout_s;
  job->timer = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
      jobs->timeout_s, on_timeout, job, job_unref);
  g_thread_pool_push (jobs->pool, job, NULL);
}
