/* test-pdisk.c - pdisk service: validation, rights, mounts, recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pdisk/pdisk.h"
#include "helpers.h"
#include "util/error.h"

typedef struct {
  char *dir;
  SlStore *store;
  SlStorage *storage;
  SlPdisk *pdisk;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = th_tmpdir_new("test-pdisk-XXXXXX");
  f->store = sl_store_open(f->dir, NULL);
  g_autofree char *vol = g_build_filename(f->dir, "volumes", NULL);
  f->storage = sl_storage_file_new(vol, NULL);
  assert_non_null(f->store);
  assert_non_null(f->storage);
  f->pdisk = sl_pdisk_new(f->store, f->storage);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  sl_pdisk_free(f->pdisk);
  sl_storage_free(f->storage);
  sl_store_close(f->store);
  th_rm_tree(f->dir);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* Asserts that error is SL_ERROR code with exactly message, and clears it. */
#define assert_sl_error(err, code_, msg)                                                           \
  do {                                                                                             \
    assert_non_null(err);                                                                          \
    assert_int_equal((err)->domain, SL_ERROR);                                                     \
    assert_int_equal((err)->code, code_);                                                          \
    assert_string_equal((err)->message, msg);                                                      \
    g_clear_error(&(err));                                                                         \
  } while (0)

static SlDisk *
create(Fixture *f, const char *user, const char *size, const char *vis, const char *type)
{
  SlDiskFields fields = {.size = size, .visibility = vis, .type = type, .tag = "t"};
  g_autoptr(GError) error = NULL;
  SlDisk *d = sl_pdisk_create(f->pdisk, user, &fields, &error);
  assert_null(error);
  assert_non_null(d);
  return d;
}

static guint
n_rows(Fixture *f)
{
  g_autoptr(GPtrArray) all = sl_store_disk_list_all(f->store, NULL);
  return all->len;
}

static guint
n_files(Fixture *f)
{
  g_autoptr(GPtrArray) files = f->storage->ops->list(f->storage, NULL);
  return files->len;
}

static void
test_uuid_valid(void **state)
{
  (void)state;
  assert_true(sl_pdisk_uuid_is_valid("9c5a2c03-8243-4a1b-a248-0f0d22d948c2"));
  for (int i = 0; i < 20; i++) {
    g_autofree char *u = g_uuid_string_random();
    assert_true(sl_pdisk_uuid_is_valid(u));
  }
  const char *bad[] = {"",
                       "xyz",
                       "9C5A2C03-8243-4A1B-A248-0F0D22D948C2",
                       "9c5a2c03-8243-4a1b-a248-0f0d22d948c",
                       "9c5a2c03-8243-4a1b-a248-0f0d22d948c2a",
                       "9c5a2c038-243-4a1b-a248-0f0d22d948c2",
                       "9c5a2c03-8243-4a1b-a248-0f0d22d948g2",
                       "../../../../etc/passwd-aaaaaaaaaaaa"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_false(sl_pdisk_uuid_is_valid(bad[i]));
  assert_false(sl_pdisk_uuid_is_valid(NULL));
}

static void
test_create(void **state)
{
  Fixture *f = *state;
  guint64 gen = sl_pdisk_generation(f->pdisk);
  g_autoptr(SlDisk) d = create(f, "alice", "5", NULL, NULL);
  assert_true(sl_pdisk_generation(f->pdisk) > gen);
  assert_true(sl_pdisk_uuid_is_valid(d->uuid));
  assert_string_equal(d->owner, "alice");
  assert_string_equal(d->tag, "t");
  assert_int_equal(d->size, 5);
  assert_int_equal(d->state, SL_DISK_STATE_READY);
  assert_int_equal(d->visibility, SL_VISIBILITY_PRIVATE);
  assert_int_equal(d->type, SL_DISK_DATA_IMAGE_RAW_READ_WRITE);
  assert_int_equal(d->users, 0);
  assert_true(d->created > 1600000000);

  g_autofree char *path = sl_pdisk_volume_path(f->pdisk, d->uuid);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_size, (off_t)5 << 30);
  assert_null(sl_pdisk_volume_path(f->pdisk, "../x"));

  g_autoptr(SlDisk) big = create(f, "alice", "1024", "PUBLIC", "data_image_raw_readonly");
  assert_int_equal(big->visibility, SL_VISIBILITY_PUBLIC);
  assert_int_equal(big->type, SL_DISK_DATA_IMAGE_RAW_READONLY);
  g_autoptr(SlDisk) one = create(f, "alice", "1", "private", NULL);
  g_autoptr(SlDisk) lead = create(f, "alice", "007", NULL, NULL);
  assert_int_equal(lead->size, 7);

  g_autoptr(SlDisk) got = sl_pdisk_get(f->pdisk, "alice", d->uuid, NULL);
  assert_non_null(got);
  assert_string_equal(got->uuid, d->uuid);

  /* identifier must be unique */
  SlDiskFields with_id = {.size = "1", .identifier = "ABCDEF"};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) i1 = sl_pdisk_create(f->pdisk, "alice", &with_id, &error);
  assert_non_null(i1);
  assert_string_equal(i1->identifier, "ABCDEF");
  assert_null(sl_pdisk_create(f->pdisk, "bob", &with_id, &error));
  assert_sl_error(error, SL_ERROR_CONFLICT, "Disk already registered");
  assert_int_equal(n_rows(f), 5);
  assert_int_equal(n_files(f), 5);
}

static void
test_bad_input(void **state)
{
  Fixture *f = *state;
  const char *sizes[] = {"abc", "0",  "1025",        "",     "1.5", "-1", " 5",
                         "5 ",  "+5", "99999999999", "0x10", "1e3"};
  g_autoptr(GError) error = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    SlDiskFields fields = {.size = sizes[i]};
    assert_null(sl_pdisk_create(f->pdisk, "alice", &fields, &error));
    assert_sl_error(error, SL_ERROR_INVALID, "Size must be an integer between 1 and 1024");
  }
  SlDiskFields nosize = {.tag = "x"};
  assert_null(sl_pdisk_create(f->pdisk, "alice", &nosize, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Size must be an integer between 1 and 1024");
  assert_null(sl_pdisk_create(f->pdisk, "alice", NULL, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Size must be an integer between 1 and 1024");

  char tag41[42], tag40[41];
  memset(tag41, 'a', 41);
  tag41[41] = '\0';
  memset(tag40, 'b', 40);
  tag40[40] = '\0';
  SlDiskFields longtag = {.size = "1", .tag = tag41};
  assert_null(sl_pdisk_create(f->pdisk, "alice", &longtag, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Tags must have less than 40 characters");
  SlDiskFields badvis = {.size = "1", .visibility = "restricted"};
  assert_null(sl_pdisk_create(f->pdisk, "alice", &badvis, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Invalid value for form element visibility: restricted");
  SlDiskFields badtype = {.size = "1", .type = "FLOPPY"};
  assert_null(sl_pdisk_create(f->pdisk, "alice", &badtype, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Invalid value for form element type: FLOPPY");
  SlDiskFields badutf = {.size = "1", .tag = "a\xff"};
  assert_null(sl_pdisk_create(f->pdisk, "alice", &badutf, &error));
  assert_non_null(error);
  assert_int_equal(error->code, SL_ERROR_INVALID);
  g_clear_error(&error);
  assert_int_equal(n_rows(f), 0);
  assert_int_equal(n_files(f), 0);

  /* 40 characters, also multi-byte ones, are fine */
  SlDiskFields ok40 = {.size = "1", .tag = tag40};
  g_autoptr(SlDisk) d40 = sl_pdisk_create(f->pdisk, "alice", &ok40, &error);
  assert_non_null(d40);
  GString *accents = g_string_new(NULL);
  for (int i = 0; i < 40; i++)
    g_string_append(accents, "\xc3\xa9"); /* é */
  SlDiskFields okutf = {.size = "1", .tag = accents->str};
  g_autoptr(SlDisk) dutf = sl_pdisk_create(f->pdisk, "alice", &okutf, &error);
  assert_non_null(dutf);
  g_string_free(accents, TRUE);

  /* malformed and unknown UUIDs */
  assert_null(sl_pdisk_get(f->pdisk, "alice", "xyz", &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Invalid UUID xyz");
  g_autofree char *upper = g_ascii_strup(d40->uuid, -1);
  assert_null(sl_pdisk_get(f->pdisk, "alice", upper, &error));
  assert_non_null(error);
  assert_int_equal(error->code, SL_ERROR_INVALID);
  g_clear_error(&error);
  const char *unknown = "9c5a2c03-8243-4a1b-a248-0f0d22d948c2";
  assert_null(sl_pdisk_get(f->pdisk, "alice", unknown, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND,
                  "disk (9c5a2c03-8243-4a1b-a248-0f0d22d948c2) does not exist");
  assert_false(sl_pdisk_delete(f->pdisk, "alice", unknown, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND,
                  "disk (9c5a2c03-8243-4a1b-a248-0f0d22d948c2) does not exist");
  assert_false(sl_pdisk_delete(f->pdisk, "alice", "bad", &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Invalid UUID bad");
  assert_null(sl_pdisk_mounts(f->pdisk, "alice", unknown, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
  g_clear_error(&error);
}

static void
test_rights(void **state)
{
  Fixture *f = *state;
  g_autoptr(SlDisk) priv = create(f, "alice", "1", "private", NULL);
  g_autoptr(SlDisk) pub = create(f, "alice", "1", "public", NULL);
  g_autoptr(SlDisk) bobs = create(f, "bob", "1", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *nf = g_strdup_printf("disk (%s) does not exist", priv->uuid);

  /* other user's private disk: invisible everywhere */
  assert_null(sl_pdisk_get(f->pdisk, "bob", priv->uuid, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND, nf);
  SlDiskFields upd = {.tag = "x"};
  assert_null(sl_pdisk_update(f->pdisk, "bob", priv->uuid, &upd, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND, nf);
  assert_false(sl_pdisk_delete(f->pdisk, "bob", priv->uuid, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND, nf);
  assert_null(sl_pdisk_mount(f->pdisk, "bob", priv->uuid, "n", "1", &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND, nf);
  assert_null(sl_pdisk_mounts(f->pdisk, "bob", priv->uuid, &error));
  assert_sl_error(error, SL_ERROR_NOT_FOUND, nf);

  /* other user's public disk: visible, not changeable */
  g_autoptr(SlDisk) seen = sl_pdisk_get(f->pdisk, "bob", pub->uuid, &error);
  assert_non_null(seen);
  assert_null(sl_pdisk_update(f->pdisk, "bob", pub->uuid, &upd, &error));
  assert_sl_error(error, SL_ERROR_FORBIDDEN, "Not enough rights to update disk");
  assert_false(sl_pdisk_delete(f->pdisk, "bob", pub->uuid, &error));
  assert_sl_error(error, SL_ERROR_FORBIDDEN, "Not enough rights to delete disk");
  assert_null(sl_pdisk_mount(f->pdisk, "bob", pub->uuid, "n", "1", &error));
  assert_sl_error(error, SL_ERROR_FORBIDDEN, "Not enough rights to attach disk");
  g_autoptr(GPtrArray) pm = sl_pdisk_mounts(f->pdisk, "bob", pub->uuid, &error);
  assert_non_null(pm);
  assert_int_equal(pm->len, 0);
  g_autoptr(SlMount) am = sl_pdisk_mount(f->pdisk, "alice", pub->uuid, "n", "3", &error);
  assert_non_null(am);
  g_autoptr(SlMount) seen_m = sl_pdisk_mount_get(f->pdisk, "bob", pub->uuid, am->id, &error);
  assert_non_null(seen_m);
  assert_null(sl_pdisk_unmount(f->pdisk, "bob", pub->uuid, am->id, &error));
  assert_sl_error(error, SL_ERROR_FORBIDDEN, "Not enough rights to detach disk");

  /* listings: own disks + others' public ones, newest first */
  g_autoptr(GPtrArray) bl = sl_pdisk_list(f->pdisk, "bob", &error);
  assert_int_equal(bl->len, 2);
  assert_string_equal(((SlDisk *)bl->pdata[0])->uuid, bobs->uuid);
  assert_string_equal(((SlDisk *)bl->pdata[1])->uuid, pub->uuid);
  assert_int_equal(((SlDisk *)bl->pdata[1])->users, 1);
  g_autoptr(GPtrArray) al = sl_pdisk_list(f->pdisk, "alice", &error);
  assert_int_equal(al->len, 2);
  g_autoptr(GPtrArray) cl = sl_pdisk_list(f->pdisk, "carol", &error);
  assert_int_equal(cl->len, 1);

  /* owner may do everything */
  g_autoptr(SlDisk) u = sl_pdisk_update(f->pdisk, "alice", priv->uuid, &upd, &error);
  assert_non_null(u);
  assert_true(sl_pdisk_delete(f->pdisk, "alice", priv->uuid, &error));
}

static void
test_update(void **state)
{
  Fixture *f = *state;
  g_autoptr(SlDisk) d = create(f, "alice", "2", NULL, NULL);
  g_autoptr(GError) error = NULL;
  SlDiskFields fields = {.tag = "renamed",
                         .visibility = "PUBLIC",
                         .type = "DATA_IMAGE_RAW_READONLY",
                         .size = "999",
                         .quarantine = "2013-01-01"};
  g_autoptr(SlDisk) u = sl_pdisk_update(f->pdisk, "alice", d->uuid, &fields, &error);
  assert_non_null(u);
  assert_string_equal(u->tag, "renamed");
  assert_int_equal(u->visibility, SL_VISIBILITY_PUBLIC);
  assert_int_equal(u->type, SL_DISK_DATA_IMAGE_RAW_READONLY);
  assert_int_equal(u->size, 2); /* size is fixed */
  g_autoptr(SlDisk) back = sl_pdisk_get(f->pdisk, "alice", d->uuid, &error);
  assert_string_equal(back->tag, "renamed");
  assert_string_equal(back->quarantine, "2013-01-01");
  assert_int_equal(back->created, d->created);

  /* invalid input changes nothing */
  SlDiskFields bad = {.tag = "new", .visibility = "nope"};
  assert_null(sl_pdisk_update(f->pdisk, "alice", d->uuid, &bad, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "Invalid value for form element visibility: nope");
  g_autoptr(SlDisk) same = sl_pdisk_get(f->pdisk, "alice", d->uuid, &error);
  assert_string_equal(same->tag, "renamed");

  /* "" clears optional fields; NULL fields are untouched */
  SlDiskFields clear = {.quarantine = ""};
  g_autoptr(SlDisk) c = sl_pdisk_update(f->pdisk, "alice", d->uuid, &clear, &error);
  assert_null(c->quarantine);
  assert_string_equal(c->tag, "renamed");
}

static void
test_delete(void **state)
{
  Fixture *f = *state;
  g_autoptr(SlDisk) d = create(f, "alice", "3", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = sl_pdisk_volume_path(f->pdisk, d->uuid);
  g_autoptr(SlMount) m = sl_pdisk_mount(f->pdisk, "alice", d->uuid, "node", "4", &error);
  assert_non_null(m);
  assert_false(sl_pdisk_delete(f->pdisk, "alice", d->uuid, &error));
  g_autofree char *busy = g_strdup_printf("disk (%s) is in use and can't be deleted", d->uuid);
  assert_sl_error(error, SL_ERROR_CONFLICT, busy);
  assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

  g_autoptr(SlMount) gone = sl_pdisk_unmount(f->pdisk, "alice", d->uuid, m->id, &error);
  assert_non_null(gone);
  assert_string_equal(gone->target, "vda");
  assert_true(sl_pdisk_delete(f->pdisk, "alice", d->uuid, &error));
  assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  assert_int_equal(n_rows(f), 0);
  assert_false(sl_pdisk_delete(f->pdisk, "alice", d->uuid, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
}

static void
test_mounts(void **state)
{
  Fixture *f = *state;
  g_autoptr(SlDisk) a = create(f, "alice", "1", NULL, NULL);
  g_autoptr(SlDisk) b = create(f, "alice", "1", NULL, NULL);
  g_autoptr(SlDisk) c = create(f, "alice", "1", NULL, NULL);
  g_autoptr(GError) error = NULL;

  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, NULL, "1", &error));
  assert_sl_error(error, SL_ERROR_INVALID, "missing node attribute");
  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "", "1", &error));
  assert_sl_error(error, SL_ERROR_INVALID, "missing node attribute");
  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "n", NULL, &error));
  assert_sl_error(error, SL_ERROR_INVALID, "missing vm_id attribute");
  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "n", "", &error));
  assert_sl_error(error, SL_ERROR_INVALID, "missing vm_id attribute");
  const char *bad_vm[] = {"-1", "abc", "1.5", " 1", "99999999999999999999"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad_vm); i++) {
    assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "n", bad_vm[i], &error));
    assert_non_null(error);
    assert_int_equal(error->code, SL_ERROR_INVALID);
    g_clear_error(&error);
  }

  g_autoptr(SlMount) ma = sl_pdisk_mount(f->pdisk, "alice", a->uuid, "node1", "0", &error);
  assert_non_null(ma);
  g_autofree char *ida = g_strdup_printf("%s_0", a->uuid);
  assert_string_equal(ma->id, ida);
  assert_string_equal(ma->target, "vda");
  assert_string_equal(ma->node, "node1");
  assert_string_equal(ma->disk_uuid, a->uuid);
  assert_int_equal(ma->vm_id, 0);
  g_autoptr(SlMount) mb = sl_pdisk_mount(f->pdisk, "alice", b->uuid, "node1", "0", &error);
  assert_string_equal(mb->target, "vdb");

  /* same disk twice on the VM; read-write disk on another VM */
  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "node1", "0", &error));
  g_autofree char *dup = g_strdup_printf("Mount already exists for: 0 and %s", a->uuid);
  assert_sl_error(error, SL_ERROR_CONFLICT, dup);
  assert_null(sl_pdisk_mount(f->pdisk, "alice", a->uuid, "node2", "5", &error));
  g_autofree char *excl = g_strdup_printf("disk (%s) is already attached to VM 0", a->uuid);
  assert_sl_error(error, SL_ERROR_CONFLICT, excl);

  /* lists and lookups */
  g_autoptr(GPtrArray) ml = sl_pdisk_mounts(f->pdisk, "alice", a->uuid, &error);
  assert_int_equal(ml->len, 1);
  g_autoptr(SlDisk) ad = sl_pdisk_get(f->pdisk, "alice", a->uuid, &error);
  assert_int_equal(ad->users, 1);
  g_autoptr(SlMount) got = sl_pdisk_mount_get(f->pdisk, "alice", a->uuid, ida, &error);
  assert_string_equal(got->target, "vda");
  g_autofree char *idb = g_strdup_printf("%s_0", b->uuid);
  assert_null(sl_pdisk_mount_get(f->pdisk, "alice", a->uuid, idb, &error)); /* b's mount */
  g_autofree char *na = g_strdup_printf("disk (%s) is not attached to VM 0", a->uuid);
  assert_sl_error(error, SL_ERROR_NOT_FOUND, na);
  g_autofree char *id99 = g_strdup_printf("%s_99", a->uuid);
  assert_null(sl_pdisk_unmount(f->pdisk, "alice", a->uuid, id99, &error));
  g_autofree char *na99 = g_strdup_printf("disk (%s) is not attached to VM 99", a->uuid);
  assert_sl_error(error, SL_ERROR_NOT_FOUND, na99);

  /* first free device is reused */
  g_autoptr(SlMount) ua = sl_pdisk_unmount(f->pdisk, "alice", a->uuid, ida, &error);
  assert_non_null(ua);
  g_autoptr(SlMount) mc = sl_pdisk_mount(f->pdisk, "alice", c->uuid, "node1", "0", &error);
  assert_string_equal(mc->target, "vda");
  g_autoptr(SlMount) ma2 = sl_pdisk_mount(f->pdisk, "alice", a->uuid, "node1", "0", &error);
  assert_string_equal(ma2->target, "vdc");
  g_autoptr(SlDisk) ad2 = sl_pdisk_get(f->pdisk, "alice", a->uuid, &error);
  assert_int_equal(ad2->users, 1);
}

static void
test_mount_limits(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  /* a read-only disk on 10 VMs, not 11 */
  g_autoptr(SlDisk) ro = create(f, "alice", "1", NULL, "DATA_IMAGE_RAW_READONLY");
  for (int vm = 100; vm < 100 + SL_PDISK_MAX_MOUNTS; vm++) {
    g_autofree char *v = g_strdup_printf("%d", vm);
    g_autoptr(SlMount) m = sl_pdisk_mount(f->pdisk, "alice", ro->uuid, "n", v, &error);
    assert_non_null(m);
    assert_string_equal(m->target, "vda");
  }
  assert_null(sl_pdisk_mount(f->pdisk, "alice", ro->uuid, "n", "200", &error));
  assert_sl_error(error, SL_ERROR_CONFLICT, "no free devices available");
  g_autoptr(SlDisk) back = sl_pdisk_get(f->pdisk, "alice", ro->uuid, &error);
  assert_int_equal(back->users, SL_PDISK_MAX_MOUNTS);

  /* a VM with 10 disks, not 11 */
  for (int i = 0; i < SL_PDISK_MAX_MOUNTS; i++) {
    g_autoptr(SlDisk) d = create(f, "alice", "1", NULL, NULL);
    g_autoptr(SlMount) m = sl_pdisk_mount(f->pdisk, "alice", d->uuid, "n", "7", &error);
    assert_non_null(m);
    char want[4] = {'v', 'd', (char)('a' + i), '\0'};
    assert_string_equal(m->target, want);
  }
  g_autoptr(SlDisk) extra = create(f, "alice", "1", NULL, NULL);
  assert_null(sl_pdisk_mount(f->pdisk, "alice", extra->uuid, "n", "7", &error));
  assert_sl_error(error, SL_ERROR_CONFLICT, "no free devices available");
}

typedef struct {
  SlPdisk *pdisk;
  const char *uuid;
  int vm;
  gboolean ok;
} RaceArg;

static gpointer
racer(gpointer data)
{
  RaceArg *r = data;
  g_autofree char *vm = g_strdup_printf("%d", r->vm);
  g_autoptr(SlMount) m = sl_pdisk_mount(r->pdisk, "alice", r->uuid, "n", vm, NULL);
  r->ok = m != NULL;
  return NULL;
}

static void
test_mount_race(void **state)
{
  Fixture *f = *state;
  g_autoptr(SlDisk) d = create(f, "alice", "1", NULL, NULL);
  RaceArg args[8];
  GThread *t[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (RaceArg){f->pdisk, d->uuid, 10 + i, FALSE};
    t[i] = g_thread_new("race", racer, &args[i]);
  }
  int winners = 0;
  for (int i = 0; i < 8; i++) {
    g_thread_join(t[i]);
    winners += args[i].ok;
  }
  assert_int_equal(winners, 1); /* read-write: exactly one VM gets it */
}

/* A storage driver whose create always fails. */
static gboolean
failing_create(SlStorage *self, const char *uuid, guint64 bytes, GError **error)
{
  (void)self;
  (void)uuid;
  (void)bytes;
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "no space left");
  return FALSE;
}

static void
test_create_storage_failure(void **state)
{
  Fixture *f = *state;
  SlStorageOps ops = *f->storage->ops;
  ops.create = failing_create;
  SlStorage broken = {.ops = &ops};
  g_autoptr(SlPdisk) p = sl_pdisk_new(f->store, &broken);
  SlDiskFields fields = {.size = "1"};
  g_autoptr(GError) error = NULL;
  assert_null(sl_pdisk_create(p, "alice", &fields, &error));
  assert_sl_error(error, SL_ERROR_INTERNAL, "no space left");
  assert_int_equal(n_rows(f), 0); /* the CREATING row is undone */
}

static void
craft(Fixture *f, const char *uuid, SlDiskState st, gboolean with_file)
{
  g_autoptr(SlDisk) d = sl_disk_new();
  d->uuid = g_strdup(uuid);
  d->owner = g_strdup("alice");
  d->size = 1;
  d->created = 1000;
  d->state = st;
  assert_true(sl_store_disk_insert(f->store, d, NULL));
  if (with_file)
    assert_true(f->storage->ops->create(f->storage, uuid, 1 << 20, NULL));
}

static void
test_recover(void **state)
{
  Fixture *f = *state;
  const char *creating = "00000000-0000-4000-8000-000000000001";
  const char *creating_nofile = "00000000-0000-4000-8000-000000000002";
  const char *deleting = "00000000-0000-4000-8000-000000000003";
  const char *deleting_nofile = "00000000-0000-4000-8000-000000000004";
  const char *ready = "00000000-0000-4000-8000-000000000005";
  const char *ready_nofile = "00000000-0000-4000-8000-000000000006";
  const char *orphan = "00000000-0000-4000-8000-000000000007";
  craft(f, creating, SL_DISK_STATE_CREATING, TRUE);
  craft(f, creating_nofile, SL_DISK_STATE_CREATING, FALSE);
  craft(f, deleting, SL_DISK_STATE_DELETING, TRUE);
  craft(f, deleting_nofile, SL_DISK_STATE_DELETING, FALSE);
  craft(f, ready, SL_DISK_STATE_READY, TRUE);
  craft(f, ready_nofile, SL_DISK_STATE_READY, FALSE);
  assert_true(f->storage->ops->create(f->storage, orphan, 1 << 20, NULL));

  /* half-made disks are never shown */
  g_autoptr(GError) error = NULL;
  assert_null(sl_pdisk_get(f->pdisk, "alice", creating, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_autoptr(GPtrArray) before = sl_pdisk_list(f->pdisk, "alice", &error);
  assert_int_equal(before->len, 2);

  assert_true(sl_pdisk_recover(f->pdisk, &error));
  assert_null(error);
  g_autoptr(GPtrArray) rows = sl_store_disk_list_all(f->store, &error);
  assert_int_equal(rows->len, 2);
  for (guint i = 0; i < rows->len; i++) {
    const char *u = ((SlDisk *)rows->pdata[i])->uuid;
    assert_true(g_str_equal(u, ready) || g_str_equal(u, ready_nofile));
  }
  assert_true(f->storage->ops->exists(f->storage, ready));
  assert_false(f->storage->ops->exists(f->storage, creating));
  assert_false(f->storage->ops->exists(f->storage, deleting));
  assert_false(f->storage->ops->exists(f->storage, orphan));
  assert_int_equal(n_files(f), 1);

  /* idempotent */
  assert_true(sl_pdisk_recover(f->pdisk, &error));
  assert_int_equal(n_rows(f), 2);
  assert_int_equal(n_files(f), 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_uuid_valid),
      cmocka_unit_test_setup_teardown(test_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_update, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mounts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mount_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mount_race, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_storage_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
