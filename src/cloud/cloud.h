/* cloud.h - the VM service: lifecycle state machine, IP pool, instance types.
 *
 * Threading model. REST handlers run in libmicrohttpd worker threads and call
 * sl_cloud_*. Those calls do their database work synchronously (the store is
 * thread-safe) and hand every side effect to the daemon's main context with
 * g_main_context_invoke(); all hypervisor calls and callbacks, timers and the
 * in-memory VM table live in that main context only. kill and shutdown wait
 * (bounded) for the main context to have acted, so their answer shows the
 * new state. Never call them from the main context thread itself.
 *
 * State changes are one transaction written BEFORE the side effect they
 * announce; a row in Done/Failed whose ip is still set means "clean-up
 * pending" (process, run dir), finished by the main loop or by recovery.
 * docs/cloud.md has the states, the run dir layout and the recovery rules.
 *
 * Errors: SL_ERROR codes = HTTP statuses (INVALID, NOT_FOUND for unknown or
 * other users' VMs, CONFLICT for a state that forbids the action or an
 * exhausted pool, INTERNAL).
 */
#pragma once
#include <glib.h>
#include <jansson.h>

#include "conf/vm.h"
#include "hypervisor/driver.h"
#include "network/driver.h"
#include "image/cache.h"
#include "cloud/save.h"
#include "pdisk/pdisk.h"
#include "store/store.h"

typedef struct SlCloud SlCloud;

typedef struct {
  const char *data_dir; /* run dirs go to DATA/vms/<id> */
  const char *network;  /* address pool, CIDR; NULL = "127.100.0.0/16" */
  const guint16 *ports; /* forwarded TCP ports; NULL = 22, 80, 443 */
  guint n_ports;
  gboolean outbound;        /* guests may open connections out (default FALSE) */
  guint shutdown_timeout_s; /* Shutdown -> hard stop; 0 = 60 */
  guint cpu_sample_s;       /* CPU% sampling period; 0 = 5 */
  const char *qemu_img;     /* NULL = "qemu-img" */
  const char *mkswap;       /* NULL = "mkswap" (PATH, then /sbin) */
  /* Limits (limits.c): the operator's default quota per user, NULL =
   * built-in (vms 20, cpu 20 vCPUs, ram 20480 MiB), a field < 0 = unlimited;
   * capacity = host cores x cpu_overcommit (0 = 8) vCPUs and MemTotal x
   * ram_overcommit (0 = 1.0) MiB; host_cpus/host_ram_mib 0 = this machine's. */
  const SlQuota *quota;
  double cpu_overcommit, ram_overcommit;
  guint host_cpus;
  guint64 host_ram_mib;
  guint prolog_delay_ms;         /* test hook: pause after the overlay; 0 = none */
  SlPdisk *pdisk;                /* persistent disks inside VMs; NULL = refused */
  const char *node;              /* node name in mount rows; NULL = g_get_host_name() */
  struct SlMarketClient *market; /* Marketplace images (market/client.h); NULL = cached only */
  const SlSaveSettings *save;    /* --save: mail, Marketplace, endorser (save.h); NULL = defaults */
  /* The cloud's networks (network/driver.h), borrowed, outliving the cloud; [0] is "public",
   * whose pool replaces `network` and whose driver wires every VM's eth0. NULL = a user
   * network made of network/ports/outbound. */
  GPtrArray *networks;
} SlCloudConfig;

/* Side effects run in the global default main context (the hypervisor
 * drivers attach their sources there); the daemon's main loop runs it. The
 * store, cache and hypervisor must outlive the cloud. Fails on a bad pool. */
SlCloud *sl_cloud_new(SlStore *store, SlImageCache *images, SlHypervisor *hv,
                      const SlCloudConfig *config, GError **error);
/* Stops timers and forgets domains; running VMs keep running (adopted at the
 * next start). Call from the main context. */
void sl_cloud_free(SlCloud *cloud);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlCloud, sl_cloud_free)

/* Start-up reconciliation (docs/cloud.md "Recovery"); call once from the main
 * context before serving. Synchronous DB work; adoption and clean-up
 * continue in the main loop. */
gboolean sl_cloud_recover(SlCloud *cloud, GError **error);

/* Errors of sl_cloud_vm_create for limits: SL_ERROR_FORBIDDEN "quota exceeded:
 * <what> (<used> + <asked> > <limit>)", SL_ERROR_CONFLICT "not enough
 * capacity on this cloud: ..." (also for one VM bigger than the host). */

/* Validates the request (conf/vm-def.h: the asked-for members), resolves
 * its images, allocates every VM with its address in one transaction (all or
 * nothing), then starts them. Returns SlVm* (state Pending) whose def is the
 * completed definition. `save` needs number 1. */
GPtrArray *sl_cloud_vm_create(SlCloud *cloud, const char *user, const SlVmDef *req, GError **error);
/* The caller's VM (any state), with cpu/memory filled in. */
SlVm *sl_cloud_vm_get(SlCloud *cloud, const char *user, gint64 id, GError **error);
/* Download progress (percent) of a VM in Prolog, or -1 (market.c). */
int sl_cloud_vm_progress(SlCloud *cloud, const SlVm *vm);
/* The caller's VMs that are not Done (Failed ones included), by id. */
GPtrArray *sl_cloud_vm_list(SlCloud *cloud, const char *user, GError **error);
/* Kill: Done, process destroyed, run dir removed, address released. */
SlVm *sl_cloud_vm_kill(SlCloud *cloud, const char *user, gint64 id, GError **error);
/* ACPI power button: Running -> Shutdown (-> Epilog -> Done when the guest is
 * off, or hard stop after the timeout). CONFLICT unless Running. */
SlVm *sl_cloud_vm_shutdown(SlCloud *cloud, const char *user, gint64 id, GError **error);

/* Persistent disks inside a Running VM (disks.c, docs/cloud.md). attach:
 * the mount row (same rules and messages as POST /disks/<uuid>/mounts, plus
 * the disk type) then the hot-plug; returns the mount (target = recorded
 * vdX). detach: returns once the guest released the device and the row is
 * gone. CONFLICT "VM <id> is not in running state"; NOT_FOUND "Disk have not
 * been hot-plugged: ..." for a disk the VM does not hold; UNAVAILABLE when the
 * guest did not act within 30 s (the operation goes on). */
SlMount *sl_cloud_vm_attach_disk(SlCloud *cloud, const char *user, gint64 id, const char *uuid,
                                 GError **error);
SlMount *sl_cloud_vm_detach_disk(SlCloud *cloud, const char *user, gint64 id, const char *uuid,
                                 GError **error);
/* The VM's mount rows (SlMount*), by creation. No rights check. */
GPtrArray *sl_cloud_vm_disks(SlCloud *cloud, gint64 id, GError **error);

/* Test seams of the save (save.h); NULL = the real upload and mail. */
void sl_cloud_set_save_hooks(SlCloud *cloud, const SlSaveHooks *hooks);

/* Instance types (types.c, protocols.md §2.3). */
typedef struct {
  const char *name;
  int cpu, ram, swap; /* ram and swap in MiB */
} SlInstanceType;
const SlInstanceType *sl_cloud_types(guint *n); /* sorted by name */
const SlInstanceType *sl_cloud_type_lookup(const char *name);
#define SL_CLOUD_DEFAULT_TYPE "m1.small"

/* Address pool (iptable.c); exported for tests. */
typedef struct SlIpPool SlIpPool;
SlIpPool *sl_ip_pool_new(const char *cidr, GError **error);
void sl_ip_pool_free(SlIpPool *pool);
guint sl_ip_pool_size(const SlIpPool *pool);
/* First address of the pool not in used (char* set), or NULL: an
 * SlStoreIpPickFunc with data = the pool. */
char *sl_ip_pool_pick(GHashTable *used, gpointer pool);
/* Whether two pools share an address. */
gboolean sl_ip_pool_overlaps(const SlIpPool *a, const SlIpPool *b);
/* TRUE when address (IPv4 text) is a usable address of the pool. */
gboolean sl_ip_pool_contains(const SlIpPool *pool, const char *address);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlIpPool, sl_ip_pool_free)

/* The [cloud] group of stratusd's configuration file (settings.c):
 *   hypervisor = qemu | fake   (fake: tests and benchmarks only)
 *   network = 127.100.0.0/16   ports = 22,80,443   outbound = false
 *   shutdown_timeout = 60      (seconds)
 *   cpu_overcommit = 8         ram_overcommit = 1.0
 * and [quota] vms = 20, cpu = 20, ram = 20480 (MiB; or "unlimited").
 * path NULL = all defaults. Unknown values fail with SL_ERROR_INVALID.
 * $SL_TEST_PROLOG_DELAY_MS (test hook) fills prolog_delay_ms. */
typedef struct {
  char *hypervisor;
  char *network;
  GArray *ports; /* guint16 */
  gboolean outbound;
  guint shutdown_timeout_s;
  double cpu_overcommit, ram_overcommit;
  SlQuota quota; /* -1 = unlimited */
  guint prolog_delay_ms;
  /* Marketplace images (docs/images.md): marketplace_endpoint (NULL = this
   * daemon), marketplace_ca (NULL = this daemon's CA for itself, else the
   * system store), policy (NULL = DATA/policy.cfg when present) */
  char *marketplace_endpoint, *marketplace_ca, *policy;
} SlCloudSettings;
gboolean sl_cloud_settings_load(SlCloudSettings *s, const char *path, GError **error);
void sl_cloud_settings_clear(SlCloudSettings *s);
/* "22, 80,443" -> ports (1..65535, no duplicates). */
GArray *sl_cloud_parse_ports(const char *text, GError **error);
