/* test-cloud.c - src/cloud with the FAKE hypervisor: states, address pool,
 * all-or-nothing allocation, kill/shutdown/timeout/unknown/crash paths,
 * Prolog failure, recovery from crafted rows and adoption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "cloud/cloud.h"
#include "market/entry.h"
#include "cloud-helpers.h"
#include "helpers.h"
#include "util/error.h"

/* ---- a fake driver we can steer ------------------------------------------ */

typedef enum { GUEST_NORMAL, GUEST_DEAF } GuestMode; /* DEAF ignores the power button */

static SlHypervisor *fake;
static SlHypervisorOps steer_hv_ops;
static SlHypervisorOps steer_dom_ops;
static GuestMode guest_mode;
static SlDomainEventFunc last_events;
static gpointer last_user;
static SlDomain *last_dom;

static void
deaf_powerdown(SlDomain *dom, SlDomainDoneFunc done, gpointer data)
{
  (void)dom;
  (void)done;
  (void)data; /* accepted, nothing happens (done dropped: the cloud ignores it) */
}

static void
steer(SlDomain *dom, SlDomainEventFunc events, gpointer user)
{
  if (!dom)
    return;
  last_events = events;
  last_user = user;
  last_dom = dom;
  if (guest_mode == GUEST_DEAF) {
    steer_dom_ops = *dom->ops;
    steer_dom_ops.powerdown = deaf_powerdown;
    dom->ops = &steer_dom_ops;
  }
}

static SlDomain *
steer_start(SlHypervisor *hv, const SlVmSpec *spec, SlDomainEventFunc events, gpointer user,
            SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  (void)hv;
  SlDomain *d = fake->ops->start(fake, spec, events, user, done, done_data, error);
  steer(d, events, user);
  return d;
}

static SlDomain *
steer_adopt(SlHypervisor *hv, const char *id, const char *run_dir, SlDomainEventFunc events,
            gpointer user, SlDomainDoneFunc done, gpointer done_data, GError **error)
{
  (void)hv;
  SlDomain *d = fake->ops->adopt(fake, id, run_dir, events, user, done, done_data, error);
  steer(d, events, user);
  return d;
}

static void
steer_free(SlHypervisor *hv)
{
  (void)hv;
}

static SlHypervisor steer_hv = {.ops = &steer_hv_ops};

static void
emit(SlDomainEventKind kind)
{
  SlDomainEvent ev = {.kind = kind, .reason = "guest-shutdown"};
  last_events(last_dom, &ev, last_user);
}

/* ---- fixture ------------------------------------------------------------- */

typedef struct {
  char *dir;
  SlStore *store;
  SlImageCache *images;
  SlCloud *cloud;
  char *image; /* identifier */
} Fx;

static SlCloud *
new_cloud(Fx *f, const char *network, const char *qemu_img, guint timeout)
{
  SlCloudConfig cfg = {.data_dir = f->dir,
                       .network = network,
                       .shutdown_timeout_s = timeout,
                       .qemu_img = qemu_img ? qemu_img : "true",
                       .mkswap = "true"};
  g_autoptr(GError) error = NULL;
  SlCloud *c = sl_cloud_new(f->store, f->images, &steer_hv, &cfg, &error);
  assert_null(error);
  assert_non_null(c);
  return c;
}

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-cloud-XXXXXX");
  assert_non_null(f->dir);
  if (!fake) {
    fake = sl_hypervisor_fake_new();
    steer_hv_ops = *fake->ops;
    steer_hv_ops.start = steer_start;
    steer_hv_ops.adopt = steer_adopt;
    steer_hv_ops.free = steer_free;
  }
  guest_mode = GUEST_NORMAL;
  g_autoptr(GError) error = NULL;
  f->store = sl_store_open(f->dir, &error);
  assert_non_null(f->store);
  f->images = sl_image_cache_new(f->store, f->dir, &error);
  assert_non_null(f->images);
  f->image = th_base_image(f->images, f->dir, 1 << 20);
  f->cloud = new_cloud(f, "10.9.0.0/29", NULL, 60); /* .2 .. .6: 5 addresses */
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
  assert_int_equal(th_rm_tree(f->dir), 0);
  g_free(f->image);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static GPtrArray *
create(Fx *f, const char *user, int number, GError **error)
{
  SlVmDef r = {.image = f->image, .cpu = -1, .ram = 128, .swap = 0, .number = number};
  return sl_cloud_vm_create(f->cloud, user, &r, error);
}

static gint64
create_one(Fx *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = create(f, "alice", 1, &error);
  assert_null(error);
  assert_int_equal(vms->len, 1);
  return ((SlVm *)vms->pdata[0])->id;
}

static SlVmState
state_of(Fx *f, gint64 id)
{
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  assert_non_null(v);
  return v->state;
}

/* Iterates the main loop until the VM reaches `want` (5 s at most). */
static void
wait_state(Fx *f, gint64 id, SlVmState want)
{
  gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (state_of(f, id) != want && g_get_monotonic_time() < end)
    th_iterate();
  assert_string_equal(sl_vm_state_to_string(state_of(f, id)), sl_vm_state_to_string(want));
}

static char *
run_dir(Fx *f, gint64 id)
{
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, id);
  return g_build_filename(f->dir, "vms", name, NULL);
}

/* Done/Failed and everything released: address, run dir. */
static void
assert_released(Fx *f, gint64 id)
{
  th_drain();
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  assert_true(sl_vm_state_is_final(v->state));
  assert_null(v->ip);
  g_autofree char *run = run_dir(f, id);
  assert_false(g_file_test(run, G_FILE_TEST_EXISTS));
}

/* ---- tests ----------------------------------------------------------------- */

static void
test_pool(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlIpPool) p = sl_ip_pool_new("127.100.0.0/16", &error);
  assert_non_null(p);
  g_autofree char *first = sl_ip_pool_pick(NULL, p);
  assert_string_equal(first, "127.100.0.2");
  assert_int_equal(sl_ip_pool_size(p), 256 * 253);
  g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add(used, g_strdup("127.100.0.2"));
  g_autofree char *second = sl_ip_pool_pick(used, p);
  assert_string_equal(second, "127.100.0.3");
  for (int i = 2; i <= 254; i++)
    g_hash_table_add(used, g_strdup_printf("127.100.0.%d", i));
  g_autofree char *next = sl_ip_pool_pick(used, p);
  assert_string_equal(next, "127.100.1.2"); /* skips .255, .0 and .1 */
  g_autoptr(SlIpPool) small = sl_ip_pool_new("10.0.0.0/29", &error);
  assert_int_equal(sl_ip_pool_size(small), 5);
  const char *bad[] = {"", "10.0.0.0", "10.0.0.0/31", "300.0.0.0/8", "10.0.0.0/x", NULL};
  for (int i = 0; bad[i]; i++) {
    assert_null(sl_ip_pool_new(bad[i], &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    g_clear_error(&error);
  }
}

static void
test_types(void **state)
{
  (void)state;
  guint n = 0;
  const SlInstanceType *t = sl_cloud_types(&n);
  assert_int_equal(n, 7);
  for (guint i = 1; i < n; i++)
    assert_true(strcmp(t[i - 1].name, t[i].name) < 0);
  const SlInstanceType *s = sl_cloud_type_lookup("m1.small");
  assert_int_equal(s->cpu, 1);
  assert_int_equal(s->ram, 1536);
  assert_int_equal(s->swap, 1536);
  assert_null(sl_cloud_type_lookup("m9.huge"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ports = sl_cloud_parse_ports(" 22, 80,443", &error);
  assert_int_equal(ports->len, 3);
  assert_int_equal(g_array_index(ports, guint16, 2), 443);
  assert_null(sl_cloud_parse_ports("22,22", &error));
  g_clear_error(&error);
  assert_null(sl_cloud_parse_ports("70000", &error));
}

static void
test_run_kill(void **state)
{
  Fx *f = *state;
  gint64 id = create_one(f);
  g_autoptr(SlVm) v = sl_cloud_vm_get(f->cloud, "alice", id, NULL);
  assert_string_equal(v->ip, "10.9.0.2");
  g_autofree char *name = g_strdup_printf("one-%" G_GINT64_FORMAT, id);
  assert_string_equal(v->name, name);
  wait_state(f, id, SL_VM_RUNNING);
  g_autoptr(SlVm) r = sl_cloud_vm_get(f->cloud, "alice", id, NULL);
  assert_int_equal(r->memory, 128 * 1024);
  g_autofree char *run = run_dir(f, id);
  g_autofree char *iso = g_build_filename(run, "context.iso", NULL);
  assert_true(g_file_test(iso, G_FILE_TEST_IS_REGULAR));
  /* other users see nothing */
  g_autoptr(GError) error = NULL;
  assert_null(sl_cloud_vm_get(f->cloud, "bob", id, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_null(sl_cloud_vm_kill(f->cloud, "bob", id, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", id, &error);
  assert_null(error);
  assert_int_equal(k->state, SL_VM_DONE);
  assert_null(k->ip); /* kill waits for the clean-up */
  assert_released(f, id);
  g_autoptr(GPtrArray) list = sl_cloud_vm_list(f->cloud, "alice", NULL);
  assert_int_equal(list->len, 0);
  /* the address is free again */
  gint64 id2 = create_one(f);
  g_autoptr(SlVm) v2 = sl_cloud_vm_get(f->cloud, "alice", id2, NULL);
  assert_string_equal(v2->ip, "10.9.0.2");
  wait_state(f, id2, SL_VM_RUNNING);
}

/* Inbound ports (docs/network.md): the network's, the image entry's slterms:inbound-port,
 * the asked ones; each once, in that order. */
static void
test_inbound_ports(void **state)
{
  Fx *f = *state;
  g_autoptr(SlMarketEntry) e = sl_market_entry_new();
  e->identifier = g_strdup(f->image);
  g_autofree char *plain = sl_market_entry_to_xml(e); /* it writes no ports: add them */
  g_auto(GStrv) halves = g_strsplit(plain, "</rdf:Description>", 2);
  assert_non_null(halves[1]);
  g_autofree char *xml = g_strconcat(halves[0], "<slterms:inbound-port>8080</slterms:inbound-port>",
                                     "<slterms:inbound-port>22</slterms:inbound-port>",
                                     "</rdf:Description>", halves[1], NULL);
  g_autofree char *path = sl_image_cache_entry_path(f->images, f->image);
  assert_true(g_file_set_contents(path, xml, -1, NULL));
  guint16 asked[] = {9000, 8080};
  g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  g_array_append_vals(ports, asked, 2);
  SlVmDef r = {.image = f->image, .cpu = -1, .ram = 128, .number = 1, .ports = ports};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = sl_cloud_vm_create(f->cloud, "alice", &r, &error);
  assert_null(error);
  const SlVm *v = vms->pdata[0];
  GString *got = g_string_new(NULL);
  for (guint i = 0; i < v->def->ports->len; i++)
    g_string_append_printf(got, "%s%u", i ? "," : "", g_array_index(v->def->ports, guint16, i));
  g_autofree char *text = g_string_free(got, FALSE);
  assert_string_equal(text, "22,80,443,8080,9000");
  wait_state(f, v->id, SL_VM_RUNNING);
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", v->id, &error);
  assert_null(error);
}

/* --address (protocols.md §2): the asked address of the pool, refused when taken (409),
 * outside the pool or not an address (400), or for more than one VM; nothing allocated. */
static void
test_address(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  SlVmDef r = {.image = f->image, .cpu = -1, .ram = 128, .number = 1, .address = "10.9.0.5"};
  g_autoptr(GPtrArray) one = sl_cloud_vm_create(f->cloud, "alice", &r, &error);
  assert_null(error);
  const SlVm *v = one->pdata[0];
  assert_string_equal(v->ip, "10.9.0.5");
  gint64 other = create_one(f); /* the pool's first free one, as before */
  g_autoptr(SlVm) o = sl_cloud_vm_get(f->cloud, "alice", other, NULL);
  assert_string_equal(o->ip, "10.9.0.2");
  assert_null(sl_cloud_vm_create(f->cloud, "bob", &r, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  assert_string_equal(error->message, "address 10.9.0.5 is already in use");
  g_clear_error(&error);
  const char *bad[] = {"10.9.0.7", "10.9.0.0", "10.9.1.3", "10.9.0.05", "vm-host", ""};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    r.address = (char *)bad[i];
    assert_null(sl_cloud_vm_create(f->cloud, "bob", &r, &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    g_autofree char *want =
        g_strdup_printf("address %s is not in the address pool of network 'public'", bad[i]);
    assert_string_equal(error->message, want);
    g_clear_error(&error);
  }
  r.address = "10.9.0.6";
  r.number = 2;
  assert_null(sl_cloud_vm_create(f->cloud, "bob", &r, &error));
  assert_string_equal(error->message, "address 10.9.0.6 asks for one machine (number is 2)");
  g_clear_error(&error);
  g_autoptr(GPtrArray) rows = sl_store_vm_list(f->store, NULL, TRUE, NULL);
  assert_int_equal(rows->len, 2); /* only the two VMs above */
  for (guint i = 0; i < rows->len; i++)
    wait_state(f, ((SlVm *)rows->pdata[i])->id, SL_VM_RUNNING);
  g_autoptr(SlVm) k1 = sl_cloud_vm_kill(f->cloud, "alice", v->id, &error);
  g_autoptr(SlVm) k2 = sl_cloud_vm_kill(f->cloud, "alice", other, &error);
  assert_null(error);
}

static void
test_all_or_nothing(void **state)
{
  Fx *f = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = create(f, "alice", 6, &error);
  assert_null(none);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  g_autoptr(GPtrArray) rows = sl_store_vm_list(f->store, NULL, TRUE, NULL);
  assert_int_equal(rows->len, 0); /* nothing allocated */
  g_autoptr(GPtrArray) five = create(f, "alice", 5, &error);
  assert_non_null(five);
  assert_int_equal(five->len, 5);
  g_autoptr(GPtrArray) more = create(f, "bob", 1, &error);
  assert_null(more);
  g_clear_error(&error);
  gint64 victim = ((SlVm *)five->pdata[2])->id;
  wait_state(f, victim, SL_VM_RUNNING);
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", victim, &error);
  assert_non_null(k);
  g_autoptr(GPtrArray) one = create(f, "bob", 1, &error);
  assert_non_null(one);
  assert_string_equal(((SlVm *)one->pdata[0])->ip, "10.9.0.4");
  /* unknown image and bad input */
  SlVmDef r = {.image = "AAAAAAAAAAAAAAAAAAAAAAAAAAA", .cpu = -1, .ram = -1, .swap = -1};
  assert_null(sl_cloud_vm_create(f->cloud, "alice", &r, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  g_clear_error(&error);
  r.image = f->image;
  r.type = "m9.huge";
  assert_null(sl_cloud_vm_create(f->cloud, "alice", &r, &error));
  assert_string_equal(error->message, "Unknown instance type: m9.huge");
  g_clear_error(&error);
}

static void
test_shutdown(void **state)
{
  Fx *f = *state;
  gint64 id = create_one(f);
  g_autoptr(GError) error = NULL;
  assert_null(sl_cloud_vm_shutdown(f->cloud, "alice", id, &error)); /* not Running yet */
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_CONFLICT));
  g_clear_error(&error);
  wait_state(f, id, SL_VM_RUNNING);
  g_autoptr(SlVm) v = sl_cloud_vm_shutdown(f->cloud, "alice", id, &error);
  assert_non_null(v);
  assert_int_equal(v->state, SL_VM_SHUTDOWN);
  wait_state(f, id, SL_VM_DONE);
  assert_released(f, id);
}

static void
test_shutdown_timeout(void **state)
{
  Fx *f = *state;
  sl_cloud_free(f->cloud);
  f->cloud = new_cloud(f, "10.9.0.0/29", NULL, 1);
  guest_mode = GUEST_DEAF;
  gint64 id = create_one(f);
  wait_state(f, id, SL_VM_RUNNING);
  g_autoptr(SlVm) v = sl_cloud_vm_shutdown(f->cloud, "alice", id, NULL);
  assert_int_equal(v->state, SL_VM_SHUTDOWN);
  g_usleep(300000);
  th_drain();
  assert_int_equal(state_of(f, id), SL_VM_SHUTDOWN); /* guest ignores the button */
  wait_state(f, id, SL_VM_DONE);                     /* hard stop after 1 s */
  assert_released(f, id);
}

static void
test_unknown_and_crash(void **state)
{
  Fx *f = *state;
  gint64 a = create_one(f);
  wait_state(f, a, SL_VM_RUNNING);
  emit(SL_DOMAIN_EVENT_SHUTDOWN_GUEST); /* powered off from inside */
  assert_int_equal(state_of(f, a), SL_VM_UNKNOWN);
  g_autoptr(SlVm) held = sl_store_vm_get(f->store, a, NULL);
  assert_non_null(held->ip); /* held until kill */
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", a, NULL);
  assert_int_equal(k->state, SL_VM_DONE);
  assert_released(f, a);

  gint64 b = create_one(f);
  wait_state(f, b, SL_VM_RUNNING);
  emit(SL_DOMAIN_EVENT_CRASHED);
  assert_int_equal(state_of(f, b), SL_VM_FAILED);
  assert_released(f, b);
  g_autoptr(SlVm) failed = sl_cloud_vm_get(f->cloud, "alice", b, NULL);
  assert_non_null(strstr(failed->error, "crashed"));
  g_autoptr(GPtrArray) list = sl_cloud_vm_list(f->cloud, "alice", NULL);
  assert_int_equal(list->len, 1); /* Failed VMs are listed, Done ones are not */
  g_autoptr(SlVm) gone = sl_cloud_vm_kill(f->cloud, "alice", b, NULL);
  assert_int_equal(gone->state, SL_VM_DONE);
}

static void
test_prolog_failure(void **state)
{
  Fx *f = *state;
  sl_cloud_free(f->cloud);
  f->cloud = new_cloud(f, "10.9.0.0/29", "false", 60);
  gint64 id = create_one(f);
  wait_state(f, id, SL_VM_FAILED);
  g_autoptr(SlVm) v = sl_cloud_vm_get(f->cloud, "alice", id, NULL);
  assert_string_equal(v->error, "qemu-img create failed: non-zero exit status");
  assert_released(f, id);
}

/* A real overlay (qemu-img; skipped, reason printed, when it is not installed):
 * absolute backing path, base unchanged. */
static void
test_real_overlay(void **state)
{
  Fx *f = *state;
  g_autofree char *qemu_img = th_tool("qemu-img");
  sl_cloud_free(f->cloud);
  f->cloud = new_cloud(f, "10.9.0.0/29", qemu_img, 60);
  gint64 id = create_one(f);
  wait_state(f, id, SL_VM_RUNNING);
  g_autofree char *run = run_dir(f, id);
  g_autofree char *cmd = g_strdup_printf("%s info -U --output=json %s/disk.qcow2", qemu_img, run);
  g_autofree char *out = NULL;
  assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
  g_autofree char *base = sl_image_cache_lookup(f->images, f->image, NULL);
  g_autofree char *want = g_strdup_printf("\"backing-filename\": \"%s\"", base);
  assert_non_null(strstr(out, want));
  assert_true(g_path_is_absolute(base));
}

/* Rows left by a crashed daemon, reconciled by a new cloud on the same data. */
static void
test_recovery(void **state)
{
  Fx *f = *state;
  gint64 live = create_one(f); /* keeps running in the fake across the "restart" */
  wait_state(f, live, SL_VM_RUNNING);
  sl_cloud_free(f->cloud);
  f->cloud = NULL;

  SlVmState crafted[] = {SL_VM_RUNNING, SL_VM_PROLOG, SL_VM_BOOT, SL_VM_DONE, SL_VM_EPILOG};
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
  for (gsize i = 0; i < G_N_ELEMENTS(crafted); i++) {
    SlVm *v = sl_vm_new();
    v->owner = g_strdup("alice");
    v->image = g_strdup(f->image);
    v->state = crafted[i];
    v->vcpu = 1;
    v->ram = 64;
    g_ptr_array_add(rows, v);
  }
  g_autoptr(SlIpPool) pool = sl_ip_pool_new("10.9.0.0/28", NULL);
  assert_true(sl_store_vm_insert(f->store, rows, sl_ip_pool_pick, pool, NULL));
  for (guint i = 0; i < rows->len; i++) { /* half-made run dirs */
    g_autofree char *run = run_dir(f, ((SlVm *)rows->pdata[i])->id);
    g_mkdir_with_parents(run, 0700);
    g_autofree char *junk = g_build_filename(run, "disk.qcow2", NULL);
    g_file_set_contents(junk, "x", 1, NULL);
  }
  g_autofree char *stray = run_dir(f, 999);
  g_mkdir_with_parents(stray, 0700);

  f->cloud = new_cloud(f, "10.9.0.0/29", NULL, 60);
  g_autoptr(GError) error = NULL;
  assert_true(sl_cloud_recover(f->cloud, &error));
  th_drain();
  for (guint i = 0; i < rows->len; i++)
    assert_released(f, ((SlVm *)rows->pdata[i])->id);
  gint64 vanished = ((SlVm *)rows->pdata[0])->id, prolog = ((SlVm *)rows->pdata[1])->id;
  g_autoptr(SlVm) a = sl_store_vm_get(f->store, vanished, NULL);
  assert_string_equal(a->error, "hypervisor process vanished while the daemon was down");
  g_autoptr(SlVm) b = sl_store_vm_get(f->store, prolog, NULL);
  assert_string_equal(b->error, "interrupted by a daemon restart during Prolog");
  assert_int_equal(state_of(f, ((SlVm *)rows->pdata[4])->id), SL_VM_DONE); /* Epilog */
  assert_false(g_file_test(stray, G_FILE_TEST_EXISTS));

  /* the VM that kept running is adopted, still Running and killable */
  assert_int_equal(state_of(f, live), SL_VM_RUNNING);
  g_autoptr(SlVm) k = sl_cloud_vm_kill(f->cloud, "alice", live, &error);
  assert_non_null(k);
  assert_int_equal(k->state, SL_VM_DONE);
  assert_released(f, live);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool),
      cmocka_unit_test(test_types),
      cmocka_unit_test_setup_teardown(test_run_kill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_address, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inbound_ports, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shutdown_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_and_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prolog_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_real_overlay, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  sl_hypervisor_free(fake);
  return rc;
}
