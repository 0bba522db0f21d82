/* epilog.h - the Epilog of a VM created with `save` (save.c; save.h has
 * the flow and docs/save.md the details).
 *
 * sl_cloud_save_begin() starts the save, or resumes it at the last step
 * recorded in DATA/saves/<vm>/state.json; the steps run one after the other
 * (the Epilog's table) and the save ends by calling done once, with Done or
 * Failed and a reason (the save's notes), unless the cloud was freed
 * meanwhile (then everything is left for the next start). A VM killed during
 * the save: done gets SL_VM_DONE after the step in flight.
 */
#pragma once
#include "cloud/instance.h"

typedef void (*SlSaveDoneFunc)(Vm *vm, SlVmState state, const char *reason);

void sl_cloud_save_init(SlCloud *c, const SlCloudConfig *cfg);
void sl_cloud_save_clear(SlCloud *c); /* waits for worker steps in flight */
/* FALSE when the VM has nothing to save (done is not called). */
gboolean sl_cloud_save_begin(Vm *vm, SlSaveDoneFunc done);
void sl_cloud_save_recover(SlCloud *c, GPtrArray *rows); /* stray save dirs */
