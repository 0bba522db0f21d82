/* spawn.h - the one place that starts processes (GLib's GSubprocess).
 *
 * sl_process_spawn() starts argv (argv[0] searched in PATH) with optional
 * extra environment, working directory, and stdout/stderr each silenced,
 * captured, appended to a log file or inherited; stdin is /dev/null unless
 * inherited. The exit is watched by GLib's child watch (a pidfd where the
 * kernel has them); `done` runs once, in the thread-default main context of
 * the caller of sl_process_spawn(), with the exit status and the captured
 * text. A timeout sends SIGTERM, then SIGKILL when the process is still there
 * kill_after_ms later. sl_spawn_sync() is the same, waited for in a private
 * main context (callable from any thread).
 *
 * SlPidWatch watches a process that is not our child (a daemonised qemu,
 * found through its pid file) with a pidfd.
 *
 * Errors (SL_ERROR): SL_ERROR_UNAVAILABLE when the program cannot be started
 * ("cannot run <prog>: <reason>"), SL_ERROR_INTERNAL for a log file that
 * cannot be opened or a failed read of the captured output, SL_ERROR_NOT_FOUND
 * for a pid that is gone.
 */
#pragma once
#include <glib.h>

typedef enum {
  SL_SPAWN_SILENCE = 0, /* /dev/null */
  SL_SPAWN_CAPTURE,     /* collected into SlSpawnResult.out / .err */
  SL_SPAWN_LOG,         /* appended to SlSpawnOptions.log_file */
  SL_SPAWN_INHERIT,     /* the caller's */
} SlSpawnOutput;

typedef struct {
  const char *const *argv; /* NULL-terminated, argv[0] searched in PATH */
  const char *const *env;  /* "NAME=value" set on top of ours, NULL-terminated, or NULL */
  const char *cwd;         /* NULL: ours */
  gboolean stdin_inherit;  /* FALSE: /dev/null */
  SlSpawnOutput out, err;
  const char *log_file; /* created 0600 when needed, appended to (SL_SPAWN_LOG) */
  guint timeout_ms;     /* 0: none; else SIGTERM when it elapses */
  guint kill_after_ms;  /* SIGKILL that long after a SIGTERM still unanswered; 0: 5000 */
} SlSpawnOptions;

typedef struct {
  gboolean exited; /* normal exit: exit_status is valid */
  int exit_status;
  int term_signal; /* the signal that ended it, when !exited */
  gboolean timed_out;
  char *out, *err; /* captured text (never NULL when captured), else NULL */
} SlSpawnResult;

/* exited with status 0 */
gboolean sl_spawn_result_ok(const SlSpawnResult *result);
/* "exit status 3", "signal 9", "timed out (signal 15)" */
char *sl_spawn_result_describe(const SlSpawnResult *result);
/* FALSE unless ok; then SL_ERROR_INTERNAL "<what> failed: <stderr or describe>". */
gboolean sl_spawn_result_check(const SlSpawnResult *result, const char *what, GError **error);
void sl_spawn_result_clear(SlSpawnResult *result);

typedef struct SlProcess SlProcess;

/* result is borrowed for the call; error is set (and result then empty) only
 * when reading the captured output failed. */
typedef void (*SlProcessDoneFunc)(SlProcess *proc, const SlSpawnResult *result, const GError *error,
                                  gpointer data);

/* Starts the process. The caller owns the returned reference; done runs
 * exactly once (also when the caller dropped its reference). NULL on error,
 * and done is not called. */
SlProcess *sl_process_spawn(const SlSpawnOptions *options, SlProcessDoneFunc done, gpointer data,
                            GError **error);
SlProcess *sl_process_ref(SlProcess *proc);
void sl_process_unref(SlProcess *proc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlProcess, sl_process_unref)

/* The pid while it runs, 0 once reaped (a process that ends at once may
 * show 0 already when sl_process_spawn returns). */
int sl_process_get_pid(SlProcess *proc);
gboolean sl_process_has_exited(SlProcess *proc);
/* Sends sig (no-op once exited). */
void sl_process_signal(SlProcess *proc, int sig);
/* SIGTERM now, SIGKILL kill_after_ms later if still running. */
void sl_process_terminate(SlProcess *proc);

/* Runs to completion in a private main context. TRUE when the process ran
 * (whatever its exit status: see result); *result must be cleared after. */
gboolean sl_spawn_sync(const SlSpawnOptions *options, SlSpawnResult *result, GError **error);

/* ---- processes that are not our children ----------------------------------- */

typedef struct SlPidWatch SlPidWatch;
typedef void (*SlPidExitFunc)(gpointer data);

/* Watches pid through a pidfd; exited runs once in the caller's
 * thread-default main context when it is gone. Without pidfd_open (ENOSYS)
 * the watch is returned with no fd: has_fd is FALSE, exited never runs and
 * signals go through kill(). SL_ERROR_NOT_FOUND when pid does not exist. */
SlPidWatch *sl_pid_watch_new(int pid, SlPidExitFunc exited, gpointer data, GError **error);
gboolean sl_pid_watch_has_fd(const SlPidWatch *watch);
int sl_pid_watch_get_pid(const SlPidWatch *watch);
/* pidfd_send_signal (kill() without a pidfd); FALSE with errno set. */
gboolean sl_pid_watch_signal(SlPidWatch *watch, int sig);
/* Stops watching (exited will not run), closes the pidfd. */
void sl_pid_watch_free(SlPidWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlPidWatch, sl_pid_watch_free)
