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

/* MAC from the user NIC's host address, OpenNebula style (02:00:a:b:c:d), stable across
 * restarts; 10.0.2.15 (slirp's guest address) without one. */
static char *
user_mac(const SlNicSpec *n)
{
  guint8 ip[4] = {10, 0, 2, 15};
  if (n->host_ip) {
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(n->host_ip);
    memcpy(ip, g_inet_address_to_bytes(a), 4);
  }
  return g_strdup_printf("02:00:%02x:%02x:%02x:%02x", ip[0], ip[1], ip[2], ip[3]);
}

/* -netdev n<i> and -device virtio-net-pci net<i> (docs/network.md). */
static void
add_nic(GStrvBuilder *b, guint i, const SlNicSpec *n)
{
  g_autoptr(GString) net = g_string_new(NULL);
  switch (n->kind) {
  case SL_NIC_USER:
    g_string_append_printf(net, "user,id=n%u,restrict=%s", i, n->outbound ? "off" : "on");
    for (guint j = 0; n->host_ip && j < n->ports->len; j++) {
      guint port = g_array_index(n->ports, guint16, j);
      g_string_append_printf(net, ",hostfwd=tcp:%s:%u-:%u", n->host_ip, port, port);
    }
    break;
  case SL_NIC_TAP:
    g_string_append_printf(net, "tap,id=n%u,ifname=%s,script=no,downscript=no", i, n->ifname);
    break;
  case SL_NIC_SOCKET:
    g_string_append_printf(net, "socket,id=n%u,mcast=%s", i, n->mcast);
    break;
  }
  add(b, "-netdev", net->str);
  g_autofree char *mac = n->mac ? g_strdup(n->mac) : user_mac(n);
  addf(b, "-device", "virtio-net-pci,id=net%u,netdev=n%u,mac=%s", i, i, mac);
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

  if (spec->nics->len == 0) {
    /* the embedded default: one user-mode NIC from the legacy fields */
    SlNicSpec legacy = {.kind = SL_NIC_USER,
                        .host_ip = spec->public_ip,
                        .ports = spec->ports,
                        .outbound = spec->outbound};
    add_nic(b, 0, &legacy);
  }
  for (guint i = 0; i < spec->nics->len; i++)
    add_nic(b, i, g_ptr_array_index(spec->nics, i));
  return g_strv_builder_end(b);
}
