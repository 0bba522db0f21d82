/* spec.c - SlVmSpec construction and ownership. */
#include "hypervisor/driver.h"

static void
disk_clear(SlDiskSpec *d)
{
  g_clear_pointer(&d->id, g_free);
  g_clear_pointer(&d->path, g_free);
  g_clear_pointer(&d->format, g_free);
  g_clear_pointer(&d->serial, g_free);
}

static void
disk_free(gpointer p)
{
  SlDiskSpec *d = p;
  if (!d)
    return;
  disk_clear(d);
  g_free(d);
}

SlVmSpec *
sl_vm_spec_new(const char *id, const char *run_dir)
{
  SlVmSpec *s = g_new0(SlVmSpec, 1);
  s->id = g_strdup(id);
  s->name = g_strdup(id);
  s->run_dir = g_strdup(run_dir);
  s->vcpus = 1;
  s->ram_mib = 128;
  s->root.id = g_strdup("root");
  s->root.format = g_strdup("qcow2");
  s->disks = g_ptr_array_new_with_free_func(disk_free);
  s->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  static const guint16 defaults[] = {22, 80, 443};
  g_array_append_vals(s->ports, defaults, G_N_ELEMENTS(defaults));
  return s;
}

SlDiskSpec *
sl_vm_spec_add_disk(SlVmSpec *spec, const char *id, const char *path, const char *format,
                    const char *serial, gboolean readonly, SlDiskKind kind)
{
  SlDiskSpec *d = g_new0(SlDiskSpec, 1);
  d->id = g_strdup(id);
  d->path = g_strdup(path);
  d->format = g_strdup(format ? format : "raw");
  d->serial = g_strdup(serial);
  d->readonly = readonly;
  d->kind = kind;
  g_ptr_array_add(spec->disks, d);
  return d;
}

void
sl_vm_spec_free(SlVmSpec *s)
{
  if (!s)
    return;
  g_free(s->id);
  g_free(s->name);
  g_free(s->run_dir);
  disk_clear(&s->root);
  g_free(s->context_iso);
  g_ptr_array_unref(s->disks);
  disk_free(s->swap);
  g_free(s->public_ip);
  g_array_unref(s->ports);
  g_free(s);
}

const char *
sl_domain_event_name(SlDomainEventKind kind)
{
  static const char *names[] = {"POWERDOWN", "SHUTDOWN_GUEST", "SHUTDOWN_HOST", "STOP",
                                "RESUME",    "DEVICE_DELETED", "EXITED",        "CRASHED"};
  return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "UNKNOWN";
}
