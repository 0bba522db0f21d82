/* helpers.c - see helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>

#include "helpers.h"

char *
th_tmpdir_new(const char *tmpl)
{
  char *dir = g_dir_make_tmp(tmpl, NULL);
  assert_non_null(dir);
  const char *pg = g_getenv("SL_TEST_PG");
  if (pg && *pg) { /* tests/postgres/run-with: the store of dir lives in a fresh schema */
    g_autofree char *base = g_path_get_basename(dir);
    g_autofree char *conf = g_build_filename(dir, "store.conf", NULL);
    g_autofree char *text =
        g_strdup_printf("[store]\nbackend = postgres\nconninfo = %s\nschema = %s\n", pg, base);
    assert_true(g_file_set_contents(conf, text, -1, NULL));
  }
  return dir;
}

gboolean
th_store_is_postgres(void)
{
  const char *pg = g_getenv("SL_TEST_PG");
  return pg && *pg;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

int
th_rm_tree(const char *dir)
{
  return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
th_tmpdir_teardown(void **state)
{
  th_rm_tree(*state);
  g_free(*state);
  return 0;
}

void
th_drain(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

void
th_iterate(void)
{
  if (!g_main_context_iteration(NULL, FALSE))
    g_usleep(1000);
}

void
th_spin_for(gint64 usec)
{
  gint64 until = g_get_monotonic_time() + usec;
  while (g_get_monotonic_time() < until)
    th_iterate();
}

char *
th_fixtures_root(void)
{
  const char *shared = g_getenv("SL_SHARED");
  return g_build_filename(shared ? shared : "../shared", "fixtures", "stratuslab", NULL);
}

/* skip() leaves by longjmp: nothing of ours may be allocated then (LeakSanitizer). */
void
th_need_fixtures(void)
{
  char *root = th_fixtures_root();
  gboolean there = g_file_test(root, G_FILE_TEST_IS_DIR);
  if (!there)
    print_message("# skip reason: needs the StratusLab fixtures, %s absent\n", root);
  g_free(root);
  if (!there)
    skip();
}

char *
th_fixture(const char *rel)
{
  th_need_fixtures();
  g_autofree char *root = th_fixtures_root();
  char *path = g_build_filename(root, rel, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    fail_msg("fixture %s not found (the fixtures folder %s is there)", path, root);
  return path;
}

char *
th_tool(const char *name)
{
  char *path = g_find_program_in_path(name);
  if (!path) {
    char *sbin = g_build_filename("/usr/sbin", name, NULL);
    if (g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
      return sbin;
    g_free(sbin);
    print_message("# skip reason: %s not installed (scripts/install-deps installs it)\n", name);
    skip();
  }
  return path;
}

char *
th_read_fixture(const char *rel, gsize *len)
{
  g_autofree char *path = th_fixture(rel);
  char *data = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &data, len, &error))
    fail_msg("%s: %s", path, error->message);
  return data;
}
