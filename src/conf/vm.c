/* vm.c - SlVm / SlImage records and VM state names. */
#include "conf/vm.h"

static const char *const state_names[SL_VM_STATE_COUNT] = {
    [SL_VM_PENDING] = "Pending", [SL_VM_PROLOG] = "Prolog",     [SL_VM_BOOT] = "Boot",
    [SL_VM_RUNNING] = "Running", [SL_VM_SHUTDOWN] = "Shutdown", [SL_VM_EPILOG] = "Epilog",
    [SL_VM_DONE] = "Done",       [SL_VM_FAILED] = "Failed",     [SL_VM_UNKNOWN] = "Unknown",
};

const char *
sl_vm_state_to_string(SlVmState state)
{
  return (unsigned)state < SL_VM_STATE_COUNT ? state_names[state] : "Invalid state";
}

gboolean
sl_vm_state_from_string(const char *s, SlVmState *out)
{
  for (int i = 0; s && i < SL_VM_STATE_COUNT; i++)
    if (g_ascii_strcasecmp(s, state_names[i]) == 0) {
      *out = (SlVmState)i;
      return TRUE;
    }
  return FALSE;
}

gboolean
sl_vm_state_is_final(SlVmState state)
{
  return state == SL_VM_DONE || state == SL_VM_FAILED;
}

SlVm *
sl_vm_new(void)
{
  return g_new0(SlVm, 1);
}

SlVm *
sl_vm_copy(const SlVm *vm)
{
  SlVm *c = g_memdup2(vm, sizeof *vm);
  c->owner = g_strdup(vm->owner);
  c->name = g_strdup(vm->name);
  c->image = g_strdup(vm->image);
  c->ip = g_strdup(vm->ip);
  c->error = g_strdup(vm->error);
  c->def = vm->def ? sl_vm_def_copy(vm->def) : NULL;
  return c;
}

void
sl_vm_free(SlVm *vm)
{
  if (!vm)
    return;
  g_free(vm->owner);
  g_free(vm->name);
  g_free(vm->image);
  g_free(vm->ip);
  g_free(vm->error);
  sl_vm_def_free(vm->def);
  g_free(vm);
}

SlImage *
sl_image_new(void)
{
  return g_new0(SlImage, 1);
}

void
sl_image_free(SlImage *image)
{
  if (!image)
    return;
  g_free(image->identifier);
  g_free(image->sha1);
  g_free(image->path);
  g_free(image->kind);
  g_free(image->state);
  g_free(image);
}
