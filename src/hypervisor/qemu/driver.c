/* driver.c - the QEMU driver's table: start, adopt, events, powerdown, destroy, status.
 *
 * Built on the files below it: argv.c (the command line), process.c (the -daemonize'd
 * process, its pidfd), qmp.c (the monitor), events.c (QMP events as domain events),
 * domain.c (state and pending operations), hotplug.c (disks); kvm.c picks the
 * accelerator once. EXITED/CRASHED is reported only once both the pidfd fired and QMP
 * reached EOF: the SHUTDOWN event may still sit unread in the socket when the pidfd
 * fires, and reading to EOF first is what makes "clean or crash" reliable.
 */
#include "hypervisor/qemu/argv.h"
#include "hypervisor/qemu/domain.h"
#include "hypervisor/qemu/events.h"
#include "hypervisor/qemu/hotplug.h"
#include "hypervisor/qemu/kvm.h"
#include "hypervisor/qemu/process.h"
#include "hypervisor/qemu/qmp.h"
#include "util/error.h"

#include <signal.h>

struct SlQemuHv {
  SlHypervisor pub;
  char *qemu;
  SlAccel accel;
};

static const SlHypervisorOps qemu_ops;

static void
send_signal(SlQemuDom *d, int sig)
{
  if (d->proc && !d->gone)
    sl_qemu_process_signal(d->proc, sig);
}

/* The destroy() calls waiting for the exit: answered, in order. */
static void
answer_destroy_waiters(SlQemuDom *d)
{
  GSList *w = g_steal_pointer(&d->destroy_waiters);
  for (GSList *l = w; l; l = l->next)
    sl_qemu_op_done(l->data, NULL);
  g_slist_free(w);
}

/* The process is gone and QMP said all it had to say: final event, then destroy waiters. */
static void
maybe_finish(SlQemuDom *d)
{
  if (d->finished || !d->gone || d->qmp_open)
    return;
  d->finished = TRUE;
  g_clear_handle_id(&d->kill_timer, g_source_remove);
  sl_qemu_dom_ref(d);
  gboolean clean = d->saw_shutdown || d->destroying;
  g_message("vm %s: qemu %d %s", d->pub.id, d->pub.pid, clean ? "exited" : "crashed");
  sl_qemu_dom_emit(d, clean ? SL_DOMAIN_EVENT_EXITED : SL_DOMAIN_EVENT_CRASHED, NULL, NULL);
  answer_destroy_waiters(d);
  if (!d->freed && d->start_done) { /* died before QMP was ready */
    g_autoptr(GError) e = g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "qemu exited during start");
    SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
    f(&d->pub, e, d->start_data);
  }
  sl_qemu_dom_unref(d);
}

static void
process_exited(gpointer data)
{
  SlQemuDom *d = data;
  d->gone = TRUE;
  maybe_finish(d);
}

/* ---- QMP ---- */

static void
on_qmp_event(SlQmp *q, const char *name, json_t *data, gpointer user)
{
  (void)q;
  SlQemuDom *d = user;
  SlDomainEvent ev;
  if (!sl_qemu_translate_event(name, data, &ev))
    return;
  if (ev.kind == SL_DOMAIN_EVENT_SHUTDOWN_GUEST || ev.kind == SL_DOMAIN_EVENT_SHUTDOWN_HOST)
    d->saw_shutdown = TRUE;
  sl_qemu_dom_ref(d);
  if (ev.kind == SL_DOMAIN_EVENT_DEVICE_DELETED)
    sl_qemu_hotplug_released(d, ev.device);
  sl_qemu_dom_emit(d, ev.kind, ev.reason, ev.device);
  sl_qemu_dom_unref(d);
}

static void
on_qmp_closed(SlQmp *q, const GError *error, gpointer user)
{
  (void)q;
  SlQemuDom *d = user;
  g_debug("vm %s: QMP closed%s%s", d->pub.id, error ? ": " : "", error ? error->message : "");
  d->qmp_open = FALSE;
  sl_qemu_process_poll(d->proc); /* without pidfds, the exit is looked for from now on */
  maybe_finish(d);
}

static void
on_qmp_ready(SlQmp *q, const GError *error, gpointer user)
{
  (void)q;
  SlQemuDom *d = user;
  SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
  if (error) {
    d->qmp_open = FALSE;
    if (d->destroying) {
      g_debug("vm %s: QMP gone while destroying", d->pub.id);
    } else if (d->starting) {
      g_warning("vm %s: %s; killing qemu %d", d->pub.id, error->message, d->pub.pid);
      d->destroying = TRUE;
      send_signal(d, SIGKILL);
    } else {
      g_warning("vm %s: %s; qemu %d left running", d->pub.id, error->message, d->pub.pid);
    }
  }
  if (f)
    f(&d->pub, error, d->start_data);
  if (error)
    maybe_finish(d);
}

/* Watch pid and connect QMP; start_done fires when QMP is ready. */
static gboolean
attach_process(SlQemuDom *d, int pid, GError **error)
{
  d->pub.pid = pid;
  d->proc = sl_qemu_process_watch(pid, d->pub.run_dir, process_exited, d, error);
  if (!d->proc)
    return FALSE;
  d->qmp = sl_qmp_new(on_qmp_event, on_qmp_closed, d);
  d->qmp_open = TRUE;
  g_autofree char *sock = g_build_filename(d->pub.run_dir, "qmp.sock", NULL);
  sl_qmp_connect(d->qmp, sock, on_qmp_ready, d);
  return TRUE;
}

/* ---- start / adopt ---- */

static void
started(int pid, const GError *start_error, gpointer data)
{
  SlQemuDom *d = data;
  d->spawning = FALSE;
  if (d->freed) {
    sl_qemu_dom_unref(d);
    return;
  }
  g_autoptr(GError) error = start_error ? g_error_copy(start_error) : NULL;
  if (!error)
    attach_process(d, pid, &error);
  if (error) {
    g_warning("vm %s: %s", d->pub.id, error->message);
    SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
    if (f)
      f(&d->pub, error, d->start_data);
    d->finished = TRUE; /* nothing runs: complete destroy requests made meanwhile */
    answer_destroy_waiters(d);
  } else {
    g_message("vm %s: qemu %d started (%s)", d->pub.id, pid, sl_accel_name(d->hv->accel));
    if (d->destroying) /* destroy() came while it was starting */
      send_signal(d, SIGKILL);
  }
  sl_qemu_dom_unref(d);
}

static SlDomain *
qemu_start(SlHypervisor *hv, const SlVmSpec *spec, SlDomainEventFunc events, gpointer user,
           SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  SlQemuHv *h = (SlQemuHv *)hv;
  g_auto(GStrv) argv = sl_qemu_build_argv(h->qemu, h->accel, spec, error);
  if (!argv)
    return NULL;
  SlQemuDom *d =
      sl_qemu_dom_new(&qemu_ops, h, spec->id, spec->run_dir, events, user, done, done_data);
  if (!sl_qemu_process_start((const char *const *)argv, spec->run_dir, started, d, error)) {
    sl_qemu_dom_unref(d);
    return NULL;
  }
  sl_qemu_dom_ref(d); /* dropped by started() */
  d->starting = TRUE;
  d->spawning = TRUE;
  return &d->pub;
}

static SlDomain *
qemu_adopt(SlHypervisor *hv, const char *id, const char *run_dir, SlDomainEventFunc events,
           gpointer user, SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  int pid = sl_qemu_process_find(run_dir);
  if (!pid) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no live qemu for %s", run_dir);
    return NULL;
  }
  SlQemuDom *d =
      sl_qemu_dom_new(&qemu_ops, (SlQemuHv *)hv, id, run_dir, events, user, done, done_data);
  if (!attach_process(d, pid, error)) {
    sl_qemu_dom_unref(d);
    return NULL;
  }
  g_message("vm %s: adopted qemu %d", id, pid);
  return &d->pub;
}

/* ---- operations ---- */

static void
qemu_powerdown(SlDomain *dom, SlDomainDoneFunc done, gpointer data)
{
  SlQemuOp *op = sl_qemu_op_new((SlQemuDom *)dom, done, data);
  if (sl_qemu_op_check_alive(op))
    sl_qemu_op_send(op, "system_powerdown", NULL, NULL);
}

static gboolean
kill_timeout(gpointer data)
{
  SlQemuDom *d = data;
  d->kill_timer = 0;
  g_warning("vm %s: qemu %d did not quit in time, SIGKILL", d->pub.id, d->pub.pid);
  send_signal(d, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
qemu_destroy(SlDomain *dom, guint timeout_ms, SlDomainDoneFunc done, gpointer data)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  SlQemuOp *op = sl_qemu_op_new(d, done, data);
  if (d->finished || (!d->pub.pid && !d->spawning)) {
    sl_qemu_op_later(op, NULL, NULL);
    return;
  }
  d->destroy_waiters = g_slist_append(d->destroy_waiters, op);
  if (d->destroying || d->spawning) { /* started() kills it once it has a pid */
    d->destroying = TRUE;
    return;
  }
  d->destroying = TRUE;
  if (d->qmp && sl_qmp_is_ready(d->qmp))
    sl_qmp_execute(d->qmp, "quit", NULL, NULL, NULL);
  else
    send_signal(d, SIGTERM);
  d->kill_timer = g_timeout_add(timeout_ms, kill_timeout, d);
}

static void
status_reply(SlQemuOp *op, json_t *reply, const GError *error)
{
  const char *status = json_string_value(json_object_get(reply, "status"));
  if (!op->d->freed)
    op->cb.status(&op->d->pub, error ? NULL : (status ? status : "unknown"), error, op->data);
  sl_qemu_op_free(op);
}

static void
qemu_query_status(SlDomain *dom, SlDomainStatusFunc done, gpointer data)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  SlQemuOp *op = sl_qemu_op_new(d, NULL, data);
  op->cb.status = done;
  if (d->qmp) { /* a closed connection answers with an error, asynchronously */
    sl_qemu_op_send(op, "query-status", NULL, status_reply);
    return;
  }
  sl_qemu_op_later(
      op, status_reply,
      g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running yet", d->pub.id));
}

static void
qemu_domain_free(SlDomain *dom)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  d->freed = TRUE;
  g_clear_handle_id(&d->kill_timer, g_source_remove);
  g_clear_pointer(&d->proc, sl_qemu_process_free);
  g_clear_pointer(&d->qmp, sl_qmp_free);
  sl_qemu_dom_drop_ops(d);
  sl_qemu_dom_unref(d);
}

static void
qemu_hv_free(SlHypervisor *hv)
{
  SlQemuHv *h = (SlQemuHv *)hv;
  g_free(h->qemu);
  g_free(h);
}

static const SlHypervisorOps qemu_ops = {
    .name = "qemu",
    .start = qemu_start,
    .adopt = qemu_adopt,
    .powerdown = qemu_powerdown,
    .destroy = qemu_destroy,
    .attach_disk = sl_qemu_hotplug_attach,
    .detach_disk = sl_qemu_hotplug_detach,
    .query_status = qemu_query_status,
    .list_disks = sl_qemu_hotplug_list,
    .domain_free = qemu_domain_free,
    .free = qemu_hv_free,
};

SlHypervisor *
sl_hypervisor_qemu_new(const char *qemu_binary, const char *state_dir, GError **error)
{
  const char *bin = qemu_binary ? qemu_binary : g_getenv("SL_QEMU");
  g_autofree char *path = g_find_program_in_path(bin && *bin ? bin : "qemu-system-x86_64");
  if (!path) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "%s not found",
                bin && *bin ? bin : "qemu-system-x86_64");
    return NULL;
  }
  SlQemuHv *h = g_new0(SlQemuHv, 1);
  h->pub.ops = &qemu_ops;
  h->qemu = g_steal_pointer(&path);
  g_autofree char *cache = state_dir ? g_build_filename(state_dir, "kvm-probe", NULL) : NULL;
  h->accel = sl_accel_select(h->qemu, cache, NULL);
  return &h->pub;
}
