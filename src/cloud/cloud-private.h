/* cloud-private.h - shared by the files of src/cloud (not part of the contract).
 *
 * cloud.c: public API, worker-thread -> main-context calls, CPU sampling.
 * lifecycle.c: the state machine of one VM (Prolog, Boot, events, clean-up).
 * recover.c: start-up reconciliation.
 * Everything on Vm and SlCloud.vms runs in the main context only.
 */
#pragma once
#include <gio/gio.h>

#include "cloud/cloud.h"
#include "cloud/prolog.h"
#include "market/client.h"

#define SL_CLOUD_KILL_TIMEOUT_MS 5000 /* QMP quit, then SIGKILL */

typedef struct Call Call;

struct SlCloud {
  SlStore *store;
  SlImageCache *images;
  SlHypervisor *hv;
  GMainContext *ctx; /* the global default context */
  char *vms_dir;     /* DATA/vms (absolute) */
  SlIpPool *pool;
  GArray *ports; /* guint16 */
  gboolean outbound;
  guint shutdown_timeout_s;
  guint cpu_sample_s;
  char *qemu_img;
  char *mkswap;
  GHashTable *vms; /* gint64* id -> Vm*; main context only */
  guint cpu_timer;
  GMutex cpu_lock;
  GHashTable *cpu; /* gint64* id -> percent (GINT_TO_POINTER); under cpu_lock */
  /* limits.c; read-only after construction */
  SlQuota quota; /* operator defaults, -1 = unlimited */
  guint host_cores;
  gint64 host_ram; /* MiB, 0 = unknown */
  double cpu_overcommit, ram_overcommit;
  gint64 cap_cpu, cap_ram; /* capacity in vCPUs and MiB, -1 = unlimited */
  SlPrologConfig prolog;   /* what the Prolog steps use (prolog.h) */
  /* disks.c */
  SlPdisk *pdisk;         /* NULL: no persistent disks */
  char *node;             /* host name written into mount rows */
  GHashTable *disk_ops;   /* "<vm>/<device>" of hot-plug operations in flight; main context */
  SlMarketClient *market; /* market/client.h; NULL = cached images only */
  /* save.c */
  struct SaveCtx *save;
};

typedef struct {
  SlCloud *cloud; /* NULL once the cloud is freed (late callbacks bail out) */
  int refs;
  gint64 id;
  SlVmState state; /* mirrors the row */
  gboolean orphan; /* run dir without a row: no DB writes */
  SlDomain *dom;
  gboolean dom_gone;   /* the process exited (EXITED/CRASHED seen) */
  gboolean destroying; /* destroy requested */
  gboolean busy;       /* a Prolog step (subprocess) is in flight */
  gboolean cleanup;    /* clean-up requested / running */
  gboolean cleaned;    /* clean-up finished (about to leave the table) */
  guint timer;         /* shutdown timeout */
  GSList *waiters;     /* Call*: completed when the clean-up ends */
  guint64 cpu_ticks;   /* utime + stime at the last sample */
  gint64 cpu_time;     /* monotonic µs of the last sample */
  gpointer save;       /* SaveJob* while the Epilog saves the disk (save.c) */
  /* Prolog (lifecycle.c's step driver) */
  SlVm *row;     /* the row and its definition, loaded once at the start */
  char *run_dir; /* DATA/vms/<id> */
  guint step;    /* index of the step in flight */
  SlStepRun run;
} Vm;

/* lifecycle.c */
char *sl_cloud_run_dir(SlCloud *c, gint64 id);
Vm *sl_cloud_vm_new(SlCloud *c, gint64 id, SlVmState state);
void sl_cloud_vm_unref(Vm *vm);
/* Pending -> Prolog -> Boot -> Running (main context). */
void sl_cloud_vm_start(SlCloud *c, gint64 id);
/* Writes state (+ reason) first, then destroys the process, removes the run dir
 * and releases the address; waiters complete at the end. */
void sl_cloud_vm_finish(Vm *vm, SlVmState state, const char *reason);
/* Running -> Shutdown: power button + timeout. */
gboolean sl_cloud_vm_powerdown(Vm *vm, GError **error);
/* Adopt the process of a recovered VM (NULL dom if there is none). */
void sl_cloud_vm_adopt(Vm *vm, gboolean query);
/* Restart the shutdown timer for `seconds`. */
void sl_cloud_vm_arm_timeout(Vm *vm, guint seconds);
void sl_cloud_rm_tree(const char *path);
/* readonly.c: request time: resolves each read-only disk of the request (id
 * only) in place into its source (cached path or fetch); errors as
 * market/client.h's, prefixed "read-only disk <id>: ", and INVALID for an entry of a
 * kind other than disk or machine. Boot: adds them to s (read-only virtio,
 * serial = id). */
gboolean sl_cloud_readonly_resolve(SlMarketClient *market, SlImageCache *images,
                                   GPtrArray *readonly, GError **error);
gboolean sl_cloud_readonly_add_to_spec(SlImageCache *images, const SlVmDef *def, SlVmSpec *s,
                                       GError **error);
/* Resume the clean-up of a VM whose busy step has ended (after a kill). */
void sl_cloud_vm_cleanup(Vm *vm);

/* save.c (docs/save.md) */
void sl_cloud_save_init(SlCloud *c, const SlCloudConfig *cfg);
void sl_cloud_save_clear(SlCloud *c); /* waits for worker steps in flight */
/* Epilog of a VM created with `save`: starts (or resumes) the save, which
 * finishes the VM itself; FALSE when the VM has nothing to save. */
gboolean sl_cloud_save_begin(Vm *vm);
void sl_cloud_save_recover(SlCloud *c, GPtrArray *rows); /* stray save dirs */

/* limits.c */
void sl_cloud_limits_init(SlCloud *c, const SlCloudConfig *cfg);
gboolean sl_cloud_limits_check(const SlVmUsage *mine, const SlVmUsage *all, const SlQuota *quota,
                               GPtrArray *vms, gpointer data, GError **error);

/* disks.c (docs/cloud.md "Persistent disks") */
void sl_cloud_disks_init(SlCloud *c, const SlCloudConfig *cfg);
void sl_cloud_disks_clear(SlCloud *c);
char *sl_cloud_disk_device(const char *uuid); /* QEMU device id "pd-<hex>" */
/* Checks the boot-time disks (uuids: JSON array) and inserts vms with their
 * mount rows in one transaction (sl_store_vm_insert_checked otherwise);
 * uuids NULL-terminated or NULL. */
gboolean sl_cloud_disks_insert(SlCloud *c, const char *user, char **uuids, GPtrArray *vms,
                               SlStoreVmCheckFunc check, gpointer check_data, GError **error);
gboolean sl_cloud_disks_add_to_spec(SlStore *store, SlPdisk *pdisk, gint64 id, SlVmSpec *spec,
                                    GError **error);
void sl_cloud_disks_release(SlCloud *c, gint64 id); /* after the process is gone */
void sl_cloud_disks_device_deleted(Vm *vm, const char *device);
void sl_cloud_disks_reconcile(Vm *vm); /* adopted VM: rows vs. list_disks */
void sl_cloud_disks_recover(SlCloud *c, GPtrArray *rows);

/* cloud.c */
void sl_cloud_call_complete(Call *call, const GError *error);
void sl_cloud_call_unref(Call *call);
/* Worker -> main context call carrying data (freed with the call). */
Call *sl_cloud_call_new_full(SlCloud *c, gint64 id, gpointer data, GDestroyNotify free);
gpointer sl_cloud_call_data(Call *call);
gboolean sl_cloud_call_run(SlCloud *c, GSourceFunc fn, Call *call, GError **error);
