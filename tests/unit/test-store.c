/* test-store.c - the store: migrations, CRUD, constraints, threads, kill -9.
 * Runs on SQLite, and on PostgreSQL under tests/postgres/run-with (meson test
 * pg-store): the SQLite-only checks (the file, PRAGMAs) have PostgreSQL twins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <signal.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "helpers.h"
#include "util/error.h"

static int
setup(void **state)
{
  *state = th_tmpdir_new("test-store-XXXXXX");
  return 0;
}

static SlStore *
open_store(const char *dir)
{
  g_autoptr(GError) error = NULL;
  SlStore *s = sl_store_open(dir, &error);
  if (error)
    print_error("%s\n", error->message);
  assert_null(error);
  assert_non_null(s);
  return s;
}

static SlDisk *
make_disk(const char *uuid, const char *owner, gint64 created, SlVisibility vis, SlDiskState state)
{
  SlDisk *d = sl_disk_new();
  d->uuid = g_strdup(uuid);
  d->owner = g_strdup(owner);
  d->size = 3;
  d->created = created;
  d->visibility = vis;
  d->state = state;
  return d;
}

static void
insert(SlStore *s, const char *uuid, const char *owner, gint64 created, SlVisibility vis,
       SlDiskState state)
{
  g_autoptr(SlDisk) d = make_disk(uuid, owner, created, vis, state);
  g_autoptr(GError) error = NULL;
  assert_true(sl_store_disk_insert(s, d, &error));
  assert_null(error);
}

static void
test_migrations_idempotent(void **state)
{
  const char *dir = *state;
  SlStore *s = open_store(dir);
  int v = sl_store_schema_version(s);
  assert_true(v >= 1);
  assert_true(sl_store_user_add(s, "alice", "$y$x", NULL));
  sl_store_close(s);
  for (int i = 0; i < 3; i++) {
    s = open_store(dir);
    assert_int_equal(sl_store_schema_version(s), v);
    g_autoptr(SlUser) u = sl_store_user_get(s, "alice", NULL);
    assert_non_null(u);
    sl_store_close(s);
  }
  g_autofree char *db = g_build_filename(dir, "stratus.db", NULL);
  if (th_store_is_postgres()) {
    assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
    s = open_store(dir);
    assert_string_equal(sl_store_backend(s), "postgres");
    sl_store_close(s);
    /* a database from a newer program is refused */
    PGconn *raw = PQconnectdb(g_getenv("SL_TEST_PG"));
    assert_int_equal(PQstatus(raw), CONNECTION_OK);
    g_autofree char *base = g_path_get_basename(dir);
    char *schema = PQescapeIdentifier(raw, base, strlen(base));
    g_autofree char *sql = g_strdup_printf("UPDATE %s.schema_version SET version = 999", schema);
    PQfreemem(schema);
    PGresult *r = PQexec(raw, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(raw);
  } else {
    assert_true(g_file_test(db, G_FILE_TEST_IS_REGULAR));
    /* a database from a newer program is refused */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
  }
  g_autoptr(GError) error = NULL;
  assert_null(sl_store_open(dir, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INTERNAL));
}

static void
test_users(void **state)
{
  g_autoptr(SlStore) s = open_store(*state);
  g_autoptr(GError) error = NULL;
  assert_true(sl_store_user_add(s, "bob", "h1", &error));
  assert_true(sl_store_user_add(s, "alice", "h2", &error));
  assert_false(sl_store_user_add(s, "bob", "h3", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);

  g_autoptr(SlUser) u = sl_store_user_get(s, "bob", &error);
  assert_string_equal(u->hash, "h1");
  assert_true(u->created > 0);

  assert_true(sl_store_user_set_hash(s, "bob", "h4", &error));
  g_autoptr(SlUser) u2 = sl_store_user_get(s, "bob", &error);
  assert_string_equal(u2->hash, "h4");

  assert_false(sl_store_user_set_hash(s, "nobody", "h", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_null(sl_store_user_get(s, "nobody", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);

  g_autoptr(GPtrArray) list = sl_store_user_list(s, &error);
  assert_int_equal(list->len, 2);
  assert_string_equal(((SlUser *)list->pdata[0])->name, "alice");
  assert_string_equal(((SlUser *)list->pdata[1])->name, "bob");

  assert_true(sl_store_user_delete(s, "bob", &error));
  assert_false(sl_store_user_delete(s, "bob", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

static void
test_disks(void **state)
{
  g_autoptr(SlStore) s = open_store(*state);
  g_autoptr(GError) error = NULL;
  guint64 gen0 = sl_store_generation(s);
  insert(s, "d1", "alice", 100, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  insert(s, "d2", "alice", 200, SL_VISIBILITY_PUBLIC, SL_DISK_STATE_READY);
  insert(s, "d3", "bob", 300, SL_VISIBILITY_PUBLIC, SL_DISK_STATE_READY);
  insert(s, "d4", "bob", 400, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  insert(s, "d5", "alice", 500, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_CREATING);
  insert(s, "d6", "alice", 200, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY); /* same second */
  assert_true(sl_store_generation(s) >= gen0 + 6);

  g_autoptr(SlDisk) dup = make_disk("d1", "x", 1, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  assert_false(sl_store_disk_insert(s, dup, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);

  g_autoptr(SlDisk) d1 = sl_store_disk_get(s, "d1", &error);
  assert_non_null(d1);
  assert_string_equal(d1->owner, "alice");
  assert_string_equal(d1->tag, "");
  assert_null(d1->identifier);
  assert_int_equal(d1->users, 0);
  assert_int_equal(d1->type, SL_DISK_DATA_IMAGE_RAW_READ_WRITE);
  assert_null(sl_store_disk_get(s, "zz", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);

  /* alice: her READY disks + bob's public one, newest first (ties: last inserted first) */
  g_autoptr(GPtrArray) vis = sl_store_disk_list_visible(s, "alice", &error);
  const char *want[] = {"d3", "d6", "d2", "d1"};
  assert_int_equal(vis->len, G_N_ELEMENTS(want));
  for (guint i = 0; i < vis->len; i++)
    assert_string_equal(((SlDisk *)vis->pdata[i])->uuid, want[i]);
  g_autoptr(GPtrArray) all_ready = sl_store_disk_list_visible(s, NULL, &error);
  assert_int_equal(all_ready->len, 5);
  g_autoptr(GPtrArray) all = sl_store_disk_list_all(s, &error);
  assert_int_equal(all->len, 6);

  /* identifier unique */
  d1->identifier = g_strdup("IDENT");
  g_free(d1->tag);
  d1->tag = g_strdup("tagged");
  d1->quarantine = g_strdup("q");
  d1->group = g_strdup("g");
  d1->seed = TRUE;
  d1->type = SL_DISK_MACHINE_IMAGE_ORIGIN;
  assert_true(sl_store_disk_update(s, d1, &error));
  g_autoptr(SlDisk) back = sl_store_disk_get(s, "d1", &error);
  assert_string_equal(back->identifier, "IDENT");
  assert_string_equal(back->tag, "tagged");
  assert_string_equal(back->quarantine, "q");
  assert_string_equal(back->group, "g");
  assert_true(back->seed);
  assert_int_equal(back->type, SL_DISK_MACHINE_IMAGE_ORIGIN);
  g_autoptr(SlDisk) other = make_disk("d7", "bob", 1, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  other->identifier = g_strdup("IDENT");
  assert_false(sl_store_disk_insert(s, other, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  assert_string_equal(error->message, "Disk already registered");
  g_clear_error(&error);

  g_autoptr(SlDisk) ghost = make_disk("nope", "x", 1, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  assert_false(sl_store_disk_update(s, ghost, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);

  assert_true(sl_store_disk_set_state(s, "d5", SL_DISK_STATE_DELETING, &error));
  g_autoptr(SlDisk) d5 = sl_store_disk_get(s, "d5", &error);
  assert_int_equal(d5->state, SL_DISK_STATE_DELETING);
  assert_false(sl_store_disk_set_state(s, "nope", SL_DISK_STATE_READY, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);

  assert_true(sl_store_disk_delete(s, "d5", &error));
  assert_false(sl_store_disk_delete(s, "d5", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

static SlMount *
make_mount(const char *disk, gint64 vm, const char *target)
{
  SlMount *m = sl_mount_new();
  m->id = g_strdup_printf("%s_%" G_GINT64_FORMAT, disk, vm);
  m->disk_uuid = g_strdup(disk);
  m->vm_id = vm;
  m->node = g_strdup("node1");
  m->target = g_strdup(target);
  m->created = 10;
  return m;
}

static void
test_mounts(void **state)
{
  g_autoptr(SlStore) s = open_store(*state);
  g_autoptr(GError) error = NULL;
  insert(s, "d1", "alice", 100, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  insert(s, "d2", "alice", 100, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);

  g_autoptr(SlMount) m1 = make_mount("d1", 7, "vda");
  g_autoptr(SlMount) m2 = make_mount("d2", 7, "vdb");
  g_autoptr(SlMount) m3 = make_mount("d1", 8, "vda");
  guint64 gen = sl_store_generation(s);
  assert_true(sl_store_mount_insert(s, m1, &error));
  assert_true(sl_store_mount_insert(s, m2, &error));
  assert_true(sl_store_mount_insert(s, m3, &error));
  assert_int_equal(sl_store_generation(s), gen + 3);

  assert_false(sl_store_mount_insert(s, m1, &error)); /* same id */
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  g_autoptr(SlMount) clash = make_mount("d2", 8, "vda"); /* VM 8 already has vda */
  assert_false(sl_store_mount_insert(s, clash, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  g_autoptr(SlMount) orphan = make_mount("nodisk", 9, "vda");
  assert_false(sl_store_mount_insert(s, orphan, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);

  g_autoptr(SlDisk) d1 = sl_store_disk_get(s, "d1", &error);
  assert_int_equal(d1->users, 2);
  g_autoptr(GPtrArray) for_disk = sl_store_mount_list_for_disk(s, "d1", &error);
  assert_int_equal(for_disk->len, 2);
  g_autoptr(GPtrArray) for_vm = sl_store_mount_list_for_vm(s, 7, &error);
  assert_int_equal(for_vm->len, 2);
  g_autoptr(SlMount) got = sl_store_mount_get(s, "d2_7", &error);
  assert_string_equal(got->target, "vdb");
  assert_string_equal(got->node, "node1");
  assert_int_equal(got->vm_id, 7);
  assert_int_equal(got->created, 10);

  /* a disk with mounts cannot be deleted */
  assert_false(sl_store_disk_delete(s, "d1", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);

  assert_true(sl_store_mount_delete(s, "d1_7", &error));
  assert_true(sl_store_mount_delete(s, "d1_8", &error));
  assert_false(sl_store_mount_delete(s, "d1_8", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_null(sl_store_mount_get(s, "d1_8", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_true(sl_store_disk_delete(s, "d1", &error));
}

#define THREADS 6
#define PER_THREAD 40

static gpointer
worker(gpointer data)
{
  SlStore *s = data;
  for (int i = 0; i < PER_THREAD; i++) {
    g_autofree char *uuid = g_strdup_printf("t%p-%d", (void *)g_thread_self(), i);
    g_autoptr(SlDisk) d = make_disk(uuid, "alice", i, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
    g_autoptr(GError) error = NULL;
    if (!sl_store_disk_insert(s, d, &error))
      return GUINT_TO_POINTER(1);
    g_autoptr(GPtrArray) list = sl_store_disk_list_visible(s, "alice", &error);
    if (!list)
      return GUINT_TO_POINTER(1);
    g_autoptr(SlDisk) back = sl_store_disk_get(s, uuid, &error);
    if (!back)
      return GUINT_TO_POINTER(1);
  }
  return NULL;
}

static void
test_threads(void **state)
{
  g_autoptr(SlStore) s = open_store(*state);
  GThread *threads[THREADS];
  for (int i = 0; i < THREADS; i++)
    threads[i] = g_thread_new("w", worker, s);
  for (int i = 0; i < THREADS; i++)
    assert_null(g_thread_join(threads[i]));
  g_autoptr(GPtrArray) all = sl_store_disk_list_all(s, NULL);
  assert_int_equal(all->len, THREADS * PER_THREAD);
  assert_int_equal(sl_store_generation(s), THREADS * PER_THREAD);
}

/* ---- two front-ends on one store: nothing granted twice ---------------- */

#define RACERS 8

typedef struct {
  SlStore *store; /* one of two handles on the same store (two front-ends) */
  int n;
  gboolean ok;
  char *ip;
} Racer;

static GMutex race_lock;
static GCond race_cond;
static int race_ready;

static void
race_start(void)
{
  g_mutex_lock(&race_lock);
  race_ready++;
  g_cond_broadcast(&race_cond);
  while (race_ready < RACERS)
    g_cond_wait(&race_cond, &race_lock);
  g_mutex_unlock(&race_lock);
}

/* The pdisk rule of a read-write disk: no other mount. Sleeps between the
 * look and the write, so a store that let two checks overlap would fail. */
static gboolean
exclusive_rule(SlMount *m, GPtrArray *disk_mounts, GPtrArray *vm_mounts, gpointer data,
               GError **error)
{
  (void)vm_mounts;
  (void)data;
  g_usleep(20000);
  if (disk_mounts->len > 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) is already attached", m->disk_uuid);
    return FALSE;
  }
  g_free(m->target);
  m->target = g_strdup("vda");
  return TRUE;
}

static gpointer
mount_racer(gpointer data)
{
  Racer *r = data;
  g_autoptr(SlMount) m = sl_mount_new();
  m->vm_id = 100 + r->n;
  m->id = g_strdup_printf("rw_%d", r->n);
  m->disk_uuid = g_strdup("rw");
  m->node = g_strdup("node1");
  race_start();
  g_autoptr(GError) error = NULL;
  r->ok = sl_store_mount_insert_checked(r->store, m, exclusive_rule, NULL, &error);
  if (!r->ok && !g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT))
    print_error("mount racer %d: %s\n", r->n, error ? error->message : "?");
  return NULL;
}

/* A pool of 3 addresses and a quota of 2 VMs for each of two users. */
static char *
pick_of_three(GHashTable *used, gpointer data)
{
  (void)data;
  for (int i = 1; i <= 3; i++) {
    g_autofree char *ip = g_strdup_printf("10.0.0.%d", i);
    if (!g_hash_table_contains(used, ip))
      return g_steal_pointer(&ip);
  }
  return NULL;
}

static gboolean
quota_of_two(const SlVmUsage *mine, const SlVmUsage *all, const SlQuota *quota, GPtrArray *vms,
             gpointer data, GError **error)
{
  (void)all;
  (void)quota;
  (void)data;
  g_usleep(20000);
  if (mine->vms + vms->len > 2) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "quota exceeded");
    return FALSE;
  }
  return TRUE;
}

static gpointer
vm_racer(gpointer data)
{
  Racer *r = data;
  g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
  SlVm *v = sl_vm_new();
  v->owner = g_strdup(r->n % 2 ? "alice" : "bob");
  v->image = g_strdup("img");
  v->vcpu = 1;
  v->ram = 64;
  g_ptr_array_add(vms, v);
  race_start();
  g_autoptr(GError) error = NULL;
  r->ok =
      sl_store_vm_insert_checked(r->store, vms, quota_of_two, NULL, pick_of_three, NULL, &error);
  if (r->ok)
    r->ip = g_strdup(v->ip);
  else if (!g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT))
    print_error("vm racer %d: %s\n", r->n, error ? error->message : "?");
  return NULL;
}

static int
race(SlStore *a, SlStore *b, GThreadFunc fn, Racer *racers)
{
  race_ready = 0;
  GThread *threads[RACERS];
  for (int i = 0; i < RACERS; i++) {
    racers[i] = (Racer){.store = i % 2 ? b : a, .n = i};
    threads[i] = g_thread_new("racer", fn, &racers[i]);
  }
  int won = 0;
  for (int i = 0; i < RACERS; i++) {
    g_thread_join(threads[i]);
    won += racers[i].ok;
  }
  return won;
}

static void
test_two_frontends(void **state)
{
  g_autoptr(SlStore) a = open_store(*state);
  g_autoptr(SlStore) b = open_store(*state);
  insert(a, "rw", "alice", 1, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_READY);
  Racer racers[RACERS];
  /* a read-write disk: exactly one of eight concurrent attachments wins */
  assert_int_equal(race(a, b, mount_racer, racers), 1);
  g_autoptr(GPtrArray) mounts = sl_store_mount_list_for_disk(b, "rw", NULL);
  assert_int_equal(mounts->len, 1);

  g_autoptr(SlImage) im = sl_image_new();
  im->identifier = g_strdup("img");
  im->sha1 = g_strdup("0");
  im->path = g_strdup("/dev/null");
  im->created = 1;
  assert_true(sl_store_image_insert(a, im, NULL));
  /* 8 VMs of two users at once: the quota (2 each) would allow 4, the pool
   * has 3 addresses: exactly 3 win, with 3 different addresses */
  assert_int_equal(race(a, b, vm_racer, racers), 3);
  g_autoptr(GHashTable) ips = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < RACERS; i++)
    if (racers[i].ok)
      g_hash_table_add(ips, g_steal_pointer(&racers[i].ip));
  assert_int_equal(g_hash_table_size(ips), 3);
  g_autoptr(GPtrArray) vms = sl_store_vm_list(a, NULL, FALSE, NULL);
  assert_int_equal(vms->len, 3);
  SlVmUsage alice, bob;
  assert_true(sl_store_vm_usage(b, "alice", &alice, NULL));
  assert_true(sl_store_vm_usage(b, "bob", &bob, NULL));
  assert_true(alice.vms <= 2 && bob.vms <= 2);
  /* a freed address goes to exactly one of the next racers; the quota then
   * stops the user who already has two */
  assert_true(sl_store_vm_release_ip(a, ((SlVm *)vms->pdata[0])->id, NULL));
  assert_true(sl_store_vm_set_state(a, ((SlVm *)vms->pdata[0])->id, SL_VM_DONE, NULL, NULL));
  assert_int_equal(race(a, b, vm_racer, racers), 1);
  for (int i = 0; i < RACERS; i++)
    g_free(racers[i].ip);
}

/* Leases: one holder at a time across handles and processes; a holder killed
 * with SIGKILL loses it and another takes it over. */
static void
test_leases(void **state)
{
  const char *dir = *state;
  g_autoptr(SlStore) a = open_store(dir);
  g_autoptr(SlStore) b = open_store(dir);
  g_autoptr(GError) error = NULL;
  assert_null(sl_store_lease_try(a, "Bad/name", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  g_clear_error(&error);

  SlStoreLease *la = sl_store_lease_try(a, "recovery", &error);
  assert_non_null(la);
  assert_true(sl_store_lease_alive(la));
  assert_null(sl_store_lease_try(b, "recovery", &error));
  assert_null(error);
  g_autoptr(SlStoreLease) other = sl_store_lease_try(b, "monitor", &error); /* another name */
  assert_non_null(other);
  sl_store_lease_release(la);
  g_autoptr(SlStoreLease) lb = sl_store_lease_try(b, "recovery", &error);
  assert_non_null(lb);

  /* a child process takes "work" and is killed with SIGKILL holding it */
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    SlStore *s = sl_store_open(dir, NULL);
    SlStoreLease *l = s ? sl_store_lease_try(s, "work", NULL) : NULL;
    char ok = l ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  close(ready[1]);
  char ok = 0;
  assert_int_equal(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  assert_int_equal(ok, 'y');
  assert_null(sl_store_lease_try(a, "work", &error));
  assert_null(error);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  SlStoreLease *taken = NULL;
  for (int i = 0; i < 100 && !taken; i++) { /* the server notices the closed socket */
    taken = sl_store_lease_try(a, "work", &error);
    assert_null(error);
    if (!taken)
      g_usleep(50000);
  }
  assert_non_null(taken);
  assert_true(sl_store_lease_alive(taken));
  sl_store_lease_release(taken);
}

/* A writer killed with SIGKILL at a random moment leaves a database that opens,
 * passes integrity_check and holds only whole transactions. */
static void
test_kill9(void **state)
{
  const char *dir = *state;
  sl_store_close(open_store(dir)); /* schema exists before the child starts */
  for (int round = 0; round < 3; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      SlStore *s = sl_store_open(dir, NULL);
      for (int i = 0;; i++) {
        g_autofree char *uuid = g_strdup_printf("r%d-%d", round, i);
        g_autoptr(SlDisk) d =
            make_disk(uuid, "alice", i, SL_VISIBILITY_PRIVATE, SL_DISK_STATE_CREATING);
        sl_store_disk_insert(s, d, NULL);
        sl_store_disk_set_state(s, uuid, SL_DISK_STATE_READY, NULL);
        if (i % 3 == 0)
          sl_store_disk_delete(s, uuid, NULL);
      }
    }
    g_usleep(100000 + g_random_int_range(0, 150000));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

    g_autoptr(SlStore) s = open_store(dir);
    g_autoptr(GPtrArray) all = sl_store_disk_list_all(s, NULL);
    assert_non_null(all);
    /* whole transactions only: each killed round leaves at most its last disk CREATING */
    guint creating = 0;
    for (guint i = 0; i < all->len; i++)
      creating += ((SlDisk *)all->pdata[i])->state == SL_DISK_STATE_CREATING;
    assert_true(creating <= (guint)round + 1);
    if (th_store_is_postgres()) /* the server rolls the killed client's transaction back */
      continue;
    g_autofree char *db = g_build_filename(dir, "stratus.db", NULL);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(raw);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrations_idempotent, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_users, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_disks, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_mounts, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_two_frontends, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_leases, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_kill9, setup, th_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
