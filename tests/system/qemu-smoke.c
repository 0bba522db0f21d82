/* qemu-smoke.c - boot the test appliance through the hypervisor driver (test helper).
 *
 *   qemu-smoke BASE.img [IP]      (IP defaults to 127.100.0.250; needs root for port 22)
 *
 * Creates a qcow2 overlay and a context CD (PUBLIC_KEY of a fresh ed25519 key) in a
 * temporary dir, starts the VM, waits for STRATUSLAB-APPLIANCE-READY on the serial log
 * (inotify, no polling), checks that a second VM on the same forwards fails with a clear
 * error, hot-plugs a disk and reads its serial over ssh, unplugs it (DEVICE_DELETED),
 * powers the guest down (SHUTDOWN guest:true), re-adopts it as after a daemon restart,
 * then destroys it. Prints timings; exit 0 on success. Every qemu is stopped by pid.
 */
#include "hypervisor/driver.h"
#include "util/error.h"
#include "util/log.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static struct {
  gboolean started, ready, done, shutdown_guest, powerdown, exited, crashed, deleted;
  GError *error;
  char *status;
  gint64 t0;
  int pid; /* for the emergency kill */
} st;

static void
say(const char *what)
{
  printf("%7.2f s  %s\n", (g_get_monotonic_time() - st.t0) / 1e6, what);
  fflush(stdout);
}

static void
on_event(SlDomain *dom, const SlDomainEvent *ev, gpointer user)
{
  (void)dom;
  (void)user;
  g_autofree char *msg =
      g_strdup_printf("event %s %s %s", sl_domain_event_name(ev->kind),
                      ev->reason ? ev->reason : "", ev->device ? ev->device : "");
  say(msg);
  st.shutdown_guest |= ev->kind == SL_DOMAIN_EVENT_SHUTDOWN_GUEST;
  st.powerdown |= ev->kind == SL_DOMAIN_EVENT_POWERDOWN;
  st.exited |= ev->kind == SL_DOMAIN_EVENT_EXITED;
  st.crashed |= ev->kind == SL_DOMAIN_EVENT_CRASHED;
  st.deleted |= ev->kind == SL_DOMAIN_EVENT_DEVICE_DELETED;
}

static void
on_done(SlDomain *dom, const GError *error, gpointer user)
{
  (void)user;
  if (dom && dom->pid)
    st.pid = dom->pid;
  g_clear_error(&st.error);
  st.error = error ? g_error_copy(error) : NULL;
  st.done = TRUE;
}

static void
on_status(SlDomain *dom, const char *status, const GError *error, gpointer user)
{
  g_free(st.status);
  st.status = g_strdup(status);
  on_done(dom, error, user);
}

static gboolean
deadline_hit(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop until *flag or the deadline. */
static gboolean
wait_for(gboolean *flag, guint seconds)
{
  gboolean late = FALSE;
  guint id = g_timeout_add_seconds(seconds, deadline_hit, &late);
  while (!*flag && !late)
    g_main_context_iteration(NULL, TRUE);
  if (!late)
    g_source_remove(id);
  return *flag;
}

static gboolean
wait_done(guint seconds)
{
  st.done = FALSE;
  if (!wait_for(&st.done, seconds))
    return FALSE;
  if (st.error)
    g_printerr("  error: %s\n", st.error->message);
  return st.error == NULL;
}

/* serial.log watcher: inotify IN_MODIFY on the file, read what was appended. */
typedef struct {
  int fd, ino;
  GString *seen;
  gsize off;
  const char *path;
} Tail;

static void
tail_read(Tail *t)
{
  g_autofree char *all = NULL;
  gsize len = 0;
  if (!g_file_get_contents(t->path, &all, &len, NULL) || len <= t->off)
    return;
  g_string_append_len(t->seen, all + t->off, len - t->off);
  t->off = len;
  if (!st.ready && strstr(t->seen->str, "STRATUSLAB-APPLIANCE-READY")) {
    st.ready = TRUE;
    say("serial: STRATUSLAB-APPLIANCE-READY");
  }
}

static gboolean
tail_cb(gint fd, GIOCondition cond, gpointer data)
{
  (void)cond;
  char buf[4096];
  while (read(fd, buf, sizeof buf) > 0)
    ;
  tail_read(data);
  return G_SOURCE_CONTINUE;
}

/* Exited: no /proc entry, or a zombie (a daemonized qemu is reaped by init, not by us). */
static gboolean
process_gone(int pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return TRUE;
  const char *p = strrchr(text, ')');
  return p && p[1] == ' ' && p[2] == 'Z';
}

static gboolean
run(const char *cmd, char **out)
{
  g_autoptr(GError) error = NULL;
  int status = 0;
  g_autofree char *err = NULL;
  if (!g_spawn_command_line_sync(cmd, out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL)) {
    g_printerr("command failed: %s\n%s\n", cmd, err ? err : (error ? error->message : ""));
    return FALSE;
  }
  return TRUE;
}

#define CHECK(cond, what)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      g_printerr("FAILED: %s\n", what);                                                            \
      return FALSE;                                                                                \
    }                                                                                              \
    say(what);                                                                                     \
  } while (0)

static Tail tail = {.fd = -1};
static SlDomain *dom;

static gboolean
smoke(const char *base, const char *ip, const char *work)
{
  g_autofree char *run_dir = g_build_filename(work, "vm", NULL);
  g_autofree char *run_dir2 = g_build_filename(work, "vm2", NULL);
  g_mkdir_with_parents(run_dir, 0700);
  g_autofree char *overlay = g_build_filename(run_dir, "root.qcow2", NULL);
  g_autofree char *ctxdir = g_build_filename(work, "ctx", NULL);
  g_autofree char *iso = g_build_filename(run_dir, "context.iso", NULL);
  g_autofree char *key = g_build_filename(work, "key", NULL);
  g_autofree char *data = g_build_filename(work, "data.img", NULL);
  g_autofree char *serial = g_build_filename(run_dir, "serial.log", NULL);
  g_autoptr(SlHypervisor) hv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *c1 =
      g_strdup_printf("qemu-img create -q -f qcow2 -b %s -F raw %s", base, overlay);
  g_autofree char *c2 = g_strdup_printf("ssh-keygen -q -t ed25519 -N '' -f %s", key);
  g_autofree char *pub = NULL, *ctx = NULL;
  g_mkdir_with_parents(ctxdir, 0700);
  CHECK(run(c1, NULL) && run(c2, NULL), "overlay and ssh key created");
  g_autofree char *pubfile = g_strconcat(key, ".pub", NULL);
  g_file_get_contents(pubfile, &pub, NULL, NULL);
  ctx = g_strdup_printf("HOSTNAME=\"smoke\"\nPUBLIC_KEY=\"%s\"\n", g_strstrip(pub));
  g_autofree char *ctxfile = g_build_filename(ctxdir, "context.sh", NULL);
  g_file_set_contents(ctxfile, ctx, -1, NULL);
  g_autofree char *c3 =
      g_strdup_printf("genisoimage -quiet -o %s -V _STRATUSLAB -r -J %s", iso, ctxdir);
  g_autofree char *c4 = g_strdup_printf("truncate -s 16M %s", data);
  CHECK(run(c3, NULL) && run(c4, NULL), "context ISO and data disk created");

  hv = sl_hypervisor_qemu_new(NULL, work, &error);
  CHECK(hv, "driver ready");
  g_autoptr(SlVmSpec) spec = sl_vm_spec_new("smoke", run_dir);
  spec->root.path = g_strdup(overlay);
  spec->context_iso = g_strdup(iso);
  spec->public_ip = g_strdup(ip);

  /* Crash detection: SIGKILL from outside must give CRASHED (no SHUTDOWN seen). */
  {
    g_autofree char *crash_dir = g_build_filename(work, "crash", NULL);
    g_autofree char *ov = g_build_filename(work, "crash.qcow2", NULL);
    g_autofree char *cmd = g_strdup_printf("qemu-img create -q -f qcow2 -b %s -F raw %s", base, ov);
    CHECK(run(cmd, NULL), "crash-test overlay created");
    g_autoptr(SlVmSpec) cs = sl_vm_spec_new("crash", crash_dir);
    cs->root.path = g_strdup(ov);
    SlDomain *c = hv->ops->start(hv, cs, on_event, NULL, on_done, NULL, &error);
    CHECK(c && wait_done(10), "crash-test VM started");
    st.pid = c->pid;
    kill(c->pid, SIGKILL);
    CHECK(wait_for(&st.crashed, 10) && !st.exited, "external SIGKILL reported as CRASHED");
    sl_domain_free(c);
    /* destroy() while qemu is still daemonizing: killed as soon as it has a pid */
    st.exited = st.crashed = FALSE;
    c = hv->ops->start(hv, cs, on_event, NULL, NULL, NULL, &error);
    CHECK(c, "second crash-test VM requested");
    hv->ops->destroy(c, 2000, on_done, NULL);
    CHECK(wait_done(10) && st.exited, "destroy during start: EXITED, done");
    CHECK(!g_file_test(cs->run_dir, G_FILE_TEST_EXISTS) ||
              !hv->ops->adopt(hv, "crash", crash_dir, NULL, NULL, NULL, NULL, NULL),
          "nothing left to adopt");
    sl_domain_free(c);
    st.exited = st.crashed = FALSE;
    st.pid = 0;
  }

  /* serial watcher: qemu creates serial.log; create it first so inotify can watch it */
  g_file_set_contents(serial, "", 0, NULL);
  tail.path = serial;
  tail.seen = g_string_new(NULL);
  tail.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  tail.ino = inotify_add_watch(tail.fd, serial, IN_MODIFY);
  g_unix_fd_add(tail.fd, G_IO_IN, tail_cb, &tail);

  gint64 t_start = g_get_monotonic_time();
  dom = hv->ops->start(hv, spec, on_event, NULL, on_done, NULL, &error);
  CHECK(dom, "start requested");
  CHECK(wait_done(10), "qemu daemonized, QMP ready");
  st.pid = dom->pid;
  printf("           start → QMP ready: %.3f s (pid %d)\n",
         (g_get_monotonic_time() - t_start) / 1e6, dom->pid);
  tail_read(&tail); /* qemu truncated/reopened the file: re-read from 0 if shorter */
  CHECK(wait_for(&st.ready, 60), "appliance READY");
  printf("           start → READY: %.3f s\n", (g_get_monotonic_time() - t_start) / 1e6);

  /* A second VM with the same forwards must fail with qemu's message. */
  g_autoptr(SlVmSpec) spec2 = sl_vm_spec_new("smoke2", run_dir2);
  g_autofree char *overlay2 = g_build_filename(work, "root2.qcow2", NULL);
  g_autofree char *c7 =
      g_strdup_printf("qemu-img create -q -f qcow2 -b %s -F raw %s", base, overlay2);
  CHECK(run(c7, NULL), "second overlay created");
  spec2->root.path = g_strdup(overlay2);
  spec2->public_ip = g_strdup(ip);
  SlDomain *dom2 = hv->ops->start(hv, spec2, on_event, NULL, on_done, NULL, &error);
  CHECK(dom2, "second start requested");
  CHECK(!wait_done(10) && st.error && st.error->code == SL_ERROR_CONFLICT,
        "second VM on the same address refused (409)");
  printf("           %s\n", st.error->message);
  sl_domain_free(dom2);
  st.pid = dom->pid;

  SlDiskSpec disk = {.id = "pdisk1",
                     .path = data,
                     .format = "raw",
                     .serial = "3c0b4b0e-5b2f-4d8e-9a63-0d1c2e3f4a5b"};
  gint64 t = g_get_monotonic_time();
  hv->ops->attach_disk(dom, &disk, on_done, NULL);
  CHECK(wait_done(10), "hot-plugged pdisk1");
  printf("           attach: %.3f s\n", (g_get_monotonic_time() - t) / 1e6);
  g_autofree char *ssh = g_strdup_printf(
      "ssh -q -i %s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
      "-o ConnectTimeout=20 root@%s 'hostname; sleep 1; cat /sys/block/vdb/serial; echo'",
      key, ip);
  g_autofree char *out = NULL;
  t = g_get_monotonic_time();
  CHECK(run(ssh, &out), "ssh into the guest");
  printf("           ssh: %.3f s; guest says: %s\n", (g_get_monotonic_time() - t) / 1e6,
         g_strdelimit(g_strstrip(out), "\n", ' '));
  CHECK(strstr(out, "smoke") && strstr(out, "3c0b4b0e-5b2f-4d8e-9"),
        "context hostname applied, vdb serial = first 20 chars of the UUID");

  t = g_get_monotonic_time();
  hv->ops->detach_disk(dom, "pdisk1", on_done, NULL);
  CHECK(wait_done(10) && st.deleted, "unplugged pdisk1 (DEVICE_DELETED, node deleted)");
  printf("           detach: %.3f s\n", (g_get_monotonic_time() - t) / 1e6);

  t = g_get_monotonic_time();
  hv->ops->powerdown(dom, on_done, NULL);
  CHECK(wait_done(5), "system_powerdown accepted");
  CHECK(wait_for(&st.shutdown_guest, 30), "SHUTDOWN guest:true");
  printf("           powerdown → SHUTDOWN: %.3f s\n", (g_get_monotonic_time() - t) / 1e6);
  hv->ops->query_status(dom, on_status, NULL);
  CHECK(wait_done(5) && g_strcmp0(st.status, "shutdown") == 0,
        "query-status = shutdown (-no-shutdown kept qemu)");

  /* daemon restart: drop the handle, adopt by run dir */
  int pid = dom->pid;
  sl_domain_free(dom);
  t = g_get_monotonic_time();
  dom = hv->ops->adopt(hv, "smoke", run_dir, on_event, NULL, on_done, NULL, &error);
  CHECK(dom && wait_done(5) && dom->pid == pid, "re-adopted the running qemu");
  printf("           adopt: %.3f s\n", (g_get_monotonic_time() - t) / 1e6);
  hv->ops->query_status(dom, on_status, NULL);
  CHECK(wait_done(5) && g_strcmp0(st.status, "shutdown") == 0, "adopted status = shutdown");

  t = g_get_monotonic_time();
  hv->ops->destroy(dom, 5000, on_done, NULL);
  CHECK(wait_done(10) && st.exited && !st.crashed, "destroyed: EXITED");
  printf("           destroy: %.3f s\n", (g_get_monotonic_time() - t) / 1e6);
  CHECK(process_gone(pid), "process gone (or a zombie awaiting init)");
  g_autofree char *pidfile = g_build_filename(run_dir, "qemu.pid", NULL);
  CHECK(!g_file_test(pidfile, G_FILE_TEST_EXISTS), "pid file removed");
  g_autofree char *c5 = g_strdup_printf("qemu-img info %s", overlay);
  CHECK(run(c5, NULL), "overlay unlocked");
  st.pid = 0;
  sl_domain_free(g_steal_pointer(&dom));
  return TRUE;
}

int
main(int argc, char **argv)
{
  sl_log_init("qemu-smoke");
  if (argc < 2 || !g_path_is_absolute(argv[1])) {
    g_printerr("usage: qemu-smoke /abs/base.img [127.x.y.z]\n");
    return 2;
  }
  g_autofree char *work = g_dir_make_tmp("sl-smoke-XXXXXX", NULL);
  st.t0 = g_get_monotonic_time();
  int rc = smoke(argv[1], argc > 2 ? argv[2] : "127.100.0.250", work) ? 0 : 1;
  if (st.pid > 0 && kill(st.pid, 0) == 0) {
    g_printerr("killing qemu %d\n", st.pid);
    kill(st.pid, SIGKILL);
  }
  if (rc != 0 && tail.seen)
    g_printerr("---- serial log ----\n%s\n", tail.seen->str);
  sl_domain_free(dom);
  if (tail.fd >= 0)
    close(tail.fd);
  if (tail.seen)
    g_string_free(tail.seen, TRUE);
  g_clear_error(&st.error);
  g_free(st.status);
  g_autofree char *rm = g_strdup_printf("rm -rf %s", work);
  run(rm, NULL);
  printf("%s\n", rc == 0 ? "SMOKE OK" : "SMOKE FAILED");
  return rc;
}
