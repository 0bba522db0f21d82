/* vm.h - the virtual machine and cached image records (rows of vms / images).
 *
 * Strings are owned by the struct; NULL means "not set". States are stored by
 * their display name (protocols.md §3.3), so the database reads like the CLI.
 */
#pragma once
#include <glib.h>

#include "conf/vm-def.h"

typedef enum {
  SL_VM_PENDING = 0, /* row written, nothing done yet */
  SL_VM_PROLOG,      /* run dir: overlay, swap, volatile disk, context ISO */
  SL_VM_BOOT,        /* hypervisor asked to start it */
  SL_VM_RUNNING,     /* hypervisor says it runs and is controllable */
  SL_VM_SHUTDOWN,    /* ACPI power button pressed, waiting for the guest */
  SL_VM_EPILOG,      /* guest off: stopping the process, removing the run dir */
  SL_VM_DONE,        /* finished or killed */
  SL_VM_FAILED,      /* error text says why */
  SL_VM_UNKNOWN,     /* guest powered itself off; resources held until kill */
  SL_VM_STATE_COUNT
} SlVmState;

const char *sl_vm_state_to_string(SlVmState state); /* "Running", ... */
gboolean sl_vm_state_from_string(const char *s, SlVmState *out);
/* Done or Failed: no process, nothing left but (maybe) an address to release. */
gboolean sl_vm_state_is_final(SlVmState state);

typedef struct {
  gint64 id;   /* assigned by the store on insert */
  char *owner; /* user name */
  char *name;  /* never NULL once loaded ("one-<id>" by default) */
  char *image; /* image identifier */
  SlVmState state;
  int vcpu;
  int ram;        /* MiB */
  int swap;       /* MiB */
  char *ip;       /* public address; NULL once released */
  gint64 created; /* Unix seconds, UTC */
  gint64 updated; /* Unix seconds of the last state change */
  char *error;    /* one-line reason, NULL if none */
  SlVmDef *def;   /* the definition (stored as the spec column); never NULL once loaded */
  /* runtime, filled by the cloud service (not stored) */
  int cpu;       /* percent of one host CPU over the last sample */
  gint64 memory; /* KiB; ram * 1024 when Running, else 0 */
} SlVm;

SlVm *sl_vm_new(void);
SlVm *sl_vm_copy(const SlVm *vm);
void sl_vm_free(SlVm *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlVm, sl_vm_free)

typedef struct {
  char *identifier; /* 27 characters, primary key */
  char *sha1;       /* 40 lower-case hex digits */
  gint64 bytes;
  char *path; /* absolute path of the cached file */
  char *kind; /* "raw" | "qcow2" (format of the file) */
  gint64 created;
  char *state; /* "ready" (later: "fetching") */
} SlImage;

SlImage *sl_image_new(void);
void sl_image_free(SlImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlImage, sl_image_free)
