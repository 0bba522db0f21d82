/* argv.c - the QEMU command line for a VM spec (pure function, golden-tested).
 *
 * Layout, in order: identity, machine/accel/cpu/memory, no defaults, control
 * files in the run dir (serial, QMP, pid), root disk, context CD, extra disks,
 * swap, network. Disks use JSON -blockdev nodes "<id>-bk" (monitor-owned, so
 * any of them can later be removed with device_del + blockdev-del) and devices
 * named "<id>". See docs/hypervisor.md.
 */
#include "hypervisor/qemu/argv.h"
#include "hypervisor/spec.h"

#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

static void
add(GStrvBuilder *b, const char *opt, const char *val)
{
  g_strv_builder_add(b, opt);
  if (val)
    g_strv_builder_add(b, val);
}

static void addf(GStrvBuilder *b, const char *opt, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void
addf(GStrvBuilder *b, const char *opt, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *val = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  add(b, opt, val);
}

char *
sl_qemu_node_name(const char *device_id)
{
  return g_strdup_printf("%s-bk", device_id);
}

json_t *
sl_qemu_blockdev(const SlDiskSpec *d, gboolean readonly)
{
  g_autofree char *node = sl_qemu_node_name(d->id);
  return json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "driver", d->format, "node-name", node,
                   "read-only", readonly, "file", "driver", "file", "filename", d->path);
}

/* JSON -blockdev: format node "<id>-bk" over an anonymous file node. */
static void
add_blockdev(GStrvBuilder *b, const SlDiskSpec *d, gboolean readonly)
{
  json_t *o = sl_qemu_blockdev(d, readonly);
  g_autofree char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  add(b, "-blockdev", s);
}

static void
add_virtio_disk(GStrvBuilder *b, const SlDiskSpec *d, gboolean boot)
{
  add_blockdev(b, d, d->readonly || d->kind == SL_DISK_CDROM);
  g_autofree char *serial = d->serial ? g_strndup(d->serial, SL_QEMU_SERIAL_MAX) : NULL;
  addf(b, "-device", "virtio-blk-pci,id=%s,drive=%s-bk%s%s%s", d->id, d->id,
       serial ? ",serial=" : "", serial ? serial : "", boot ? ",bootindex=0" : "");
}

/* CD-ROM slots on the PIIX IDE buses: the context CD takes ide.1 unit 0 (-drive index=2). */
static const struct {
  int bus, unit;
} cd_slots[] = {{1, 0}, {1, 1}, {0, 0}, {0, 1}};
G_STATIC_ASSERT(G_N_ELEMENTS(cd_slots) == SL_VM_SPEC_MAX_BOOT_CDROMS);

static void
add_ide_cd(GStrvBuilder *b, const SlDiskSpec *d, int slot)
{
  add_blockdev(b, d, TRUE);
  g_autofree char *serial = d->serial ? g_strndup(d->serial, SL_QEMU_SERIAL_MAX) : NULL;
  addf(b, "-device", "ide-cd,id=%s,drive=%s-bk,bus=ide.%d,unit=%d%s%s", d->id, d->id,
       cd_slots[slot].bus, cd_slots[slot].unit, serial ? ",serial=" : "", serial ? serial : "");
}

static char *
escape_commas(const char *s)
{
  GString *out = g_string_new(NULL);
  for (; *s; s++) {
    if (*s == ',')
      g_string_append_c(out, ',');
    g_string_append_c(out, *s);
  }
  return g_string_free(out, FALSE);
}

GStrv
sl_qemu_build_argv(const char *qemu_binary, SlAccel accel, const SlVmSpec *spec, GError **error)
{
  if (!sl_vm_spec_check(spec, error))
    return NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  const char *run = spec->run_dir;
  g_strv_builder_add(b, qemu_binary);
  g_autofree char *name = escape_commas(spec->name ? spec->name : spec->id);
  addf(b, "-name", "guest=%s", name);
  add(b, "-machine", "pc");
  add(b, "-accel", accel == SL_ACCEL_KVM ? "kvm" : "tcg");
  add(b, "-cpu", accel == SL_ACCEL_KVM ? "host" : "qemu64");
  addf(b, "-smp", "%u", spec->vcpus);
  addf(b, "-m", "%u", spec->ram_mib);
  add(b, "-nodefaults", NULL);
  add(b, "-no-user-config", NULL);
  add(b, "-display", "none");
  add(b, "-no-shutdown", NULL);
  addf(b, "-serial", "file:%s/serial.log", run);
  addf(b, "-qmp", "unix:%s/qmp.sock,server=on,wait=off", run);
  addf(b, "-pidfile", "%s/qemu.pid", run);
  add(b, "-daemonize", NULL);

  SlDiskSpec root = spec->root;
  root.id = (char *)"root";
  root.readonly = FALSE;
  root.kind = SL_DISK_DISK;
  add_virtio_disk(b, &root, TRUE);

  int slot = 0;
  if (spec->context_iso) {
    SlDiskSpec ctx = {.id = (char *)"ctx", .path = spec->context_iso, .format = (char *)"raw"};
    add_ide_cd(b, &ctx, slot++);
  }
  for (guint i = 0; i < spec->disks->len; i++) {
    const SlDiskSpec *d = g_ptr_array_index(spec->disks, i);
    if (d->kind == SL_DISK_CDROM)
      add_ide_cd(b, d, slot++);
    else
      add_virtio_disk(b, d, FALSE);
  }
  if (spec->swap) {
    SlDiskSpec swap = *spec->swap;
    swap.id = (char *)"swap";
    swap.kind = SL_DISK_DISK;
    add_virtio_disk(b, &swap, FALSE);
  }

  g_autoptr(GString) net = g_string_new("user,id=n0,restrict=");
  g_string_append(net, spec->outbound ? "off" : "on");
  for (guint i = 0; spec->public_ip && i < spec->ports->len; i++) {
    guint port = g_array_index(spec->ports, guint16, i);
    g_string_append_printf(net, ",hostfwd=tcp:%s:%u-:%u", spec->public_ip, port, port);
  }
  add(b, "-netdev", net->str);
  /* MAC from the public address, OpenNebula style (02:00:a:b:c:d), stable across restarts. */
  guint8 ip[4] = {10, 0, 2, 15};
  if (spec->public_ip) {
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(spec->public_ip);
    memcpy(ip, g_inet_address_to_bytes(a), 4);
  }
  addf(b, "-device", "virtio-net-pci,id=net0,netdev=n0,mac=02:00:%02x:%02x:%02x:%02x", ip[0], ip[1],
       ip[2], ip[3]);
  return g_strv_builder_end(b);
}
