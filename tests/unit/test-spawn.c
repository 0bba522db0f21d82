/* test-spawn.c - src/util/spawn.c: exit statuses, captured output, log
 * files, environment and working directory, timeouts (SIGTERM, then SIGKILL
 * when ignored), completion in the caller's main context, pid watches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "util/error.h"
#include "util/spawn.h"

static void
test_capture_and_status(void **state)
{
  (void)state;
  const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
  SlSpawnOptions o = {.argv = argv, .out = SL_SPAWN_CAPTURE, .err = SL_SPAWN_CAPTURE};
  SlSpawnResult r;
  g_autoptr(GError) error = NULL;
  assert_true(sl_spawn_sync(&o, &r, &error));
  assert_null(error);
  assert_true(r.exited);
  assert_int_equal(r.exit_status, 3);
  assert_false(r.timed_out);
  assert_false(sl_spawn_result_ok(&r));
  assert_string_equal(r.out, "out\n");
  assert_string_equal(r.err, "err\n");
  g_autofree char *how = sl_spawn_result_describe(&r);
  assert_string_equal(how, "exit status 3");
  assert_false(sl_spawn_result_check(&r, "sh", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INTERNAL));
  assert_string_equal(error->message, "sh failed: err");
  sl_spawn_result_clear(&r);

  const char *ok[] = {"true", NULL};
  SlSpawnOptions o2 = {.argv = ok};
  assert_true(sl_spawn_sync(&o2, &r, NULL));
  assert_true(sl_spawn_result_ok(&r));
  assert_true(sl_spawn_result_check(&r, "true", NULL));
  assert_null(r.out); /* not captured */
  assert_null(r.err);
  sl_spawn_result_clear(&r);
}

static void
test_env_cwd_log(void **state)
{
  (void)state;
  g_autofree char *dir = th_tmpdir_new("test-spawn-XXXXXX");
  g_autofree char *log = g_build_filename(dir, "run.log", NULL);
  assert_true(g_file_set_contents(log, "before\n", -1, NULL));
  const char *argv[] = {"sh", "-c", "echo \"$SL_SPAWN_TEST $(pwd)\"; echo oops >&2", NULL};
  const char *env[] = {"SL_SPAWN_TEST=hello world", NULL};
  SlSpawnOptions o = {.argv = argv,
                      .env = env,
                      .cwd = dir,
                      .out = SL_SPAWN_LOG,
                      .err = SL_SPAWN_LOG,
                      .log_file = log};
  SlSpawnResult r;
  assert_true(sl_spawn_sync(&o, &r, NULL));
  assert_true(sl_spawn_result_ok(&r));
  sl_spawn_result_clear(&r);
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(log, &text, NULL, NULL));
  g_autofree char *real = realpath(dir, NULL);
  g_autofree char *want = g_strdup_printf("before\nhello world %s\noops\n", real);
  assert_string_equal(text, want);
  g_autoptr(GError) error = NULL;
  const char *bad_env[] = {"=x", NULL};
  SlSpawnOptions o2 = {.argv = argv, .env = bad_env};
  assert_false(sl_spawn_sync(&o2, &r, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  g_clear_error(&error);
  g_autofree char *nolog = g_build_filename(dir, "missing", "x.log", NULL);
  SlSpawnOptions o3 = {.argv = argv, .out = SL_SPAWN_LOG, .log_file = nolog};
  assert_false(sl_spawn_sync(&o3, &r, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INTERNAL));
  assert_non_null(strstr(error->message, nolog));
  assert_int_equal(th_rm_tree(dir), 0);
}

static void
test_cannot_run(void **state)
{
  (void)state;
  const char *argv[] = {"/nonexistent/sl-no-such-program", NULL};
  SlSpawnOptions o = {.argv = argv};
  SlSpawnResult r;
  g_autoptr(GError) error = NULL;
  assert_false(sl_spawn_sync(&o, &r, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  assert_true(g_str_has_prefix(error->message, "cannot run /nonexistent/sl-no-such-program: "));
}

static void
test_timeout_term(void **state)
{
  (void)state;
  const char *argv[] = {"sleep", "60", NULL};
  SlSpawnOptions o = {.argv = argv, .timeout_ms = 100};
  SlSpawnResult r;
  assert_true(sl_spawn_sync(&o, &r, NULL));
  assert_true(r.timed_out);
  assert_false(r.exited);
  assert_int_equal(r.term_signal, SIGTERM);
  g_autofree char *how = sl_spawn_result_describe(&r);
  assert_string_equal(how, "timed out (signal 15)");
  sl_spawn_result_clear(&r);
}

static void
test_timeout_kill(void **state)
{
  (void)state;
  /* SIGTERM is ignored (and stays so across exec): only SIGKILL ends it */
  const char *argv[] = {"sh", "-c", "trap '' TERM; exec sleep 60", NULL};
  SlSpawnOptions o = {.argv = argv, .timeout_ms = 100, .kill_after_ms = 100};
  SlSpawnResult r;
  assert_true(sl_spawn_sync(&o, &r, NULL));
  assert_true(r.timed_out);
  assert_false(r.exited);
  assert_int_equal(r.term_signal, SIGKILL);
  sl_spawn_result_clear(&r);
}

typedef struct {
  int calls;
  GMainContext *ctx;
  GThread *thread;
  int exit_status;
  char *out;
} Seen;

static void
on_done(SlProcess *proc, const SlSpawnResult *r, const GError *error, gpointer data)
{
  Seen *s = data;
  assert_null(error);
  assert_true(sl_process_has_exited(proc));
  assert_int_equal(sl_process_get_pid(proc), 0);
  s->calls++;
  s->ctx = g_main_context_get_thread_default();
  s->thread = g_thread_self();
  s->exit_status = r->exit_status;
  s->out = g_strdup(r->out);
}

static void
test_async_in_caller_context(void **state)
{
  (void)state;
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  const char *argv[] = {"sh", "-c", "read x; echo \"[$x]\"; exit 7", NULL};
  SlSpawnOptions o = {.argv = argv, .out = SL_SPAWN_CAPTURE};
  Seen s = {0};
  g_autoptr(GError) error = NULL;
  SlProcess *p = sl_process_spawn(&o, on_done, &s, &error);
  assert_non_null(p);
  sl_process_unref(p); /* done still runs */
  while (s.calls == 0)
    g_main_context_iteration(ctx, TRUE);
  g_main_context_pop_thread_default(ctx);
  assert_int_equal(s.calls, 1);
  assert_ptr_equal(s.ctx, ctx);
  assert_ptr_equal(s.thread, g_thread_self());
  assert_int_equal(s.exit_status, 7);
  assert_string_equal(s.out, "[]\n"); /* stdin is /dev/null */
  g_free(s.out);
  /* nothing else fires later */
  while (g_main_context_iteration(ctx, FALSE))
    ;
  assert_int_equal(s.calls, 1);
}

static void
test_terminate(void **state)
{
  (void)state;
  const char *argv[] = {"sleep", "60", NULL};
  SlSpawnOptions o = {.argv = argv};
  Seen s = {0};
  g_autoptr(SlProcess) p = sl_process_spawn(&o, on_done, &s, NULL);
  assert_non_null(p);
  assert_true(sl_process_get_pid(p) > 0);
  assert_false(sl_process_has_exited(p));
  sl_process_terminate(p);
  while (s.calls == 0)
    g_main_context_iteration(NULL, TRUE);
  assert_true(sl_process_has_exited(p));
  sl_process_signal(p, SIGKILL); /* a no-op now */
  g_free(s.out);
}

static void
on_gone(gpointer data)
{
  (*(int *)data)++;
}

typedef struct {
  gboolean done;
} Reaped;

static void
reaped(SlProcess *proc, const SlSpawnResult *r, const GError *error, gpointer data)
{
  (void)proc, (void)error;
  assert_int_equal(r->term_signal, SIGKILL);
  ((Reaped *)data)->done = TRUE;
}

static void
test_pid_watch(void **state)
{
  (void)state;
  const char *argv[] = {"sleep", "60", NULL};
  SlSpawnOptions o = {.argv = argv};
  Reaped rp = {0};
  g_autoptr(SlProcess) p = sl_process_spawn(&o, reaped, &rp, NULL);
  assert_non_null(p);
  int gone = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlPidWatch) w = sl_pid_watch_new(sl_process_get_pid(p), on_gone, &gone, &error);
  assert_non_null(w);
  assert_int_equal(sl_pid_watch_get_pid(w), sl_process_get_pid(p));
  assert_true(sl_pid_watch_signal(w, SIGKILL));
  while (!rp.done || (sl_pid_watch_has_fd(w) && gone == 0))
    g_main_context_iteration(NULL, TRUE);
  if (sl_pid_watch_has_fd(w))
    assert_int_equal(gone, 1);
  /* a pid that does not exist (pid_max is below 2^22 + 1) */
  assert_null(sl_pid_watch_new(4194305, on_gone, &gone, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_capture_and_status), cmocka_unit_test(test_env_cwd_log),
      cmocka_unit_test(test_cannot_run),         cmocka_unit_test(test_timeout_term),
      cmocka_unit_test(test_timeout_kill),       cmocka_unit_test(test_async_in_caller_context),
      cmocka_unit_test(test_terminate),          cmocka_unit_test(test_pid_watch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
