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
  return dir;
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
th_fixture(const char *rel)
{
  const char *shared = g_getenv("SL_SHARED");
  char *path = g_build_filename(shared ? shared : "../shared", "fixtures", "stratuslab", rel, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    fail_msg("fixture %s not found (set SL_SHARED to the shared folder)", path);
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
