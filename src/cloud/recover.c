/* recover.c - start-up reconciliation of VM rows, qemu processes, run dirs
 * and addresses (docs/cloud.md "Recovery").
 *
 *  Running / Shutdown / Unknown: adopt the process. None -> Failed
 *    "hypervisor process vanished while the daemon was down" + clean-up.
 *    Adopted: query the guest; powered off meanwhile -> Unknown (was
 *    Running) or Epilog -> Done (was Shutdown). Shutdown gets the rest of its
 *    timeout.
 *  Pending / Prolog / Boot: the half-made VM is not resumed: Failed
 *    "interrupted by a daemon restart during <State>", any process destroyed,
 *    run dir removed, address released. (Resuming Prolog would be possible,
 *    but a client waiting on it has long given up; failing is predictable.)
 *  Epilog: finish it -> Done; a VM being saved resumes its save (save.c).
 *  Done / Failed with an address still held: finish the clean-up.
 *  Run dirs with no VM holding resources: any process destroyed, dir removed.
 */
#include "cloud/cloud.h"

#include "cloud/disks.h"
#include "cloud/epilog.h"
#include "cloud/instance.h"
#include "cloud/lifecycle.h"

#include <stdlib.h>

#include "util/error.h"

/* What a restart does with a row, by the state it was left in: the phase
 * the state belongs to decides. Prolog's steps (prolog.h) are not resumable,
 * so a VM caught in them fails; the Epilog's (the save's table, save.h)
 * resume at the last step recorded in state.json. */
typedef enum { ADOPT, INTERRUPTED, EPILOG, FINISH } Restart;

static const Restart on_restart[SL_VM_STATE_COUNT] = {
    [SL_VM_PENDING] = INTERRUPTED, [SL_VM_PROLOG] = INTERRUPTED, [SL_VM_BOOT] = INTERRUPTED,
    [SL_VM_RUNNING] = ADOPT,       [SL_VM_SHUTDOWN] = ADOPT,     [SL_VM_UNKNOWN] = ADOPT,
    [SL_VM_EPILOG] = EPILOG,       [SL_VM_DONE] = FINISH,        [SL_VM_FAILED] = FINISH,
};

static void
recover_row(SlCloud *c, SlVm *row, GHashTable *keep)
{
  SlVmState s = row->state;
  if (sl_vm_state_is_final(s) && !row->ip)
    return;
  g_hash_table_add(keep, g_strdup_printf("%" G_GINT64_FORMAT, row->id));
  Vm *vm = sl_cloud_vm_new(c, row->id, s);
  Restart what = (unsigned)s < SL_VM_STATE_COUNT ? on_restart[s] : FINISH;
  sl_cloud_vm_adopt(vm, what == ADOPT);
  switch (what) {
  case ADOPT:
    if (!vm->dom) {
      sl_cloud_vm_finish(vm, SL_VM_FAILED, "hypervisor process vanished while the daemon was down");
      return;
    }
    if (s == SL_VM_SHUTDOWN) {
      gint64 now = g_get_real_time() / G_USEC_PER_SEC;
      gint64 left = row->updated + (gint64)c->shutdown_timeout_s - now;
      sl_cloud_vm_arm_timeout(vm, (guint)CLAMP(left, 1, (gint64)c->shutdown_timeout_s));
    }
    g_message("vm %" G_GINT64_FORMAT ": adopted (%s)", row->id, sl_vm_state_to_string(s));
    return;
  case INTERRUPTED: {
    g_autofree char *why =
        g_strdup_printf("interrupted by a daemon restart during %s", sl_vm_state_to_string(s));
    sl_cloud_vm_finish(vm, SL_VM_FAILED, why);
    return;
  }
  case EPILOG:
    sl_cloud_vm_resume_epilog(vm);
    return;
  case FINISH: /* Done / Failed with an address */
    sl_cloud_vm_finish(vm, s, NULL);
    return;
  }
}

/* Run dirs that no VM needs: destroy a process still living there, remove. */
static void
recover_dirs(SlCloud *c, GHashTable *keep)
{
  g_autoptr(GDir) dir = g_dir_open(c->vms_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    if (g_hash_table_contains(keep, name))
      continue;
    char *end = NULL;
    gint64 id = g_ascii_strtoll(name, &end, 10);
    g_autofree char *path = g_build_filename(c->vms_dir, name, NULL);
    if (!end || *end || id <= 0 || g_hash_table_contains(c->vms, &id)) {
      if (!g_hash_table_contains(c->vms, &id)) {
        g_message("recovery: removing stray %s", path);
        sl_cloud_rm_tree(path);
      }
      continue;
    }
    g_message("recovery: removing run dir %s (no VM holds it)", path);
    Vm *vm = sl_cloud_vm_new(c, id, SL_VM_DONE);
    vm->orphan = TRUE;
    sl_cloud_vm_adopt(vm, FALSE);
    sl_cloud_vm_finish(vm, SL_VM_DONE, NULL);
  }
}

gboolean
sl_cloud_recover(SlCloud *c, GError **error)
{
  g_autoptr(GPtrArray) rows = sl_store_vm_list(c->store, NULL, TRUE, error);
  if (!rows)
    return FALSE;
  g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rows->len; i++)
    recover_row(c, rows->pdata[i], keep);
  sl_cloud_disks_recover(c, rows);
  sl_cloud_save_recover(c, rows);
  recover_dirs(c, keep);
  for (guint i = 0; i < c->nets->len; i++) { /* taps of VMs that hold nothing any more */
    SlNetwork *n = c->nets->pdata[i];
    n->ops->recover(n, keep);
  }
  return TRUE;
}
