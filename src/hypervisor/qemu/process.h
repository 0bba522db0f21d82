/* process.h - the QEMU process of a run dir: start it, find it again, watch it, signal it.
 *
 * QEMU runs with -daemonize: the process we start initialises QEMU, then exits 0 while
 * the VM's QEMU runs on by itself (pid in run_dir/qemu.pid), or exits non-zero with the
 * reason on stderr. That QEMU is not our child and outlives the daemon: it is found
 * again from its pid file, checked against its command line (pid reuse), and watched
 * through a pidfd (util/spawn). Callbacks run in the caller's thread-default main
 * context; only sl_qemu_process_poll() may call back from inside the call.
 */
#pragma once
#include <glib.h>

typedef struct SlQemuProcess SlQemuProcess;

/* The pid of the live (not zombie) QEMU whose QMP socket is in run_dir, or 0. */
int sl_qemu_process_find(const char *run_dir);

/* pid of the daemonized QEMU, or 0 and why it did not start: QEMU's own message, with
 * SL_ERROR_CONFLICT for a forwarded port that is taken or an image locked by another. */
typedef void (*SlQemuStartedFunc)(int pid, const GError *error, gpointer data);
/* Create run_dir and run argv, a -daemonize command line whose -pidfile is
 * run_dir/qemu.pid; started fires once. FALSE (started never fires) when a live QEMU
 * already owns run_dir (SL_ERROR_CONFLICT), run_dir cannot be made, or argv[0] cannot
 * be run (SL_ERROR_UNAVAILABLE). */
gboolean sl_qemu_process_start(const char *const *argv, const char *run_dir,
                               SlQemuStartedFunc started, gpointer data, GError **error);

typedef void (*SlQemuExitedFunc)(gpointer data);
/* Watch pid, the QEMU of run_dir: exited fires once it is gone. Without pidfds (old
 * kernels, valgrind) the exit is only seen after sl_qemu_process_poll(). NULL and
 * SL_ERROR_NOT_FOUND when pid is not there. */
SlQemuProcess *sl_qemu_process_watch(int pid, const char *run_dir, SlQemuExitedFunc exited,
                                     gpointer data, GError **error);
/* Without a pidfd: look in /proc now (exited may fire at once) and every 100 ms after.
 * Call it when QMP reached EOF. A no-op with a pidfd. */
void sl_qemu_process_poll(SlQemuProcess *proc);
/* Send sig, unless the process is gone (or, without a pidfd, its pid now names another). */
void sl_qemu_process_signal(SlQemuProcess *proc, int sig);
/* Stop watching (exited will not fire); the process runs on. */
void sl_qemu_process_free(SlQemuProcess *proc);
