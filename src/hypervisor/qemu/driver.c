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

typedef struct {
  SlDomainDoneFunc done;
  gpointer data;
} Waiter;

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
  GSList *destroy_waiters; /* Waiter* */
  GHashTable *unplugs;     /* device id -> Waiter* */
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
  g_slist_free_full(d->destroy_waiters, g_free);
  g_hash_table_unref(d->unplugs);
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

static void
call_done(QemuDom *d, SlDomainDoneFunc done, gpointer data, const GError *error)
{
  if (done && !d->freed)
    done(&d->pub, error, data);
}

typedef struct {
  QemuDom *d;
  SlDomainDoneFunc done;
  gpointer data;
  GError *error;
} Later;

static gboolean
later_cb(gpointer p)
{
  Later *l = p;
  call_done(l->d, l->done, l->data, l->error);
  g_clear_error(&l->error);
  dom_unref(l->d);
  g_free(l);
  return G_SOURCE_REMOVE;
}

/* Complete from an idle callback (the contract forbids calling back from inside a call). */
static void
done_later(QemuDom *d, SlDomainDoneFunc done, gpointer data, GError *error)
{
  Later *l = g_new0(Later, 1);
  l->d = dom_ref(d);
  l->done = done;
  l->data = data;
  l->error = error;
  g_idle_add(later_cb, l);
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
  GSList *w = g_steal_pointer(&d->destroy_waiters);
  for (GSList *l = w; l; l = l->next) {
    Waiter *x = l->data;
    call_done(d, x->done, x->data, NULL);
  }
  g_slist_free_full(w, g_free);
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

static void
unplug_node_deleted(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  (void)reply;
  if (error)
    g_debug("blockdev-del after unplug: %s", error->message);
  Later *l = data; /* d, done, data */
  call_done(l->d, l->done, l->data, NULL);
  dom_unref(l->d);
  g_free(l);
}

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
  if (ev.kind == SL_DOMAIN_EVENT_DEVICE_DELETED) {
    Waiter *w = NULL;
    gpointer key = NULL;
    if (g_hash_table_steal_extended(d->unplugs, ev.device, &key, (gpointer *)&w)) {
      Later *l = g_new0(Later, 1);
      l->d = dom_ref(d);
      l->done = w->done;
      l->data = w->data;
      g_autofree char *node = g_strdup_printf("%s-bk", (char *)key);
      sl_qmp_execute(d->qmp, "blockdev-del", json_pack("{s:s}", "node-name", node),
                     unplug_node_deleted, l);
      g_free(key);
      g_free(w);
    }
  }
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
  d->unplugs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
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
    GSList *w = g_steal_pointer(&d->destroy_waiters);
    for (GSList *l = w; l; l = l->next)
      call_done(d, ((Waiter *)l->data)->done, ((Waiter *)l->data)->data, NULL);
    g_slist_free_full(w, g_free);
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
reply_done(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  (void)reply;
  Later *l = data;
  call_done(l->d, l->done, l->data, error);
  dom_unref(l->d);
  g_free(l);
}

static Later *
later_new(QemuDom *d, SlDomainDoneFunc done, gpointer data)
{
  Later *l = g_new0(Later, 1);
  l->d = dom_ref(d);
  l->done = done;
  l->data = data;
  return l;
}

static gboolean
check_alive(QemuDom *d, SlDomainDoneFunc done, gpointer data)
{
  if (!d->finished && d->qmp && sl_qmp_is_ready(d->qmp))
    return TRUE;
  done_later(d, done, data,
             g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running or not ready",
                         d->pub.id));
  return FALSE;
}

static void
qemu_powerdown(SlDomain *dom, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  if (check_alive(d, done, data))
    sl_qmp_execute(d->qmp, "system_powerdown", NULL, reply_done, later_new(d, done, data));
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
  if (d->finished || (!d->pub.pid && !d->spawning)) {
    done_later(d, done, data, NULL);
    return;
  }
  Waiter *w = g_new0(Waiter, 1);
  w->done = done;
  w->data = data;
  d->destroy_waiters = g_slist_append(d->destroy_waiters, w);
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

typedef struct {
  QemuDom *d;
  SlDomainDoneFunc done;
  gpointer data;
  char *id;
  json_t *device; /* device_add arguments */
} PlugOp;

static void
plug_free(PlugOp *op)
{
  dom_unref(op->d);
  g_free(op->id);
  json_decref(op->device);
  g_free(op);
}

static void
plug_rolled_back(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  (void)reply;
  (void)error;
  plug_free(data);
}

static void
plug_device_added(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)reply;
  PlugOp *op = data;
  call_done(op->d, op->done, op->data, error);
  if (error && !op->d->finished) { /* undo the node; op freed after */
    g_autofree char *node = g_strdup_printf("%s-bk", op->id);
    sl_qmp_execute(q, "blockdev-del", json_pack("{s:s}", "node-name", node), plug_rolled_back, op);
    return;
  }
  plug_free(op);
}

static void
plug_node_added(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)reply;
  PlugOp *op = data;
  if (error) {
    call_done(op->d, op->done, op->data, error);
    plug_free(op);
    return;
  }
  sl_qmp_execute(q, "device_add", g_steal_pointer(&op->device), plug_device_added, op);
}

static void
qemu_attach_disk(SlDomain *dom, const SlDiskSpec *disk, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  GError *error = NULL;
  if (!sl_disk_spec_check(disk, &error)) {
    done_later(d, done, data, error);
    return;
  }
  if (!check_alive(d, done, data))
    return;
  g_autofree char *node = g_strdup_printf("%s-bk", disk->id);
  gboolean ro = disk->readonly || disk->kind == SL_DISK_CDROM;
  json_t *args = json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "driver", disk->format, "node-name",
                           node, "read-only", ro, "file", "driver", "file", "filename", disk->path);
  PlugOp *op = g_new0(PlugOp, 1);
  op->d = dom_ref(d);
  op->done = done;
  op->data = data;
  op->id = g_strdup(disk->id);
  op->device =
      json_pack("{s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id", disk->id, "drive", node);
  if (disk->serial) {
    g_autofree char *serial = g_strndup(disk->serial, SL_QEMU_SERIAL_MAX);
    json_object_set_new(op->device, "serial", json_string(serial));
  }
  /* A node left by an unplug that finished while nobody waited would make blockdev-add
   * fail; deleting it first is harmless (refused while a device still uses it). */
  sl_qmp_execute(d->qmp, "blockdev-del", json_pack("{s:s}", "node-name", node), NULL, NULL);
  sl_qmp_execute(d->qmp, "blockdev-add", args, plug_node_added, op);
}

typedef struct {
  QemuDom *d;
  char *id;
} UnplugReply;

static void
unplug_requested(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  (void)reply;
  UnplugReply *r = data;
  Waiter *w = NULL;
  gpointer key = NULL;
  if (error && g_hash_table_steal_extended(r->d->unplugs, r->id, &key, (gpointer *)&w)) {
    call_done(r->d, w->done, w->data, error);
    g_free(key);
    g_free(w);
  }
  dom_unref(r->d);
  g_free(r->id);
  g_free(r);
}

static void
qemu_detach_disk(SlDomain *dom, const char *id, SlDomainDoneFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  if (!check_alive(d, done, data))
    return;
  if (!id || g_hash_table_contains(d->unplugs, id)) {
    done_later(d, done, data,
               g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "unplug of %s already pending", id));
    return;
  }
  /* Registered before device_del: DEVICE_DELETED may overtake the reply. */
  Waiter *w = g_new0(Waiter, 1);
  w->done = done;
  w->data = data;
  g_hash_table_insert(d->unplugs, g_strdup(id), w);
  UnplugReply *r = g_new0(UnplugReply, 1);
  r->d = dom_ref(d);
  r->id = g_strdup(id);
  sl_qmp_execute(d->qmp, "device_del", json_pack("{s:s}", "id", id), unplug_requested, r);
}

typedef struct {
  QemuDom *d;
  SlDomainStatusFunc done;
  gpointer data;
} StatusOp;

static void
status_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  StatusOp *op = data;
  const char *status = json_string_value(json_object_get(reply, "status"));
  if (!op->d->freed)
    op->done(&op->d->pub, error ? NULL : (status ? status : "unknown"), error, op->data);
  dom_unref(op->d);
  g_free(op);
}

static gboolean
status_not_ready(gpointer data)
{
  StatusOp *op = data;
  g_autoptr(GError) e =
      g_error_new(SL_ERROR, SL_ERROR_CONFLICT, "vm %s: qemu is not running yet", op->d->pub.id);
  status_reply(NULL, NULL, e, op);
  return G_SOURCE_REMOVE;
}

static void
qemu_query_status(SlDomain *dom, SlDomainStatusFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  StatusOp *op = g_new0(StatusOp, 1);
  op->d = dom_ref(d);
  op->done = done;
  op->data = data;
  if (d->qmp) { /* a closed connection answers with an error, asynchronously */
    sl_qmp_execute(d->qmp, "query-status", NULL, status_reply, op);
    return;
  }
  g_idle_add(status_not_ready, op);
}

typedef struct {
  QemuDom *d;
  SlDomainDisksFunc done;
  gpointer data;
} DisksOp;

static void disks_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data);

static gboolean
disks_not_ready(gpointer data)
{
  DisksOp *op = data;
  g_autoptr(GError) e = g_error_new(SL_ERROR, SL_ERROR_CONFLICT,
                                    "vm %s: qemu is not running or not ready", op->d->pub.id);
  disks_reply(NULL, NULL, e, op);
  return G_SOURCE_REMOVE;
}

/* qom-list /machine/peripheral: every device with an id; keep the virtio disks. */
static void
disks_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  DisksOp *op = data;
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
    op->done(&op->d->pub, error ? NULL : (char **)ids->pdata, error, op->data);
  dom_unref(op->d);
  g_free(op);
}

static void
qemu_list_disks(SlDomain *dom, SlDomainDisksFunc done, gpointer data)
{
  QemuDom *d = (QemuDom *)dom;
  DisksOp *op = g_new0(DisksOp, 1);
  op->d = dom_ref(d);
  op->done = done;
  op->data = data;
  if (d->qmp && sl_qmp_is_ready(d->qmp)) {
    sl_qmp_execute(d->qmp, "qom-list", json_pack("{s:s}", "path", "/machine/peripheral"),
                   disks_reply, op);
    return;
  }
  g_idle_add(disks_not_ready, op);
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
