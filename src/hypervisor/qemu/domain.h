/* domain.h - one QEMU domain's state, and the one type of its pending operations.
 *
 * Shared by driver.c (life cycle, events) and hotplug.c (disks). An SlQemuDom is
 * reference-counted: the caller's handle holds one reference, every pending operation
 * another. An SlQemuOp stands for one call of the driver table until its caller has
 * been answered, exactly once and never after sl_domain_free(): a QMP command and its
 * reply (each step of a multi-command operation is a new reply step of the same op), a
 * wait for an event (destroy, unplug), or an answer given from an idle callback, since
 * no callback may run inside the call that registered it.
 */
#pragma once
#include "hypervisor/driver.h"
#include "hypervisor/qemu/process.h"
#include "hypervisor/qemu/qmp.h"

typedef struct SlQemuHv SlQemuHv; /* driver.c */
typedef struct SlQemuOp SlQemuOp;

typedef struct {
  SlDomain pub;
  int refs;
  gboolean freed; /* sl_domain_free() was called: no callback runs any more */
  SlQemuHv *hv;
  SlDomainEventFunc events;
  gpointer user;
  SlDomainDoneFunc start_done; /* start/adopt: until QMP is ready */
  gpointer start_data;
  SlQmp *qmp;
  SlQemuProcess *proc;
  guint kill_timer;
  gboolean starting; /* started by us (not adopted): kill it if QMP never comes up */
  gboolean spawning; /* qemu has not daemonized yet */
  gboolean qmp_open, gone, saw_shutdown, destroying, finished;
  GSList *destroy_waiters; /* SlQemuOp*: destroy() calls waiting for the exit */
  GHashTable *unplugs;     /* device id -> SlQemuOp*: detach_disk() calls waiting for the guest */
  GQueue sent;             /* SlQemuOp*: waiting for the reply to a QMP command */
} SlQemuDom;

SlQemuDom *sl_qemu_dom_new(const SlHypervisorOps *ops, SlQemuHv *hv, const char *id,
                           const char *run_dir, SlDomainEventFunc events, gpointer user,
                           SlDomainDoneFunc done, gpointer done_data);
SlQemuDom *sl_qemu_dom_ref(SlQemuDom *d);
void sl_qemu_dom_unref(SlQemuDom *d);
/* Deliver a domain event (not after sl_domain_free). */
void sl_qemu_dom_emit(SlQemuDom *d, SlDomainEventKind kind, const char *reason, const char *device);
/* sl_domain_free(): mark freed and drop every pending operation unanswered. Call after
 * freeing the QMP connection, so that no reply can arrive for them. */
void sl_qemu_dom_drop_ops(SlQemuDom *d);

/* What to do with the reply to the command in flight (reply borrowed, NULL on error), or
 * with the answer of an idle callback. A step ends by sending the next command, or by
 * answering (sl_qemu_op_done) or freeing the op. */
typedef void (*SlQemuOpStep)(SlQemuOp *op, json_t *reply, const GError *error);

struct SlQemuOp {
  SlQemuDom *d; /* a reference */
  union {       /* the caller's callback: done, except for query_status and list_disks */
    SlDomainDoneFunc done;
    SlDomainStatusFunc status;
    SlDomainDisksFunc disks;
  } cb;
  gpointer data; /* its user data */
  SlQemuOpStep step;
  char *id;      /* hot-plug: the device id */
  json_t *args;  /* hot-plug: the arguments of the next command (device_add) */
  GError *error; /* the answer of an idle callback */
  GList link;    /* in d->sent while a command is in flight */
};

SlQemuOp *sl_qemu_op_new(SlQemuDom *d, SlDomainDoneFunc done, gpointer data);
void sl_qemu_op_free(SlQemuOp *op);
/* Answer the caller's done callback once (not after sl_domain_free); op stays. */
void sl_qemu_op_notify(SlQemuOp *op, const GError *error);
/* Answer done and free op. */
void sl_qemu_op_done(SlQemuOp *op, const GError *error);
/* Send a QMP command (args stolen); its reply goes to step (NULL: the reply's error is the
 * answer). */
void sl_qemu_op_send(SlQemuOp *op, const char *command, json_t *args, SlQemuOpStep step);
/* From an idle callback: step(op, NULL, error) (NULL step: error is the answer); error
 * stolen, may be NULL. */
void sl_qemu_op_later(SlQemuOp *op, SlQemuOpStep step, GError *error);
/* A step for a command whose caller was already answered: frees op. */
void sl_qemu_op_forget(SlQemuOp *op, json_t *reply, const GError *error);
/* Is QEMU running with QMP ready? If not, op is answered (later) with SL_ERROR_CONFLICT. */
gboolean sl_qemu_op_check_alive(SlQemuOp *op);
