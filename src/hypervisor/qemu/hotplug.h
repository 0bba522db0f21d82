/* hotplug.h - disks plugged into and out of a running QEMU, over QMP.
 *
 * The attach_disk, detach_disk and list_disks entries of the QEMU driver's table (contract
 * in driver.h). Attach: the disk is checked (spec.h), then blockdev-add "<id>-bk" and
 * device_add virtio-blk-pci; a failed device_add deletes the node again. Detach:
 * device_del, then the guest releases the device (DEVICE_DELETED, which the driver hands
 * to sl_qemu_hotplug_released), then blockdev-del. List: qom-list /machine/peripheral.
 */
#pragma once
#include "hypervisor/qemu/domain.h"

void sl_qemu_hotplug_attach(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done,
                            gpointer data);
void sl_qemu_hotplug_detach(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer data);
void sl_qemu_hotplug_list(SlDomain *dom, SlDomainDisksFunc done, gpointer data);
/* The guest released device id (DEVICE_DELETED): finish the unplug waiting for it, if any. */
void sl_qemu_hotplug_released(SlQemuDom *d, const char *id);
