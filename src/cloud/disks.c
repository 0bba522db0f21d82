/* disks.c - persistent disks (pdisk volumes) inside VMs: boot-time disks,
 * hot-plug attach/detach, release at clean-up, reconciliation at recovery
 * (docs/cloud.md "Persistent disks").
 *
 * Invariant: a mount row <uuid>_<vm> of this node exists iff the VM's QEMU
 * holds the device "pd-<first 24 hex digits of the uuid>" (or is about to: the row
 * is written BEFORE device_add, removed AFTER the guest released the device).
 *
 *  - Boot: the rules are checked under the pdisk lock and the mount rows are
 *    written in the transaction that allocates the VM rows (a crash leaves
 *    both or neither); Prolog puts the disks into the spec from the rows.
 *  - Attach: row (sl_pdisk_mount: rights, exclusivity, limits, target) ->
 *    device_add; a failed device_add removes the row again.
 *  - Detach: device_del -> DEVICE_DELETED -> blockdev-del -> row removed.
 *  - Clean-up (kill, Failed, Done): rows removed once the process is gone.
 *  - Recovery: rows of final VMs removed; for an adopted VM the rows are
 *    compared with list_disks: a row without device is removed (attach or
 *    detach interrupted), a pd- device without row is unplugged.
 * In-flight hot-plug operations are tracked per device in the main context,
 * so one device has at most one operation at a time.
 */
#include "cloud/disks.h"

#include "cloud/call.h"

#include "util/error.h"
#include "util/testpoint.h"

#define DEV_PREFIX "pd-"

typedef struct {
  SlCloud *cloud;
  Vm *vm; /* ref while the driver works (dropped in the main context) */
  gint64 id;
  char *user, *uuid, *device, *key;
  SlMount *mount; /* the VM's mount row of the disk, once known */
  GError *error;  /* the driver's error (detach, while checking) */
  gint finished;  /* atomic: completed (the worker may have stopped waiting) */
} DiskReq;

static void
req_free(gpointer p)
{
  DiskReq *r = p;
  g_free(r->user);
  g_free(r->uuid);
  g_free(r->device);
  g_free(r->key);
  g_clear_pointer(&r->mount, sl_mount_free);
  g_clear_error(&r->error);
  g_free(r);
}

char *
sl_cloud_disk_device(const char *uuid)
{
  GString *s = g_string_new(DEV_PREFIX);
  for (const char *p = uuid; *p && s->len < 27; p++) /* 24 hex digits: 96 bits */
    if (g_ascii_isxdigit(*p))
      g_string_append_c(s, g_ascii_tolower(*p));
  return g_string_free(s, FALSE);
}

static char *
mount_id(const char *uuid, gint64 vm)
{
  return g_strdup_printf("%s_%" G_GINT64_FORMAT, uuid, vm);
}

static gboolean
not_running(gint64 id, GError **error)
{
  g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "VM %" G_GINT64_FORMAT " is not in running state",
              id);
  return FALSE;
}

static void
drop_row(SlCloud *c, const char *id)
{
  g_autoptr(GError) error = NULL;
  if (!sl_store_mount_delete(c->store, id, &error) &&
      !g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND))
    g_warning("cannot remove mount %s: %s", id, error->message);
}

void
sl_cloud_disks_init(SlCloud *c, const SlCloudConfig *cfg)
{
  c->pdisk = cfg->pdisk;
  c->node = g_strdup(cfg->node ? cfg->node : g_get_host_name());
  c->disk_ops = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
sl_cloud_disks_clear(SlCloud *c)
{
  g_hash_table_unref(c->disk_ops);
  g_free(c->node);
}

static gboolean
of_data_type(const SlDisk *d, GError **error)
{
  if (d->type == SL_DISK_DATA_IMAGE_RAW_READ_WRITE || d->type == SL_DISK_DATA_IMAGE_RAW_READONLY)
    return TRUE;
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
              "disk (%s) is of type %s: only DATA_IMAGE_RAW_READ_WRITE and "
              "DATA_IMAGE_RAW_READONLY disks can be attached",
              d->uuid, sl_disk_type_to_string(d->type));
  return FALSE;
}

/* A disk the user may attach: visible, owned, of a data type. */
static SlDisk *
attachable(SlCloud *c, const char *user, const char *uuid, const char *action, GError **error)
{
  if (!c->pdisk) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "the persistent disk service is off");
    return NULL;
  }
  g_autoptr(SlDisk) d = sl_pdisk_get(c->pdisk, user, uuid, error);
  if (!d)
    return NULL;
  if (g_strcmp0(d->owner, user) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN, "Not enough rights to %s disk", action);
    return NULL;
  }
  if (!of_data_type(d, error))
    return NULL;
  return g_steal_pointer(&d);
}

/* How a request's VMs get their addresses: from the pool of their network (all on one
 * network), or the one address asked for (--address; checked to be in that pool and the
 * request to be of one VM by cloud.c). */
typedef struct {
  SlIpPool *pool;
  const char *address; /* or NULL */
  gboolean taken;      /* the asked address is held by another VM */
} Pick;

static Pick
pick_of(SlCloud *c, GPtrArray *vms)
{
  const SlVm *v = vms->len ? vms->pdata[0] : NULL;
  Pick p = {c->pool, v && v->def ? v->def->address : NULL, FALSE};
  sl_cloud_network(c, v && v->def ? v->def->network : NULL, &p.pool);
  return p;
}

static char *
pick_address(GHashTable *used, gpointer data)
{
  Pick *p = data;
  if (!p->address)
    return sl_ip_pool_pick(used, p->pool);
  if (used && g_hash_table_contains(used, p->address)) {
    p->taken = TRUE;
    return NULL;
  }
  return g_strdup(p->address);
}

/* The store's "no free address" becomes the reason when the asked address was taken. */
static gboolean
picked(gboolean ok, const Pick *p, GError **error)
{
  if (!ok && p->taken && error && *error) {
    g_clear_error(error);
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "address %s is already in use", p->address);
  }
  return ok;
}

/* ---- boot-time disks ------------------------------------------------------ */

typedef struct {
  SlCloud *c;
  GPtrArray *vms, *disks, *mounts;
  SlStoreVmCheckFunc check;
  gpointer check_data;
} Boot;

/* The mount rules of one boot-time disk, inside the store's write transaction
 * (sl_store_vm_insert_mounts): what they see is what every front-end on the
 * store has committed. */
static gboolean
boot_rules(SlMount *m, GPtrArray *used, GPtrArray *vm_mounts, gpointer data, GError **error)
{
  (void)vm_mounts; /* the VMs are new */
  Boot *b = data;
  const SlDisk *d = NULL;
  for (guint i = 0; i < b->disks->len && !d; i++)
    if (g_strcmp0(((SlDisk *)b->disks->pdata[i])->uuid, m->disk_uuid) == 0)
      d = b->disks->pdata[i];
  g_return_val_if_fail(d != NULL, FALSE);
  if (d->type == SL_DISK_DATA_IMAGE_RAW_READ_WRITE && (used->len > 0 || b->vms->len > 1)) {
    if (used->len > 0)
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                  "disk (%s) is already attached to VM %" G_GINT64_FORMAT, d->uuid,
                  ((SlMount *)used->pdata[0])->vm_id);
    else
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                  "disk (%s) is read-write: it cannot be attached to %u VMs", d->uuid, b->vms->len);
    return FALSE;
  }
  if (used->len + b->vms->len > SL_PDISK_MAX_MOUNTS) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "no free devices available");
    return FALSE;
  }
  return TRUE;
}

static gboolean
boot_locked(gpointer data, GError **error)
{
  Boot *b = data;
  Pick p = pick_of(b->c, b->vms);
  return picked(sl_store_vm_insert_mounts(b->c->store, b->vms, b->mounts, boot_rules, b, b->check,
                                          b->check_data, pick_address, &p, error),
                &p, error);
}

gboolean
sl_cloud_disks_insert(SlCloud *c, const char *user, char **uuids, GPtrArray *vms,
                      SlStoreVmCheckFunc check, gpointer check_data, GError **error)
{
  guint n = uuids ? g_strv_length(uuids) : 0;
  if (n == 0) {
    Pick p = pick_of(c, vms);
    return picked(
        sl_store_vm_insert_checked(c->store, vms, check, check_data, pick_address, &p, error), &p,
        error);
  }
  if (n > SL_PDISK_MAX_MOUNTS) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "at most %d persistent disks per VM",
                SL_PDISK_MAX_MOUNTS);
    return FALSE;
  }
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify)sl_disk_free);
  g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func((GDestroyNotify)sl_mount_free);
  for (guint i = 0; i < n; i++) {
    const char *uuid = uuids[i];
    for (guint k = 0; uuid && k < disks->len; k++)
      if (g_ascii_strcasecmp(((SlDisk *)disks->pdata[k])->uuid, uuid) == 0) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "disk (%s) is given twice", uuid);
        return FALSE;
      }
    SlDisk *d = attachable(c, user, uuid ? uuid : "", "attach", error);
    if (!d)
      return FALSE;
    g_ptr_array_add(disks, d);
    SlMount *m = sl_mount_new();
    m->disk_uuid = g_strdup(d->uuid);
    m->node = g_strdup(c->node);
    m->target = g_strdup_printf("vd%c", 'a' + (int)i); /* §4.3: first free, in order */
    g_ptr_array_add(mounts, m);
  }
  Boot b = {c, vms, disks, mounts, check, check_data};
  return sl_pdisk_run_locked(c->pdisk, boot_locked, &b, error);
}

gboolean
sl_cloud_disks_add_to_spec(SlStore *store, SlPdisk *pdisk, gint64 id, SlVmSpec *spec,
                           GError **error)
{
  g_autoptr(GPtrArray) mounts = sl_store_mount_list_for_vm(store, id, error);
  if (!mounts)
    return FALSE;
  for (guint i = 0; i < mounts->len; i++) {
    SlMount *m = mounts->pdata[i];
    g_autoptr(SlDisk) d = sl_store_disk_get(store, m->disk_uuid, error);
    g_autofree char *path = pdisk ? sl_pdisk_volume_path(pdisk, m->disk_uuid) : NULL;
    if (!d || !path) {
      if (!d)
        g_prefix_error(error, "persistent disk: ");
      else
        g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "persistent disk %s: no volume path",
                    m->disk_uuid);
      return FALSE;
    }
    g_autofree char *dev = sl_cloud_disk_device(m->disk_uuid);
    sl_vm_spec_add_disk(spec, dev, path, "raw", m->disk_uuid,
                        d->type != SL_DISK_DATA_IMAGE_RAW_READ_WRITE, SL_DISK_DISK);
  }
  return TRUE;
}

void
sl_cloud_disks_release(SlCloud *c, gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mounts = sl_store_mount_list_for_vm(c->store, id, &error);
  if (!mounts) {
    g_warning("vm %" G_GINT64_FORMAT ": cannot list its disks: %s", id, error->message);
    return;
  }
  for (guint i = 0; i < mounts->len; i++) {
    SlMount *m = mounts->pdata[i];
    drop_row(c, m->id);
    g_message("vm %" G_GINT64_FORMAT ": released disk %s (%s)", id, m->disk_uuid, m->target);
  }
}

/* ---- hot-plug (main context) ---------------------------------------------- */

static DiskReq *
req_of(SlCloudCall *call)
{
  return sl_cloud_call_data(call);
}

static void
req_complete(SlCloudCall *call, const GError *error)
{
  DiskReq *r = req_of(call);
  if (r->key)
    g_hash_table_remove(r->cloud->disk_ops, r->key);
  if (r->vm) /* main context only */
    sl_cloud_vm_unref(g_steal_pointer(&r->vm));
  g_atomic_int_set(&r->finished, 1);
  sl_cloud_call_complete(call, error);
  sl_cloud_call_unref(call);
}

/* The VM is Running and controllable, and no other operation holds the device
 * (*busy then). */
static Vm *
usable_vm(DiskReq *r, gboolean *busy, GError **error)
{
  Vm *vm = g_hash_table_lookup(r->cloud->vms, &r->id);
  *busy = FALSE;
  if (!vm || vm->state != SL_VM_RUNNING || vm->cleanup || !vm->dom || vm->dom_gone) {
    not_running(r->id, error);
    return NULL;
  }
  r->key = g_strdup_printf("%" G_GINT64_FORMAT "/%s", r->id, r->device);
  if (!g_hash_table_add(r->cloud->disk_ops, g_strdup(r->key))) {
    g_clear_pointer(&r->key, g_free);
    *busy = TRUE;
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                "disk (%s) is being attached to or detached from VM %" G_GINT64_FORMAT, r->uuid,
                r->id);
    return NULL;
  }
  r->vm = sl_cloud_vm_ref(vm);
  return vm;
}

static void
attached(SlDomain *dom, const GError *error, gpointer data)
{
  (void)dom;
  SlCloudCall *call = data;
  DiskReq *r = req_of(call);
  if (error) {
    drop_row(r->cloud, r->mount->id);
    g_clear_pointer(&r->mount, sl_mount_free);
    g_warning("vm %" G_GINT64_FORMAT ": hot-plug of %s failed: %s", r->id, r->uuid, error->message);
  } else {
    sl_testpoint("attach-device");
    g_message("vm %" G_GINT64_FORMAT ": attached disk %s as %s (%s)", r->id, r->uuid, r->device,
              r->mount->target);
  }
  req_complete(call, error);
}

/* The mount row, entering pdisk once (rights, exclusivity, limits, target:
 * sl_pdisk_mount); a disk of the caller's that is not a data disk is
 * refused first, from its row. *readonly: attach it read-only. */
static SlMount *
mount_row(DiskReq *r, gboolean *readonly, GError **error)
{
  SlCloud *c = r->cloud;
  g_autoptr(SlDisk) d = sl_store_disk_get(c->store, r->uuid, NULL);
  if (d && d->state == SL_DISK_STATE_READY && g_strcmp0(d->owner, r->user) == 0 &&
      !of_data_type(d, error))
    return NULL;
  g_autofree char *vm_id = g_strdup_printf("%" G_GINT64_FORMAT, r->id);
  SlMount *m = sl_pdisk_mount(c->pdisk, r->user, r->uuid, c->node, vm_id, error);
  *readonly = !d || d->type != SL_DISK_DATA_IMAGE_RAW_READ_WRITE;
  return m;
}

/* Attach: the VM is Running (checked here, once), then the row, then the
 * device; a failed device_add removes the row again. */
static gboolean
attach_main(gpointer data)
{
  SlCloudCall *call = data;
  DiskReq *r = req_of(call);
  g_autoptr(GError) error = NULL;
  gboolean busy = FALSE, readonly = FALSE;
  Vm *vm = usable_vm(r, &busy, &error);
  if (vm)
    r->mount = mount_row(r, &readonly, &error);
  if (!r->mount) {
    req_complete(call, error);
    return G_SOURCE_REMOVE;
  }
  g_autofree char *path = sl_pdisk_volume_path(r->cloud->pdisk, r->mount->disk_uuid);
  SlDiskSpec spec = {.id = r->device,
                     .path = path,
                     .format = (char *)"raw",
                     .serial = r->mount->disk_uuid,
                     .readonly = readonly,
                     .kind = SL_DISK_DISK};
  sl_testpoint("attach-row");
  vm->dom->ops->attach_disk(vm->dom, &spec, attached, call);
  return G_SOURCE_REMOVE;
}

static void
detach_done(DiskReq *r, SlCloudCall *call)
{
  sl_testpoint("detach-row");
  drop_row(r->cloud, r->mount->id);
  g_message("vm %" G_GINT64_FORMAT ": detached disk %s (%s)", r->id, r->uuid, r->mount->target);
  req_complete(call, NULL);
}

static void
detach_checked(SlDomain *dom, char **ids, const GError *error, gpointer data)
{
  (void)dom;
  SlCloudCall *call = data;
  DiskReq *r = req_of(call);
  if (!error && !g_strv_contains((const char *const *)ids, r->device)) {
    detach_done(r, call); /* the device was already gone: the row was stale */
    return;
  }
  g_clear_pointer(&r->mount, sl_mount_free);
  req_complete(call, r->error);
}

static void
detached(SlDomain *dom, const GError *error, gpointer data)
{
  SlCloudCall *call = data;
  DiskReq *r = req_of(call);
  if (!error) {
    detach_done(r, call);
    return;
  }
  r->error = g_error_copy(error);
  if (r->vm->dom == dom && !r->vm->dom_gone) {
    dom->ops->list_disks(dom, detach_checked, call);
  } else {
    g_clear_pointer(&r->mount, sl_mount_free);
    req_complete(call, error);
  }
}

/* The VM's mount row of a disk the caller may detach (pdisk once). */
static SlMount *
attached_row(DiskReq *r, GError **error)
{
  g_autoptr(SlDisk) d = attachable(r->cloud, r->user, r->uuid, "detach", error);
  if (!d)
    return NULL;
  g_autofree char *mid = mount_id(d->uuid, r->id);
  g_autoptr(GError) local = NULL;
  SlMount *m = sl_store_mount_get(r->cloud->store, mid, &local);
  if (!m && g_error_matches(local, SL_ERROR, SL_ERROR_NOT_FOUND))
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND,
                "Disk have not been hot-plugged: disk (%s) is not attached to VM %" G_GINT64_FORMAT,
                d->uuid, r->id);
  else if (!m)
    g_propagate_error(error, g_steal_pointer(&local));
  return m;
}

/* Detach: the VM is Running (checked here, once), then device_del, the
 * guest's DEVICE_DELETED, blockdev-del, and the row goes. */
static gboolean
detach_main(gpointer data)
{
  SlCloudCall *call = data;
  DiskReq *r = req_of(call);
  g_autoptr(GError) error = NULL;
  gboolean busy = FALSE;
  Vm *vm = usable_vm(r, &busy, &error);
  if (vm)
    r->mount = attached_row(r, &error);
  if (!r->mount) {
    req_complete(call, error);
    return G_SOURCE_REMOVE;
  }
  sl_testpoint("detach-device");
  vm->dom->ops->detach_disk(vm->dom, r->device, detached, call);
  return G_SOURCE_REMOVE;
}

/* ---- hot-plug (worker threads) -------------------------------------------- */

/* The caller's VM (404 like an unknown one), then fn in the main context. */
static SlMount *
hotplug(SlCloud *c, const char *user, gint64 id, const char *uuid, GSourceFunc fn, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(SlVm) v = sl_store_vm_get(c->store, id, &local);
  if (!v || g_strcmp0(v->owner, user) != 0) {
    if (!v && !g_error_matches(local, SL_ERROR, SL_ERROR_NOT_FOUND))
      g_propagate_error(error, g_steal_pointer(&local));
    else
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "VM %" G_GINT64_FORMAT " does not exist",
                  id);
    return NULL;
  }
  if (!c->pdisk) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "the persistent disk service is off");
    return NULL;
  }
  DiskReq *r = g_new0(DiskReq, 1);
  r->cloud = c;
  r->id = id;
  r->user = g_strdup(user);
  r->uuid = g_strdup(uuid ? uuid : "");
  r->device = sl_cloud_disk_device(r->uuid);
  SlCloudCall *call = sl_cloud_call_new(c, id, r, req_free);
  gboolean ok = sl_cloud_call_run(c->ctx, fn, call, error);
  if (ok && !g_atomic_int_get(&r->finished)) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE,
                "VM %" G_GINT64_FORMAT " has not %s disk (%s) yet; the operation goes on", id,
                fn == attach_main ? "taken" : "released", r->uuid);
    ok = FALSE;
  }
  SlMount *m = ok && r->mount ? sl_mount_copy(r->mount) : NULL;
  sl_cloud_call_unref(call);
  return m;
}

SlMount *
sl_cloud_vm_attach_disk(SlCloud *c, const char *user, gint64 id, const char *uuid, GError **error)
{
  return hotplug(c, user, id, uuid, attach_main, error);
}

SlMount *
sl_cloud_vm_detach_disk(SlCloud *c, const char *user, gint64 id, const char *uuid, GError **error)
{
  return hotplug(c, user, id, uuid, detach_main, error);
}

GPtrArray *
sl_cloud_vm_disks(SlCloud *c, gint64 id, GError **error)
{
  return sl_store_mount_list_for_vm(c->store, id, error);
}

/* ---- events and recovery (main context) ----------------------------------- */

/* DEVICE_DELETED nobody waits for: an unplug requested before a restart that
 * the guest finished later. */
void
sl_cloud_disks_device_deleted(Vm *vm, const char *device)
{
  SlCloud *c = vm->cloud;
  if (!c || vm->orphan || !g_str_has_prefix(device, DEV_PREFIX))
    return;
  g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT "/%s", vm->id, device);
  if (g_hash_table_contains(c->disk_ops, key))
    return;
  g_autoptr(GPtrArray) mounts = sl_store_mount_list_for_vm(c->store, vm->id, NULL);
  for (guint i = 0; mounts && i < mounts->len; i++) {
    SlMount *m = mounts->pdata[i];
    g_autofree char *dev = sl_cloud_disk_device(m->disk_uuid);
    if (g_strcmp0(dev, device) != 0)
      continue;
    drop_row(c, m->id);
    g_message("vm %" G_GINT64_FORMAT ": the guest released disk %s: mount removed", vm->id,
              m->disk_uuid);
  }
}

static void
reconciled(SlDomain *dom, char **ids, const GError *error, gpointer data)
{
  Vm *vm = data;
  SlCloud *c = vm->cloud;
  if (error || !c || vm->cleanup) {
    if (error)
      g_warning("vm %" G_GINT64_FORMAT ": cannot list its disks: %s", vm->id, error->message);
    sl_cloud_vm_unref(vm);
    return;
  }
  g_autoptr(GPtrArray) mounts = sl_store_mount_list_for_vm(c->store, vm->id, NULL);
  g_autoptr(GHashTable) rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; mounts && i < mounts->len; i++) {
    SlMount *m = mounts->pdata[i];
    char *dev = sl_cloud_disk_device(m->disk_uuid);
    g_hash_table_add(rows, dev);
    if (g_strv_contains((const char *const *)ids, dev))
      continue;
    drop_row(c, m->id);
    g_message("recovery: vm %" G_GINT64_FORMAT ": disk %s is not attached: mount removed", vm->id,
              m->disk_uuid);
  }
  for (char **id = ids; mounts && *id; id++) {
    if (!g_str_has_prefix(*id, DEV_PREFIX) || g_hash_table_contains(rows, *id))
      continue;
    g_message("recovery: vm %" G_GINT64_FORMAT ": device %s has no mount: unplugging it", vm->id,
              *id);
    dom->ops->detach_disk(dom, *id, NULL, NULL);
  }
  sl_cloud_vm_unref(vm);
}

void
sl_cloud_disks_reconcile(Vm *vm)
{
  if (!vm->dom || vm->orphan)
    return;
  sl_cloud_vm_ref(vm);
  vm->dom->ops->list_disks(vm->dom, reconciled, vm);
}

void
sl_cloud_disks_recover(SlCloud *c, GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++) {
    SlVm *row = rows->pdata[i];
    if (sl_vm_state_is_final(row->state) && !row->ip)
      sl_cloud_disks_release(c, row->id);
  }
}
