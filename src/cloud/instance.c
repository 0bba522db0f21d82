/* instance.c - VM records and the table of VMs (instance.h). */
#include "cloud/instance.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "cloud/call.h"

char *
sl_cloud_run_dir(SlCloud *c, gint64 id)
{
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, id);
  return g_build_filename(c->vms_dir, name, NULL);
}

void
sl_cloud_rm_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *p = g_build_filename(path, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
      sl_cloud_rm_tree(p);
    else if (g_unlink(p) != 0 && errno != ENOENT)
      g_warning("cannot remove %s: %s", p, g_strerror(errno));
  }
  if (g_rmdir(path) != 0 && errno != ENOENT)
    g_warning("cannot remove %s: %s", path, g_strerror(errno));
}

Vm *
sl_cloud_vm_ref(Vm *vm)
{
  vm->refs++;
  return vm;
}

void
sl_cloud_vm_unref(Vm *vm)
{
  if (--vm->refs > 0)
    return;
  g_clear_handle_id(&vm->timer, g_source_remove);
  g_clear_pointer(&vm->dom, sl_domain_free);
  g_slist_free_full(vm->waiters, (GDestroyNotify)sl_cloud_call_unref);
  g_free(vm);
}

Vm *
sl_cloud_vm_new(SlCloud *c, gint64 id, SlVmState state)
{
  Vm *vm = g_new0(Vm, 1);
  vm->cloud = c;
  vm->refs = 1; /* the table's */
  vm->id = id;
  vm->state = state;
  gint64 *key = g_new(gint64, 1);
  *key = id;
  g_hash_table_replace(c->vms, key, vm);
  return vm;
}
