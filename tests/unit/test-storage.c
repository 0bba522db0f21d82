/* test-storage.c - storage/file: sparse O(1) volumes, conflicts, listing, temporaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/driver.h"
#include "helpers.h"
#include "util/error.h"

#define GIB ((guint64)1 << 30)
#define U1 "0b0e6f3c-5a51-4d7c-9a57-3d7e1b0c2a11"
#define U2 "1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a10"

static int
setup(void **state)
{
  *state = th_tmpdir_new("test-storage-XXXXXX");
  return 0;
}

static SlStorage *
open_storage(const char *root)
{
  g_autofree char *dir = g_build_filename(root, "volumes", NULL);
  g_autoptr(GError) error = NULL;
  SlStorage *s = sl_storage_file_new(dir, &error);
  assert_null(error);
  assert_non_null(s);
  return s;
}

static void
test_create_sparse(void **state)
{
  g_autoptr(SlStorage) s = open_storage(*state);
  g_autoptr(GError) error = NULL;
  assert_string_equal(s->ops->name, "file");
  gint64 t0 = g_get_monotonic_time();
  assert_true(s->ops->create(s, U1, 1024 * GIB, &error));
  gint64 elapsed = g_get_monotonic_time() - t0;
  assert_null(error);
  assert_true(elapsed < 2 * G_USEC_PER_SEC); /* O(1): no data written */

  g_autofree char *path = s->ops->path(s, U1);
  g_autofree char *want = g_build_filename(*state, "volumes", U1 ".img", NULL);
  assert_string_equal(path, want);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal((guint64)st.st_size, 1024 * GIB);
  assert_true(st.st_blocks < 1024); /* < 512 KiB really allocated */
  assert_true(s->ops->exists(s, U1));
  assert_false(s->ops->exists(s, U2));

  /* the directory is private */
  g_autofree char *dir = g_build_filename(*state, "volumes", NULL);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_conflict_and_remove(void **state)
{
  g_autoptr(SlStorage) s = open_storage(*state);
  g_autoptr(GError) error = NULL;
  assert_true(s->ops->create(s, U1, 5 * GIB, &error));
  assert_false(s->ops->create(s, U1, GIB, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  g_autofree char *path = s->ops->path(s, U1);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal((guint64)st.st_size, 5 * GIB); /* untouched */

  assert_true(s->ops->remove(s, U1, &error));
  assert_false(s->ops->exists(s, U1));
  assert_true(s->ops->remove(s, U1, &error)); /* idempotent */
  assert_null(error);
}

static void
test_list(void **state)
{
  g_autoptr(SlStorage) s = open_storage(*state);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) empty = s->ops->list(s, &error);
  assert_int_equal(empty->len, 0);
  assert_true(s->ops->create(s, U1, GIB, &error));
  assert_true(s->ops->create(s, U2, GIB, &error));
  /* foreign files are ignored */
  g_autofree char *junk = g_build_filename(*state, "volumes", "notes.txt", NULL);
  assert_true(g_file_set_contents(junk, "x", 1, NULL));
  g_autoptr(GPtrArray) list = s->ops->list(s, &error);
  assert_int_equal(list->len, 2);
  g_ptr_array_sort(list, (GCompareFunc)g_strcmp0);
  gboolean a = FALSE, b = FALSE;
  for (guint i = 0; i < list->len; i++) {
    a |= g_strcmp0(list->pdata[i], U1) == 0;
    b |= g_strcmp0(list->pdata[i], U2) == 0;
  }
  assert_true(a && b);
  /* no temporary left behind by successful creates */
  g_autofree char *vdir = g_build_filename(*state, "volumes", NULL);
  g_autoptr(GDir) d = g_dir_open(vdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d)))
    assert_true(name[0] != '.');
}

static void
test_bad_names(void **state)
{
  g_autoptr(SlStorage) s = open_storage(*state);
  const char *bad[] = {"", "../x", "a/b", ".hidden"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_false(s->ops->create(s, bad[i], GIB, &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    g_clear_error(&error);
    assert_false(s->ops->remove(s, bad[i], &error));
    assert_false(s->ops->exists(s, bad[i]));
    assert_null(s->ops->path(s, bad[i]));
  }
  g_autoptr(GError) error = NULL;
  assert_false(s->ops->create(s, NULL, GIB, &error));
}

static void
test_stale_temporaries(void **state)
{
  g_autofree char *dir = g_build_filename(*state, "volumes", NULL);
  assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
  g_autofree char *stale = g_build_filename(dir, "." U1 ".img.AbCdEf", NULL);
  g_autofree char *busy = g_build_filename(dir, "." U2 ".img.XyZ123", NULL);
  assert_true(g_file_set_contents(stale, "", 0, NULL));
  assert_true(g_file_set_contents(busy, "", 0, NULL));
  int fd = open(busy, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(flock(fd, LOCK_EX), 0); /* a live creator holds it */

  g_autoptr(SlStorage) s = open_storage(*state);
  assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(busy, G_FILE_TEST_EXISTS));
  close(fd);
  g_autoptr(GPtrArray) list = s->ops->list(s, NULL);
  assert_int_equal(list->len, 0); /* temporaries are never volumes */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_sparse, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_conflict_and_remove, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_list, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_bad_names, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_stale_temporaries, setup, th_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
