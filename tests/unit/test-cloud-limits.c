/* test-cloud-limits.c - src/cloud/limits.c with the fake hypervisor: quota
 * defaults and per-user rows, host capacity (one VM too big, -n too large),
 * all-or-nothing refusals, concurrent requests racing for the last slot,
 * [quota]/[cloud] settings parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "cloud/cloud.h"
#include "cloud-helpers.h"
#include "helpers.h"
#include "util/error.h"

typedef struct {
  char *dir;
  SlHypervisor *hv;
  SlStore *store;
  SlImageCache *images;
  SlCloud *cloud;
  char *image;
} Fx;

static const SlQuota default_quota = {.vms = 4, .cpu = 6, .ram = 1024};

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-limits-XXXXXX");
  g_autoptr(GError) error = NULL;
  f->hv = sl_hypervisor_fake_new();
  f->store = sl_store_open(f->dir, &error);
  assert_non_null(f->store);
  f->images = sl_image_cache_new(f->store, f->dir, &error);
  f->image = th_base_image(f->images, f->dir, 1);
  SlCloudConfig cfg = {.data_dir = f->dir,
                       .qemu_img = "true",
                       .mkswap = "true",
                       .quota = &default_quota,
                       .host_cpus = 2,
                       .cpu_overcommit = 4, /* 8 vCPUs */
                       .host_ram_mib = 2048,
                       .ram_overcommit = 1.5}; /* 3072 MiB */
  f->cloud = sl_cloud_new(f->store, f->images, f->hv, &cfg, &error);
  assert_non_null(f->cloud);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fx *f = *state;
  th_cloud_free(f->cloud);
  sl_image_cache_free(f->images);
  sl_store_close(f->store);
  sl_hypervisor_free(f->hv);
  assert_int_equal(th_rm_tree(f->dir), 0);
  g_free(f->image);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static GPtrArray *
create(Fx *f, const char *user, int n, int cpu, int ram, GError **error)
{
  SlVmDef r = {.image = f->image, .cpu = cpu, .ram = ram, .swap = 0, .number = n};
  return sl_cloud_vm_create(f->cloud, user, &r, error);
}

static guint
count(Fx *f, const char *user)
{
  g_autoptr(GPtrArray) all = sl_cloud_vm_list(f->cloud, user, NULL);
  return all ? all->len : 0;
}

static void
refused(Fx *f, const char *user, int n, int cpu, int ram, int code, const char *msg)
{
  g_autoptr(GError) error = NULL;
  guint before = count(f, user);
  g_autoptr(GPtrArray) vms = create(f, user, n, cpu, ram, &error);
  assert_null(vms);
  assert_true(g_error_matches(error, SL_ERROR, code));
  if (g_strcmp0(error->message, msg) != 0)
    fail_msg("got '%s', want '%s'", error->message, msg);
  assert_int_equal(count(f, user), before);
}

static void
test_quota(void **state)
{
  Fx *f = *state;
  refused(f, "alice", 5, 1, 16, SL_ERROR_FORBIDDEN, "quota exceeded: vms (0 + 5 > 4)");
  refused(f, "alice", 2, 4, 16, SL_ERROR_FORBIDDEN, "quota exceeded: cpu (0 + 8 > 6 vCPUs)");
  refused(f, "alice", 3, 1, 512, SL_ERROR_FORBIDDEN, "quota exceeded: ram (0 + 1536 > 1024 MiB)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) two = create(f, "alice", 2, 1, 256, &error);
  assert_non_null(two);
  refused(f, "alice", 3, 1, 16, SL_ERROR_FORBIDDEN, "quota exceeded: vms (2 + 3 > 4)");
  /* a per-user row wins over the default; unset fields keep the default */
  SlQuota q = {.vms = 1, .cpu = -1, .ram = -1};
  assert_true(sl_store_quota_set(f->store, "bob", &q, NULL));
  refused(f, "bob", 2, 1, 16, SL_ERROR_FORBIDDEN, "quota exceeded: vms (0 + 2 > 1)");
  g_autoptr(GPtrArray) one = create(f, "bob", 1, 1, 16, &error);
  assert_non_null(one);
  SlQuota back;
  assert_true(sl_store_quota_get(f->store, "bob", &back, NULL));
  assert_int_equal(back.vms, 1);
  assert_int_equal(back.cpu, -1);
  /* killing frees the quota */
  SlVm *v = two->pdata[0];
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", v->id, &error);
  assert_non_null(k);
  SlVmUsage u;
  assert_true(sl_store_vm_usage(f->store, "alice", &u, NULL));
  assert_int_equal(u.vms, 1);
  assert_int_equal(u.ram, 256);
  /* second kill */
  g_autoptr(SlVm) again = sl_cloud_vm_kill(f->cloud, "alice", v->id, &error);
  assert_null(again);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_autofree char *want = g_strdup_printf("VM %" G_GINT64_FORMAT " is already Done", v->id);
  assert_string_equal(error->message, want);
  /* unlimited row */
  SlQuota big = {.vms = 1000, .cpu = 1000, .ram = 1000000};
  assert_true(sl_store_quota_set(f->store, "carol", &big, NULL));
  SlQuota none = {-1, -1, -1};
  assert_true(sl_store_quota_set(f->store, "bob", &none, NULL));
  assert_true(sl_store_quota_get(f->store, "bob", &back, NULL));
  assert_int_equal(back.vms, -1);
}

static void
test_capacity(void **state)
{
  Fx *f = *state;
  SlQuota big = {.vms = 1000, .cpu = 1000, .ram = 1000000};
  assert_true(sl_store_quota_set(f->store, "carol", &big, NULL));
  refused(f, "carol", 1, 9, 16, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: one VM asks 9 vCPUs, a host offers at most 8 "
          "(2 cores x cpu_overcommit 4)");
  refused(f, "carol", 1, 1, 2049, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: one VM asks 2049 MiB RAM, a host has 2048 MiB");
  /* a VM bigger than the host is a capacity error even over quota */
  refused(f, "alice", 1, 9, 16, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: one VM asks 9 vCPUs, a host offers at most 8 "
          "(2 cores x cpu_overcommit 4)");
  refused(f, "carol", 9, 1, 16, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: cpu (0 in use + 9 asked > 8 vCPUs)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a = create(f, "alice", 1, 1, 1024, &error); /* everybody counts */
  assert_non_null(a);
  refused(f, "carol", 2, 1, 1025, SL_ERROR_CONFLICT,
          "not enough capacity on this cloud: ram (1024 in use + 2050 asked > 3072 MiB)");
  g_autoptr(GPtrArray) c = create(f, "carol", 2, 1, 1024, &error);
  assert_non_null(c);
  assert_int_equal(count(f, "carol"), 2);
}

typedef struct {
  Fx *f;
  GError *error;
  GPtrArray *vms;
} Racer;

static gpointer
race(gpointer data)
{
  Racer *r = data;
  r->vms = create(r->f, "dave", 2, 1, 16, &r->error);
  return NULL;
}

static void
test_race(void **state)
{
  Fx *f = *state;
  SlQuota q = {.vms = 3, .cpu = -1, .ram = -1};
  assert_true(sl_store_quota_set(f->store, "dave", &q, NULL));
  Racer r[8] = {0};
  GThread *t[8];
  assert_true(g_main_context_acquire(NULL)); /* the VMs start here, as in stratusd */
  for (int i = 0; i < 8; i++) {
    r[i].f = f;
    t[i] = g_thread_new("race", race, &r[i]);
  }
  int ok = 0;
  for (int i = 0; i < 8; i++) {
    g_thread_join(t[i]);
    if (r[i].vms)
      ok++;
    else
      assert_true(g_error_matches(r[i].error, SL_ERROR, SL_ERROR_FORBIDDEN));
    g_clear_pointer(&r[i].vms, g_ptr_array_unref);
    g_clear_error(&r[i].error);
  }
  g_main_context_release(NULL);
  assert_int_equal(ok, 1); /* 2 + 2 > 3: only one request of two fits */
  assert_int_equal(count(f, "dave"), 2);
}

static void
test_settings(void **state)
{
  (void)state;
  g_autofree char *dir = th_tmpdir_new("test-limits-XXXXXX");
  g_autofree char *path = g_build_filename(dir, "stratusd.conf", NULL);
  SlCloudSettings s = {0};
  assert_true(sl_cloud_settings_load(&s, NULL, NULL));
  assert_true(s.cpu_overcommit == 8.0 && s.ram_overcommit == 1.0);
  assert_int_equal(s.quota.vms, 20);
  assert_int_equal(s.quota.cpu, 20);
  assert_int_equal(s.quota.ram, 20480);
  sl_cloud_settings_clear(&s);
  const char *good = "[cloud]\ncpu_overcommit = 2.5\nram_overcommit = 1.2\n"
                     "[quota]\nvms = 0\ncpu = unlimited\nram = 4096\n";
  assert_true(g_file_set_contents(path, good, -1, NULL));
  assert_true(sl_cloud_settings_load(&s, path, NULL));
  assert_true(s.cpu_overcommit == 2.5 && s.ram_overcommit == 1.2);
  assert_int_equal(s.quota.vms, 0);
  assert_int_equal(s.quota.cpu, -1);
  assert_int_equal(s.quota.ram, 4096);
  sl_cloud_settings_clear(&s);
  const char *bad[] = {"[cloud]\ncpu_overcommit = 0\n", "[cloud]\nram_overcommit = x\n",
                       "[quota]\nvms = -1\n", "[quota]\nram = 1G\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_true(g_file_set_contents(path, bad[i], -1, NULL));
    assert_false(sl_cloud_settings_load(&s, path, &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    sl_cloud_settings_clear(&s);
  }
  g_unlink(path);
  g_rmdir(dir);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
      cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_race, setup, teardown),
      cmocka_unit_test(test_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
