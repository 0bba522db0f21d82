/* test-image-cache.c - src/image/cache.c: add (identifier, 0444, sparse,
 * idempotent), lookup, list, remove (refused while a VM uses the image),
 * checksum check, the download hook, crash recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "image/cache.h"
#include "image/identifier.h"
#include "util/error.h"

typedef struct {
  char *dir;
  SlStore *store;
  SlImageCache *cache;
  char *src; /* a 3 MiB test image: 1 MiB data, 1 MiB zeros, 1 MiB data */
} Fx;

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-image-cache-XXXXXX");
  f->store = sl_store_open(f->dir, NULL);
  assert_non_null(f->store);
  f->cache = sl_image_cache_new(f->store, f->dir, NULL);
  assert_non_null(f->cache);
  f->src = g_build_filename(f->dir, "src.img", NULL);
  gsize n = 3 << 20;
  g_autofree char *bytes = g_malloc0(n);
  memset(bytes, 'a', 1 << 20);
  memset(bytes + (2 << 20), 'b', 1 << 20);
  assert_true(g_file_set_contents(f->src, bytes, (gssize)n, NULL));
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fx *f = *state;
  sl_image_cache_free(f->cache);
  sl_store_close(f->store);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  g_free(f->src);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static void
test_add_lookup_list(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  g_autofree char *want_id = NULL, *want_hex = NULL;
  assert_true(sl_sha1_file(f->src, &want_hex, &want_id, NULL, NULL));
  g_autoptr(SlImage) im = sl_image_cache_add_file(f->cache, f->src, &error);
  assert_null(error);
  assert_string_equal(im->identifier, want_id);
  assert_string_equal(im->sha1, want_hex);
  assert_int_equal(im->bytes, 3 << 20);
  assert_string_equal(im->kind, "raw");
  assert_true(g_path_is_absolute(im->path));
  GStatBuf st;
  assert_int_equal(g_stat(im->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0444);
  assert_true((gint64)st.st_blocks * 512 < (3 << 20)); /* the zero MiB is a hole */
  g_autofree char *copy_hex = NULL;
  assert_true(sl_sha1_file(im->path, &copy_hex, NULL, NULL, NULL));
  assert_string_equal(copy_hex, want_hex);
  /* twice: same record, no second file */
  g_autoptr(SlImage) again = sl_image_cache_add_file(f->cache, f->src, &error);
  assert_string_equal(again->identifier, im->identifier);
  g_autofree char *path = sl_image_cache_lookup(f->cache, im->identifier, &error);
  assert_string_equal(path, im->path);
  g_autoptr(GPtrArray) list = sl_image_cache_list(f->cache, &error);
  assert_int_equal(list->len, 1);
  g_autoptr(GDir) d = g_dir_open(sl_image_cache_dir(f->cache), 0, NULL);
  int files = 0;
  while (g_dir_read_name(d))
    files++;
  assert_int_equal(files, 1);
  /* errors */
  assert_null(sl_image_cache_lookup(f->cache, "AAAAAAAAAAAAAAAAAAAAAAAAAAA", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_null(sl_image_cache_lookup(f->cache, "bad", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  g_clear_error(&error);
  assert_null(sl_image_cache_add_file(f->cache, "/nonexistent/x.img", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

static void
test_checksum_and_qcow2(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data("QFI\xfb rest", 9, NULL);
  g_autoptr(SlImage) bad = sl_image_cache_add_stream(
      f->cache, in, "0000000000000000000000000000000000000000", NULL, &error);
  assert_null(bad);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  g_clear_error(&error);
  g_autoptr(GDir) d = g_dir_open(sl_image_cache_dir(f->cache), 0, NULL);
  assert_null(g_dir_read_name(d)); /* nothing left behind */
  g_autoptr(GInputStream) in2 = g_memory_input_stream_new_from_data("QFI\xfb rest", 9, NULL);
  g_autoptr(SlImage) q = sl_image_cache_add_stream(f->cache, in2, NULL, NULL, &error);
  assert_non_null(q);
  assert_string_equal(q->kind, "qcow2");
}

static void
test_remove_in_use(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlImage) im = sl_image_cache_add_file(f->cache, f->src, &error);
  g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
  SlVm *v = sl_vm_new();
  v->owner = g_strdup("alice");
  v->image = g_strdup(im->identifier);
  v->vcpu = 1;
  v->ram = 64;
  g_ptr_array_add(vms, v);
  assert_true(sl_store_vm_insert(f->store, vms, NULL, NULL, &error));
  assert_false(sl_image_cache_remove(f->cache, im->identifier, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  assert_true(sl_store_vm_set_state(f->store, v->id, SL_VM_DONE, NULL, &error));
  assert_true(sl_image_cache_remove(f->cache, im->identifier, &error));
  assert_false(g_file_test(im->path, G_FILE_TEST_EXISTS));
  assert_false(sl_image_cache_remove(f->cache, im->identifier, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  /* a VM cannot be created on an image that is not cached */
  v->state = SL_VM_PENDING;
  assert_false(sl_store_vm_insert(f->store, vms, NULL, NULL, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

static void
test_recover(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlImage) keep = sl_image_cache_add_file(f->cache, f->src, &error);
  const char *dir = sl_image_cache_dir(f->cache);
  /* a temp file of a dead process, a file without a row, a row without a file */
  g_autofree char *tmp = g_build_filename(dir, ".tmp-999999999-abcdef", NULL);
  g_autofree char *live_tmp = g_strdup_printf("%s/.tmp-%d-abcdef", dir, (int)getpid());
  g_autofree char *orphan = g_build_filename(dir, "MAAAAAAAAAAAAAAAAAAAAAAAAAA.img", NULL);
  assert_true(g_file_set_contents(tmp, "t", 1, NULL));
  assert_true(g_file_set_contents(live_tmp, "t", 1, NULL));
  assert_true(g_file_set_contents(orphan, "o", 1, NULL));
  SlImage ghost = {.identifier = "NAAAAAAAAAAAAAAAAAAAAAAAAAA",
                   .sha1 = "00",
                   .bytes = 1,
                   .path = "/nowhere",
                   .kind = "raw",
                   .state = "ready"};
  assert_true(sl_store_image_insert(f->store, &ghost, &error));
  guint removed = 0;
  assert_true(sl_image_cache_recover(f->cache, &removed, &error));
  assert_int_equal(removed, 3);
  assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(live_tmp, G_FILE_TEST_EXISTS)); /* a live add in progress */
  assert_false(g_file_test(orphan, G_FILE_TEST_EXISTS));
  assert_null(sl_store_image_get(f->store, ghost.identifier, &error));
  g_clear_error(&error);
  assert_true(g_file_test(keep->path, G_FILE_TEST_EXISTS));
  g_autoptr(GPtrArray) list = sl_image_cache_list(f->cache, &error);
  assert_int_equal(list->len, 1);
  g_unlink(live_tmp);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_lookup_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_checksum_and_qcow2, setup, teardown),
      cmocka_unit_test_setup_teardown(test_remove_in_use, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
