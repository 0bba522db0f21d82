/* hotplug.c - virtio disks plugged and unplugged over QMP (see hotplug.h). */
#include "hypervisor/qemu/hotplug.h"
#include "hypervisor/qemu/argv.h"
#include "hypervisor/spec.h"
#include "util/error.h"

/* ---- attach: blockdev-add, device_add ---- */

static void
plug_device_added(SlQemuOp *op, json_t *reply, const GError *error)
{
  (void)reply;
  sl_qemu_op_notify(op, error);
  if (error && !op->d->finished) { /* undo the node, then forget op */
    g_autofree char *node = sl_qemu_node_name(op->id);
    sl_qemu_op_send(op, "blockdev-del", json_pack("{s:s}", "node-name", node), sl_qemu_op_forget);
    return;
  }
  sl_qemu_op_free(op);
}

static void
plug_node_added(SlQemuOp *op, json_t *reply, const GError *error)
{
  (void)reply;
  if (error) {
    sl_qemu_op_done(op, error);
    return;
  }
  sl_qemu_op_send(op, "device_add", g_steal_pointer(&op->args), plug_device_added);
}

void
sl_qemu_hotplug_attach(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done, gpointer data)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  SlQemuOp *op = sl_qemu_op_new(d, done, data);
  GError *error = NULL;
  if (!sl_disk_spec_check(disk, &error)) {
    sl_qemu_op_later(op, NULL, error);
    return;
  }
  if (!sl_qemu_op_check_alive(op))
    return;
  g_autofree char *node = sl_qemu_node_name(disk->id);
  op->id = g_strdup(disk->id);
  op->args =
      json_pack("{s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id", disk->id, "drive", node);
  if (disk->serial) {
    g_autofree char *serial = g_strndup(disk->serial, SL_QEMU_SERIAL_MAX);
    json_object_set_new(op->args, "serial", json_string(serial));
  }
  /* A node left by an unplug that finished while nobody waited would make blockdev-add
   * fail; deleting it first is harmless (refused while a device still uses it). */
  sl_qmp_execute(d->qmp, "blockdev-del", json_pack("{s:s}", "node-name", node), NULL, NULL);
  sl_qemu_op_send(op, "blockdev-add",
                  sl_qemu_blockdev(disk, disk->readonly || disk->kind == SL_DISK_CDROM),
                  plug_node_added);
}

/* ---- detach: device_del, DEVICE_DELETED, blockdev-del ----
 * The caller's op waits in d->unplugs; device_del's reply (its own op) matters only when it
 * is an error, and DEVICE_DELETED may come before it. */

static void
unplug_node_deleted(SlQemuOp *op, json_t *reply, const GError *error)
{
  (void)reply;
  if (error)
    g_debug("blockdev-del after unplug: %s", error->message);
  sl_qemu_op_done(op, NULL);
}

void
sl_qemu_hotplug_released(SlQemuDom *d, const char *id)
{
  SlQemuOp *op = NULL;
  gpointer key = NULL;
  if (!g_hash_table_steal_extended(d->unplugs, id, &key, (gpointer *)&op))
    return;
  g_autofree char *node = sl_qemu_node_name(key);
  g_free(key);
  sl_qemu_op_send(op, "blockdev-del", json_pack("{s:s}", "node-name", node), unplug_node_deleted);
}

static void
unplug_requested(SlQemuOp *req, json_t *reply, const GError *error)
{
  (void)reply;
  SlQemuOp *op = NULL;
  gpointer key = NULL;
  if (error && g_hash_table_steal_extended(req->d->unplugs, req->id, &key, (gpointer *)&op)) {
    g_free(key);
    sl_qemu_op_done(op, error);
  }
  sl_qemu_op_free(req);
}

void
sl_qemu_hotplug_detach(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer data)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  SlQemuOp *op = sl_qemu_op_new(d, done, data);
  if (!sl_qemu_op_check_alive(op))
    return;
  if (!id || g_hash_table_contains(d->unplugs, id)) {
    sl_qemu_op_later(op, NULL,
                     g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "unplug of %s already pending", id));
    return;
  }
  /* Registered before device_del: DEVICE_DELETED may overtake the reply. */
  g_hash_table_insert(d->unplugs, g_strdup(id), op);
  SlQemuOp *req = sl_qemu_op_new(d, NULL, NULL);
  req->id = g_strdup(id);
  sl_qemu_op_send(req, "device_del", json_pack("{s:s}", "id", id), unplug_requested);
}

/* ---- list: qom-list /machine/peripheral, every device with an id; the virtio disks ---- */

static void
disks_reply(SlQemuOp *op, json_t *reply, const GError *error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  size_t i;
  json_t *child;
  json_array_foreach(error ? NULL : reply, i, child)
  {
    if (g_strcmp0(json_string_value(json_object_get(child, "type")), "child<virtio-blk-pci>") == 0)
      g_ptr_array_add(ids, g_strdup(json_string_value(json_object_get(child, "name"))));
  }
  g_ptr_array_add(ids, NULL);
  if (!op->d->freed)
    op->cb.disks(&op->d->pub, error ? NULL : (char **)ids->pdata, error, op->data);
  sl_qemu_op_free(op);
}

void
sl_qemu_hotplug_list(SlDomain *dom, SlDomainDisksFunc done, gpointer data)
{
  SlQemuDom *d = (SlQemuDom *)dom;
  SlQemuOp *op = sl_qemu_op_new(d, NULL, data);
  op->cb.disks = done;
  if (d->qmp && sl_qmp_is_ready(d->qmp)) {
    sl_qemu_op_send(op, "qom-list", json_pack("{s:s}", "path", "/machine/peripheral"), disks_reply);
    return;
  }
  sl_qemu_op_later(op, disks_reply,
                   g_error_new(SL_ERROR, SL_ERROR_CONFLICT,
                               "vm %s: qemu is not running or not ready", d->pub.id));
}
