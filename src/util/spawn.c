/* spawn.c - processes on GSubprocess, timeouts, pidfd watches (see spawn.h). */
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.h"

#define KILL_AFTER_MS 5000

struct SlProcess {
  gint ref;
  GSubprocess *proc;
  GMainContext *ctx; /* where done, the timeout and the SIGKILL timer run */
  SlProcessDoneFunc done;
  gpointer data;
  guint kill_after_ms;
  GSource *timeout_src, *kill_src;
  int pid;
  gboolean exited, timed_out;
};

/* ---- results ------------------------------------------------------------- */

gboolean
sl_spawn_result_ok(const SlSpawnResult *r)
{
  return r->exited && r->exit_status == 0;
}

char *
sl_spawn_result_describe(const SlSpawnResult *r)
{
  g_autofree char *how = r->exited ? g_strdup_printf("exit status %d", r->exit_status)
                                   : g_strdup_printf("signal %d", r->term_signal);
  if (r->timed_out)
    return g_strdup_printf("timed out (%s)", how);
  return g_steal_pointer(&how);
}

gboolean
sl_spawn_result_check(const SlSpawnResult *r, const char *what, GError **error)
{
  if (sl_spawn_result_ok(r))
    return TRUE;
  g_autofree char *err = g_strstrip(g_strdup(r->err ? r->err : ""));
  g_autofree char *how = sl_spawn_result_describe(r);
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "%s failed: %s", what, *err ? err : how);
  return FALSE;
}

void
sl_spawn_result_clear(SlSpawnResult *r)
{
  g_clear_pointer(&r->out, g_free);
  g_clear_pointer(&r->err, g_free);
}

/* ---- processes ------------------------------------------------------------ */

SlProcess *
sl_process_ref(SlProcess *p)
{
  g_atomic_int_inc(&p->ref);
  return p;
}

static void
drop_source(GSource **src)
{
  if (*src) {
    g_source_destroy(*src);
    g_source_unref(*src);
    *src = NULL;
  }
}

void
sl_process_unref(SlProcess *p)
{
  if (!p || !g_atomic_int_dec_and_test(&p->ref))
    return;
  drop_source(&p->timeout_src);
  drop_source(&p->kill_src);
  g_clear_object(&p->proc);
  g_main_context_unref(p->ctx);
  g_free(p);
}

int
sl_process_get_pid(SlProcess *p)
{
  return p->exited ? 0 : p->pid;
}

gboolean
sl_process_has_exited(SlProcess *p)
{
  return p->exited;
}

void
sl_process_signal(SlProcess *p, int sig)
{
  if (!p->exited)
    g_subprocess_send_signal(p->proc, sig);
}

static gboolean
on_kill(gpointer data)
{
  SlProcess *p = data;
  g_source_unref(g_steal_pointer(&p->kill_src));
  if (!p->exited)
    g_subprocess_force_exit(p->proc);
  return G_SOURCE_REMOVE;
}

void
sl_process_terminate(SlProcess *p)
{
  if (p->exited)
    return;
  g_subprocess_send_signal(p->proc, SIGTERM);
  if (!p->kill_src) {
    p->kill_src = g_timeout_source_new(p->kill_after_ms);
    g_source_set_callback(p->kill_src, on_kill, p, NULL);
    g_source_attach(p->kill_src, p->ctx);
  }
}

static gboolean
on_timeout(gpointer data)
{
  SlProcess *p = data;
  g_source_unref(g_steal_pointer(&p->timeout_src));
  p->timed_out = TRUE;
  sl_process_terminate(p);
  return G_SOURCE_REMOVE;
}

static char *
bytes_text(GBytes *b)
{
  gsize len = 0;
  const char *data = b ? g_bytes_get_data(b, &len) : NULL;
  return g_strndup(data ? data : "", len);
}

static void
communicated(GObject *src, GAsyncResult *res, gpointer data)
{
  SlProcess *p = data;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  gboolean read_ok = g_subprocess_communicate_finish(G_SUBPROCESS(src), res, &out, &err, &error);
  if (!read_ok) /* a pipe failed: the process may still run; wait for it all the same */
    g_subprocess_wait(p->proc, NULL, NULL);
  p->exited = TRUE;
  drop_source(&p->timeout_src);
  drop_source(&p->kill_src);
  SlSpawnResult r = {.timed_out = p->timed_out};
  if (read_ok) {
    r.exited = g_subprocess_get_if_exited(p->proc);
    if (r.exited)
      r.exit_status = g_subprocess_get_exit_status(p->proc);
    else if (g_subprocess_get_if_signaled(p->proc))
      r.term_signal = g_subprocess_get_term_sig(p->proc);
    if (out)
      r.out = bytes_text(out);
    if (err)
      r.err = bytes_text(err);
  }
  g_autoptr(GError) read_error =
      read_ok ? NULL
              : g_error_new(SL_ERROR, SL_ERROR_INTERNAL, "reading the output of process %d: %s",
                            p->pid, error->message);
  if (p->done)
    p->done(p, &r, read_error, p->data);
  sl_spawn_result_clear(&r);
  sl_process_unref(p);
}

/* An fd of path for appending, O_CLOEXEC (GSubprocess dups it in the child). */
static int
open_log(const char *path, GError **error)
{
  if (!path) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, "SL_SPAWN_LOG without a log file");
    return -1;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot open %s: %s", path, g_strerror(errno));
  return fd;
}

SlProcess *
sl_process_spawn(const SlSpawnOptions *o, SlProcessDoneFunc done, gpointer data, GError **error)
{
  g_return_val_if_fail(o && o->argv && o->argv[0], NULL);
  GSubprocessFlags flags = o->stdin_inherit ? G_SUBPROCESS_FLAGS_STDIN_INHERIT : 0;
  if (o->out == SL_SPAWN_SILENCE)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  else if (o->out == SL_SPAWN_CAPTURE)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  if (o->err == SL_SPAWN_SILENCE)
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  else if (o->err == SL_SPAWN_CAPTURE)
    flags |= G_SUBPROCESS_FLAGS_STDERR_PIPE;
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(flags);
  if (o->out == SL_SPAWN_LOG || o->err == SL_SPAWN_LOG) {
    int fd = open_log(o->log_file, error);
    if (fd < 0)
      return NULL;
    if (o->out == SL_SPAWN_LOG && o->err == SL_SPAWN_LOG) {
      int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (fd2 < 0) {
        g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot dup %s: %s", o->log_file,
                    g_strerror(errno));
        close(fd);
        return NULL;
      }
      g_subprocess_launcher_take_stdout_fd(l, fd);
      g_subprocess_launcher_take_stderr_fd(l, fd2);
    } else if (o->out == SL_SPAWN_LOG) {
      g_subprocess_launcher_take_stdout_fd(l, fd);
    } else {
      g_subprocess_launcher_take_stderr_fd(l, fd);
    }
  }
  for (const char *const *e = o->env; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq || eq == *e) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "environment entry without NAME=: %s", *e);
      return NULL;
    }
    g_autofree char *name = g_strndup(*e, eq - *e);
    g_subprocess_launcher_setenv(l, name, eq + 1, TRUE);
  }
  if (o->cwd)
    g_subprocess_launcher_set_cwd(l, o->cwd);
  g_autoptr(GError) spawn_error = NULL;
  GSubprocess *proc = g_subprocess_launcher_spawnv(l, o->argv, &spawn_error);
  if (!proc) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "cannot run %s: %s", o->argv[0],
                spawn_error->message);
    return NULL;
  }
  SlProcess *p = g_new0(SlProcess, 1);
  p->ref = 1;
  p->proc = proc;
  p->ctx = g_main_context_ref_thread_default();
  p->done = done;
  p->data = data;
  p->kill_after_ms = o->kill_after_ms ? o->kill_after_ms : KILL_AFTER_MS;
  const char *id = g_subprocess_get_identifier(proc);
  gint64 pid = 0;
  if (id && !g_ascii_string_to_signed(id, 10, 1, G_MAXINT, &pid, NULL))
    pid = 0;
  p->pid = (int)pid;
  if (o->timeout_ms) {
    p->timeout_src = g_timeout_source_new(o->timeout_ms);
    g_source_set_callback(p->timeout_src, on_timeout, p, NULL);
    g_source_attach(p->timeout_src, p->ctx);
  }
  g_subprocess_communicate_async(proc, NULL, NULL, communicated, sl_process_ref(p));
  return p;
}

/* ---- synchronous ---------------------------------------------------------- */

typedef struct {
  gboolean done;
  SlSpawnResult *result;
  GError *error;
} SyncWait;

static void
sync_done(SlProcess *proc, const SlSpawnResult *r, const GError *error, gpointer data)
{
  (void)proc;
  SyncWait *w = data;
  *w->result = *r;
  w->result->out = g_strdup(r->out);
  w->result->err = g_strdup(r->err);
  if (error)
    w->error = g_error_copy(error);
  w->done = TRUE;
}

gboolean
sl_spawn_sync(const SlSpawnOptions *o, SlSpawnResult *result, GError **error)
{
  memset(result, 0, sizeof *result);
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  SyncWait w = {.result = result};
  SlProcess *p = sl_process_spawn(o, sync_done, &w, error);
  if (p) {
    while (!w.done)
      g_main_context_iteration(ctx, TRUE);
    sl_process_unref(p);
  }
  g_main_context_pop_thread_default(ctx);
  if (w.error) {
    sl_spawn_result_clear(result);
    g_propagate_error(error, w.error);
    return FALSE;
  }
  return p != NULL;
}

/* ---- pid watches ------------------------------------------------------------ */

struct SlPidWatch {
  int pid;
  int fd; /* -1 without pidfds */
  GSource *src;
  SlPidExitFunc exited;
  gpointer data;
};

static gboolean
pid_gone(gint fd, GIOCondition cond, gpointer data)
{
  (void)fd, (void)cond;
  SlPidWatch *w = data;
  g_source_unref(g_steal_pointer(&w->src));
  if (w->exited)
    w->exited(w->data);
  return G_SOURCE_REMOVE;
}

SlPidWatch *
sl_pid_watch_new(int pid, SlPidExitFunc exited, gpointer data, GError **error)
{
  if (pid <= 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no process %d", pid);
    return NULL;
  }
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 && errno != ENOSYS) {
    g_set_error(error, SL_ERROR, errno == ESRCH ? SL_ERROR_NOT_FOUND : SL_ERROR_INTERNAL,
                "process %d: pidfd_open: %s", pid, g_strerror(errno));
    return NULL;
  }
  if (fd < 0 && kill(pid, 0) != 0 && errno == ESRCH) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no process %d", pid);
    return NULL;
  }
  SlPidWatch *w = g_new0(SlPidWatch, 1);
  w->pid = pid;
  w->fd = fd;
  w->exited = exited;
  w->data = data;
  if (fd >= 0) {
    w->src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(w->src, G_SOURCE_FUNC(pid_gone), w, NULL);
    g_source_attach(w->src, g_main_context_get_thread_default());
  }
  return w;
}

gboolean
sl_pid_watch_has_fd(const SlPidWatch *w)
{
  return w->fd >= 0;
}

int
sl_pid_watch_get_pid(const SlPidWatch *w)
{
  return w->pid;
}

gboolean
sl_pid_watch_signal(SlPidWatch *w, int sig)
{
  if (w->fd >= 0)
    return syscall(SYS_pidfd_send_signal, w->fd, sig, NULL, 0) == 0;
  return kill(w->pid, sig) == 0;
}

void
sl_pid_watch_free(SlPidWatch *w)
{
  if (!w)
    return;
  drop_source(&w->src);
  if (w->fd >= 0)
    close(w->fd);
  g_free(w);
}
