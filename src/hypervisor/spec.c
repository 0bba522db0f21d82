/* spec.c - SlVmSpec construction, ownership and its driver-independent check. */
#include "hypervisor/spec.h"
#include "util/error.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/un.h>

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

SlNicSpec *
sl_nic_spec_new(SlNicKind kind)
{
  SlNicSpec *n = g_new0(SlNicSpec, 1);
  n->kind = kind;
  n->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  return n;
}

void
sl_nic_spec_free(SlNicSpec *n)
{
  if (!n)
    return;
  g_free(n->mac);
  g_free(n->host_ip);
  g_array_unref(n->ports);
  g_free(n->ifname);
  g_free(n->mcast);
  g_free(n);
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
  s->nics = g_ptr_array_new_with_free_func((GDestroyNotify)sl_nic_spec_free);
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
  g_ptr_array_unref(s->nics);
  g_free(s);
}

#define INVALID(...) (g_set_error(error, SL_ERROR, SL_ERROR_INVALID, __VA_ARGS__), FALSE)

static gboolean
valid_id(const char *s, gsize max, gboolean lead_alpha)
{
  if (!s || !*s || strlen(s) > max)
    return FALSE;
  if (lead_alpha && !g_ascii_isalpha(s[0]))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Device ids name QEMU block nodes "<id>-bk": at most 31 characters, no '.'. */
static gboolean
check_disk(const SlDiskSpec *d, GError **error)
{
  if (!valid_id(d->id, 27, TRUE) || strchr(d->id, '.'))
    return INVALID("invalid disk id '%s'", d->id ? d->id : "(null)");
  if (!d->path || !g_path_is_absolute(d->path))
    return INVALID("disk %s: path must be absolute", d->id);
  if (g_strcmp0(d->format, "raw") != 0 && g_strcmp0(d->format, "qcow2") != 0)
    return INVALID("disk %s: unsupported format '%s'", d->id, d->format ? d->format : "");
  if (d->serial && !valid_id(d->serial, 64, FALSE))
    return INVALID("disk %s: invalid serial '%s'", d->id, d->serial);
  return TRUE;
}

static gboolean
check_not_reserved(const SlDiskSpec *d, GError **error)
{
  if (g_str_equal(d->id, "root") || g_str_equal(d->id, "ctx") || g_str_equal(d->id, "swap"))
    return INVALID("disk id '%s' is reserved", d->id);
  return TRUE;
}

gboolean
sl_disk_spec_check(const SlDiskSpec *disk, GError **error)
{
  return check_disk(disk, error) && check_not_reserved(disk, error);
}

static gboolean
valid_mac(const char *mac)
{
  if (!mac || strlen(mac) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++)
    if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
      return FALSE;
  return TRUE;
}

static gboolean
check_nic(const SlNicSpec *n, guint i, GError **error)
{
  if (n->mac && !valid_mac(n->mac))
    return INVALID("NIC %u: invalid MAC address '%s'", i, n->mac);
  switch (n->kind) {
  case SL_NIC_USER:
    if (n->host_ip) {
      g_autoptr(GInetAddress) a = g_inet_address_new_from_string(n->host_ip);
      if (!a || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
        return INVALID("NIC %u: host address '%s' is not IPv4", i, n->host_ip);
    }
    for (guint j = 0; j < n->ports->len; j++)
      if (g_array_index(n->ports, guint16, j) == 0)
        return INVALID("NIC %u: port 0 cannot be forwarded", i);
    return TRUE;
  case SL_NIC_TAP:
    if (!valid_id(n->ifname, 15, TRUE) || strchr(n->ifname, '.'))
      return INVALID("NIC %u: invalid tap name '%s'", i, n->ifname ? n->ifname : "(null)");
    return n->mac ? TRUE : INVALID("NIC %u: a tap NIC needs a MAC address", i);
  case SL_NIC_SOCKET: {
    g_auto(GStrv) hp = g_strsplit(n->mcast ? n->mcast : "", ":", 2);
    guint64 port = 0;
    g_autoptr(GInetAddress) a = hp[0] ? g_inet_address_new_from_string(hp[0]) : NULL;
    if (!a || !g_inet_address_get_is_multicast(a) || !hp[1] ||
        !g_ascii_string_to_unsigned(hp[1], 10, 1, 65535, &port, NULL))
      return INVALID("NIC %u: invalid multicast group '%s'", i, n->mcast ? n->mcast : "");
    return n->mac ? TRUE : INVALID("NIC %u: a socket NIC needs a MAC address", i);
  }
  }
  return INVALID("NIC %u: unknown kind", i);
}

gboolean
sl_vm_spec_check(const SlVmSpec *spec, GError **error)
{
  if (!valid_id(spec->id, 64, FALSE))
    return INVALID("invalid VM id '%s'", spec->id ? spec->id : "(null)");
  if (!spec->run_dir || !g_path_is_absolute(spec->run_dir) || strchr(spec->run_dir, ','))
    return INVALID("run dir must be an absolute path without ','");
  if (strlen(spec->run_dir) + sizeof("/qmp.sock") > sizeof(((struct sockaddr_un *)0)->sun_path))
    return INVALID("run dir %s is too long for a unix socket path", spec->run_dir);
  if (spec->vcpus < 1 || spec->vcpus > 64)
    return INVALID("vcpus must be 1..64");
  if (spec->ram_mib < 16)
    return INVALID("ram must be at least 16 MiB");
  SlDiskSpec root = spec->root;
  root.id = (char *)"root";
  if (!check_disk(&root, error))
    return FALSE;
  if (spec->context_iso && !g_path_is_absolute(spec->context_iso))
    return INVALID("context ISO path must be absolute");
  guint cds = spec->context_iso ? 1 : 0;
  for (guint i = 0; i < spec->disks->len; i++) {
    const SlDiskSpec *d = g_ptr_array_index(spec->disks, i);
    if (!sl_disk_spec_check(d, error))
      return FALSE;
    for (guint j = 0; j < i; j++)
      if (g_str_equal(d->id, ((SlDiskSpec *)g_ptr_array_index(spec->disks, j))->id))
        return INVALID("duplicate disk id '%s'", d->id);
    if (d->kind == SL_DISK_CDROM && ++cds > SL_VM_SPEC_MAX_BOOT_CDROMS)
      return INVALID("at most %u CD-ROMs at boot", (guint)SL_VM_SPEC_MAX_BOOT_CDROMS);
  }
  if (spec->swap) {
    SlDiskSpec swap = *spec->swap;
    swap.id = (char *)"swap";
    if (!check_disk(&swap, error))
      return FALSE;
  }
  if (spec->public_ip) {
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(spec->public_ip);
    if (!a || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
      return INVALID("public address '%s' is not IPv4", spec->public_ip);
  }
  for (guint i = 0; i < spec->ports->len; i++)
    if (g_array_index(spec->ports, guint16, i) == 0)
      return INVALID("port 0 cannot be forwarded");
  if (spec->nics->len > SL_VM_SPEC_MAX_NICS)
    return INVALID("at most %u NICs", (guint)SL_VM_SPEC_MAX_NICS);
  for (guint i = 0; i < spec->nics->len; i++)
    if (!check_nic(g_ptr_array_index(spec->nics, i), i, error))
      return FALSE;
  return TRUE;
}

const char *
sl_domain_event_name(SlDomainEventKind kind)
{
  static const char *names[] = {"POWERDOWN", "SHUTDOWN_GUEST", "SHUTDOWN_HOST", "STOP",
                                "RESUME",    "DEVICE_DELETED", "EXITED",        "CRASHED"};
  return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "UNKNOWN";
}
