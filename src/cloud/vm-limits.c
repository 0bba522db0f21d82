/* vm-limits.c - quotas and host capacity, checked inside the allocation
 * transaction of sl_cloud_vm_create (an SlStoreVmCheckFunc): a request that
 * does not fit fails as a whole and allocates nothing; two concurrent
 * requests cannot both squeeze past a limit (the store serialises writers).
 *
 * Order: one VM bigger than the host (capacity), the owner's quota (vms,
 * cpu, ram), then the cloud's capacity (all users' VMs not Done/Failed).
 */
#include "cloud/vm-limits.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define DEFAULT_QUOTA_VMS 20
#define DEFAULT_QUOTA_CPU 20
#define DEFAULT_QUOTA_RAM 20480 /* MiB */
#define DEFAULT_CPU_OVERCOMMIT 8.0
#define DEFAULT_RAM_OVERCOMMIT 1.0

/* MemTotal of /proc/meminfo in MiB (0 if unreadable). */
static guint64
host_ram_mib(void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
    return 0;
  const char *p = strstr(text, "MemTotal:");
  unsigned long long kib = 0;
  if (!p || sscanf(p, "MemTotal: %llu kB", &kib) != 1)
    return 0;
  return kib / 1024;
}

void
sl_cloud_limits_init(SlCloud *c, const SlCloudConfig *cfg)
{
  static const SlQuota builtin = {DEFAULT_QUOTA_VMS, DEFAULT_QUOTA_CPU, DEFAULT_QUOTA_RAM};
  c->quota = cfg->quota ? *cfg->quota : builtin;
  c->quota.vms = MAX(c->quota.vms, -1);
  c->quota.cpu = MAX(c->quota.cpu, -1);
  c->quota.ram = MAX(c->quota.ram, -1);
  guint cores = cfg->host_cpus ? cfg->host_cpus : g_get_num_processors();
  guint64 ram = cfg->host_ram_mib ? cfg->host_ram_mib : host_ram_mib();
  double cpu_oc = cfg->cpu_overcommit > 0 ? cfg->cpu_overcommit : DEFAULT_CPU_OVERCOMMIT;
  double ram_oc = cfg->ram_overcommit > 0 ? cfg->ram_overcommit : DEFAULT_RAM_OVERCOMMIT;
  c->host_cores = cores;
  c->host_ram = (gint64)ram;
  c->cpu_overcommit = cpu_oc;
  c->ram_overcommit = ram_oc;
  c->cap_cpu = (gint64)((double)cores * cpu_oc);
  c->cap_ram = ram ? (gint64)((double)ram * ram_oc) : -1;
  g_message("limits: capacity %" G_GINT64_FORMAT " vCPUs (%u cores x %g), %" G_GINT64_FORMAT
            " MiB RAM (%" G_GUINT64_FORMAT " x %g); default quota vms %" G_GINT64_FORMAT
            ", cpu %" G_GINT64_FORMAT ", ram %" G_GINT64_FORMAT " MiB (-1 = unlimited)",
            c->cap_cpu, cores, cpu_oc, c->cap_ram, ram, ram_oc, c->quota.vms, c->quota.cpu,
            c->quota.ram);
}

static gboolean
over_quota(GError **error, const char *what, gint64 used, gint64 asked, gint64 limit,
           const char *unit)
{
  if (limit < 0 || used + asked <= limit)
    return FALSE;
  g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN,
              "quota exceeded: %s (%" G_GINT64_FORMAT " + %" G_GINT64_FORMAT " > %" G_GINT64_FORMAT
              "%s)",
              what, used, asked, limit, unit);
  return TRUE;
}

static gboolean
over_capacity(GError **error, const char *what, gint64 used, gint64 asked, gint64 cap,
              const char *unit)
{
  if (cap < 0 || used + asked <= cap)
    return FALSE;
  g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
              "not enough capacity on this cloud: %s (%" G_GINT64_FORMAT
              " in use + %" G_GINT64_FORMAT " asked > %" G_GINT64_FORMAT "%s)",
              what, used, asked, cap, unit);
  return TRUE;
}

gboolean
sl_cloud_limits_check(const SlVmUsage *mine, const SlVmUsage *all, const SlQuota *quota,
                      GPtrArray *vms, gpointer data, GError **error)
{
  SlCloud *c = data;
  gint64 n = vms->len, cpu = 0, ram = 0;
  for (guint i = 0; i < vms->len; i++) {
    const SlVm *v = vms->pdata[i];
    cpu += v->vcpu;
    ram += v->ram;
    if (v->vcpu > c->cap_cpu) {
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                  "not enough capacity on this cloud: one VM asks %d vCPUs, a host offers at most "
                  "%" G_GINT64_FORMAT " (%u cores x cpu_overcommit %g)",
                  v->vcpu, c->cap_cpu, c->host_cores, c->cpu_overcommit);
      return FALSE;
    }
    if (c->host_ram > 0 && v->ram > c->host_ram) {
      g_set_error(
          error, SL_ERROR, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: one VM asks %d MiB RAM, a host has %" G_GINT64_FORMAT
          " MiB",
          v->ram, c->host_ram);
      return FALSE;
    }
  }
  gint64 q_vms = quota->vms >= 0 ? quota->vms : c->quota.vms;
  gint64 q_cpu = quota->cpu >= 0 ? quota->cpu : c->quota.cpu;
  gint64 q_ram = quota->ram >= 0 ? quota->ram : c->quota.ram;
  if (over_quota(error, "vms", mine->vms, n, q_vms, "") ||
      over_quota(error, "cpu", mine->cpu, cpu, q_cpu, " vCPUs") ||
      over_quota(error, "ram", mine->ram, ram, q_ram, " MiB"))
    return FALSE;
  return !over_capacity(error, "cpu", all->cpu, cpu, c->cap_cpu, " vCPUs") &&
         !over_capacity(error, "ram", all->ram, ram, c->cap_ram, " MiB");
}
