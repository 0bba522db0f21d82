/* fake.c - a hypervisor driver that starts nothing.
 *
 * FOR UNIT TESTS AND CONTROL-PLANE BENCHMARKS ONLY. It checks specs and hot-plugged
 * disks exactly like the QEMU driver (spec.h), then pretends: start succeeds on
 * the next main-loop iteration, powerdown produces POWERDOWN + SHUTDOWN_GUEST,
 * destroy produces SHUTDOWN_HOST + EXITED, hot-plug tracks device ids (the spec's
 * disks included; list_disks reports them). "Running"
 * VMs are remembered per process by run dir, so adopt() works after a
 * simulated daemon restart inside one test process.
 */
#include "hypervisor/spec.h"
#include "util/error.h"

static GHashTable *fake_vms;     /* run_dir -> status string ("running", "shutdown") */
static GHashTable *fake_devices; /* run_dir -> set of disk device ids (survives adopt) */

typedef struct {
  SlDomain pub;
  int refs;
  gboolean freed;
  SlDomainEventFunc events;
  gpointer user;
  GHashTable *devices; /* borrowed from fake_devices */
} FakeDom;

typedef enum { OP_DONE, OP_POWERDOWN, OP_DESTROY, OP_UNPLUG, OP_STATUS, OP_DISKS } OpKind;

typedef struct {
  FakeDom *d;
  OpKind kind;
  SlDomainDoneFunc done;
  SlDomainStatusFunc status;
  SlDomainDisksFunc disks;
  gpointer data;
  GError *error;
  char *device;
} FakeOp;

static const SlHypervisorOps fake_ops;
static GHashTable *fake_devices_of(const char *run_dir);

static void
fake_unref(FakeDom *d)
{
  if (--d->refs > 0)
    return;
  g_free(d->pub.id);
  g_free(d->pub.run_dir);
  g_free(d);
}

static void
emit(FakeDom *d, SlDomainEventKind kind, const char *reason, const char *device)
{
  SlDomainEvent ev = {.kind = kind, .reason = reason, .device = device};
  if (!d->freed && d->events)
    d->events(&d->pub, &ev, d->user);
}

static gboolean
run_op(gpointer p)
{
  FakeOp *op = p;
  FakeDom *d = op->d;
  const char *run = d->pub.run_dir;
  switch (op->kind) {
  case OP_POWERDOWN:
    emit(d, SL_DOMAIN_EVENT_POWERDOWN, NULL, NULL);
    g_hash_table_replace(fake_vms, g_strdup(run), g_strdup("shutdown"));
    emit(d, SL_DOMAIN_EVENT_SHUTDOWN_GUEST, "guest-shutdown", NULL);
    break;
  case OP_DESTROY:
    if (g_hash_table_remove(fake_vms, run)) {
      g_hash_table_remove(fake_devices, run);
      emit(d, SL_DOMAIN_EVENT_SHUTDOWN_HOST, "host-qmp-quit", NULL);
      emit(d, SL_DOMAIN_EVENT_EXITED, NULL, NULL);
    }
    break;
  case OP_UNPLUG:
    emit(d, SL_DOMAIN_EVENT_DEVICE_DELETED, NULL, op->device);
    break;
  case OP_STATUS:
    if (!d->freed)
      op->status(&d->pub, op->error ? NULL : g_hash_table_lookup(fake_vms, run), op->error,
                 op->data);
    break;
  case OP_DISKS:
    if (!d->freed) {
      g_autofree gpointer *ids =
          op->error ? NULL : g_hash_table_get_keys_as_array(fake_devices_of(run), NULL);
      op->disks(&d->pub, (char **)ids, op->error, op->data);
    }
    break;
  case OP_DONE:
    break;
  }
  if (op->done && !d->freed)
    op->done(&d->pub, op->error, op->data);
  g_clear_error(&op->error);
  g_free(op->device);
  fake_unref(d);
  g_free(op);
  return G_SOURCE_REMOVE;
}

static FakeOp *
queue_op(FakeDom *d, OpKind kind, SlDomainDoneFunc done, gpointer data, GError *error)
{
  FakeOp *op = g_new0(FakeOp, 1);
  op->d = d;
  d->refs++;
  op->kind = kind;
  op->done = done;
  op->data = data;
  op->error = error;
  g_idle_add(run_op, op);
  return op;
}

static GError *
not_running(FakeDom *d)
{
  if (g_strcmp0(g_hash_table_lookup(fake_vms, d->pub.run_dir), "running") == 0)
    return NULL;
  return g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s is not running", d->pub.id);
}

static GHashTable *
fake_devices_of(const char *run_dir)
{
  GHashTable *set = g_hash_table_lookup(fake_devices, run_dir);
  if (!set) {
    set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_insert(fake_devices, g_strdup(run_dir), set);
  }
  return set;
}

static FakeDom *
fake_dom_new(const char *id, const char *run_dir, SlDomainEventFunc events, gpointer user)
{
  FakeDom *d = g_new0(FakeDom, 1);
  d->pub.ops = &fake_ops;
  d->pub.id = g_strdup(id);
  d->pub.run_dir = g_strdup(run_dir);
  d->refs = 1;
  d->events = events;
  d->user = user;
  d->devices = fake_devices_of(run_dir);
  return d;
}

static SlDomain *
fake_start(SlHypervisor *hv, const SlVmSpec *spec, SlDomainEventFunc events, gpointer user,
           SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  (void)hv;
  if (!sl_vm_spec_check(spec, error))
    return NULL;
  if (g_hash_table_contains(fake_vms, spec->run_dir)) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "a VM already runs in %s", spec->run_dir);
    return NULL;
  }
  g_hash_table_insert(fake_vms, g_strdup(spec->run_dir), g_strdup("running"));
  g_hash_table_remove(fake_devices, spec->run_dir);
  FakeDom *d = fake_dom_new(spec->id, spec->run_dir, events, user);
  for (guint i = 0; i < spec->disks->len; i++)
    g_hash_table_add(d->devices, g_strdup(((SlDiskSpec *)spec->disks->pdata[i])->id));
  queue_op(d, OP_DONE, done, done_data, NULL);
  return &d->pub;
}

static SlDomain *
fake_adopt(SlHypervisor *hv, const char *id, const char *run_dir, SlDomainEventFunc events,
           gpointer user, SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  (void)hv;
  if (!g_hash_table_contains(fake_vms, run_dir)) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no live VM for %s", run_dir);
    return NULL;
  }
  FakeDom *d = fake_dom_new(id, run_dir, events, user);
  queue_op(d, OP_DONE, done, done_data, NULL);
  return &d->pub;
}

static void
fake_powerdown(SlDomain *dom, SlDomainDoneFunc done, gpointer data)
{
  FakeDom *d = (FakeDom *)dom;
  GError *e = not_running(d);
  queue_op(d, e ? OP_DONE : OP_POWERDOWN, done, data, e);
}

static void
fake_destroy(SlDomain *dom, guint timeout_ms, SlDomainDoneFunc done, gpointer data)
{
  (void)timeout_ms;
  queue_op((FakeDom *)dom, OP_DESTROY, done, data, NULL);
}

static void
fake_attach(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done, gpointer data)
{
  FakeDom *d = (FakeDom *)dom;
  GError *e = NULL;
  if (sl_disk_spec_check(disk, &e) && !(e = not_running(d))) {
    if (g_hash_table_contains(d->devices, disk->id))
      e = g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "device %s already exists", disk->id);
    else
      g_hash_table_add(d->devices, g_strdup(disk->id));
  }
  queue_op(d, OP_DONE, done, data, e);
}

static void
fake_detach(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer data)
{
  FakeDom *d = (FakeDom *)dom;
  GError *e = not_running(d);
  if (!e && !g_hash_table_remove(d->devices, id))
    e = g_error_new(SL_ERROR, SL_ERROR_NOT_FOUND, "device %s not found", id);
  FakeOp *op = queue_op(d, e ? OP_DONE : OP_UNPLUG, done, data, e);
  op->device = g_strdup(id);
}

static void
fake_query_status(SlDomain *dom, SlDomainStatusFunc status, gpointer data)
{
  FakeDom *d = (FakeDom *)dom;
  GError *e = g_hash_table_contains(fake_vms, d->pub.run_dir)
                  ? NULL
                  : g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: no process", d->pub.id);
  FakeOp *op = queue_op(d, OP_STATUS, NULL, NULL, e);
  op->status = status;
  op->data = data;
}

static void
fake_list_disks(SlDomain *dom, SlDomainDisksFunc disks, gpointer data)
{
  FakeDom *d = (FakeDom *)dom;
  FakeOp *op = queue_op(d, OP_DISKS, NULL, NULL, not_running(d));
  op->disks = disks;
  op->data = data;
}

gboolean
sl_hypervisor_fake_drop_device(const char *run_dir, const char *id)
{
  GHashTable *set = fake_devices ? g_hash_table_lookup(fake_devices, run_dir) : NULL;
  return set && g_hash_table_remove(set, id);
}

static void
fake_domain_free(SlDomain *dom)
{
  FakeDom *d = (FakeDom *)dom;
  d->freed = TRUE;
  fake_unref(d);
}

static void
fake_free(SlHypervisor *hv)
{
  g_free(hv);
}

static const SlHypervisorOps fake_ops = {
    .name = "fake",
    .start = fake_start,
    .adopt = fake_adopt,
    .powerdown = fake_powerdown,
    .destroy = fake_destroy,
    .attach_disk = fake_attach,
    .detach_disk = fake_detach,
    .query_status = fake_query_status,
    .list_disks = fake_list_disks,
    .domain_free = fake_domain_free,
    .free = fake_free,
};

SlHypervisor *
sl_hypervisor_fake_new(void)
{
  if (!fake_vms)
    fake_vms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  if (!fake_devices)
    fake_devices =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  SlHypervisor *hv = g_new0(SlHypervisor, 1);
  hv->ops = &fake_ops;
  return hv;
}
