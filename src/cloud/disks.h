/* disks.h - persistent disks (pdisk volumes) inside VMs, the cloud's side
 * (docs/cloud.md "Persistent disks"; hot-plug is in cloud.h).
 *
 * Invariant: a mount row <uuid>_<vm> of this node exists iff the VM's QEMU
 * holds the device "pd-<first 24 hex digits of the uuid>" (or is about to).
 * Boot: the rules are checked under the pdisk lock and the mount rows are
 * written in the transaction that allocates the VM rows; Prolog adds the
 * disks to the driver's spec from the rows. Clean-up removes the rows once
 * the process is gone; recovery compares rows with the devices.
 */
#pragma once
#include "cloud/instance.h"

void sl_cloud_disks_init(SlCloud *c, const SlCloudConfig *cfg);
void sl_cloud_disks_clear(SlCloud *c);
char *sl_cloud_disk_device(const char *uuid); /* QEMU device id "pd-<hex>" */
/* Checks the boot-time disks (uuids NULL-terminated or NULL) and inserts vms
 * with their mount rows in one transaction (sl_store_vm_insert_checked
 * otherwise). */
gboolean sl_cloud_disks_insert(SlCloud *c, const char *user, char **uuids, GPtrArray *vms,
                               SlStoreVmCheckFunc check, gpointer check_data, GError **error);
gboolean sl_cloud_disks_add_to_spec(SlStore *store, SlPdisk *pdisk, gint64 id, SlVmSpec *spec,
                                    GError **error);
void sl_cloud_disks_release(SlCloud *c, gint64 id); /* after the process is gone */
void sl_cloud_disks_device_deleted(Vm *vm, const char *device);
void sl_cloud_disks_reconcile(Vm *vm); /* adopted VM: rows vs. list_disks */
void sl_cloud_disks_recover(SlCloud *c, GPtrArray *rows);
