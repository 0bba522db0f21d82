/* spec.h - the driver-independent check of a VM definition.
 *
 * Every driver checks what it is given here, before it does anything: start() the
 * whole SlVmSpec, attach_disk() the one SlDiskSpec. The rules are those documented
 * at SlVmSpec / SlDiskSpec in driver.h; a broken rule is SL_ERROR_INVALID with a
 * one-line message naming the field.
 */
#pragma once
#include "hypervisor/driver.h"

/* CD-ROMs a VM may have at boot, the context CD included (the IDE slots of a pc). */
#define SL_VM_SPEC_MAX_BOOT_CDROMS 4
#define SL_VM_SPEC_MAX_NICS 8

/* The whole definition: ids, paths, sizes, disks (unique ids, none reserved), address. */
gboolean sl_vm_spec_check(const SlVmSpec *spec, GError **error);
/* A disk to hot-plug: id (not root, ctx or swap), absolute path, format, serial. */
gboolean sl_disk_spec_check(const SlDiskSpec *disk, GError **error);
