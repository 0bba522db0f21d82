/* test-cloud-disks.c - persistent disks in VMs (src/cloud/disks.c) with the
 * FAKE hypervisor: boot-time rules and rows, hot-plug attach/detach and their
 * errors, release at kill, recovery after an interrupted attach/detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cloud/cloud.h"
#include "cloud-helpers.h"
#include "helpers.h"
#include "util/error.h"

typedef struct {
  char *dir;
  SlStore *store;
  SlStorage *storage;
  SlPdisk *pdisk;
  SlImageCache *images;
  SlHypervisor *hv;
  SlCloud *cloud;
  char *image;
} Fx;

static SlCloud *
new_cloud(Fx *f)
{
  SlCloudConfig cfg = {.data_dir = f->dir,
                       .network = "10.9.0.0/28",
                       .qemu_img = "true",
                       .mkswap = "true",
                       .pdisk = f->pdisk,
                       .node = "node1"};
  g_autoptr(GError) error = NULL;
  SlCloud *c = sl_cloud_new(f->store, f->images, f->hv, &cfg, &error);
  assert_non_null(c);
  return c;
}

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-cloud-disks-XXXXXX");
  g_autoptr(GError) error = NULL;
  f->store = sl_store_open(f->dir, &error);
  assert_non_null(f->store);
  g_autofree char *vol = g_build_filename(f->dir, "volumes", NULL);
  f->storage = sl_storage_file_new(vol, &error);
  assert_non_null(f->storage);
  f->pdisk = sl_pdisk_new(f->store, f->storage);
  f->images = sl_image_cache_new(f->store, f->dir, &error);
  f->image = th_base_image(f->images, f->dir, 1);
  f->hv = sl_hypervisor_fake_new();
  f->cloud = new_cloud(f);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fx *f = *state;
  th_cloud_free(f->cloud);
  sl_hypervisor_free(f->hv);
  sl_image_cache_free(f->images);
  sl_pdisk_free(f->pdisk);
  sl_storage_free(f->storage);
  sl_store_close(f->store);
  assert_int_equal(th_rm_tree(f->dir), 0);
  g_free(f->image);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static char *
volume(Fx *f, const char *user, const char *type)
{
  SlDiskFields fl = {.size = "1", .type = type};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) d = sl_pdisk_create(f->pdisk, user, &fl, &error);
  assert_non_null(d);
  return g_strdup(d->uuid);
}

static int
users(Fx *f, const char *uuid)
{
  g_autoptr(SlDisk) d = sl_store_disk_get(f->store, uuid, NULL);
  return d ? d->users : -1;
}

static SlVmState
state_of(Fx *f, gint64 id)
{
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  return v ? v->state : SL_VM_STATE_COUNT;
}

static void
wait_state(Fx *f, gint64 id, SlVmState want)
{
  gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (state_of(f, id) != want && g_get_monotonic_time() < end)
    th_iterate();
  assert_int_equal(state_of(f, id), want);
}

/* Creates VMs with the given disks (NULL-terminated); 0 and *error on refusal. */
static gint64
boot(Fx *f, int number, GError **error, ...)
{
  g_autoptr(GPtrArray) arr = g_ptr_array_new();
  va_list ap;
  va_start(ap, error);
  for (const char *u; (u = va_arg(ap, const char *));)
    g_ptr_array_add(arr, (char *)u);
  va_end(ap);
  g_ptr_array_add(arr, NULL);
  SlVmDef r = {.image = f->image,
               .cpu = -1,
               .ram = 128,
               .swap = 0,
               .number = number,
               .persistent = (char **)arr->pdata};
  g_autoptr(GPtrArray) vms = sl_cloud_vm_create(f->cloud, "alice", &r, error);
  if (!vms)
    return 0;
  gint64 id = ((SlVm *)vms->pdata[0])->id;
  for (guint i = 0; i < vms->len; i++)
    wait_state(f, ((SlVm *)vms->pdata[i])->id, SL_VM_RUNNING);
  return id;
}

static char *
run_dir(Fx *f, gint64 id)
{
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, id);
  return g_build_filename(f->dir, "vms", name, NULL);
}

static void
test_boot_rules(void **state)
{
  Fx *f = *state;
  g_autofree char *rw = volume(f, "alice", NULL);
  g_autofree char *ro = volume(f, "alice", "DATA_IMAGE_RAW_READONLY");
  g_autofree char *live = volume(f, "alice", "MACHINE_IMAGE_LIVE");
  g_autofree char *bobs = volume(f, "bob", NULL);
  g_autoptr(GError) error = NULL;
  struct {
    const char *uuid;
    int number;
    int code;
  } bad[] = {
      {bobs, 1, SL_ERROR_NOT_FOUND},    /* private disk of another user */
      {live, 1, SL_ERROR_INVALID},      /* wrong type */
      {"no-such", 1, SL_ERROR_INVALID}, /* not a UUID */
      {"0b1d5c4e-8f3a-4b2c-9d1e-2f3a4b5c6d7e", 1, SL_ERROR_NOT_FOUND},
      {rw, 2, SL_ERROR_CONFLICT}, /* read-write on 2 VMs */
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_int_equal(boot(f, bad[i].number, &error, bad[i].uuid, NULL), 0);
    assert_int_equal(error->code, bad[i].code);
    g_clear_error(&error);
  }
  assert_int_equal(boot(f, 1, &error, rw, rw, NULL), 0); /* twice */
  g_clear_error(&error);
  g_autoptr(GPtrArray) none = sl_store_vm_list(f->store, NULL, TRUE, NULL);
  assert_int_equal(none->len, 0); /* nothing allocated by refusals */

  gint64 a = boot(f, 1, &error, rw, ro, NULL);
  assert_null(error);
  assert_int_equal(users(f, rw), 1);
  assert_int_equal(users(f, ro), 1);
  g_autoptr(GPtrArray) m = sl_cloud_vm_disks(f->cloud, a, NULL);
  assert_int_equal(m->len, 2);
  assert_string_equal(((SlMount *)m->pdata[0])->target, "vda");
  assert_string_equal(((SlMount *)m->pdata[1])->target, "vdb");
  assert_string_equal(((SlMount *)m->pdata[0])->node, "node1");
  /* the rw disk is exclusive; the ro one can go to two more VMs */
  assert_int_equal(boot(f, 1, &error, rw, NULL), 0);
  assert_int_equal(error->code, SL_ERROR_CONFLICT);
  assert_non_null(strstr(error->message, "already attached to VM"));
  g_clear_error(&error);
  gint64 b = boot(f, 2, &error, ro, NULL);
  assert_null(error);
  assert_int_equal(users(f, ro), 3);
  /* deleting an attached volume is refused */
  assert_false(sl_pdisk_delete(f->pdisk, "alice", rw, &error));
  assert_int_equal(error->code, SL_ERROR_CONFLICT);
  g_clear_error(&error);
  /* kill releases */
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", a, &error);
  assert_non_null(k);
  th_drain();
  assert_int_equal(users(f, rw), 0);
  assert_int_equal(users(f, ro), 2);
  g_autoptr(SlVm) k2 = sl_cloud_vm_kill(f->cloud, "alice", b, &error);
  th_drain();
  assert_int_equal(users(f, ro), 1);
}

static void
test_hotplug(void **state)
{
  Fx *f = *state;
  g_autofree char *rw = volume(f, "alice", NULL);
  g_autofree char *ro = volume(f, "alice", "DATA_IMAGE_RAW_READONLY");
  g_autofree char *bobs = volume(f, "bob", NULL);
  g_autoptr(GError) error = NULL;
  gint64 a = boot(f, 1, &error, NULL);
  gint64 b = boot(f, 1, &error, NULL);
  assert_null(error);
  g_autoptr(SlMount) m = sl_cloud_vm_attach_disk(f->cloud, "alice", a, rw, &error);
  assert_null(error);
  assert_string_equal(m->target, "vda");
  assert_int_equal(users(f, rw), 1);
  g_autoptr(SlMount) m2 = sl_cloud_vm_attach_disk(f->cloud, "alice", a, ro, &error);
  assert_string_equal(m2->target, "vdb");
  /* errors leave the state unchanged */
  struct {
    gint64 vm;
    const char *user, *uuid;
    int code;
    const char *text;
  } bad[] = {
      {b, "alice", rw, SL_ERROR_CONFLICT, "already attached to VM"},
      {a, "alice", rw, SL_ERROR_CONFLICT, "Mount already exists"},
      {a, "alice", bobs, SL_ERROR_NOT_FOUND, "does not exist"},
      {a, "bob", bobs, SL_ERROR_NOT_FOUND, "VM"}, /* bob cannot see alice's VM */
      {a, "alice", "7c0e9b2a-1d3f-4e5a-8b6c-9d0e1f2a3b4c", SL_ERROR_NOT_FOUND, "does not exist"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_null(sl_cloud_vm_attach_disk(f->cloud, bad[i].user, bad[i].vm, bad[i].uuid, &error));
    assert_int_equal(error->code, bad[i].code);
    assert_non_null(strstr(error->message, bad[i].text));
    g_clear_error(&error);
  }
  assert_int_equal(users(f, rw), 1);
  /* per-VM limit */
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < SL_PDISK_MAX_MOUNTS - 2; i++) {
    char *u = volume(f, "alice", NULL);
    g_ptr_array_add(extra, u);
    g_autoptr(SlMount) x = sl_cloud_vm_attach_disk(f->cloud, "alice", a, u, &error);
    assert_non_null(x);
  }
  g_autofree char *one_more = volume(f, "alice", NULL);
  assert_null(sl_cloud_vm_attach_disk(f->cloud, "alice", a, one_more, &error));
  assert_string_equal(error->message, "no free devices available");
  g_clear_error(&error);
  assert_int_equal(users(f, one_more), 0);
  /* detach */
  g_autoptr(SlMount) d = sl_cloud_vm_detach_disk(f->cloud, "alice", a, rw, &error);
  assert_non_null(d);
  assert_string_equal(d->target, "vda");
  assert_int_equal(users(f, rw), 0);
  assert_null(sl_cloud_vm_detach_disk(f->cloud, "alice", a, rw, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
  assert_non_null(strstr(error->message, "Disk have not been hot-plugged"));
  g_clear_error(&error);
  /* now b may take it */
  g_autoptr(SlMount) mb = sl_cloud_vm_attach_disk(f->cloud, "alice", b, rw, &error);
  assert_non_null(mb);
  /* VM not running */
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", b, &error);
  th_drain();
  assert_int_equal(users(f, rw), 0);
  assert_null(sl_cloud_vm_attach_disk(f->cloud, "alice", b, rw, &error));
  g_autofree char *want = g_strdup_printf("VM %" G_GINT64_FORMAT " is not in running state", b);
  assert_string_equal(error->message, want);
  g_clear_error(&error);
  assert_null(sl_cloud_vm_detach_disk(f->cloud, "alice", b, rw, &error));
  assert_int_equal(error->code, SL_ERROR_CONFLICT);
  g_clear_error(&error);
  assert_int_equal(users(f, rw), 0);
}

/* kill -9 of the daemon during an attach (row written, device_add never sent)
 * and during a detach (device gone, row left): recovery makes rows = devices. */
static void
test_recovery(void **state)
{
  Fx *f = *state;
  g_autofree char *v1 = volume(f, "alice", NULL);
  g_autofree char *v2 = volume(f, "alice", NULL);
  g_autofree char *v3 = volume(f, "alice", NULL);
  g_autoptr(GError) error = NULL;
  gint64 a = boot(f, 1, &error, v3, NULL);
  g_autoptr(SlMount) m1 = sl_cloud_vm_attach_disk(f->cloud, "alice", a, v1, &error);
  assert_non_null(m1);
  /* interrupted attach of v2: only the row */
  g_autofree char *vm_id = g_strdup_printf("%" G_GINT64_FORMAT, a);
  g_autoptr(SlMount) m2 = sl_pdisk_mount(f->pdisk, "alice", v2, "node1", vm_id, &error);
  assert_non_null(m2);
  /* interrupted detach of v1: the guest released it, nobody listened */
  g_autofree char *run = run_dir(f, a);
  g_autofree char *dev1 =
      g_strdup_printf("pd-%.8s%.4s%.4s%.4s%.4s", v1, v1 + 9, v1 + 14, v1 + 19, v1 + 24);
  sl_cloud_free(f->cloud); /* "kill -9": the fake VM keeps running */
  th_drain();
  assert_true(sl_hypervisor_fake_drop_device(run, dev1));
  assert_int_equal(users(f, v1), 1);
  assert_int_equal(users(f, v2), 1);
  f->cloud = new_cloud(f);
  assert_true(sl_cloud_recover(f->cloud, &error));
  gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
  while ((users(f, v1) || users(f, v2)) && g_get_monotonic_time() < end)
    th_iterate();
  assert_int_equal(users(f, v1), 0);
  assert_int_equal(users(f, v2), 0);
  assert_int_equal(users(f, v3), 1); /* boot-time disk, still attached */
  assert_int_equal(state_of(f, a), SL_VM_RUNNING);
  /* and the VM still works: attach v2 for real, detach the boot disk */
  g_autoptr(SlMount) again = sl_cloud_vm_attach_disk(f->cloud, "alice", a, v2, &error);
  assert_non_null(again);
  g_autoptr(SlMount) d3 = sl_cloud_vm_detach_disk(f->cloud, "alice", a, v3, &error);
  assert_non_null(d3);
  assert_int_equal(users(f, v3), 0);
  /* a VM that ended while the daemon was down: its rows go */
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", a, &error);
  th_drain();
  assert_int_equal(users(f, v2), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_boot_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hotplug, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
