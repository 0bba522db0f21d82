/* argv.h - the QEMU command line of a VM spec (pure, golden-tested: tests/data/qemu).
 *
 * sl_qemu_build_argv() checks the spec (spec.h) and returns every argument, argv[0]
 * included; the same spec always gives the same argv. Devices are named by their spec
 * id and sit on JSON -blockdev nodes "<id>-bk" owned by the monitor, so that a cold-
 * plugged disk is unplugged like a hot-plugged one. docs/hypervisor.md lists the layout.
 */
#pragma once
#include "hypervisor/driver.h"
#include "hypervisor/qemu/kvm.h"
#include <jansson.h>

/* The guest-visible serial of a volume: the first 20 bytes of uuid (VIRTIO_BLK_ID_BYTES). */
#define SL_QEMU_SERIAL_MAX 20

/* The complete argv (argv[0] = qemu_binary) for spec, or NULL + SL_ERROR_INVALID. */
GStrv sl_qemu_build_argv(const char *qemu_binary, SlAccel accel, const SlVmSpec *spec,
                         GError **error);

/* The block node under device id: "<id>-bk". */
char *sl_qemu_node_name(const char *device_id);
/* The node of disk for -blockdev and blockdev-add: its format over an anonymous file node. */
json_t *sl_qemu_blockdev(const SlDiskSpec *disk, gboolean readonly);
