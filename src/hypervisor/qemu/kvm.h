/* kvm.h - the accelerator of the QEMU driver: KVM if a real probe guest says so, else TCG.
 *
 * Decided once per hypervisor (sl_hypervisor_qemu_new), never per VM. KVM is never
 * required: every failure of the probe means TCG.
 */
#pragma once
#include <glib.h>

typedef enum { SL_ACCEL_TCG, SL_ACCEL_KVM } SlAccel;

/* Accelerator choice: $SL_ACCEL=tcg|kvm forces it; else no usable kvm_dev (NULL = /dev/kvm)
 * means TCG; else the result cached in cache_file (NULL = no cache) for this kernel; else
 * run the probe (a 512-byte boot sector under -accel kvm that must exit within 2 s) and
 * cache it. */
SlAccel sl_accel_select(const char *qemu_binary, const char *cache_file, const char *kvm_dev);
/* Run the probe guest once: TRUE if it exited correctly within timeout_ms under KVM. */
gboolean sl_kvm_probe_run(const char *qemu_binary, guint timeout_ms);
/* "tcg" | "kvm" */
const char *sl_accel_name(SlAccel accel);
