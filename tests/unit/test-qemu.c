/* test-qemu.c - hypervisor layer: golden QEMU argv, QMP parsing, KVM probe choice,
 * spec validation, fake driver lifecycle. No QEMU is started.
 *
 * Regenerate the golden files with SL_REGEN_GOLDEN=1 (then review the diff).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hypervisor/qemu/argv.h"
#include "hypervisor/qemu/events.h"
#include "hypervisor/qemu/kvm.h"
#include "hypervisor/qemu/qmp.h"
#include "hypervisor/spec.h"
#include "util/error.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/utsname.h>

#ifndef SL_QEMU_TESTDATA
#error "SL_QEMU_TESTDATA must name tests/data/qemu"
#endif

#define UUID1 "3c0b4b0e-5b2f-4d8e-9a63-0d1c2e3f4a5b"
#define UUID2 "f00dcafe-1234-4abc-8def-0123456789ab"

static SlVmSpec *
base_spec(void)
{
  SlVmSpec *s = sl_vm_spec_new("7", "/var/lib/stratuslab/vms/7");
  g_free(s->name);
  s->name = g_strdup("ttylinux, test");
  s->root.path = g_strdup("/var/lib/stratuslab/vms/7/root.qcow2");
  s->public_ip = g_strdup("127.100.0.7");
  return s;
}

static void
check_golden(const char *name, const SlVmSpec *spec, SlAccel accel)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = sl_qemu_build_argv("qemu-system-x86_64", accel, spec, &error);
  assert_null(error);
  assert_non_null(argv);
  g_autofree char *joined = g_strjoinv("\n", argv);
  g_autofree char *text = g_strconcat(joined, "\n", NULL);
  g_autofree char *file = g_strdup_printf("%s/%s.args", SL_QEMU_TESTDATA, name);
  if (g_strcmp0(g_getenv("SL_REGEN_GOLDEN"), "1") == 0) {
    assert_true(g_file_set_contents(file, text, -1, NULL));
    return;
  }
  g_autofree char *want = NULL;
  if (!g_file_get_contents(file, &want, NULL, &error))
    fail_msg("%s (run with SL_REGEN_GOLDEN=1 to create it)", error->message);
  if (g_strcmp0(want, text) != 0) {
    fprintf(stderr, "golden %s differs; got:\n%s", file, text);
    fail();
  }
}

static void
test_golden_minimal(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  check_golden("minimal", s, SL_ACCEL_TCG);
}

static void
test_golden_full(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  s->vcpus = 2;
  s->ram_mib = 512;
  s->context_iso = g_strdup("/var/lib/stratuslab/vms/7/context.iso");
  sl_vm_spec_add_disk(s, "pdisk1", "/var/lib/stratuslab/volumes/" UUID1 ".img", "raw", UUID1, FALSE,
                      SL_DISK_DISK);
  sl_vm_spec_add_disk(s, "pdisk2", "/var/lib/stratuslab/volumes/" UUID2 ".img", "raw", UUID2, TRUE,
                      SL_DISK_DISK);
  sl_vm_spec_add_disk(s, "volatile", "/var/lib/stratuslab/vms/7/volatile.qcow2", "qcow2", NULL,
                      FALSE, SL_DISK_DISK);
  sl_vm_spec_add_disk(s, "dataset", "/var/lib/stratuslab/vms/7/dataset.iso", "raw", NULL, TRUE,
                      SL_DISK_CDROM);
  s->swap = g_new0(SlDiskSpec, 1);
  s->swap->path = g_strdup("/var/lib/stratuslab/vms/7/swap.img");
  s->swap->format = g_strdup("raw");
  check_golden("full", s, SL_ACCEL_TCG);
}

static void
test_golden_outbound(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  s->outbound = TRUE;
  check_golden("outbound", s, SL_ACCEL_TCG);
}

static void
test_golden_ports_kvm(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  g_array_set_size(s->ports, 0);
  guint16 ports[] = {22, 8080};
  g_array_append_vals(s->ports, ports, 2);
  check_golden("ports-kvm", s, SL_ACCEL_KVM);
}

static void
test_golden_no_network(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  g_clear_pointer(&s->public_ip, g_free);
  check_golden("no-address", s, SL_ACCEL_TCG);
}

/* What the network drivers hand over (docs/network.md): a tap, a userspace switch, a
 * user NIC with its own forwards. */
static void
test_golden_nics(void **state)
{
  (void)state;
  g_autoptr(SlVmSpec) s = base_spec();
  SlNicSpec *tap = sl_nic_spec_new(SL_NIC_TAP);
  tap->ifname = g_strdup("vnet-7-0");
  tap->mac = g_strdup("02:00:0a:01:00:07");
  g_ptr_array_add(s->nics, tap);
  SlNicSpec *sw = sl_nic_spec_new(SL_NIC_SOCKET);
  sw->mcast = g_strdup("239.7.0.1:40001");
  sw->mac = g_strdup("02:00:0a:ff:00:07");
  g_ptr_array_add(s->nics, sw);
  SlNicSpec *user = sl_nic_spec_new(SL_NIC_USER);
  user->host_ip = g_strdup("127.100.0.8");
  guint16 p = 8080;
  g_array_append_val(user->ports, p);
  g_ptr_array_add(s->nics, user);
  check_golden("nics", s, SL_ACCEL_TCG);
}

static void
test_nic_invalid(void **state)
{
  (void)state;
  const struct {
    SlNicKind kind;
    const char *ifname, *mac, *mcast, *want;
  } cases[] = {
      {SL_NIC_TAP, "vnet-7-0", NULL, NULL, "needs a MAC"},
      {SL_NIC_TAP, "this-name-is-too-long", "02:00:00:00:00:01", NULL, "invalid tap name"},
      {SL_NIC_TAP, "tap,0", "02:00:00:00:00:01", NULL, "invalid tap name"},
      {SL_NIC_TAP, "vnet-7-0", "02:00:00:00:00", NULL, "invalid MAC"},
      {SL_NIC_SOCKET, NULL, "02:00:00:00:00:01", "10.0.0.1:5000", "multicast"},
      {SL_NIC_SOCKET, NULL, "02:00:00:00:00:01", "239.0.0.1", "multicast"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(SlVmSpec) s = base_spec();
    SlNicSpec *n = sl_nic_spec_new(cases[i].kind);
    n->ifname = g_strdup(cases[i].ifname);
    n->mac = g_strdup(cases[i].mac);
    n->mcast = g_strdup(cases[i].mcast);
    g_ptr_array_add(s->nics, n);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) argv = sl_qemu_build_argv("qemu-system-x86_64", SL_ACCEL_TCG, s, &error);
    assert_null(argv);
    assert_non_null(error);
    if (!strstr(error->message, cases[i].want))
      fail_msg("case %zu: '%s' lacks '%s'", i, error->message, cases[i].want);
  }
}

static void
expect_invalid(SlVmSpec *s, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = sl_qemu_build_argv("qemu", SL_ACCEL_TCG, s, &error);
  assert_null(argv);
  assert_non_null(error);
  assert_int_equal(error->code, SL_ERROR_INVALID);
  if (!strstr(error->message, fragment))
    fail_msg("'%s' lacks '%s'", error->message, fragment);
}

static void
test_invalid_specs(void **state)
{
  (void)state;
  {
    g_autoptr(SlVmSpec) s = base_spec();
    g_free(s->root.path);
    s->root.path = g_strdup("root.qcow2");
    expect_invalid(s, "absolute");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    g_free(s->run_dir);
    s->run_dir = g_strnfill(120, 'a');
    s->run_dir[0] = '/';
    expect_invalid(s, "too long");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    sl_vm_spec_add_disk(s, "d,x", "/a", "raw", NULL, FALSE, SL_DISK_DISK);
    expect_invalid(s, "disk id");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    sl_vm_spec_add_disk(s, "d1", "/a", "raw", "bad,serial", FALSE, SL_DISK_DISK);
    expect_invalid(s, "serial");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    sl_vm_spec_add_disk(s, "d1", "/a", "vmdk", NULL, FALSE, SL_DISK_DISK);
    expect_invalid(s, "format");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    sl_vm_spec_add_disk(s, "d1", "/a", "raw", NULL, FALSE, SL_DISK_DISK);
    sl_vm_spec_add_disk(s, "d1", "/b", "raw", NULL, FALSE, SL_DISK_DISK);
    expect_invalid(s, "duplicate");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    s->context_iso = g_strdup("/ctx.iso");
    for (int i = 0; i < 4; i++) {
      g_autofree char *id = g_strdup_printf("cd%d", i);
      sl_vm_spec_add_disk(s, id, "/a.iso", "raw", NULL, TRUE, SL_DISK_CDROM);
    }
    expect_invalid(s, "CD-ROM");
  }
  {
    g_autoptr(SlVmSpec) s = base_spec();
    g_free(s->public_ip);
    s->public_ip = g_strdup("::1");
    expect_invalid(s, "IPv4");
  }
  /* a disk to hot-plug is checked alone, by the same rules */
  SlDiskSpec ok = {.id = "pd-1", .path = "/v.img", .format = "raw", .serial = UUID1};
  assert_true(sl_disk_spec_check(&ok, NULL));
  const SlDiskSpec bad[] = {
      {.id = "ctx", .path = "/v.img", .format = "raw"},
      {.id = "d.1", .path = "/v.img", .format = "raw"},
      {.id = "d1", .path = "v.img", .format = "raw"},
      {.id = "d1", .path = "/v.img", .format = "vmdk"},
  };
  const char *why[] = {"reserved", "disk id", "absolute", "format"};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_false(sl_disk_spec_check(&bad[i], &error));
    assert_int_equal(error->code, SL_ERROR_INVALID);
    if (!strstr(error->message, why[i]))
      fail_msg("'%s' lacks '%s'", error->message, why[i]);
  }
}

/* ---- QMP ---- */

typedef struct {
  GPtrArray *events; /* "KIND reason device" strings */
  int replies;
  json_t *last_return;
  int last_code;
} QmpLog;

#define kind_names(k) sl_domain_event_name(k)

static void
log_event(SlQmp *q, const char *name, json_t *data, gpointer user)
{
  (void)q;
  QmpLog *log = user;
  SlDomainEvent ev;
  if (!sl_qemu_translate_event(name, data, &ev))
    return;
  g_ptr_array_add(log->events,
                  g_strdup_printf("%s %s %s", kind_names(ev.kind), ev.reason ? ev.reason : "-",
                                  ev.device ? ev.device : "-"));
}

static void
log_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  QmpLog *log = data;
  log->replies++;
  json_decref(log->last_return);
  log->last_return = json_incref(reply);
  log->last_code = error ? error->code : 0;
}

static void
test_qmp_recorded(void **state)
{
  (void)state;
  QmpLog log = {.events = g_ptr_array_new_with_free_func(g_free)};
  SlQmp *q = sl_qmp_new(log_event, NULL, &log);
  sl_qmp_execute(q, "query-status", NULL, log_reply, &log); /* queued before negotiation */
  assert_false(sl_qmp_is_ready(q));
  /* Recorded from QEMU 7.2 (see machine-facts.md sections 5 and 9). */
  assert_true(sl_qmp_feed_line(
      q, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
         "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}"));
  assert_false(sl_qmp_is_ready(q));
  /* query-status took id 1, so qmp_capabilities got id 2 */
  assert_true(sl_qmp_feed_line(q, "{\"return\": {}, \"id\": 2}"));
  assert_true(sl_qmp_is_ready(q));
  assert_true(sl_qmp_feed_line(q, "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
                                  "\"running\": true}, \"id\": 1}"));
  assert_int_equal(log.replies, 1);
  assert_string_equal(json_string_value(json_object_get(log.last_return, "status")), "running");

  const char *lines[] = {
      "{\"timestamp\": {\"seconds\": 1732460000, \"microseconds\": 1}, \"event\": \"POWERDOWN\"}",
      "{\"timestamp\": {\"seconds\": 1732460002, \"microseconds\": 2}, \"event\": \"SHUTDOWN\", "
      "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}",
      "{\"timestamp\": {\"seconds\": 1732460002, \"microseconds\": 3}, \"event\": \"STOP\"}",
      "{\"timestamp\": {\"seconds\": 1732460003, \"microseconds\": 4}, \"event\": "
      "\"DEVICE_DELETED\", "
      "\"data\": {\"path\": \"/machine/peripheral/hpdisk1/virtio-backend\"}}",
      "{\"timestamp\": {\"seconds\": 1732460003, \"microseconds\": 5}, \"event\": "
      "\"DEVICE_DELETED\", "
      "\"data\": {\"path\": \"/machine/peripheral/hpdisk1\", \"device\": \"hpdisk1\"}}",
      "{\"timestamp\": {\"seconds\": 1732460004, \"microseconds\": 6}, \"event\": \"RTC_CHANGE\", "
      "\"data\": {\"offset\": 0}}",
      "{\"timestamp\": {\"seconds\": 1732460005, \"microseconds\": 7}, \"event\": \"RESUME\"}",
      "{\"timestamp\": {\"seconds\": 1732460009, \"microseconds\": 8}, \"event\": \"SHUTDOWN\", "
      "\"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    assert_true(sl_qmp_feed_line(q, lines[i]));
  const char *want[] = {"POWERDOWN - -", "SHUTDOWN_GUEST guest-shutdown -",
                        "STOP - -",      "DEVICE_DELETED - hpdisk1",
                        "RESUME - -",    "SHUTDOWN_HOST host-qmp-quit -"};
  assert_int_equal(log.events->len, G_N_ELEMENTS(want));
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    assert_string_equal(g_ptr_array_index(log.events, i), want[i]);

  /* error replies become SL_ERROR codes; unknown ids and garbage are ignored */
  sl_qmp_execute(q, "device_del", json_pack("{s:s}", "id", "nope"), log_reply, &log);
  assert_true(sl_qmp_feed_line(q, "{\"id\": 3, \"error\": {\"class\": \"DeviceNotFound\", "
                                  "\"desc\": \"Device 'nope' not found\"}}"));
  assert_int_equal(log.replies, 2);
  assert_null(log.last_return);
  assert_int_equal(log.last_code, SL_ERROR_NOT_FOUND);
  assert_true(sl_qmp_feed_line(q, "{\"return\": {}, \"id\": 99}"));
  assert_false(sl_qmp_feed_line(q, "not json"));
  assert_false(sl_qmp_feed_line(q, "{\"neither\": 1}"));
  assert_int_equal(log.replies, 2);
  sl_qmp_free(q);
  g_ptr_array_unref(log.events);
}

/* ---- accelerator choice ---- */

static void
test_accel_select(void **state)
{
  (void)state;
  g_autofree char *dir = g_dir_make_tmp("sl-kvm-XXXXXX", NULL);
  g_autofree char *dev = g_build_filename(dir, "kvm", NULL);
  g_autofree char *cache = g_build_filename(dir, "kvm-probe", NULL);
  assert_true(g_file_set_contents(dev, "", 0, NULL));
  struct utsname u;
  assert_int_equal(uname(&u), 0);

  g_setenv("SL_ACCEL", "kvm", TRUE);
  assert_int_equal(sl_accel_select("/nonexistent", cache, "/nonexistent"), SL_ACCEL_KVM);
  g_setenv("SL_ACCEL", "tcg", TRUE);
  assert_int_equal(sl_accel_select("/nonexistent", cache, dev), SL_ACCEL_TCG);
  g_unsetenv("SL_ACCEL");
  /* no device: TCG, nothing probed or cached */
  assert_int_equal(sl_accel_select("/nonexistent", cache, "/nonexistent"), SL_ACCEL_TCG);
  assert_false(g_file_test(cache, G_FILE_TEST_EXISTS));
  /* a cached answer for this kernel is trusted (the probe binary does not exist) */
  g_autofree char *line = g_strdup_printf("kvm %s\n", u.release);
  assert_true(g_file_set_contents(cache, line, -1, NULL));
  assert_int_equal(sl_accel_select("/nonexistent", cache, dev), SL_ACCEL_KVM);
  /* a stale cache (other kernel) re-runs the probe, which fails, and is rewritten */
  assert_true(g_file_set_contents(cache, "kvm 0.0.0-other\n", -1, NULL));
  assert_int_equal(sl_accel_select("/bin/false", cache, dev), SL_ACCEL_TCG);
  g_autofree char *now = NULL;
  assert_true(g_file_get_contents(cache, &now, NULL, NULL));
  g_autofree char *want = g_strdup_printf("tcg %s\n", u.release);
  assert_string_equal(now, want);
  g_unlink(cache);
  g_unlink(dev);
  g_rmdir(dir);
}

/* ---- fake driver ---- */

typedef struct {
  GMainLoop *loop;
  GString *trace;
  int pending;
} FakeRun;

static void
fake_event(SlDomain *dom, const SlDomainEvent *ev, gpointer user)
{
  (void)dom;
  FakeRun *r = user;
  g_string_append_printf(r->trace, "%s%s%s ", kind_names(ev->kind), ev->device ? ":" : "",
                         ev->device ? ev->device : "");
}

/* "0" or the SL_ERROR code's name, for traces. */
static const char *
code_name(const GError *error)
{
  if (!error)
    return "0";
  switch (error->domain == SL_ERROR ? error->code : -1) {
  case SL_ERROR_INVALID:
    return "INVALID";
  case SL_ERROR_CONFLICT:
    return "CONFLICT";
  case SL_ERROR_NOT_FOUND:
    return "NOT_FOUND";
  case SL_ERROR_UNAVAILABLE:
    return "UNAVAILABLE";
  case SL_ERROR_INTERNAL:
    return "INTERNAL";
  default:
    return "OTHER";
  }
}

static void
fake_done(SlDomain *dom, const GError *error, gpointer user)
{
  (void)dom;
  FakeRun *r = user;
  g_string_append_printf(r->trace, "done(%s) ", code_name(error));
  if (--r->pending == 0)
    g_main_loop_quit(r->loop);
}

static void
fake_status(SlDomain *dom, const char *status, const GError *error, gpointer user)
{
  (void)dom;
  FakeRun *r = user;
  g_string_append_printf(r->trace, "status(%s,%s) ", status ? status : "-", code_name(error));
  if (--r->pending == 0)
    g_main_loop_quit(r->loop);
}

static int
cmp_str(const void *a, const void *b)
{
  return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void
fake_disks(SlDomain *dom, char **ids, const GError *error, gpointer user)
{
  (void)dom;
  FakeRun *r = user;
  g_autofree char **sorted = ids ? g_memdup2(ids, sizeof(char *) * (g_strv_length(ids) + 1)) : NULL;
  if (sorted)
    qsort(sorted, g_strv_length(sorted), sizeof(char *), cmp_str);
  g_autofree char *list = sorted ? g_strjoinv(",", sorted) : g_strdup("-");
  g_string_append_printf(r->trace, "disks(%s,%s) ", list, code_name(error));
  if (--r->pending == 0)
    g_main_loop_quit(r->loop);
}

static void
run(FakeRun *r, int n)
{
  r->pending = n;
  g_main_loop_run(r->loop);
}

static void
test_fake_driver(void **state)
{
  (void)state;
  FakeRun r = {.loop = g_main_loop_new(NULL, FALSE), .trace = g_string_new(NULL)};
  g_autoptr(SlHypervisor) hv = sl_hypervisor_fake_new();
  g_autoptr(SlVmSpec) s = base_spec();
  g_autoptr(GError) error = NULL;
  SlDomain *d = hv->ops->start(hv, s, fake_event, &r, fake_done, &r, &error);
  assert_non_null(d);
  run(&r, 1);
  SlDiskSpec bad = {.id = "swap", .path = "/v.img", .format = "raw"};
  hv->ops->attach_disk(d, &bad, fake_done, &r);
  run(&r, 1);
  SlDiskSpec disk = {.id = "pdisk1", .path = "/v.img", .format = "raw", .serial = UUID1};
  hv->ops->attach_disk(d, &disk, fake_done, &r);
  hv->ops->attach_disk(d, &disk, fake_done, &r);
  run(&r, 2);
  hv->ops->detach_disk(d, "pdisk1", fake_done, &r);
  run(&r, 1);
  hv->ops->attach_disk(d, &disk, fake_done, &r);
  run(&r, 1);
  /* simulated daemon restart: drop the handle, adopt by run dir; the devices survive */
  sl_domain_free(d);
  d = hv->ops->adopt(hv, "7", s->run_dir, fake_event, &r, fake_done, &r, &error);
  assert_non_null(d);
  run(&r, 1);
  hv->ops->list_disks(d, fake_disks, &r);
  run(&r, 1);
  assert_true(sl_hypervisor_fake_drop_device(s->run_dir, "pdisk1"));
  assert_false(sl_hypervisor_fake_drop_device(s->run_dir, "pdisk1"));
  hv->ops->list_disks(d, fake_disks, &r);
  run(&r, 1);
  hv->ops->powerdown(d, fake_done, &r);
  run(&r, 1);
  hv->ops->query_status(d, fake_status, &r);
  run(&r, 1);
  hv->ops->destroy(d, 1000, fake_done, &r);
  run(&r, 1);
  assert_string_equal(r.trace->str,
                      "done(0) done(INVALID) done(0) done(CONFLICT) DEVICE_DELETED:pdisk1 done(0) "
                      "done(0) done(0) disks(pdisk1,0) disks(,0) "
                      "POWERDOWN SHUTDOWN_GUEST done(0) "
                      "status(shutdown,0) SHUTDOWN_HOST EXITED done(0) ");
  sl_domain_free(d);
  assert_null(hv->ops->adopt(hv, "7", s->run_dir, fake_event, &r, fake_done, &r, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
  g_string_free(r.trace, TRUE);
  g_main_loop_unref(r.loop);
}

/* ---- QEMU driver against a scripted QMP server and a stand-in process ---- */

typedef struct {
  GSocketListener *listener;
  GSocketConnection *conn;
  GDataInputStream *in;
  GSubprocess *proc; /* stands in for qemu: its argv names the QMP socket */
  GString *commands;
  gboolean crash_on_next; /* drop the connection and kill, without SHUTDOWN */
} FakeQemu;

static void
fq_send(FakeQemu *f, const char *line)
{
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(f->conn));
  g_autofree char *l = g_strconcat(line, "\n", NULL);
  assert_true(g_output_stream_write_all(out, l, strlen(l), NULL, NULL, NULL));
}

static void
fq_die(FakeQemu *f)
{
  g_subprocess_force_exit(f->proc);
  g_io_stream_close(G_IO_STREAM(f->conn), NULL, NULL);
}

static void fq_read(GObject *src, GAsyncResult *res, gpointer data);

static void
fq_handle(FakeQemu *f, const char *line)
{
  json_t *msg = json_loads(line, 0, NULL);
  const char *cmd = json_string_value(json_object_get(msg, "execute"));
  json_int_t id = json_integer_value(json_object_get(msg, "id"));
  g_string_append_printf(f->commands, "%s ", cmd);
  g_autofree char *ok = g_strdup_printf("{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}", id);
  if (g_str_equal(cmd, "query-status")) {
    g_autofree char *r = g_strdup_printf(
        "{\"return\": {\"status\": \"shutdown\", \"running\": false}, \"id\": %" JSON_INTEGER_FORMAT
        "}",
        id);
    fq_send(f, r);
  } else if (g_str_equal(cmd, "qom-list")) {
    g_autofree char *r = g_strdup_printf(
        "{\"return\": [{\"name\": \"type\", \"type\": \"string\"}, {\"name\": \"root\", "
        "\"type\": \"child<virtio-blk-pci>\"}, {\"name\": \"net0\", \"type\": "
        "\"child<virtio-net-pci>\"}, {\"name\": \"pd-1\", \"type\": "
        "\"child<virtio-blk-pci>\"}], \"id\": %" JSON_INTEGER_FORMAT "}",
        id);
    fq_send(f, r);
  } else if (g_str_equal(cmd, "system_powerdown")) {
    fq_send(f, ok);
    fq_send(f, "{\"event\": \"POWERDOWN\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}");
    fq_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": "
               "\"guest-shutdown\"}, \"timestamp\": {\"seconds\": 3, \"microseconds\": 0}}");
  } else if (g_str_equal(cmd, "device_del")) {
    fq_send(f, ok);
    fq_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"path\": "
               "\"/machine/peripheral/pdisk1/virtio-backend\"}, \"timestamp\": {\"seconds\": 4, "
               "\"microseconds\": 0}}");
    fq_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"pdisk1\", \"path\": "
               "\"/machine/peripheral/pdisk1\"}, \"timestamp\": {\"seconds\": 4, "
               "\"microseconds\": 1}}");
  } else if (g_str_equal(cmd, "quit")) {
    fq_send(f, ok);
    fq_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": "
               "\"host-qmp-quit\"}, \"timestamp\": {\"seconds\": 5, \"microseconds\": 0}}");
    fq_die(f);
  } else {
    fq_send(f, ok);
  }
  json_decref(msg);
}

static void
fq_read(GObject *src, GAsyncResult *res, gpointer data)
{
  FakeQemu *f = data;
  g_autofree char *line =
      g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res, NULL, NULL);
  if (!line || g_io_stream_is_closed(G_IO_STREAM(f->conn)))
    return;
  if (f->crash_on_next) {
    fq_die(f);
    return;
  }
  fq_handle(f, line);
  if (!g_io_stream_is_closed(G_IO_STREAM(f->conn)))
    g_data_input_stream_read_line_async(f->in, G_PRIORITY_DEFAULT, NULL, fq_read, f);
}

static void
fq_accepted(GObject *src, GAsyncResult *res, gpointer data)
{
  FakeQemu *f = data;
  f->conn = g_socket_listener_accept_finish(G_SOCKET_LISTENER(src), res, NULL, NULL);
  assert_non_null(f->conn);
  f->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(f->conn)));
  fq_send(f, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
             "\"capabilities\": [\"oob\"]}}");
  g_data_input_stream_read_line_async(f->in, G_PRIORITY_DEFAULT, NULL, fq_read, f);
}

static void
fq_start(FakeQemu *f, const char *run_dir)
{
  g_autofree char *sock = g_build_filename(run_dir, "qmp.sock", NULL);
  g_autofree char *arg = g_strdup_printf("unix:%s,server=on,wait=off", sock);
  g_unlink(sock);
  const char *argv[] = {"/bin/sh", "-c", "sleep 60; :", arg, NULL};
  f->proc = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, NULL);
  assert_non_null(f->proc);
  g_autofree char *pidfile = g_build_filename(run_dir, "qemu.pid", NULL);
  g_autofree char *pid = g_strdup_printf("%s\n", g_subprocess_get_identifier(f->proc));
  assert_true(g_file_set_contents(pidfile, pid, -1, NULL));
  f->listener = g_socket_listener_new();
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(sock);
  assert_true(g_socket_listener_add_address(f->listener, addr, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, NULL));
  g_socket_listener_accept_async(f->listener, NULL, fq_accepted, f);
  f->commands = g_string_new(NULL);
}

static void
fq_stop(FakeQemu *f)
{
  g_subprocess_force_exit(f->proc);
  g_subprocess_wait(f->proc, NULL, NULL);
  g_socket_listener_close(f->listener);
  g_clear_object(&f->listener);
  g_clear_object(&f->in);
  g_clear_object(&f->conn);
  g_clear_object(&f->proc);
  g_string_free(f->commands, TRUE);
}

static void
test_qemu_driver_scripted(void **state)
{
  (void)state;
  g_setenv("SL_ACCEL", "tcg", TRUE);
  g_autofree char *run_dir = g_dir_make_tmp("sl-qemu-XXXXXX", NULL);
  FakeRun r = {.loop = g_main_loop_new(NULL, FALSE), .trace = g_string_new(NULL)};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlHypervisor) hv = sl_hypervisor_qemu_new("true", NULL, &error);
  assert_non_null(hv);
  assert_null(hv->ops->adopt(hv, "9", run_dir, fake_event, &r, fake_done, &r, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
  g_clear_error(&error);

  FakeQemu f = {0};
  fq_start(&f, run_dir);
  SlDomain *d = hv->ops->adopt(hv, "9", run_dir, fake_event, &r, fake_done, &r, &error);
  assert_non_null(d);
  run(&r, 1);
  SlDiskSpec bad = {.id = "root", .path = "/v.img", .format = "raw"};
  hv->ops->attach_disk(d, &bad, fake_done, &r); /* refused before any QMP command */
  run(&r, 1);
  SlDiskSpec disk = {.id = "pd-1", .path = "/v.img", .format = "raw", .serial = UUID1};
  hv->ops->attach_disk(d, &disk, fake_done, &r);
  run(&r, 1);
  hv->ops->list_disks(d, fake_disks, &r);
  run(&r, 1);
  hv->ops->detach_disk(d, "pdisk1", fake_done, &r);
  run(&r, 1);
  hv->ops->powerdown(d, fake_done, &r);
  run(&r, 1);
  hv->ops->query_status(d, fake_status, &r);
  run(&r, 1);
  hv->ops->destroy(d, 5000, fake_done, &r);
  run(&r, 1);
  assert_string_equal(f.commands->str,
                      "qmp_capabilities blockdev-del blockdev-add device_add qom-list device_del "
                      "blockdev-del system_powerdown query-status quit ");
  assert_string_equal(r.trace->str, "done(0) done(INVALID) done(0) disks(pd-1,root,0) "
                                    "DEVICE_DELETED:pdisk1 "
                                    "done(0) done(0) POWERDOWN "
                                    "SHUTDOWN_GUEST status(shutdown,0) SHUTDOWN_HOST EXITED "
                                    "done(0) ");
  sl_domain_free(d);
  fq_stop(&f);

  /* the process dies without a SHUTDOWN: CRASHED, and pending commands fail */
  g_string_truncate(r.trace, 0);
  fq_start(&f, run_dir);
  d = hv->ops->adopt(hv, "9", run_dir, fake_event, &r, fake_done, &r, &error);
  assert_non_null(d);
  run(&r, 1);
  f.crash_on_next = TRUE;
  hv->ops->powerdown(d, fake_done, &r);
  r.pending = 1; /* the powerdown reply never comes: wait for its failure... */
  g_main_loop_run(r.loop);
  while (!strstr(r.trace->str, "CRASHED")) /* ...and for the final event */
    g_main_context_iteration(NULL, TRUE);
  assert_string_equal(r.trace->str, "done(0) done(UNAVAILABLE) CRASHED ");
  sl_domain_free(d);
  fq_stop(&f);

  g_autofree char *pidfile = g_build_filename(run_dir, "qemu.pid", NULL);
  g_autofree char *sock = g_build_filename(run_dir, "qmp.sock", NULL);
  g_unlink(pidfile);
  g_unlink(sock);
  g_rmdir(run_dir);
  g_string_free(r.trace, TRUE);
  g_main_loop_unref(r.loop);
  g_unsetenv("SL_ACCEL");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_minimal),    cmocka_unit_test(test_golden_full),
      cmocka_unit_test(test_golden_outbound),   cmocka_unit_test(test_golden_nics),
      cmocka_unit_test(test_nic_invalid),       cmocka_unit_test(test_golden_ports_kvm),
      cmocka_unit_test(test_golden_no_network), cmocka_unit_test(test_invalid_specs),
      cmocka_unit_test(test_qmp_recorded),      cmocka_unit_test(test_accel_select),
      cmocka_unit_test(test_fake_driver),       cmocka_unit_test(test_qemu_driver_scripted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
