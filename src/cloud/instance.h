/* instance.h - the live state of the VM service, shared by the files of
 * src/cloud: the cloud (struct SlCloud: configuration, the table of VMs,
 * each helper's fields) and one VM's record in that table (Vm). Everything
 * on Vm and SlCloud.vms belongs to the main context. The functions below
 * touch memory and the run dir only; the state machine is lifecycle.h.
 */
#pragma once
#include <gio/gio.h>

#include "cloud/cloud.h"

#define SL_CLOUD_KILL_TIMEOUT_MS 5000 /* QMP quit, then SIGKILL */

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
  gint64 cap_cpu, cap_ram;       /* capacity in vCPUs and MiB, -1 = unlimited */
  struct SlPrologConfig *prolog; /* what the Prolog steps use (prolog.h) */
  /* disks.c */
  SlPdisk *pdisk;       /* NULL: no persistent disks */
  char *node;           /* host name written into mount rows */
  GHashTable *disk_ops; /* "<vm>/<device>" of hot-plug operations in flight; main context */
  struct SlMarketClient *market; /* market/client.h; NULL = cached images only */
  /* save.c */
  struct SaveCtx *save;
  /* networks: [0] public; owned_net is the user network made when the config gave none */
  SlNetwork *net;
  SlNetwork *owned_net;
  GPtrArray *nets;  /* SlNetwork* (borrowed), [0] = net */
  GPtrArray *pools; /* SlIpPool* (owned) of nets, same order; [0] = pool */
};

/* The cloud's network called `name` (NULL = "public") and its pool, or NULL. */
SlNetwork *sl_cloud_network(SlCloud *cloud, const char *name, SlIpPool **pool);

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
  struct SlStepRun *run; /* the row, its definition and the run dir, loaded once */
  guint step;            /* index of the step in flight */
} Vm;

/* A new VM record, entered into the table (which holds one reference). */
Vm *sl_cloud_vm_new(SlCloud *c, gint64 id, SlVmState state);
Vm *sl_cloud_vm_ref(Vm *vm);
void sl_cloud_vm_unref(Vm *vm);
/* DATA/vms/<id> (absolute). */
char *sl_cloud_run_dir(SlCloud *c, gint64 id);
/* Removes path and everything under it (symlinks are not followed). */
void sl_cloud_rm_tree(const char *path);
