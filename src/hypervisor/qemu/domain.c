/* domain.c - a QEMU domain's references, events and pending operations (see domain.h). */
#include "hypervisor/qemu/domain.h"
#include "util/error.h"

SlQemuDom *
sl_qemu_dom_new(const SlHypervisorOps *ops, SlQemuHv *hv, const char *id, const char *run_dir,
                SlDomainEventFunc events, gpointer user, SlDomainDoneFunc done, gpointer done_data)
{
  SlQemuDom *d = g_new0(SlQemuDom, 1);
  d->pub.ops = ops;
  d->pub.id = g_strdup(id);
  d->pub.run_dir = g_strdup(run_dir);
  d->refs = 1;
  d->hv = hv;
  d->events = events;
  d->user = user;
  d->start_done = done;
  d->start_data = done_data;
  d->unplugs =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)sl_qemu_op_free);
  g_queue_init(&d->sent);
  return d;
}

SlQemuDom *
sl_qemu_dom_ref(SlQemuDom *d)
{
  d->refs++;
  return d;
}

void
sl_qemu_dom_unref(SlQemuDom *d)
{
  if (--d->refs > 0)
    return;
  g_free(d->pub.id);
  g_free(d->pub.run_dir);
  g_hash_table_unref(d->unplugs); /* empty: every op held a reference */
  g_free(d);
}

void
sl_qemu_dom_emit(SlQemuDom *d, SlDomainEventKind kind, const char *reason, const char *device)
{
  if (d->freed || !d->events)
    return;
  SlDomainEvent ev = {.kind = kind, .reason = reason, .device = device};
  d->events(&d->pub, &ev, d->user);
}

void
sl_qemu_dom_drop_ops(SlQemuDom *d)
{
  d->freed = TRUE;
  sl_qemu_dom_ref(d);
  while (!g_queue_is_empty(&d->sent))
    sl_qemu_op_free(g_queue_pop_head_link(&d->sent)->data);
  g_slist_free_full(g_steal_pointer(&d->destroy_waiters), (GDestroyNotify)sl_qemu_op_free);
  g_hash_table_remove_all(d->unplugs);
  sl_qemu_dom_unref(d);
}

/* ---- pending operations ---- */

SlQemuOp *
sl_qemu_op_new(SlQemuDom *d, SlDomainDoneFunc done, gpointer data)
{
  SlQemuOp *op = g_new0(SlQemuOp, 1);
  op->d = sl_qemu_dom_ref(d);
  op->cb.done = done;
  op->data = data;
  op->link.data = op;
  return op;
}

void
sl_qemu_op_free(SlQemuOp *op)
{
  g_free(op->id);
  json_decref(op->args);
  g_clear_error(&op->error);
  sl_qemu_dom_unref(op->d);
  g_free(op);
}

void
sl_qemu_op_notify(SlQemuOp *op, const GError *error)
{
  SlDomainDoneFunc done = op->cb.done;
  op->cb.done = NULL;
  if (done && !op->d->freed)
    done(&op->d->pub, error, op->data);
}

void
sl_qemu_op_done(SlQemuOp *op, const GError *error)
{
  sl_qemu_op_notify(op, error);
  sl_qemu_op_free(op);
}

/* The default step: the reply's (or idle answer's) error is the answer. */
static void
op_finish(SlQemuOp *op, json_t *reply, const GError *error)
{
  (void)reply;
  sl_qemu_op_done(op, error);
}

void
sl_qemu_op_forget(SlQemuOp *op, json_t *reply, const GError *error)
{
  (void)reply;
  (void)error;
  sl_qemu_op_free(op);
}

static void
op_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  SlQemuOp *op = data;
  g_queue_unlink(&op->d->sent, &op->link);
  op->step(op, reply, error);
}

void
sl_qemu_op_send(SlQemuOp *op, const char *command, json_t *args, SlQemuOpStep step)
{
  op->step = step ? step : op_finish;
  g_queue_push_tail_link(&op->d->sent, &op->link);
  sl_qmp_execute(op->d->qmp, command, args, op_reply, op);
}

static gboolean
op_idle(gpointer p)
{
  SlQemuOp *op = p;
  g_autoptr(GError) error = g_steal_pointer(&op->error);
  op->step(op, NULL, error);
  return G_SOURCE_REMOVE;
}

void
sl_qemu_op_later(SlQemuOp *op, SlQemuOpStep step, GError *error)
{
  op->step = step ? step : op_finish;
  op->error = error;
  g_idle_add(op_idle, op);
}

gboolean
sl_qemu_op_check_alive(SlQemuOp *op)
{
  SlQemuDom *d = op->d;
  if (!d->finished && d->qmp && sl_qmp_is_ready(d->qmp))
    return TRUE;
  sl_qemu_op_later(op, NULL,
                   g_error_new(SL_ERROR, SL_ERROR_CONFLICT,
                               "vm %s: qemu is not running or not ready", d->pub.id));
  return FALSE;
}
