/* call.h - a call from a REST worker thread into the daemon's main context
 * (cloud.h's threading model).
 *
 * sl_cloud_call_run() hands fn(call) to the main context and waits until
 * somebody completes the call (at most 30 s: then it answers TRUE while the
 * operation goes on, and sl_cloud_call_is_done() tells). From a thread that
 * can own the main context (tests, start-up), fn runs in place and the
 * context is iterated meanwhile. fn receives its own reference. A call
 * carries an owner, an id and data (freed with the last reference).
 */
#pragma once
#include <glib.h>

typedef struct SlCloudCall SlCloudCall;

SlCloudCall *sl_cloud_call_new(gpointer owner, gint64 id, gpointer data, GDestroyNotify free);
SlCloudCall *sl_cloud_call_ref(SlCloudCall *call);
void sl_cloud_call_unref(SlCloudCall *call);
gpointer sl_cloud_call_owner(SlCloudCall *call);
gint64 sl_cloud_call_id(SlCloudCall *call);
gpointer sl_cloud_call_data(SlCloudCall *call);
/* The first completion wins; error is copied. Any thread. */
void sl_cloud_call_complete(SlCloudCall *call, const GError *error);
gboolean sl_cloud_call_is_done(SlCloudCall *call);
/* FALSE with the completion's error. */
gboolean sl_cloud_call_run(GMainContext *ctx, GSourceFunc fn, SlCloudCall *call, GError **error);
