/* qemu.h - internals of the QEMU driver, exposed for unit tests and the smoke test. */
#pragma once
#include "hypervisor/driver.h"
#include <gio/gio.h>
#include <jansson.h>

typedef enum { SL_ACCEL_TCG, SL_ACCEL_KVM } SlAccel;

/* The guest-visible serial of a volume: the first 20 bytes of uuid (VIRTIO_BLK_ID_BYTES). */
#define SL_QEMU_SERIAL_MAX 20

/* Pure: the complete argv (argv[0] = qemu_binary) for spec, or NULL + SL_ERROR_INVALID. */
GStrv sl_qemu_build_argv(const char *qemu_binary, SlAccel accel, const SlVmSpec *spec,
                         GError **error);

/* Accelerator choice: $SL_ACCEL=tcg|kvm forces it; else no usable kvm_dev means TCG; else
 * the result cached in cache_file (NULL = no cache) for this kernel; else run the probe
 * (a 512-byte boot sector under -accel kvm that must exit within 2 s) and cache it. */
SlAccel sl_accel_select(const char *qemu_binary, const char *cache_file, const char *kvm_dev);
/* Run the probe guest once: TRUE if it exited correctly within timeout_ms under KVM. */
gboolean sl_kvm_probe_run(const char *qemu_binary, guint timeout_ms);
const char *sl_accel_name(SlAccel accel);

/* Map a QMP event to a domain event; FALSE for events the driver ignores (e.g. the
 * DEVICE_DELETED that carries only a virtio-backend "path"). Strings point into data. */
gboolean sl_qemu_translate_event(const char *name, json_t *data, SlDomainEvent *out);
