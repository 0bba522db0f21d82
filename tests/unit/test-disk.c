/* test-disk.c - conf/disk: names, created format, JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "conf/disk.h"

static void
test_type_names(void **state)
{
  (void)state;
  for (int i = 0; i < SL_DISK_TYPE_COUNT; i++) {
    SlDiskType t = SL_DISK_TYPE_COUNT;
    assert_true(sl_disk_type_from_string(sl_disk_type_to_string((SlDiskType)i), &t));
    assert_int_equal(t, i);
  }
  SlDiskType t;
  assert_true(sl_disk_type_from_string("data_image_raw_readonly", &t));
  assert_int_equal(t, SL_DISK_DATA_IMAGE_RAW_READONLY);
  assert_string_equal(sl_disk_type_to_string(SL_DISK_DATA_IMAGE_RAW_READ_WRITE),
                      "DATA_IMAGE_RAW_READ_WRITE");
  assert_false(sl_disk_type_from_string("DISK", &t));
  assert_false(sl_disk_type_from_string("", &t));
  assert_false(sl_disk_type_from_string(NULL, &t));
  assert_string_equal(sl_disk_type_to_string(SL_DISK_TYPE_COUNT), "UNKNOWN");
}

static void
test_visibility_and_state_names(void **state)
{
  (void)state;
  SlVisibility v = SL_VISIBILITY_PRIVATE;
  assert_true(sl_visibility_from_string("PUBLIC", &v));
  assert_int_equal(v, SL_VISIBILITY_PUBLIC);
  assert_true(sl_visibility_from_string("Private", &v));
  assert_int_equal(v, SL_VISIBILITY_PRIVATE);
  assert_false(sl_visibility_from_string("restricted", &v));
  assert_false(sl_visibility_from_string(NULL, &v));
  assert_string_equal(sl_visibility_to_string(SL_VISIBILITY_PUBLIC), "public");
  assert_string_equal(sl_visibility_to_string(SL_VISIBILITY_PRIVATE), "private");

  SlDiskState s;
  assert_true(sl_disk_state_from_string("DELETING", &s));
  assert_int_equal(s, SL_DISK_STATE_DELETING);
  assert_string_equal(sl_disk_state_to_string(SL_DISK_STATE_CREATING), "CREATING");
  assert_false(sl_disk_state_from_string("GONE", &s));
}

static void
test_format_created(void **state)
{
  (void)state;
  g_autofree char *a = sl_disk_format_created(1311178237);
  assert_string_equal(a, "2011/07/20 16:10:37");
  g_autofree char *b = sl_disk_format_created(0);
  assert_string_equal(b, "1970/01/01 00:00:00");
}

static SlDisk *
sample(void)
{
  SlDisk *d = sl_disk_new();
  d->uuid = g_strdup("9c5a2c03-8243-4a1b-a248-0f0d22d948c2");
  d->owner = g_strdup("testor1");
  g_free(d->tag);
  d->tag = g_strdup("myprivate-disk");
  d->size = 5;
  d->created = 1311178237;
  return d;
}

static void
test_json_key_order(void **state)
{
  (void)state;
  g_autoptr(SlDisk) d = sample();
  json_t *j = sl_disk_to_json(d);
  char *s = json_dumps(j, JSON_COMPACT);
  assert_string_equal(s, "{\"uuid\":\"9c5a2c03-8243-4a1b-a248-0f0d22d948c2\","
                         "\"created\":\"2011/07/20 16:10:37\",\"visibility\":\"private\","
                         "\"tag\":\"myprivate-disk\",\"owner\":\"testor1\",\"size\":5,"
                         "\"users\":0,\"count\":0,\"type\":\"DATA_IMAGE_RAW_READ_WRITE\"}");
  free(s);
  json_decref(j);

  d->identifier = g_strdup("ident");
  d->quarantine = g_strdup("2013-01-01 00:00:00.000000");
  d->users = 2;
  d->visibility = SL_VISIBILITY_PUBLIC;
  j = sl_disk_to_json(d);
  s = json_dumps(j, JSON_COMPACT);
  assert_string_equal(s, "{\"uuid\":\"9c5a2c03-8243-4a1b-a248-0f0d22d948c2\","
                         "\"created\":\"2011/07/20 16:10:37\",\"visibility\":\"public\","
                         "\"tag\":\"myprivate-disk\",\"owner\":\"testor1\",\"size\":5,"
                         "\"users\":2,\"count\":2,\"type\":\"DATA_IMAGE_RAW_READ_WRITE\","
                         "\"identifier\":\"ident\",\"quarantine\":\"2013-01-01 00:00:00.000000\"}");
  free(s);
  json_decref(j);
}

static void
test_json_invalid_utf8_keeps_key(void **state)
{
  (void)state;
  g_autoptr(SlDisk) d = sample();
  g_free(d->tag);
  d->tag = g_strdup("bad\xff");
  json_t *j = sl_disk_to_json(d);
  assert_non_null(json_object_get(j, "tag"));
  json_decref(j);
}

static void
test_copy_and_mount(void **state)
{
  (void)state;
  g_autoptr(SlDisk) d = sample();
  d->group = g_strdup("a,b");
  g_autoptr(SlDisk) c = sl_disk_copy(d);
  assert_ptr_not_equal(c->uuid, d->uuid);
  assert_string_equal(c->uuid, d->uuid);
  assert_string_equal(c->group, "a,b");
  assert_null(c->identifier);
  assert_int_equal(c->size, 5);
  assert_null(sl_disk_copy(NULL));

  g_autoptr(SlMount) m = sl_mount_new();
  m->id = g_strdup("u_7");
  m->disk_uuid = g_strdup("u");
  m->node = g_strdup("node1");
  m->target = g_strdup("vda");
  m->vm_id = 7;
  g_autoptr(SlMount) mc = sl_mount_copy(m);
  json_t *j = sl_mount_to_json(mc);
  char *s = json_dumps(j, JSON_COMPACT);
  assert_string_equal(
      s, "{\"mountId\":\"u_7\",\"diskId\":\"u\",\"vmId\":7,\"node\":\"node1\",\"target\":\"vda\"}");
  free(s);
  json_decref(j);
  sl_disk_free(NULL);
  sl_mount_free(NULL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_type_names),
      cmocka_unit_test(test_visibility_and_state_names),
      cmocka_unit_test(test_format_created),
      cmocka_unit_test(test_json_key_order),
      cmocka_unit_test(test_json_invalid_utf8_keeps_key),
      cmocka_unit_test(test_copy_and_mount),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
