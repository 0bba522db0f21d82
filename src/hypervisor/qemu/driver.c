/* driver.c - the QEMU driver: processes, QMP, hot-plug, events.
 *
 * QEMU runs with -daemonize, so it is not our child and survives a daemon
 * restart; we learn that it exited through a pidfd watched by the main loop
 * (util/spawn's SlPidWatch),
 * and only report EXITED/CRASHED once both the pidfd fired and QMP reached EOF
 * (the SHUTDOWN event may still sit unread in the socket when the pidfd fires).
 */
#include "hypervisor/qemu/argv.h"
#include "hypervisor/qemu/events.h"
#include "hypervisor/qemu/kvm.h"
#include "hypervisor/qemu/qmp.h"
#include "hypervisor/spec.h"
#include "util/error.h"
#include "util/spawn.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

typedef struct {
  SlHypervisor pub;
  char *qemu;
  SlAccel accel;
} QemuHv;

typedef struct Op Op;

typedef struct {
  SlDomain pub;
  int refs;
  gboolean freed;
  QemuHv *hv;
  SlDomainEventFunc events;
  gpointer user;
  SlDomainDoneFunc start_done;
  gpointer start_data;
  SlQmp *qmp;
  SlPidWatch *watch; /* the pidfd (or, without pidfds, the pid to poll) */
  guint poll_src, kill_timer;
  gboolean starting; /* started by us (not adopted): kill it if QMP never comes up */
  gboolean spawning; /* qemu has not daemonized yet */
  gboolean qmp_open, gone, saw_shutdown, destroying, finished;
  GSList *destroy_waiters; /* Op*: destroy() calls waiting for the exit */
  GHashTable *unplugs;     /* device id -> Op*: detach_disk() calls waiting for the guest */
  GQueue sent;             /* Op*: waiting for the reply to a QMP command */
} QemuDom;

static const SlHypervisorOps qemu_ops;

static QemuDom *
dom_ref(QemuDom *d)
{
  d->refs++;
  return d;
}

static void
dom_unref(QemuDom *d)
{
  if (--d->refs > 0)
    return;
  g_free(d->pub.id);
  g_free(d->pub.run_dir);
  g_hash_table_unref(d->unplugs); /* empty: domain_free dropped the waiting operations */
  g_free(d);
}

static void
emit(QemuDom *d, SlDomainEventKind kind, const char *reason, const char *device)
{
  if (d->freed || !d->events)
    return;
  SlDomainEvent ev = {.kind = kind, .reason = reason, .device = device};
  d->events(&d->pub, &ev, d->user);
}

/* ---- pending operations ----
 *
 * Every operation of the driver is one Op until its caller has been answered: a QMP
 * command and its reply (powerdown, status, the disk list, each step of a hot-plug), a wait
 * (destroy until the exit, unplug until DEVICE_DELETED) or an answer given from an idle
 * callback (the contract forbids calling back from inside the call). The caller's callback
 * runs at most once, and never after sl_domain_free().
 */

/* What to do with the reply to the command in flight (reply borrowed, NULL on error), or
 * with the answer of an idle callback. */
typedef void (*OpStep)(Op *op, json_t *reply, const GError *error);

struct Op {
  QemuDom *d; /* a reference */
  union {     /* the caller's callback; done unless the operation is query_status/list_disks */
    SlDomainDoneFunc done;
    SlDomainStatusFunc status;
    SlDomainDisksFunc disks;
  } cb;
  gpointer data; /* its user data */
  OpStep step;
  char *id;      /* hot-plug: the device id */
  json_t *args;  /* hot-plug: the arguments of the next command (device_add) */
  GError *error; /* the answer of an idle callback */
  GList link;    /* in d->sent while a command is in flight */
};

static Op *
op_new(QemuDom *d, SlDomainDoneFunc done, gpointer data)
{
  Op *op = g_new0(Op, 1);
  op->d = dom_ref(d);
  op->cb.done = done;
  op->data = data;
  op->link.data = op;
  return op;
}

static void
op_free(Op *op)
{
  g_free(op->id);
  json_decref(op->args);
  g_clear_error(&op->error);
  dom_unref(op->d);
  g_free(op);
}

/* Answer the caller's done callback (once; not after sl_domain_free). */
static void
op_notify(Op *op, const GError *error)
{
  SlDomainDoneFunc done = op->cb.done;
  op->cb.done = NULL;
  if (done && !op->d->freed)
    done(&op->d->pub, error, op->data);
}

static void
op_done(Op *op, const GError *error)
{
  op_notify(op, error);
  op_free(op);
}

/* The default step: the reply (or idle answer) is the result. */
static void
op_finish(Op *op, json_t *reply, const GError *error)
{
  (void)reply;
  op_done(op, error);
}

/* A step for a command whose caller was already answered. */
static void
op_forget(Op *op, json_t *reply, const GError *error)
{
  (void)reply;
  (void)error;
  op_free(op);
}

static void
op_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  Op *op = data;
  g_queue_unlink(&op->d->sent, &op->link);
  op->step(op, reply, error);
}

/* Send a QMP command (args stolen); its reply goes to step (NULL: op_finish). */
static void
op_send(Op *op, const char *command, json_t *args, OpStep step)
{
  op->step = step ? step : op_finish;
  g_queue_push_tail_link(&op->d->sent, &op->link);
  sl_qmp_execute(op->d->qmp, command, args, op_reply, op);
}

static gboolean
op_idle(gpointer p)
{
  Op *op = p;
  g_autoptr(GError) error = g_steal_pointer(&op->error);
  op->step(op, NULL, error);
  return G_SOURCE_REMOVE;
}

/* Answer from an idle callback: step(op, NULL, error) (NULL step: op_finish); error stolen. */
static void
op_later(Op *op, OpStep step, GError *error)
{
  op->step = step ? step : op_finish;
  op->error = error;
  g_idle_add(op_idle, op);
}

/* Is QEMU running with QMP ready? If not, op fails with SL_ERROR_CONFLICT (later). */
static gboolean
op_check_alive(Op *op)
{
  QemuDom *d = op->d;
  if (!d->finished && d->qmp && sl_qmp_is_ready(d->qmp))
    return TRUE;
  op_later(op, NULL,
           g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running or not ready",
                       d->pub.id));
  return FALSE;
}

/* The destroy() calls waiting for the exit: answered, in order. */
static void
answer_destroy_waiters(QemuDom *d)
{
  GSList *w = g_steal_pointer(&d->destroy_waiters);
  for (GSList *l = w; l; l = l->next)
    op_done(l->data, NULL);
  g_slist_free(w);
}

/* Is pid a live (not zombie) QEMU whose QMP socket is in run_dir? Guards against pid reuse. */
static gboolean
owns_run_dir(int pid, const char *run_dir)
{
  g_autofree char *procfile = g_strdup_printf("/proc/%d/cmdline", pid);
  g_autofree char *cmdline = NULL;
  gsize len = 0;
  if (!g_file_get_contents(procfile, &cmdline, &len, NULL)) /* zombies have an empty one */
    return FALSE;
  g_autofree char *want = g_strdup_printf("unix:%s/qmp.sock,", run_dir);
  for (gsize off = 0; off < len; off += strlen(cmdline + off) + 1)
    if (g_str_has_prefix(cmdline + off, want))
      return TRUE;
  return FALSE;
}

/* pid from run_dir/qemu.pid if that process is alive and is the QEMU of this run dir. */
static int
live_pid(const char *run_dir)
{
  g_autofree char *pidfile = g_build_filename(run_dir, "qemu.pid", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(pidfile, &text, NULL, NULL))
    return 0;
  gint64 pid = g_ascii_strtoll(g_strstrip(text), NULL, 10);
  if (pid <= 0 || pid > G_MAXINT || !owns_run_dir((int)pid, run_dir))
    return 0;
  return (int)pid;
}

static void
send_signal(QemuDom *d, int sig)
{
  if (d->gone)
    return;
  /* without a pidfd the pid may have been reused: check its command line first */
  if (!d->watch || (!sl_pid_watch_has_fd(d->watch) && !owns_run_dir(d->pub.pid, d->pub.run_dir)))
    return;
  if (!sl_pid_watch_signal(d->watch, sig))
    g_debug("vm %s: signal %d: %s", d->pub.id, sig, g_strerror(errno));
}

/* The process is gone and QMP said all it had to say: final event, then destroy waiters. */
static void
maybe_finish(QemuDom *d)
{
  if (d->finished || !d->gone || d->qmp_open)
    return;
  d->finished = TRUE;
  g_clear_handle_id(&d->kill_timer, g_source_remove);
  dom_ref(d);
  gboolean clean = d->saw_shutdown || d->destroying;
  g_message("vm %s: qemu %d %s", d->pub.id, d->pub.pid, clean ? "exited" : "crashed");
  emit(d, clean ? SL_DOMAIN_EVENT_EXITED : SL_DOMAIN_EVENT_CRASHED, NULL, NULL);
  answer_destroy_waiters(d);
  if (!d->freed && d->start_done) { /* died before QMP was ready */
    g_autoptr(GError) e = g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "qemu exited during start");
    SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
    f(&d->pub, e, d->start_data);
  }
  dom_unref(d);
}

static void
pid_exited(gpointer data)
{
  QemuDom *d = data;
  d->gone = TRUE;
  maybe_finish(d);
}

/* ---- QMP ---- */

static void unplug_released(QemuDom *d, const char *id);

static void
on_qmp_event(SlQmp *q, const char *name, json_t *data, gpointer user)
{
  (void)q;
  QemuDom *d = user;
  SlDomainEvent ev;
  if (!sl_qemu_translate_event(name, data, &ev))
    return;
  if (ev.kind == SL_DOMAIN_EVENT_SHUTDOWN_GUEST || ev.kind == SL_DOMAIN_EVENT_SHUTDOWN_HOST)
    d->saw_shutdown = TRUE;
  dom_ref(d);
  if (ev.kind == SL_DOMAIN_EVENT_DEVICE_DELETED)
    unplug_released(d, ev.device);
  emit(d, ev.kind, ev.reason, ev.device);
  dom_unref(d);
}

/* Without pidfds (old kernels, valgrind): after QMP EOF, check /proc every 100 ms. */
static gboolean
poll_exit(gpointer data)
{
  QemuDom *d = data;
  if (owns_run_dir(d->pub.pid, d->pub.run_dir))
    return G_SOURCE_CONTINUE;
  d->poll_src = 0;
  d->gone = TRUE;
  maybe_finish(d);
  return G_SOURCE_REMOVE;
}

static void
on_qmp_closed(SlQmp *q, const GError *error, gpointer user)
{
  (void)q;
  QemuDom *d = user;
  g_debug("vm %s: QMP closed%s%s", d->pub.id, error ? ": " : "", error ? error->message : "");
  d->qmp_open = FALSE;
  if (!sl_pid_watch_has_fd(d->watch) && !d->poll_src && poll_exit(d))
    d->poll_src = g_timeout_add(100, poll_exit, d);
  maybe_finish(d);
}

static void
on_qmp_ready(SlQmp *q, const GError *error, gpointer user)
{
  (void)q;
  QemuDom *d = user;
  SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
  if (error) {
    d->qmp_open = FALSE;
    if (d->destroying) {
      g_debug("vm %s: QMP gone while destroying", d->pub.id);
    } else if (d->starting) {
      g_warning("vm %s: %s; killing qemu %d", d->pub.id, error->message, d->pub.pid);
      d->destroying = TRUE;
      send_signal(d, SIGKILL);
    } else {
      g_warning("vm %s: %s; qemu %d left running", d->pub.id, error->message, d->pub.pid);
    }
  }
  if (f)
    f(&d->pub, error, d->start_data);
  if (error)
    maybe_finish(d);
}

/* Watch pid and connect QMP; start_done fires when QMP is ready. */
static gboolean
attach_process(QemuDom *d, int pid, GError **error)
{
  d->pub.pid = pid;
  d->watch = sl_pid_watch_new(pid, pid_exited, d, error);
  if (!d->watch)
    return FALSE;
  if (!sl_pid_watch_has_fd(d->watch))
    g_debug("vm %s: no pidfd_open; watching qemu %d through QMP EOF", d->pub.id, pid);
  d->qmp = sl_qmp_new(on_qmp_event, on_qmp_closed, d);
  d->qmp_open = TRUE;
  g_autofree char *sock = g_build_filename(d->pub.run_dir, "qmp.sock", NULL);
  sl_qmp_connect(d->qmp, sock, on_qmp_ready, d);
  return TRUE;
}

static QemuDom *
dom_new(QemuHv *hv, const char *id, const char *run_dir, SlDomainEventFunc events, gpointer user,
        SlDomainDoneFunc done, gpointer done_data)
{
  QemuDom *d = g_new0(QemuDom, 1);
  d->pub.ops = &qemu_ops;
  d->pub.id = g_strdup(id);
  d->pub.run_dir = g_strdup(run_dir);
  d->refs = 1;
  d->hv = hv;
  d->events = events;
  d->user = user;
  d->start_done = done;
  d->start_data = done_data;
  d->unplugs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)op_free);
  return d;
}

/* ---- start / adopt ---- */

/* qemu's stderr before it detached, one message per line, without the "<binary>: " prefix. */
static GError *
start_error(const char *qemu, const SlSpawnResult *result)
{
  const char *err_text = result->err;
  g_autofree char *base = g_path_get_basename(qemu);
  g_auto(GStrv) lines = g_strsplit(err_text ? err_text : "", "\n", -1);
  g_autoptr(GString) msg = g_string_new(NULL);
  for (char **l = lines; *l; l++) {
    const char *line = g_strstrip(*l);
    if (g_str_has_prefix(line, qemu) && g_str_has_prefix(line + strlen(qemu), ": "))
      line += strlen(qemu) + 2;
    else if (g_str_has_prefix(line, base) && g_str_has_prefix(line + strlen(base), ": "))
      line += strlen(base) + 2;
    if (*line)
      g_string_append_printf(msg, "%s%s", msg->len ? "; " : "", line);
  }
  int code = SL_ERROR_INTERNAL;
  if (strstr(msg->str, "host forwarding rule") || strstr(msg->str, "\"write\" lock"))
    code = SL_ERROR_CONFLICT;
  g_autofree char *how = sl_spawn_result_describe(result);
  return g_error_new(SL_ERROR, code, "qemu failed to start (%s): %s", how,
                     msg->len ? msg->str : "no message");
}

/* The qemu we ran has daemonized (exit status 0) or failed to start. */
static void
spawned(SlProcess *proc, const SlSpawnResult *result, const GError *read_error, gpointer data)
{
  (void)proc;
  QemuDom *d = data;
  g_autoptr(GError) error = read_error ? g_error_copy(read_error) : NULL;
  d->spawning = FALSE;
  if (d->freed) {
    dom_unref(d);
    return;
  }
  if (!error && !sl_spawn_result_ok(result))
    error = start_error(d->hv->qemu, result);
  int pid = 0;
  if (!error && !(pid = live_pid(d->pub.run_dir)))
    error = g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "qemu started but no live pid in %s",
                        d->pub.run_dir);
  if (!error)
    attach_process(d, pid, &error);
  if (error) {
    g_warning("vm %s: %s", d->pub.id, error->message);
    SlDomainDoneFunc f = g_steal_pointer(&d->start_done);
    if (f)
      f(&d->pub, error, d->start_data);
    d->finished = TRUE; /* nothing runs: complete destroy requests made meanwhile */
    answer_destroy_waiters(d);
  } else {
    g_message("vm %s: qemu %d started (%s)", d->pub.id, pid, sl_accel_name(d->hv->accel));
    if (d->destroying) /* destroy() came while it was starting */
      send_signal(d, SIGKILL);
  }
  dom_unref(d);
}

static SlDomain *
qemu_start(SlHypervisor *hv, const SlVmSpec *spec, SlDomainEventFunc events, gpointer user,
           SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  QemuHv *h = (QemuHv *)hv;
  g_auto(GStrv) argv = sl_qemu_build_argv(h->qemu, h->accel, spec, error);
  if (!argv)
    return NULL;
  if (g_mkdir_with_parents(spec->run_dir, 0700) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", spec->run_dir,
                g_strerror(errno));
    return NULL;
  }
  int old = live_pid(spec->run_dir);
  if (old) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "qemu %d already runs in %s", old,
                spec->run_dir);
    return NULL;
  }
  QemuDom *d = dom_new(h, spec->id, spec->run_dir, events, user, done, done_data);
  /* With -daemonize the parent exits once QEMU is initialised (or failed to be): its exit
   * status and stderr say which. */
  SlSpawnOptions o = {.argv = (const char *const *)argv, .err = SL_SPAWN_CAPTURE};
  g_autoptr(SlProcess) proc = sl_process_spawn(&o, spawned, d, error);
  if (!proc) {
    dom_unref(d);
    return NULL;
  }
  dom_ref(d); /* dropped by spawned() */
  d->starting = TRUE;
  d->spawning = TRUE;
  return &d->pub;
}

static SlDomain *
qemu_adopt(SlHypervisor *hv, const char *id, const char *run_dir, SlDomainEventFunc events,
           gpointer user, SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  int pid = live_pid(run_dir);
  if (!pid) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no live qemu for %s", run_dir);
    return NULL;
  }
  QemuDom *d = dom_new((QemuHv *)hv, id, run_dir, events, user, done, done_data);
  if (!attach_process(d, pid, error)) {
    dom_unref(d);
    return NULL;
  }
  g_message("vm %s: adopted qemu %d", id, pid);
  return &d->pub;
}

/* ---- operations ---- */

static void
qemu_powerdown(SlDomain *dom, SlDomainDoneFunc done, gpointer data)
{
  Op *op = op_new((QemuDom *)dom, done, data);
  if (op_check_alive(op))
    op_send(op, "system_powerdown", NULL, NULL);
}

static gboolean
kill_timeout(gpointer data)
{
  QemuDom *d = data;
  d->kill_timer = 0;
  g_warning("vm %s: qemu %d did not quit in time, SIGKILL", d->pub.id, d->pub.pid);
  send_signal(d, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
qemu_destroy(SlDomain *dom, guint timeout_ms, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  Op *op = op_new(d, done, data);
  if (d->finished || (!d->pub.pid && !d->spawning)) {
    op_later(op, NULL, NULL);
    return;
  }
  d->destroy_waiters = g_slist_append(d->destroy_waiters, op);
  if (d->destroying || d->spawning) { /* spawned() kills it once it has a pid */
    d->destroying = TRUE;
    return;
  }
  d->destroying = TRUE;
  if (d->qmp && sl_qmp_is_ready(d->qmp))
    sl_qmp_execute(d->qmp, "quit", NULL, NULL, NULL);
  else
    send_signal(d, SIGTERM);
  d->kill_timer = g_timeout_add(timeout_ms, kill_timeout, d);
}

/* Hot-plug: blockdev-add, device_add; a failed device_add deletes the node again. */
static void
plug_device_added(Op *op, json_t *reply, const GError *error)
{
  (void)reply;
  op_notify(op, error);
  if (error && !op->d->finished) {
    g_autofree char *node = g_strdup_printf("%s-bk", op->id);
    op_send(op, "blockdev-del", json_pack("{s:s}", "node-name", node), op_forget);
    return;
  }
  op_free(op);
}

static void
plug_node_added(Op *op, json_t *reply, const GError *error)
{
  (void)reply;
  if (error) {
    op_done(op, error);
    return;
  }
  op_send(op, "device_add", g_steal_pointer(&op->args), plug_device_added);
}

static void
qemu_attach_disk(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  Op *op = op_new(d, done, data);
  GError *error = NULL;
  if (!sl_disk_spec_check(disk, &error)) {
    op_later(op, NULL, error);
    return;
  }
  if (!op_check_alive(op))
    return;
  g_autofree char *node = g_strdup_printf("%s-bk", disk->id);
  gboolean ro = disk->readonly || disk->kind == SL_DISK_CDROM;
  json_t *args = json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "driver", disk->format, "node-name",
                           node, "read-only", ro, "file", "driver", "file", "filename", disk->path);
  op->id = g_strdup(disk->id);
  op->args =
      json_pack("{s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id", disk->id, "drive", node);
  if (disk->serial) {
    g_autofree char *serial = g_strndup(disk->serial, SL_QEMU_SERIAL_MAX);
    json_object_set_new(op->args, "serial", json_string(serial));
  }
  /* A node left by an unplug that finished while nobody waited would make blockdev-add
   * fail; deleting it first is harmless (refused while a device still uses it). */
  sl_qmp_execute(d->qmp, "blockdev-del", json_pack("{s:s}", "node-name", node), NULL, NULL);
  op_send(op, "blockdev-add", args, plug_node_added);
}

/* Unplug: device_del; the guest releases the device (DEVICE_DELETED), then blockdev-del. The
 * waiting operation is in d->unplugs; device_del's reply only matters when it is an error. */
static void
unplug_node_deleted(Op *op, json_t *reply, const GError *error)
{
  (void)reply;
  if (error)
    g_debug("blockdev-del after unplug: %s", error->message);
  op_done(op, NULL);
}

static void
unplug_released(QemuDom *d, const char *id)
{
  Op *op = NULL;
  gpointer key = NULL;
  if (!g_hash_table_steal_extended(d->unplugs, id, &key, (gpointer *)&op))
    return;
  g_autofree char *node = g_strdup_printf("%s-bk", (char *)key);
  g_free(key);
  op_send(op, "blockdev-del", json_pack("{s:s}", "node-name", node), unplug_node_deleted);
}

static void
unplug_requested(Op *req, json_t *reply, const GError *error)
{
  (void)reply;
  Op *op = NULL;
  gpointer key = NULL;
  if (error && g_hash_table_steal_extended(req->d->unplugs, req->id, &key, (gpointer *)&op)) {
    g_free(key);
    op_done(op, error);
  }
  op_free(req);
}

static void
qemu_detach_disk(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  Op *op = op_new(d, done, data);
  if (!op_check_alive(op))
    return;
  if (!id || g_hash_table_contains(d->unplugs, id)) {
    op_later(op, NULL,
             g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "unplug of %s already pending", id));
    return;
  }
  /* Registered before device_del: DEVICE_DELETED may overtake the reply. */
  g_hash_table_insert(d->unplugs, g_strdup(id), op);
  Op *req = op_new(d, NULL, NULL);
  req->id = g_strdup(id);
  op_send(req, "device_del", json_pack("{s:s}", "id", id), unplug_requested);
}

static void
status_reply(Op *op, json_t *reply, const GError *error)
{
  const char *status = json_string_value(json_object_get(reply, "status"));
  if (!op->d->freed)
    op->cb.status(&op->d->pub, error ? NULL : (status ? status : "unknown"), error, op->data);
  op_free(op);
}

static void
qemu_query_status(SlDomain *dom, SlDomainStatusFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  Op *op = op_new(d, NULL, data);
  op->cb.status = done;
  if (d->qmp) { /* a closed connection answers with an error, asynchronously */
    op_send(op, "query-status", NULL, status_reply);
    return;
  }
  op_later(op, status_reply,
           g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running yet", d->pub.id));
}

/* qom-list /machine/peripheral: every device with an id; keep the virtio disks. */
static void
disks_reply(Op *op, json_t *reply, const GError *error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  size_t i;
  json_t *child;
  json_array_foreach(error ? NULL : reply, i, child)
  {
    if (g_strcmp0(json_string_value(json_object_get(child, "type")), "child<virtio-blk-pci>") == 0)
      g_ptr_array_add(ids, g_strdup(json_string_value(json_object_get(child, "name"))));
  }
  g_ptr_array_add(ids, NULL);
  if (!op->d->freed)
    op->cb.disks(&op->d->pub, error ? NULL : (char **)ids->pdata, error, op->data);
  op_free(op);
}

static void
qemu_list_disks(SlDomain *dom, SlDomainDisksFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  Op *op = op_new(d, NULL, data);
  op->cb.disks = done;
  if (d->qmp && sl_qmp_is_ready(d->qmp)) {
    op_send(op, "qom-list", json_pack("{s:s}", "path", "/machine/peripheral"), disks_reply);
    return;
  }
  op_later(op, disks_reply,
           g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running or not ready",
                       d->pub.id));
}

static void
qemu_domain_free(SlDomain *dom)
{
  QemuDom *d = (QemuDom *)dom;
  d->freed = TRUE;
  g_clear_handle_id(&d->poll_src, g_source_remove);
  g_clear_handle_id(&d->kill_timer, g_source_remove);
  g_clear_pointer(&d->watch, sl_pid_watch_free);
  g_clear_pointer(&d->qmp, sl_qmp_free);
  /* operations waiting for a reply or an event that can no longer come: no callback runs */
  while (!g_queue_is_empty(&d->sent))
    op_free(g_queue_pop_head_link(&d->sent)->data);
  g_slist_free_full(g_steal_pointer(&d->destroy_waiters), (GDestroyNotify)op_free);
  g_hash_table_remove_all(d->unplugs);
  dom_unref(d);
}

static void
qemu_hv_free(SlHypervisor *hv)
{
  QemuHv *h = (QemuHv *)hv;
  g_free(h->qemu);
  g_free(h);
}

static const SlHypervisorOps qemu_ops = {
    .name = "qemu",
    .start = qemu_start,
    .adopt = qemu_adopt,
    .powerdown = qemu_powerdown,
    .destroy = qemu_destroy,
    .attach_disk = qemu_attach_disk,
    .detach_disk = qemu_detach_disk,
    .query_status = qemu_query_status,
    .list_disks = qemu_list_disks,
    .domain_free = qemu_domain_free,
    .free = qemu_hv_free,
};

SlHypervisor *
sl_hypervisor_qemu_new(const char *qemu_binary, const char *state_dir, GError **error)
{
  const char *bin = qemu_binary ? qemu_binary : g_getenv("SL_QEMU");
  g_autofree char *path = g_find_program_in_path(bin && *bin ? bin : "qemu-system-x86_64");
  if (!path) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "%s not found",
                bin && *bin ? bin : "qemu-system-x86_64");
    return NULL;
  }
  QemuHv *h = g_new0(QemuHv, 1);
  h->pub.ops = &qemu_ops;
  h->qemu = g_steal_pointer(&path);
  g_autofree char *cache = state_dir ? g_build_filename(state_dir, "kvm-probe", NULL) : NULL;
  h->accel = sl_accel_select(h->qemu, cache, NULL);
  return &h->pub;
}
