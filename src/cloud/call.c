/* call.c - worker thread -> main context calls (call.h). */
#include "cloud/call.h"

#define CALL_TIMEOUT_US (30 * G_USEC_PER_SEC)

struct SlCloudCall {
  gint refs;
  GMutex lock;
  GCond cond;
  gboolean done;
  GError *error;
  gpointer owner;
  gint64 id;
  gpointer data;
  GDestroyNotify data_free;
};

SlCloudCall *
sl_cloud_call_new(gpointer owner, gint64 id, gpointer data, GDestroyNotify free)
{
  SlCloudCall *call = g_new0(SlCloudCall, 1);
  call->refs = 1;
  g_mutex_init(&call->lock);
  g_cond_init(&call->cond);
  call->owner = owner;
  call->id = id;
  call->data = data;
  call->data_free = free;
  return call;
}

SlCloudCall *
sl_cloud_call_ref(SlCloudCall *call)
{
  g_atomic_int_inc(&call->refs);
  return call;
}

void
sl_cloud_call_unref(SlCloudCall *call)
{
  if (!g_atomic_int_dec_and_test(&call->refs))
    return;
  g_mutex_clear(&call->lock);
  g_cond_clear(&call->cond);
  g_clear_error(&call->error);
  if (call->data_free)
    call->data_free(call->data);
  g_free(call);
}

gpointer
sl_cloud_call_owner(SlCloudCall *call)
{
  return call->owner;
}

gint64
sl_cloud_call_id(SlCloudCall *call)
{
  return call->id;
}

gpointer
sl_cloud_call_data(SlCloudCall *call)
{
  return call->data;
}

void
sl_cloud_call_complete(SlCloudCall *call, const GError *error)
{
  g_mutex_lock(&call->lock);
  if (!call->done) {
    call->done = TRUE;
    if (error)
      call->error = g_error_copy(error);
    g_cond_broadcast(&call->cond);
  }
  g_mutex_unlock(&call->lock);
}

gboolean
sl_cloud_call_is_done(SlCloudCall *call)
{
  g_mutex_lock(&call->lock);
  gboolean done = call->done;
  g_mutex_unlock(&call->lock);
  return done;
}

static gboolean
wake(gpointer data)
{
  (void)data;
  return G_SOURCE_REMOVE;
}

gboolean
sl_cloud_call_run(GMainContext *ctx, GSourceFunc fn, SlCloudCall *call, GError **error)
{
  gint64 deadline = g_get_monotonic_time() + CALL_TIMEOUT_US;
  if (g_main_context_acquire(ctx)) {
    fn(sl_cloud_call_ref(call));
    guint tick = g_timeout_add(200, wake, NULL); /* bounds each blocking iteration */
    while (!sl_cloud_call_is_done(call) && g_get_monotonic_time() < deadline) {
      g_source_remove(tick);
      tick = g_timeout_add(200, wake, NULL);
      g_main_context_iteration(ctx, TRUE);
    }
    g_source_remove(tick);
    g_main_context_release(ctx);
  } else {
    g_main_context_invoke(ctx, fn, sl_cloud_call_ref(call));
    g_mutex_lock(&call->lock);
    while (!call->done)
      if (!g_cond_wait_until(&call->cond, &call->lock, deadline))
        break;
    g_mutex_unlock(&call->lock);
  }
  g_mutex_lock(&call->lock);
  gboolean done = call->done;
  GError *e = call->error ? g_error_copy(call->error) : NULL;
  g_mutex_unlock(&call->lock);
  if (e) {
    g_propagate_error(error, e);
    return FALSE;
  }
  if (!done)
    g_warning("vm %" G_GINT64_FORMAT ": still busy after %d s; answering now", call->id,
              (int)(CALL_TIMEOUT_US / G_USEC_PER_SEC));
  return TRUE;
}
