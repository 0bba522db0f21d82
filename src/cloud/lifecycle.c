/* lifecycle.c - the state machine of one VM (main context only).
 *
 *   Pending -> Prolog (run dir: qcow2 overlay on the cached image, swap,
 *   volatile disk, context ISO) -> Boot (driver start) -> Running
 *   Running --power button--> Shutdown --guest off--> Epilog -> Done
 *   Shutdown --timeout--> Epilog (hard stop) -> Done
 *   Running --guest off by itself--> Unknown (held until kill)
 *   any --kill--> Done; process crash / Prolog or Boot error --> Failed
 *
 * Every transition is written to the store before its side effect. Reaching
 * Done or Failed starts the clean-up (sl_cloud_vm_finish): destroy the
 * process, remove the run dir, release the address (that order: a row in
 * Done/Failed with an address is "clean-up pending" for recovery).
 */
#include "cloud/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "cloud/call.h"
#include "cloud/disks.h"
#include "cloud/epilog.h"
#include "cloud/prolog.h"
#include "util/error.h"

/* ---- helpers ------------------------------------------------------------- */

/* One line: newlines become "; ", surrounding blanks go. */
static char *
one_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
  g_autoptr(GString) s = g_string_new(NULL);
  for (char **l = lines; *l; l++) {
    g_strstrip(*l);
    if (**l)
      g_string_append_printf(s, "%s%s", s->len ? "; " : "", *l);
  }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Writes the new state; FALSE (logged) if the store refused. */
static gboolean
set_state(Vm *vm, SlVmState state, const char *reason)
{
  vm->state = state;
  if (vm->orphan)
    return TRUE;
  g_autoptr(GError) error = NULL;
  if (!sl_store_vm_set_state(vm->cloud->store, vm->id, state, reason, &error)) {
    g_warning("vm %" G_GINT64_FORMAT ": cannot record state %s: %s", vm->id,
              sl_vm_state_to_string(state), error->message);
    return FALSE;
  }
  g_message("vm %" G_GINT64_FORMAT ": %s%s%s", vm->id, sl_vm_state_to_string(state),
            reason ? ": " : "", reason ? reason : "");
  return TRUE;
}

/* ---- clean-up ------------------------------------------------------------ */

static gboolean
drop_vm(gpointer data)
{
  Vm *vm = data;
  SlCloud *c = vm->cloud;
  if (c && g_hash_table_lookup(c->vms, &vm->id) == vm)
    g_hash_table_remove(c->vms, &vm->id); /* unrefs */
  sl_cloud_vm_unref(vm);
  return G_SOURCE_REMOVE;
}

/* The process is gone: files, then the address, then the waiters. */
static void
cleanup_files(Vm *vm)
{
  SlCloud *c = vm->cloud;
  g_autofree char *run = sl_cloud_run_dir(c, vm->id);
  sl_cloud_rm_tree(run);
  g_autofree char *vm_id = g_strdup_printf("%" G_GINT64_FORMAT, vm->id);
  for (guint i = 0; i < c->nets->len; i++) { /* the tap, before the address is free again */
    SlNetwork *n = c->nets->pdata[i];
    n->ops->release(n, vm_id, 0);
  }
  if (!vm->orphan) {
    sl_cloud_disks_release(c, vm->id);
    g_autoptr(GError) error = NULL;
    if (!sl_store_vm_release_ip(c->store, vm->id, &error))
      g_warning("vm %" G_GINT64_FORMAT ": cannot release the address: %s", vm->id, error->message);
  }
  g_mutex_lock(&c->cpu_lock);
  g_hash_table_remove(c->cpu, &vm->id);
  g_mutex_unlock(&c->cpu_lock);
  vm->cleaned = TRUE;
  GSList *w = g_steal_pointer(&vm->waiters);
  for (GSList *l = w; l; l = l->next)
    sl_cloud_call_complete(l->data, NULL);
  g_slist_free_full(w, (GDestroyNotify)sl_cloud_call_unref);
  /* leave the domain's callback before freeing it */
  g_idle_add(drop_vm, sl_cloud_vm_ref(vm));
}

static void
destroyed(SlDomain *dom, const GError *error, gpointer data)
{
  (void)dom;
  Vm *vm = data;
  if (error)
    g_warning("vm %" G_GINT64_FORMAT ": destroy: %s", vm->id, error->message);
  vm->dom_gone = TRUE;
  cleanup_files(vm);
}

static void
clean_up(Vm *vm)
{
  g_clear_handle_id(&vm->timer, g_source_remove);
  if (vm->busy) /* the Prolog step in flight calls us back when it ends */
    return;
  if (vm->dom && !vm->dom_gone) {
    if (!vm->destroying) {
      vm->destroying = TRUE;
      vm->dom->ops->destroy(vm->dom, SL_CLOUD_KILL_TIMEOUT_MS, destroyed, vm);
    }
    return;
  }
  cleanup_files(vm);
}

void
sl_cloud_vm_finish(Vm *vm, SlVmState state, const char *reason)
{
  g_autofree char *line = reason ? one_line(reason) : NULL;
  if (vm->state != state || line)
    set_state(vm, state, line);
  if (vm->cleanup)
    return;
  vm->cleanup = TRUE;
  clean_up(vm);
}

/* ---- events -------------------------------------------------------------- */

/* The save (the Epilog's steps) has ended. */
static void
saved(Vm *vm, SlVmState state, const char *reason)
{
  if (vm->cleanup) /* killed meanwhile: Done is written, finish the clean-up */
    clean_up(vm);
  else
    sl_cloud_vm_finish(vm, state, reason);
}

void
sl_cloud_vm_resume_epilog(Vm *vm)
{
  if (!sl_cloud_save_begin(vm, saved)) /* --save: the save finishes the VM (save.c) */
    sl_cloud_vm_finish(vm, SL_VM_DONE, NULL);
}

static void
epilog(Vm *vm, const char *why)
{
  g_message("vm %" G_GINT64_FORMAT ": %s", vm->id, why);
  set_state(vm, SL_VM_EPILOG, NULL);
  sl_cloud_vm_resume_epilog(vm);
}

static void
on_event(SlDomain *dom, const SlDomainEvent *ev, gpointer data)
{
  (void)dom;
  Vm *vm = data;
  if (!vm->cloud)
    return;
  switch (ev->kind) {
  case SL_DOMAIN_EVENT_SHUTDOWN_GUEST:
    if (vm->cleanup)
      break;
    if (vm->state == SL_VM_SHUTDOWN)
      epilog(vm, "guest powered off after the power button");
    else if (vm->state == SL_VM_RUNNING || vm->state == SL_VM_BOOT)
      set_state(vm, SL_VM_UNKNOWN, "the guest powered itself off");
    break;
  case SL_DOMAIN_EVENT_DEVICE_DELETED:
    sl_cloud_disks_device_deleted(vm, ev->device);
    break;
  case SL_DOMAIN_EVENT_EXITED:
  case SL_DOMAIN_EVENT_CRASHED:
    vm->dom_gone = TRUE;
    if (vm->destroying || vm->cleanup)
      break;
    sl_cloud_vm_finish(vm, SL_VM_FAILED,
                       ev->kind == SL_DOMAIN_EVENT_CRASHED
                           ? "hypervisor process crashed or was killed"
                           : "hypervisor process exited unexpectedly");
    break;
  default:
    break;
  }
}

static gboolean
shutdown_timeout(gpointer data)
{
  Vm *vm = data;
  vm->timer = 0;
  if (vm->state == SL_VM_SHUTDOWN && !vm->cleanup)
    epilog(vm, "guest did not power off in time: hard stop");
  return G_SOURCE_REMOVE;
}

void
sl_cloud_vm_arm_timeout(Vm *vm, guint seconds)
{
  g_clear_handle_id(&vm->timer, g_source_remove);
  vm->timer = g_timeout_add_seconds(MAX(seconds, 1), shutdown_timeout, vm);
}

static void
powerdown_sent(SlDomain *dom, const GError *error, gpointer data)
{
  (void)dom;
  Vm *vm = data;
  if (error) /* the timeout will stop it */
    g_warning("vm %" G_GINT64_FORMAT ": power button: %s", vm->id, error->message);
}

gboolean
sl_cloud_vm_powerdown(Vm *vm, GError **error)
{
  if (vm->state != SL_VM_RUNNING || vm->cleanup || !vm->dom) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "VM %" G_GINT64_FORMAT " is not running (%s)",
                vm->id, sl_vm_state_to_string(vm->state));
    return FALSE;
  }
  if (!set_state(vm, SL_VM_SHUTDOWN, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot record the Shutdown state");
    return FALSE;
  }
  vm->dom->ops->powerdown(vm->dom, powerdown_sent, vm);
  sl_cloud_vm_arm_timeout(vm, vm->cloud->shutdown_timeout_s);
  return TRUE;
}

/* ---- adopt (recovery) ---------------------------------------------------- */

static void
adopted_status(SlDomain *dom, const char *status, const GError *error, gpointer data)
{
  (void)dom;
  Vm *vm = data;
  if (error || vm->cleanup)
    return;
  if (g_strcmp0(status, "shutdown") != 0)
    return;
  if (vm->state == SL_VM_SHUTDOWN)
    epilog(vm, "guest powered off while the daemon was down");
  else if (vm->state == SL_VM_RUNNING)
    set_state(vm, SL_VM_UNKNOWN, "the guest powered itself off");
}

static void
adopted(SlDomain *dom, const GError *error, gpointer data)
{
  Vm *vm = data;
  if (vm->cleanup)
    return;
  if (error) {
    g_autofree char *msg =
        g_strdup_printf("cannot reconnect to the hypervisor: %s", error->message);
    sl_cloud_vm_finish(vm, SL_VM_FAILED, msg);
    return;
  }
  dom->ops->query_status(dom, adopted_status, vm);
  sl_cloud_disks_reconcile(vm);
}

void
sl_cloud_vm_adopt(Vm *vm, gboolean query)
{
  SlCloud *c = vm->cloud;
  g_autofree char *run = sl_cloud_run_dir(c, vm->id);
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, vm->id);
  g_autoptr(GError) error = NULL;
  vm->dom = c->hv->ops->adopt(c->hv, id, run, on_event, vm, query ? adopted : NULL, vm, &error);
  if (!vm->dom)
    g_debug("vm %s: nothing to adopt: %s", id, error->message);
}

/* ---- Prolog and Boot: the step driver ---------------------------------------- */

static void prolog_fail(Vm *vm, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
prolog_fail(Vm *vm, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  sl_cloud_vm_finish(vm, SL_VM_FAILED, msg);
}

static SlVm *
load_row(Vm *vm)
{
  g_autoptr(GError) error = NULL;
  SlVm *row = sl_store_vm_get(vm->cloud->store, vm->id, &error);
  if (!row)
    g_warning("vm %" G_GINT64_FORMAT ": %s", vm->id, error->message);
  return row;
}

/* Prolog, one step after the other (prolog.h), then Boot. */
static void step_boot(SlStepRun *run);

/* One VM's Prolog: what the steps see, and what the driver owns. */
typedef struct {
  SlStepRun run; /* first: the steps' view */
  SlVm *row;
  char *run_dir;
} Prolog;

static const SlCloudStep prolog_steps[] = {
    {"fetch", TRUE, sl_cloud_prolog_fetch},
    {"overlay", FALSE, sl_cloud_prolog_overlay},
    {"pause", FALSE, sl_cloud_prolog_pause},
    {"swap", FALSE, sl_cloud_prolog_swap},
    {"volatile", FALSE, sl_cloud_prolog_volatile},
    {"context", FALSE, sl_cloud_prolog_context},
    {"boot", FALSE, step_boot},
};

/* The Prolog is over (Boot asked, or failed): drop what it held. */
static void
prolog_end(Vm *vm)
{
  Prolog *p = (Prolog *)g_steal_pointer(&vm->run);
  if (!p)
    return;
  sl_vm_free(p->row);
  g_free(p->run_dir);
  g_free(p);
}

static void
run_step(Vm *vm)
{
  const SlCloudStep *st = &prolog_steps[vm->step];
  g_debug("vm %" G_GINT64_FORMAT ": Prolog step %s", vm->id, st->name);
  vm->busy = !st->no_wait;
  sl_cloud_vm_ref(vm); /* until the step is done */
  st->run(vm->run);
}

/* run->done of every step: the next one, or Failed with the step's error. */
static void
step_done(SlStepRun *run, const GError *error)
{
  Vm *vm = run->data;
  const SlCloudStep *st = &prolog_steps[vm->step];
  if (!st->no_wait)
    vm->busy = FALSE;
  if (!vm->cloud) { /* the cloud is gone: leave everything to the next start */
    prolog_end(vm);
  } else if (vm->cleanup) { /* killed meanwhile */
    prolog_end(vm);
    if (!st->no_wait) /* the clean-up waited for this step */
      clean_up(vm);
  } else if (error) {
    prolog_end(vm);
    sl_cloud_vm_finish(vm, SL_VM_FAILED, error->message);
  } else if (++vm->step < G_N_ELEMENTS(prolog_steps)) {
    run_step(vm);
  } else {
    prolog_end(vm);
  }
  sl_cloud_vm_unref(vm);
}

static void
started(SlDomain *dom, const GError *error, gpointer data)
{
  (void)dom;
  Vm *vm = data;
  if (vm->cleanup)
    return;
  if (error) {
    sl_cloud_vm_finish(vm, SL_VM_FAILED, error->message);
    return;
  }
  if (vm->state == SL_VM_BOOT)
    set_state(vm, SL_VM_RUNNING, NULL);
}

/* The last step: the hypervisor starts the VM the steps made. */
static void
step_boot(SlStepRun *run)
{
  Vm *vm = run->data;
  SlCloud *c = vm->cloud;
  g_autoptr(GError) error = NULL;
  if (!set_state(vm, SL_VM_BOOT, NULL)) {
    g_set_error_literal(&error, SL_ERROR, SL_ERROR_INTERNAL, "cannot record the Boot state");
    run->done(run, error);
    return;
  }
  g_autoptr(SlVmSpec) s = sl_cloud_prolog_spec(run, &error);
  if (s)
    vm->dom = c->hv->ops->start(c->hv, s, on_event, vm, started, vm, &error);
  run->done(run, vm->dom ? NULL : error);
}

void
sl_cloud_vm_start(SlCloud *c, gint64 id)
{
  Vm *vm = sl_cloud_vm_new(c, id, SL_VM_PENDING);
  g_autoptr(SlVm) row = load_row(vm); /* the one read of the row and its definition */
  if (!row) {
    g_hash_table_remove(c->vms, &id);
    return;
  }
  vm->state = row->state;
  if (row->state != SL_VM_PENDING) { /* killed before we got here */
    sl_cloud_vm_finish(vm, row->state, NULL);
    return;
  }
  if (!set_state(vm, SL_VM_PROLOG, NULL)) {
    prolog_fail(vm, "cannot record the Prolog state");
    return;
  }
  g_autofree char *run_dir = sl_cloud_run_dir(c, id);
  if (g_mkdir_with_parents(run_dir, 0700) != 0) {
    prolog_fail(vm, "cannot create %s: %s", run_dir, g_strerror(errno));
    return;
  }
  Prolog *p = g_new0(Prolog, 1);
  p->row = g_steal_pointer(&row);
  p->run_dir = g_steal_pointer(&run_dir);
  p->run = (SlStepRun){
      .config = c->prolog, .row = p->row, .run_dir = p->run_dir, .done = step_done, .data = vm};
  vm->run = &p->run;
  vm->step = 0;
  run_step(vm);
}
