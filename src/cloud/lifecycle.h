/* lifecycle.h - the state machine of one VM (main context only;
 * docs/cloud.md "States"): Prolog as a table of steps (prolog.h), Boot,
 * hypervisor events, power button and timeout, Epilog, clean-up.
 *
 * Every transition is written to the store before its side effect. Reaching
 * Done or Failed starts the clean-up: destroy the process, remove the run
 * dir, release the disks and then the address; the VM's waiters complete at
 * its end.
 */
#pragma once
#include "cloud/instance.h"

/* Pending -> Prolog -> Boot -> Running. */
void sl_cloud_vm_start(SlCloud *c, gint64 id);
/* Writes state (+ reason, one line) first, then cleans up. */
void sl_cloud_vm_finish(Vm *vm, SlVmState state, const char *reason);
/* Running -> Shutdown: power button + timeout; CONFLICT unless Running. */
gboolean sl_cloud_vm_powerdown(Vm *vm, GError **error);
/* Adopt the process of a recovered VM (vm->dom NULL if there is none);
 * query: ask the guest's status and reconcile its disks. */
void sl_cloud_vm_adopt(Vm *vm, gboolean query);
/* Restart the shutdown timer for `seconds`. */
void sl_cloud_vm_arm_timeout(Vm *vm, guint seconds);
/* Epilog of a VM found in Epilog at start-up: resume its save, or Done. */
void sl_cloud_vm_resume_epilog(Vm *vm);
