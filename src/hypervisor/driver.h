/* driver.h - hypervisor drivers: how a VM spec becomes a running guest.
 *
 * A driver is a table of functions (SlHypervisorOps); the cloud layer holds one
 * SlHypervisor and never knows which driver it is. qemu/ runs QEMU directly
 * (-daemonize, QMP over a unix socket in the VM's run dir); fake.c is for unit
 * tests and control-plane benchmarks ONLY (it starts nothing).
 *
 * Contract (all drivers):
 *  - Everything runs in the thread-default GMainContext of the caller of
 *    start/adopt; every callback is invoked from that context, never from inside
 *    the call that registered it.
 *  - Every asynchronous operation calls its SlDomainDoneFunc exactly once
 *    (error == NULL on success, an SL_ERROR code otherwise) unless the domain
 *    is freed first: sl_domain_free() drops pending callbacks silently and
 *    leaves the VM running (a later adopt() re-attaches to it).
 *  - Domain events arrive through the SlDomainEventFunc given at start/adopt.
 *    EXITED or CRASHED is the last event; the process is gone and its images
 *    are unlocked when it is delivered.
 *  - Free every domain before the hypervisor that made it.
 */
#pragma once
#include <glib.h>

typedef struct SlHypervisor SlHypervisor;
typedef struct SlDomain SlDomain;

typedef enum { SL_DISK_DISK, SL_DISK_CDROM } SlDiskKind;

typedef struct {
  char *id;   /* QEMU device id; also names the block node "<id>-bk". [A-Za-z][A-Za-z0-9_-]{0,27} */
  char *path; /* absolute path of the image */
  char *format; /* "raw" | "qcow2" */
  char *serial; /* volume UUID; the guest sees its first 20 chars (virtio-blk limit) */
  gboolean readonly;
  SlDiskKind kind;
} SlDiskSpec;

/* One guest NIC as the hypervisor wires it (virtio-net-pci "net<n>" on netdev "n<n>").
 * The network drivers (src/network/driver.h) fill these; the hypervisor only
 * turns them into a command line. docs/network.md. */
typedef enum {
  SL_NIC_USER,   /* QEMU user-mode network: host_ip:p -> guest:p forwards, restrict=on|off */
  SL_NIC_TAP,    /* an existing tap device `ifname` (script=no, downscript=no) */
  SL_NIC_SOCKET, /* a userspace switch: QEMU socket netdev, UDP multicast group `mcast` */
} SlNicKind;

typedef struct {
  SlNicKind kind;
  char *mac;         /* "02:00:..."; NULL = derived from host_ip (USER) or required */
  char *host_ip;     /* USER: NULL (no forwards) or the host IPv4 address of the forwards */
  GArray *ports;     /* USER: guint16 TCP ports forwarded host_ip:p -> guest:p */
  gboolean outbound; /* USER: FALSE = restrict=on (no traffic out of the VM) */
  char *ifname;      /* TAP: device name, at most 15 characters */
  char *mcast;       /* SOCKET: "239.x.y.z:port" */
} SlNicSpec;

SlNicSpec *sl_nic_spec_new(SlNicKind kind);
void sl_nic_spec_free(SlNicSpec *nic);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlNicSpec, sl_nic_spec_free)

typedef struct {
  char *id;          /* VM id, [A-Za-z0-9_.-]+ */
  char *name;        /* display name (-name guest=...) */
  char *run_dir;     /* absolute; holds qmp.sock, serial.log, qemu.pid */
  guint vcpus;       /* >= 1 */
  guint ram_mib;     /* >= 16 */
  SlDiskSpec root;   /* boot disk (bootindex=0), usually a qcow2 overlay; id is "root" */
  char *context_iso; /* NULL or the _STRATUSLAB ISO, IDE CD on ide.1 unit 0 */
  GPtrArray *disks;  /* SlDiskSpec*: persistent + volatile disks, in guest order */
  SlDiskSpec *swap;  /* NULL or the swap disk (last virtio disk) */
  char *public_ip;   /* NULL (no forwards) or an IPv4 address, e.g. 127.100.0.7 */
  GArray *ports;     /* guint16 TCP ports forwarded public_ip:p -> guest:p */
  gboolean outbound; /* FALSE: -netdev user,restrict=on (no traffic out of the VM) */
  /* SlNicSpec*, in guest order (eth0 first). Empty = one USER NIC made of public_ip,
   * ports and outbound above (the embedded default; golden files in tests/data/qemu). */
  GPtrArray *nics;
} SlVmSpec;

SlVmSpec *sl_vm_spec_new(const char *id,
                         const char *run_dir); /* 1 vcpu, 128 MiB, ports 22,80,443 */
SlDiskSpec *sl_vm_spec_add_disk(SlVmSpec *spec, const char *id, const char *path,
                                const char *format, const char *serial, gboolean readonly,
                                SlDiskKind kind); /* returns the stored copy */
void sl_vm_spec_free(SlVmSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlVmSpec, sl_vm_spec_free)

typedef enum {
  SL_DOMAIN_EVENT_POWERDOWN,      /* ACPI power button was pressed (system_powerdown) */
  SL_DOMAIN_EVENT_SHUTDOWN_GUEST, /* guest powered itself off; process kept (-no-shutdown) */
  SL_DOMAIN_EVENT_SHUTDOWN_HOST,  /* QEMU is stopping on host request (quit, signal) */
  SL_DOMAIN_EVENT_STOP,           /* vCPUs paused */
  SL_DOMAIN_EVENT_RESUME,         /* vCPUs running again */
  SL_DOMAIN_EVENT_DEVICE_DELETED, /* guest released device `device` (also unplug requests) */
  SL_DOMAIN_EVENT_EXITED,         /* process gone after a SHUTDOWN or a destroy: clean */
  SL_DOMAIN_EVENT_CRASHED,        /* process gone without SHUTDOWN: crash or external kill */
} SlDomainEventKind;

typedef struct {
  SlDomainEventKind kind;
  const char *reason; /* QEMU's reason for SHUTDOWN ("guest-shutdown", ...), else NULL */
  const char *device; /* DEVICE_DELETED: the device id, else NULL */
} SlDomainEvent;

const char *sl_domain_event_name(SlDomainEventKind kind); /* "SHUTDOWN_GUEST", ... */

typedef void (*SlDomainEventFunc)(SlDomain *dom, const SlDomainEvent *ev, gpointer user_data);
typedef void (*SlDomainDoneFunc)(SlDomain *dom, const GError *error, gpointer user_data);
/* status is QEMU's RunState name: "running", "paused", "shutdown", ... */
typedef void (*SlDomainStatusFunc)(SlDomain *dom, const char *status, const GError *error,
                                   gpointer user_data);

/* ids: NULL-terminated device ids (borrowed, valid during the call); NULL on error. */
typedef void (*SlDomainDisksFunc)(SlDomain *dom, char **ids, const GError *error,
                                  gpointer user_data);

typedef struct {
  const char *name;
  /* Start the VM; `done` fires once it runs and is controllable (QMP ready), or with the
   * reason it did not start (e.g. SL_ERROR_CONFLICT: a forwarded port is taken). The
   * returned handle is valid at once; free it with sl_domain_free(). */
  SlDomain *(*start)(SlHypervisor *hv, const SlVmSpec *spec, SlDomainEventFunc events,
                     gpointer user_data, SlDomainDoneFunc done, gpointer done_data, GError **error);
  /* Re-attach to a VM left running by an earlier daemon. Fails at once with
   * SL_ERROR_NOT_FOUND if no live process owns run_dir. Ask query_status afterwards:
   * the guest may have shut down meanwhile. */
  SlDomain *(*adopt)(SlHypervisor *hv, const char *id, const char *run_dir,
                     SlDomainEventFunc events, gpointer user_data, SlDomainDoneFunc done,
                     gpointer done_data, GError **error);
  /* Press the ACPI power button; done = the request was accepted, not the guest is off. */
  void (*powerdown)(SlDomain *dom, SlDomainDoneFunc done, gpointer user_data);
  /* Stop the process: QMP quit, SIGKILL after timeout_ms; done once it has exited. */
  void (*destroy)(SlDomain *dom, guint timeout_ms, SlDomainDoneFunc done, gpointer user_data);
  /* Hot-plug disk->id as virtio-blk-pci (a CD-ROM kind becomes a read-only virtio disk).
   * A block node "<id>-bk" left behind by an unplug nobody waited for is removed first. */
  void (*attach_disk)(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done,
                      gpointer user_data);
  /* Unplug device `id`; done after the guest released it and its node was deleted. */
  void (*detach_disk)(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer user_data);
  void (*query_status)(SlDomain *dom, SlDomainStatusFunc done, gpointer user_data);
  /* The ids of the virtio disk devices the VM holds now: boot-time and hot-plugged ones;
   * a device whose unplug was requested stays listed until the guest released it. Used to
   * reconcile mount records after a daemon restart (QEMU: qom-list /machine/peripheral). */
  void (*list_disks)(SlDomain *dom, SlDomainDisksFunc done, gpointer user_data);
  void (*domain_free)(SlDomain *dom);
  void (*free)(SlHypervisor *hv);
} SlHypervisorOps;

struct SlHypervisor {
  const SlHypervisorOps *ops;
};

struct SlDomain {
  const SlHypervisorOps *ops;
  char *id;
  char *run_dir;
  int pid; /* QEMU's pid, 0 until known (and always 0 for the fake driver) */
};

/* QEMU driver. qemu_binary NULL = $SL_QEMU or "qemu-system-x86_64"; state_dir holds the
 * cached KVM probe result (kvm-probe). Accelerator: $SL_ACCEL=tcg|kvm, else the probe. */
SlHypervisor *sl_hypervisor_qemu_new(const char *qemu_binary, const char *state_dir,
                                     GError **error);
/* Fake driver: no processes; for unit tests and control-plane benchmarks only. */
SlHypervisor *sl_hypervisor_fake_new(void);
/* Fake only (tests): the VM in run_dir loses disk device id without any event, as when
 * the guest released it while no daemon listened. FALSE if there was no such device. */
gboolean sl_hypervisor_fake_drop_device(const char *run_dir, const char *id);

static inline void
sl_hypervisor_free(SlHypervisor *hv)
{
  if (hv)
    hv->ops->free(hv);
}
static inline void
sl_domain_free(SlDomain *dom)
{
  if (dom)
    dom->ops->domain_free(dom);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHypervisor, sl_hypervisor_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlDomain, sl_domain_free)
