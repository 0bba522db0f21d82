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
#include "cloud/cloud-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "cloud/prolog.h"
#include "util/error.h"

/* ---- helpers ------------------------------------------------------------- */

char *
sl_cloud_run_dir(SlCloud *c, gint64 id)
{
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, id);
  return g_build_filename(c->vms_dir, name, NULL);
}

void
sl_cloud_rm_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *p = g_build_filename(path, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
      sl_cloud_rm_tree(p);
    else if (g_unlink(p) != 0 && errno != ENOENT)
      g_warning("cannot remove %s: %s", p, g_strerror(errno));
  }
  if (g_rmdir(path) != 0 && errno != ENOENT)
    g_warning("cannot remove %s: %s", path, g_strerror(errno));
}

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

static Vm *
vm_ref(Vm *vm)
{
  vm->refs++;
  return vm;
}

void
sl_cloud_vm_unref(Vm *vm)
{
  if (--vm->refs > 0)
    return;
  g_clear_handle_id(&vm->timer, g_source_remove);
  g_clear_pointer(&vm->dom, sl_domain_free);
  g_clear_pointer(&vm->row, sl_vm_free);
  g_free(vm->run_dir);
  g_slist_free_full(vm->waiters, (GDestroyNotify)sl_cloud_call_unref);
  g_free(vm);
}

Vm *
sl_cloud_vm_new(SlCloud *c, gint64 id, SlVmState state)
{
  Vm *vm = g_new0(Vm, 1);
  vm->cloud = c;
  vm->refs = 1; /* the table's */
  vm->id = id;
  vm->state = state;
  gint64 *key = g_new(gint64, 1);
  *key = id;
  g_hash_table_replace(c->vms, key, vm);
  return vm;
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
  g_idle_add(drop_vm, vm_ref(vm));
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
cleanup(Vm *vm)
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
sl_cloud_vm_cleanup(Vm *vm)
{
  cleanup(vm);
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
  cleanup(vm);
}

/* ---- events -------------------------------------------------------------- */

static void
epilog(Vm *vm, const char *why)
{
  g_message("vm %" G_GINT64_FORMAT ": %s", vm->id, why);
  set_state(vm, SL_VM_EPILOG, NULL);
  if (sl_cloud_save_begin(vm)) /* --save: the save finishes the VM (save.c) */
    return;
  sl_cloud_vm_finish(vm, SL_VM_DONE, NULL);
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
  g_clear_pointer(&vm->row, sl_vm_free);
  g_clear_pointer(&vm->run_dir, g_free);
}

static void
run_step(Vm *vm)
{
  const SlCloudStep *st = &prolog_steps[vm->step];
  g_debug("vm %" G_GINT64_FORMAT ": Prolog step %s", vm->id, st->name);
  vm->busy = !st->detached;
  vm_ref(vm); /* until the step is done */
  st->run(&vm->run);
}

/* run->done of every step: the next one, or Failed with the step's error. */
static void
step_done(SlStepRun *run, const GError *error)
{
  Vm *vm = run->data;
  const SlCloudStep *st = &prolog_steps[vm->step];
  if (!st->detached)
    vm->busy = FALSE;
  if (!vm->cloud) {         /* the cloud is gone: leave everything to the next start */
  } else if (vm->cleanup) { /* killed meanwhile */
    prolog_end(vm);
    if (!st->detached) /* the clean-up waited for this step */
      cleanup(vm);
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
  vm->run_dir = sl_cloud_run_dir(c, id);
  if (g_mkdir_with_parents(vm->run_dir, 0700) != 0) {
    prolog_fail(vm, "cannot create %s: %s", vm->run_dir, g_strerror(errno));
    prolog_end(vm);
    return;
  }
  vm->row = g_steal_pointer(&row);
  vm->run = (SlStepRun){
      .config = &c->prolog, .row = vm->row, .run_dir = vm->run_dir, .done = step_done, .data = vm};
  vm->step = 0;
  run_step(vm);
}
