/* prolog.c - the Prolog steps of a VM (prolog.h); main context. */
#include "cloud/prolog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cloud/disks.h"
#include "cloud/readonly.h"
#include "context/cloudinit.h"
#include "context/context.h"
#include "util/error.h"
#include "util/spawn.h"

#define OVERLAY "disk.qcow2"
#define SWAP "swap.img"
#define VOLATILE "volatile.img"
#define CONTEXT "context.iso"
#define CLOUD_INIT "cloud-init.img" /* _CLOUD_INIT VFAT disk (docs/context.md) */

static void step_fail(SlStepRun *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
step_fail(SlStepRun *run, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autoptr(GError) error = g_error_new_literal(SL_ERROR, SL_ERROR_INTERNAL, msg);
  run->done(run, error);
}

static char *
run_file(const SlStepRun *run, const char *name)
{
  return g_build_filename(run->run_dir, name, NULL);
}

/* ---- fetch ----------------------------------------------------------------- */

/* Every download of one Prolog (root image and read-only data sets) runs at
 * once; the step ends when the last one ends, with the first error. */
typedef struct {
  SlStepRun *run;
  guint pending;
  char *failure; /* first "image download failed: ..." */
} Waiting;

typedef struct {
  Waiting *w;
  char *id;
  gboolean readonly; /* a data set, not the root image */
} WaitOne;

static void
waiting_done(Waiting *w)
{
  if (w->failure)
    step_fail(w->run, "%s", w->failure);
  else
    w->run->done(w->run, NULL);
  g_free(w->failure);
  g_free(w);
}

static void
fetched(const SlImage *image, const GError *error, gpointer data)
{
  WaitOne *one = data;
  Waiting *w = one->w;
  if (!image && !w->failure)
    w->failure = one->readonly ? g_strdup_printf("read-only disk %s: image download failed: %s",
                                                 one->id, error ? error->message : "unknown error")
                               : g_strdup_printf("image download failed: %s",
                                                 error ? error->message : "unknown error");
  g_free(one->id);
  g_free(one);
  if (--w->pending == 0)
    waiting_done(w);
}

static void
fetch_one(Waiting *w, const char *identifier, const SlVmDefFetch *fetch, gboolean readonly)
{
  SlMarketClient *market = w->run->config->market;
  WaitOne *one = g_new0(WaitOne, 1);
  one->w = w;
  one->id = g_strdup(identifier);
  one->readonly = readonly;
  w->pending++;
  if (!market) {
    g_autoptr(GError) error =
        g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE,
                    "image %s is not cached and no Marketplace is set", identifier);
    fetched(NULL, error, one);
    return;
  }
  g_message("vm %" G_GINT64_FORMAT ": image %s: fetching from the Marketplace", w->run->row->id,
            identifier);
  sl_market_client_fetch(market, identifier, fetch, fetched, one);
}

void
sl_cloud_prolog_fetch(SlStepRun *run)
{
  const SlVmDef *def = run->row->def;
  Waiting *w = g_new0(Waiting, 1);
  w->run = run;
  w->pending = 1; /* ours, until every download is started */
  if (def->root && def->root->fetch)
    fetch_one(w, run->row->image, def->root->fetch, FALSE);
  for (guint i = 0; def->readonly && i < def->readonly->len; i++) {
    const SlVmDefImage *ro = def->readonly->pdata[i];
    if (ro->fetch)
      fetch_one(w, ro->id, ro->fetch, TRUE);
  }
  if (--w->pending == 0)
    waiting_done(w);
}

int
sl_cloud_prolog_progress(SlMarketClient *market, const SlVm *vm)
{
  if (vm->state != SL_VM_PROLOG)
    return -1;
  return sl_market_client_progress(market, vm->image);
}

/* ---- subprocess steps ------------------------------------------------------- */

typedef struct {
  SlStepRun *run;
  const char *what;
} Proc;

static void
proc_done(SlProcess *proc, const SlSpawnResult *result, const GError *error, gpointer data)
{
  (void)proc;
  Proc *p = data;
  g_autoptr(GError) failed = NULL;
  if (error)
    failed = g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "%s failed: %s", p->what, error->message);
  else if (!sl_spawn_result_ok(result))
    failed = g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "%s failed: %s", p->what,
                         result->err && *result->err ? result->err : "non-zero exit status");
  p->run->done(p->run, failed);
  g_free(p);
}

static void
run_process(SlStepRun *run, const char *what, const char *const *argv)
{
  SlSpawnOptions opts = {.argv = argv, .out = SL_SPAWN_SILENCE, .err = SL_SPAWN_CAPTURE};
  Proc *p = g_new0(Proc, 1);
  p->run = run;
  p->what = what;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlProcess) proc = sl_process_spawn(&opts, proc_done, p, &error);
  if (!proc) {
    g_free(p);
    step_fail(run, "%s failed: %s", what, error->message);
  }
}

void
sl_cloud_prolog_overlay(SlStepRun *run)
{
  const SlVmDefImage *root = run->row->def->root;
  g_autofree char *image = g_strdup(root ? root->path : NULL);
  g_autofree char *kind = g_strdup(root ? root->format : NULL);
  g_autoptr(SlImage) cached =
      image ? NULL : sl_image_cache_get(run->config->images, run->row->image, NULL);
  if (cached) { /* downloaded in this Prolog */
    image = g_strdup(cached->path);
    kind = g_strdup(cached->kind);
  }
  if (!image || !g_file_test(image, G_FILE_TEST_IS_REGULAR)) {
    step_fail(run, "image %s is not in the image cache", run->row->image);
    return;
  }
  g_autofree char *overlay = run_file(run, OVERLAY);
  const char *argv[] = {
      run->config->qemu_img,        "create", "-q", "-f", "qcow2", "-b", image, "-F",
      kind && *kind ? kind : "raw", overlay,  NULL};
  run_process(run, "qemu-img create", argv);
}

/* ---- the test hook ------------------------------------------------------------ */

static gboolean
pause_over(gpointer data)
{
  SlStepRun *run = data;
  run->done(run, NULL);
  return G_SOURCE_REMOVE;
}

void
sl_cloud_prolog_pause(SlStepRun *run)
{
  if (!run->config->pause_ms)
    run->done(run, NULL);
  else
    g_timeout_add(run->config->pause_ms, pause_over, run);
}

/* ---- swap, volatile, context ------------------------------------------------- */

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

void
sl_cloud_prolog_swap(SlStepRun *run)
{
  if (run->row->swap <= 0) {
    run->done(run, NULL);
    return;
  }
  g_autofree char *path = run_file(run, SWAP);
  g_autoptr(GError) error = NULL;
  if (!make_sparse(path, (guint64)run->row->swap << 20, &error)) {
    step_fail(run, "swap disk: %s", error->message);
    return;
  }
  const char *argv[] = {run->config->mkswap, "-q", path, NULL};
  run_process(run, "mkswap", argv);
}

void
sl_cloud_prolog_volatile(SlStepRun *run)
{
  gint64 gib = run->row->def->volatile_disk;
  g_autofree char *path = run_file(run, VOLATILE);
  g_autoptr(GError) error = NULL;
  if (gib > 0 && !make_sparse(path, (guint64)gib << 30, &error)) {
    step_fail(run, "volatile disk: %s", error->message);
    return;
  }
  run->done(run, NULL);
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

/* The network the VM's definition names (rows of older versions: public). */
static SlNetwork *
network_of(const SlStepRun *run)
{
  const char *name = run->row->def->network ? run->row->def->network : "public";
  for (guint i = 0; run->config->nets && i < run->config->nets->len; i++) {
    SlNetwork *n = run->config->nets->pdata[i];
    if (g_str_equal(n->config->name, name))
      return n;
  }
  return run->config->net;
}

void
sl_cloud_prolog_context(SlStepRun *run)
{
  const SlVm *row = run->row;
  const SlVmDef *def = row->def;
  g_autoptr(SlContext) ctx = sl_context_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *host = hostname_of(row);
  gboolean ok = sl_context_set(ctx, "HOSTNAME", host, &error);
  if (ok && def->public_key && *def->public_key)
    ok = sl_context_set(ctx, "PUBLIC_KEY", def->public_key, &error);
  for (char **p = def->context; ok && p && p[0] && p[1]; p += 2)
    ok = sl_context_set(ctx, p[0], p[1], &error);
  /* what the network tells the guest (ETH0_IP...) wins over the user's keys */
  g_autofree char *vm_id = g_strdup_printf("%" G_GINT64_FORMAT, row->id);
  SlNicRequest nic = {
      .vm_id = vm_id, .index = 0, .ip = row->ip, .ports = def->ports, .owner = row->owner};
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
  SlNetwork *net = network_of(run);
  net->ops->context(net, &nic, pairs);
  for (guint i = 0; ok && i + 1 < pairs->len; i += 2)
    ok = sl_context_set(ctx, pairs->pdata[i], pairs->pdata[i + 1], &error);
  ok = ok && sl_cloudinit_add_keys(ctx, row->ip, &error);
  g_autofree char *ci = run_file(run, CLOUD_INIT);
  if (ok && sl_cloudinit_enabled(ctx) && !sl_cloudinit_write_disk(ctx, ci, &error)) {
    step_fail(run, "cloud-init disk: %s", error->message);
    return;
  }
  g_autofree char *iso = run_file(run, CONTEXT);
  if (!ok || !sl_context_write_iso_label(ctx, iso, def->context_label, &error)) {
    step_fail(run, "context CD: %s", error->message);
    return;
  }
  run->done(run, NULL);
}

/* ---- the driver-level definition ------------------------------------------- */

SlVmSpec *
sl_cloud_prolog_spec(const SlStepRun *run, GError **error)
{
  const SlVm *row = run->row;
  const SlVmDef *def = row->def;
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, row->id);
  g_autoptr(SlVmSpec) s = sl_vm_spec_new(id, run->run_dir);
  g_free(s->name);
  s->name = g_strdup(row->name);
  s->vcpus = (guint)MAX(row->vcpu, 1);
  s->ram_mib = (guint)MAX(row->ram, 16);
  g_free(s->root.path);
  s->root.path = run_file(run, OVERLAY);
  s->context_iso = run_file(run, CONTEXT);
  if (def->volatile_disk > 0) {
    g_autofree char *p = run_file(run, VOLATILE);
    sl_vm_spec_add_disk(s, "volatile", p, "raw", NULL, FALSE, SL_DISK_DISK);
  }
  g_autofree char *ci = run_file(run, CLOUD_INIT);
  if (g_file_test(ci, G_FILE_TEST_IS_REGULAR))
    sl_vm_spec_add_disk(s, "cloudinit", ci, "raw", NULL, FALSE, SL_DISK_DISK);
  if (row->swap > 0) {
    s->swap = g_new0(SlDiskSpec, 1);
    s->swap->id = g_strdup("swap");
    s->swap->path = run_file(run, SWAP);
    s->swap->format = g_strdup("raw");
    s->swap->kind = SL_DISK_DISK;
  }
  if (!sl_cloud_disks_add_to_spec(run->config->store, run->config->pdisk, row->id, s, error) ||
      !sl_cloud_readonly_add_to_spec(run->config->images, def, s, error))
    return NULL;
  s->public_ip = g_strdup(row->ip);
  g_array_set_size(s->ports, 0);
  if (def->ports)
    g_array_append_vals(s->ports, def->ports->data, def->ports->len);
  s->outbound = def->outbound;
  /* eth0 on the public network, wired by its driver (a tap for bridge; the user NIC above) */
  SlNicRequest nic = {
      .vm_id = id, .index = 0, .ip = row->ip, .ports = def->ports, .owner = row->owner};
  SlNetwork *net = network_of(run);
  SlNicSpec *n = net->ops->prepare(net, &nic, error);
  if (!n)
    return NULL;
  if (n->kind == SL_NIC_USER)
    n->outbound = def->outbound; /* as recorded at request time */
  g_ptr_array_add(s->nics, n);
  return g_steal_pointer(&s);
}
