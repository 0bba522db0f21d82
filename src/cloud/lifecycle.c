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

#include "context/cloudinit.h"
#include "context/context.h"
#include "util/error.h"

#define OVERLAY "disk.qcow2"
#define SWAP "swap.img"
#define VOLATILE "volatile.img"
#define CONTEXT "context.iso"
#define CLOUD_INIT "cloud-init.img" /* _CLOUD_INIT VFAT disk (docs/context.md) */

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

/* ---- Prolog and Boot ------------------------------------------------------ */

typedef void (*StepNext)(Vm *vm);

typedef struct {
  Vm *vm;
  StepNext next;
  const char *what;
} Step;

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

/* The VM may have been killed (or the cloud freed) while a step ran. */
static gboolean
still_wanted(Vm *vm)
{
  if (!vm->cloud)
    return FALSE;
  if (vm->cleanup) {
    cleanup(vm);
    return FALSE;
  }
  return TRUE;
}

static void
step_done(GObject *src, GAsyncResult *res, gpointer data)
{
  Step *st = data;
  Vm *vm = st->vm;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *proc = G_SUBPROCESS(src);
  g_subprocess_communicate_utf8_finish(proc, res, NULL, &err_text, &error);
  vm->busy = FALSE;
  if (still_wanted(vm)) {
    if (!error && !g_subprocess_get_successful(proc))
      prolog_fail(vm, "%s failed: %s", st->what,
                  err_text && *err_text ? err_text : "non-zero exit status");
    else if (error)
      prolog_fail(vm, "%s failed: %s", st->what, error->message);
    else
      st->next(vm);
  }
  sl_cloud_vm_unref(vm);
  g_free(st);
}

static void
run_step(Vm *vm, const char *what, const char *const *argv, StepNext next)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_newv(
      argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (!proc) {
    prolog_fail(vm, "%s failed: %s", what, error->message);
    return;
  }
  Step *st = g_new0(Step, 1);
  st->vm = vm_ref(vm);
  st->next = next;
  st->what = what;
  vm->busy = TRUE;
  g_subprocess_communicate_utf8_async(proc, NULL, NULL, step_done, st);
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

static gboolean
make_sparse(const char *path, guint64 bytes, GError **error)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", path, g_strerror(e));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

/* The hostname: the VM name when it is a valid host name, else vm-<id>. */
static char *
hostname_of(const SlVm *row)
{
  gboolean ok = row->name && row->name[0] && strlen(row->name) <= 63 && row->name[0] != '-';
  for (const char *p = row->name; ok && *p; p++)
    ok = g_ascii_isalnum(*p) || *p == '-';
  return ok ? g_strdup(row->name) : g_strdup_printf("vm-%" G_GINT64_FORMAT, row->id);
}

static void boot(Vm *vm);

static void
write_context(Vm *vm)
{
  g_autoptr(SlVm) row = load_row(vm);
  if (!row) {
    prolog_fail(vm, "VM row vanished during Prolog");
    return;
  }
  const SlVmDef *def = row->def;
  g_autoptr(SlContext) ctx = sl_context_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *host = hostname_of(row);
  gboolean ok = sl_context_set(ctx, "HOSTNAME", host, &error);
  const char *key = def->public_key;
  if (ok && key && *key)
    ok = sl_context_set(ctx, "PUBLIC_KEY", key, &error);
  for (char **p = def->context; ok && p && p[0] && p[1]; p += 2)
    ok = sl_context_set(ctx, p[0], p[1], &error);
  ok = ok && sl_cloudinit_add_keys(ctx, row->ip, &error);
  g_autofree char *run = sl_cloud_run_dir(vm->cloud, vm->id);
  g_autofree char *ci = g_build_filename(run, CLOUD_INIT, NULL);
  if (ok && sl_cloudinit_enabled(ctx) && !sl_cloudinit_write_disk(ctx, ci, &error)) {
    prolog_fail(vm, "cloud-init disk: %s", error->message);
    return;
  }
  g_autofree char *iso = g_build_filename(run, CONTEXT, NULL);
  if (!ok || !sl_context_write_iso(ctx, iso, &error)) {
    prolog_fail(vm, "context CD: %s", error->message);
    return;
  }
  boot(vm);
}

static void
make_volatile(Vm *vm)
{
  g_autoptr(SlVm) row = load_row(vm);
  gint64 gib = row ? row->def->volatile_disk : 0;
  g_autofree char *run = sl_cloud_run_dir(vm->cloud, vm->id);
  g_autofree char *path = g_build_filename(run, VOLATILE, NULL);
  g_autoptr(GError) error = NULL;
  if (gib > 0 && !make_sparse(path, (guint64)gib << 30, &error)) {
    prolog_fail(vm, "volatile disk: %s", error->message);
    return;
  }
  write_context(vm);
}

static void
make_swap(Vm *vm)
{
  g_autoptr(SlVm) row = load_row(vm);
  if (!row || row->swap <= 0) {
    make_volatile(vm);
    return;
  }
  g_autofree char *run = sl_cloud_run_dir(vm->cloud, vm->id);
  g_autofree char *path = g_build_filename(run, SWAP, NULL);
  g_autoptr(GError) error = NULL;
  if (!make_sparse(path, (guint64)row->swap << 20, &error)) {
    prolog_fail(vm, "swap disk: %s", error->message);
    return;
  }
  const char *argv[] = {vm->cloud->mkswap, "-q", path, NULL};
  run_step(vm, "mkswap", argv, make_volatile);
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

static SlDiskSpec *
disk_spec(const char *id, const char *path, const char *format)
{
  SlDiskSpec *d = g_new0(SlDiskSpec, 1);
  d->id = g_strdup(id);
  d->path = g_strdup(path);
  d->format = g_strdup(format);
  d->kind = SL_DISK_DISK;
  return d;
}

static void
boot(Vm *vm)
{
  SlCloud *c = vm->cloud;
  g_autoptr(SlVm) row = load_row(vm);
  if (!row || !set_state(vm, SL_VM_BOOT, NULL)) {
    prolog_fail(vm, "cannot record the Boot state");
    return;
  }
  g_autofree char *run = sl_cloud_run_dir(c, vm->id);
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, vm->id);
  g_autoptr(SlVmSpec) s = sl_vm_spec_new(id, run);
  g_free(s->name);
  s->name = g_strdup(row->name);
  s->vcpus = (guint)MAX(row->vcpu, 1);
  s->ram_mib = (guint)MAX(row->ram, 16);
  g_free(s->root.path);
  s->root.path = g_build_filename(run, OVERLAY, NULL);
  s->context_iso = g_build_filename(run, CONTEXT, NULL);
  const SlVmDef *def = row->def;
  if (def->volatile_disk > 0) {
    g_autofree char *p = g_build_filename(run, VOLATILE, NULL);
    sl_vm_spec_add_disk(s, "volatile", p, "raw", NULL, FALSE, SL_DISK_DISK);
  }
  g_autofree char *ci = g_build_filename(run, CLOUD_INIT, NULL);
  if (g_file_test(ci, G_FILE_TEST_IS_REGULAR))
    sl_vm_spec_add_disk(s, "cloudinit", ci, "raw", NULL, FALSE, SL_DISK_DISK);
  if (row->swap > 0) {
    g_autofree char *p = g_build_filename(run, SWAP, NULL);
    s->swap = disk_spec("swap", p, "raw");
  }
  g_autoptr(GError) disk_error = NULL;
  if (!sl_cloud_disks_add_to_spec(c, vm->id, s, &disk_error) ||
      !sl_cloud_readonly_add_to_spec(c, def, s, &disk_error)) {
    prolog_fail(vm, "%s", disk_error->message);
    return;
  }
  s->public_ip = g_strdup(row->ip);
  g_array_set_size(s->ports, 0);
  if (def->ports)
    g_array_append_vals(s->ports, def->ports->data, def->ports->len);
  s->outbound = def->outbound;
  g_autoptr(GError) error = NULL;
  vm->dom = c->hv->ops->start(c->hv, s, on_event, vm, started, vm, &error);
  if (!vm->dom)
    prolog_fail(vm, "%s", error->message);
}

/* Test hook ($SL_TEST_PROLOG_DELAY_MS): holds the VM in Prolog after the
 * overlay so that tests can interrupt Prolog. busy makes a kill wait. */
static gboolean
prolog_resume(gpointer data)
{
  Vm *vm = data;
  vm->busy = FALSE;
  if (still_wanted(vm))
    make_swap(vm);
  sl_cloud_vm_unref(vm);
  return G_SOURCE_REMOVE;
}

static void
prolog_pause(Vm *vm)
{
  if (!vm->cloud->prolog_delay_ms) {
    make_swap(vm);
    return;
  }
  vm->busy = TRUE;
  g_timeout_add(vm->cloud->prolog_delay_ms, prolog_resume, vm_ref(vm));
}

void
sl_cloud_vm_start(SlCloud *c, gint64 id)
{
  Vm *vm = sl_cloud_vm_new(c, id, SL_VM_PENDING);
  g_autoptr(SlVm) row = load_row(vm);
  if (!row) {
    g_hash_table_remove(c->vms, &id);
    return;
  }
  vm->state = row->state;
  if (row->state != SL_VM_PENDING) { /* killed before we got here */
    sl_cloud_vm_finish(vm, row->state, NULL);
    return;
  }
  const SlVmDef *def = row->def;
  gboolean fetch = def->root && def->root->fetch;
  for (guint i = 0; def->readonly && i < def->readonly->len; i++)
    fetch = fetch || ((SlVmDefImage *)def->readonly->pdata[i])->fetch;
  if (!set_state(vm, SL_VM_PROLOG, NULL)) {
    prolog_fail(vm, "cannot record the Prolog state");
    return;
  }
  g_autofree char *run = sl_cloud_run_dir(c, id);
  if (g_mkdir_with_parents(run, 0700) != 0) {
    prolog_fail(vm, "cannot create %s: %s", run, g_strerror(errno));
    return;
  }
  if (fetch) /* Marketplace images not cached yet (market/client.c) */
    sl_cloud_market_prolog(vm, row->image, def);
  else
    sl_cloud_vm_overlay(vm);
}

void
sl_cloud_vm_overlay(Vm *vm)
{
  SlCloud *c = vm->cloud;
  g_autoptr(SlVm) row = load_row(vm);
  if (!row) {
    prolog_fail(vm, "VM row vanished during Prolog");
    return;
  }
  const SlVmDefImage *root = row->def->root;
  g_autofree char *image = g_strdup(root ? root->path : NULL);
  g_autofree char *kind = g_strdup(root ? root->format : NULL);
  g_autoptr(SlImage) cached = image ? NULL : sl_image_cache_get(c->images, row->image, NULL);
  if (cached) { /* downloaded in this Prolog */
    image = g_strdup(cached->path);
    kind = g_strdup(cached->kind);
  }
  if (!image || !g_file_test(image, G_FILE_TEST_IS_REGULAR)) {
    prolog_fail(vm, "image %s is not in the image cache", row->image);
    return;
  }
  g_autofree char *run = sl_cloud_run_dir(c, vm->id);
  g_autofree char *overlay = g_build_filename(run, OVERLAY, NULL);
  const char *argv[] = {
      c->qemu_img, "create", "-q", "-f", "qcow2", "-b", image, "-F", kind && *kind ? kind : "raw",
      overlay,     NULL};
  run_step(vm, "qemu-img create", argv, prolog_pause);
}
