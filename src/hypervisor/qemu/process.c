/* process.c - start, find, watch and signal the QEMU of a run dir (see process.h). */
#include "hypervisor/qemu/process.h"
#include "util/error.h"
#include "util/spawn.h"

#include <errno.h>
#include <string.h>

struct SlQemuProcess {
  int pid;
  char *run_dir;
  SlPidWatch *watch; /* the pidfd, or (without pidfds) just the pid */
  guint poll_src;
  gboolean gone;
  SlQemuExitedFunc exited;
  gpointer data;
};

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

int
sl_qemu_process_find(const char *run_dir)
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

/* ---- start ---- */

typedef struct {
  char *qemu, *run_dir;
  SlQemuStartedFunc started;
  gpointer data;
} Start;

/* qemu's stderr before it detached, one message per line, without the "<binary>: " prefix. */
static GError *
start_error(const char *qemu, const SlSpawnResult *result)
{
  g_autofree char *base = g_path_get_basename(qemu);
  g_auto(GStrv) lines = g_strsplit(result->err ? result->err : "", "\n", -1);
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

/* The parent we ran has exited: QEMU daemonized (status 0) or failed to start. */
static void
spawned(SlProcess *proc, const SlSpawnResult *result, const GError *read_error, gpointer data)
{
  (void)proc;
  Start *s = data;
  g_autoptr(GError) error = read_error ? g_error_copy(read_error) : NULL;
  if (!error && !sl_spawn_result_ok(result))
    error = start_error(s->qemu, result);
  int pid = 0;
  if (!error && !(pid = sl_qemu_process_find(s->run_dir)))
    error =
        g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "qemu started but no live pid in %s", s->run_dir);
  s->started(error ? 0 : pid, error, s->data);
  g_free(s->qemu);
  g_free(s->run_dir);
  g_free(s);
}

gboolean
sl_qemu_process_start(const char *const *argv, const char *run_dir, SlQemuStartedFunc started,
                      gpointer data, GError **error)
{
  if (g_mkdir_with_parents(run_dir, 0700) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", run_dir,
                g_strerror(errno));
    return FALSE;
  }
  int old = sl_qemu_process_find(run_dir);
  if (old) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "qemu %d already runs in %s", old, run_dir);
    return FALSE;
  }
  Start *s = g_new0(Start, 1);
  s->qemu = g_strdup(argv[0]);
  s->run_dir = g_strdup(run_dir);
  s->started = started;
  s->data = data;
  SlSpawnOptions o = {.argv = argv, .err = SL_SPAWN_CAPTURE};
  g_autoptr(SlProcess) proc = sl_process_spawn(&o, spawned, s, error);
  if (!proc) {
    g_free(s->qemu);
    g_free(s->run_dir);
    g_free(s);
    return FALSE;
  }
  return TRUE;
}

/* ---- watch ---- */

static void
pid_exited(gpointer data)
{
  SlQemuProcess *p = data;
  p->gone = TRUE;
  p->exited(p->data);
}

SlQemuProcess *
sl_qemu_process_watch(int pid, const char *run_dir, SlQemuExitedFunc exited, gpointer data,
                      GError **error)
{
  SlQemuProcess *p = g_new0(SlQemuProcess, 1);
  p->pid = pid;
  p->run_dir = g_strdup(run_dir);
  p->exited = exited;
  p->data = data;
  p->watch = sl_pid_watch_new(pid, pid_exited, p, error);
  if (!p->watch) {
    sl_qemu_process_free(p);
    return NULL;
  }
  if (!sl_pid_watch_has_fd(p->watch))
    g_debug("qemu %d: no pidfd_open; its exit is seen after QMP EOF", pid);
  return p;
}

static gboolean
poll_exit(gpointer data)
{
  SlQemuProcess *p = data;
  if (owns_run_dir(p->pid, p->run_dir))
    return G_SOURCE_CONTINUE;
  p->poll_src = 0;
  p->gone = TRUE;
  p->exited(p->data);
  return G_SOURCE_REMOVE;
}

void
sl_qemu_process_poll(SlQemuProcess *p)
{
  if (!p->gone && !sl_pid_watch_has_fd(p->watch) && !p->poll_src && poll_exit(p))
    p->poll_src = g_timeout_add(100, poll_exit, p);
}

void
sl_qemu_process_signal(SlQemuProcess *p, int sig)
{
  /* without a pidfd the pid may have been reused: check its command line first */
  if (p->gone || (!sl_pid_watch_has_fd(p->watch) && !owns_run_dir(p->pid, p->run_dir)))
    return;
  if (!sl_pid_watch_signal(p->watch, sig))
    g_debug("qemu %d: signal %d: %s", p->pid, sig, g_strerror(errno));
}

void
sl_qemu_process_free(SlQemuProcess *p)
{
  if (!p)
    return;
  g_clear_handle_id(&p->poll_src, g_source_remove);
  g_clear_pointer(&p->watch, sl_pid_watch_free);
  g_free(p->run_dir);
  g_free(p);
}
