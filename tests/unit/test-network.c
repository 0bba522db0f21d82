/* test-network.c - the network layer: [network NAME] configuration, tap names, the user
 * driver's NIC and the bridge driver's context and refusals (no host network touched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "network/driver.h"
#include "util/error.h"

static char *
write_config(const char *text)
{
  char *path = NULL;
  int fd = g_file_open_tmp("net-XXXXXX.conf", &path, NULL);
  assert_true(fd >= 0);
  close(fd);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static GPtrArray *
load(const char *text, GError **error)
{
  g_autofree char *path = write_config(text);
  guint16 p[] = {22, 80, 443};
  g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  g_array_append_vals(ports, p, 3);
  GPtrArray *out = sl_network_configs_load(path, "127.100.0.0/16", ports, FALSE, error);
  g_unlink(path);
  return out;
}

static void
test_default_public(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nets = load("[cloud]\nnetwork = 127.100.0.0/16\n", &error);
  assert_non_null(nets);
  assert_int_equal(nets->len, 1);
  SlNetworkConfig *c = nets->pdata[0];
  assert_string_equal(c->name, "public");
  assert_string_equal(c->driver, "user");
  assert_string_equal(c->pool, "127.100.0.0/16");
  assert_int_equal(c->ports->len, 3);
  assert_int_equal(c->kind, SL_NET_PUBLIC);
}

static void
test_bridge_groups(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nets =
      load("[network private]\ndriver = bridge\nbridge = brp\npool = 10.9.0.0/24\n"
           "[network public]\ndriver = bridge\nbridge = br0\npool = 10.1.0.0/24\n"
           "gateway = 10.1.0.1\nports = 22\n",
           &error);
  assert_null(error);
  assert_int_equal(nets->len, 2);
  SlNetworkConfig *pub = nets->pdata[0], *priv = nets->pdata[1];
  assert_string_equal(pub->name, "public");
  assert_string_equal(pub->bridge, "br0");
  assert_string_equal(pub->gateway, "10.1.0.1");
  assert_int_equal(pub->ports->len, 1);
  assert_int_equal(priv->kind, SL_NET_PRIVATE);

  g_autoptr(SlNetwork) net = sl_network_bridge_new(pub, NULL, &error);
  assert_non_null(net);
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
  SlNicRequest nic = {.vm_id = "12", .index = 0, .ip = "10.1.0.12"};
  net->ops->context(net, &nic, pairs);
  g_autofree char *joined = (g_ptr_array_add(pairs, NULL), g_strjoinv(" ", (char **)pairs->pdata));
  assert_string_equal(joined, "ETH0_IP 10.1.0.12 ETH0_MASK 255.255.255.0 ETH0_GATEWAY 10.1.0.1 "
                              "ETH0_DNS 10.1.0.1");
}

static void
test_bad_config(void **state)
{
  (void)state;
  const struct {
    const char *text, *want;
  } cases[] = {
      {"[network public]\ndriver = ovs\npool = 10.0.0.0/24\n", "[network public] driver:"},
      {"[network public]\ndriver = bridge\npool = 10.0.0.0/24\n", "[network public] bridge:"},
      {"[network public]\ndriver = bridge\nbridge = br0\n", "[network public] pool:"},
      {"[network public]\npool = 10.0.0.0/33\n", "[network public] pool:"},
      {"[network public]\npool = 10.0.0.0/24\ngateway = x\n", "[network public] gateway:"},
      {"[network public]\npool = 10.0.0.0/24\nports = 22,99999\n", "[network public] ports:"},
      {"[network public]\npool = 10.0.0.0/24\nkind = secret\n", "[network public] kind:"},
      {"[network Pub]\npool = 10.0.0.0/24\n", "[network Pub] name:"},
      {"[network lab]\ndriver = bridge\nbridge = br0/x\npool = 10.0.0.0/24\n",
       "[network lab] bridge:"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) nets = load(cases[i].text, &error);
    assert_null(nets);
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    if (!strstr(error->message, cases[i].want))
      fail_msg("case %zu: '%s' lacks '%s'", i, error->message, cases[i].want);
    assert_null(strchr(error->message, '\n'));
  }
}

static void
test_names(void **state)
{
  (void)state;
  g_autofree char *tap = sl_network_tap_name("12", 0);
  assert_string_equal(tap, "vnet-12-0");
  g_autofree char *longest = sl_network_tap_name("12345678", 3);
  assert_string_equal(longest, "vnet-12345678-3");
  assert_null(sl_network_tap_name("123456789", 0));
  g_autofree char *vm = NULL;
  guint index = 9;
  assert_true(sl_network_tap_parse("vnet-12-1", &vm, &index));
  assert_string_equal(vm, "12");
  assert_int_equal(index, 1);
  const char *not_ours[] = {"vnet0", "vnet--1", "vnet-a-1", "vnet-1-", "br0", "vnet-1-x"};
  for (gsize i = 0; i < G_N_ELEMENTS(not_ours); i++) {
    char *v = NULL;
    assert_false(sl_network_tap_parse(not_ours[i], &v, &index));
    assert_null(v);
  }
  g_autofree char *mac = sl_network_mac_from_ip("10.1.0.12");
  assert_string_equal(mac, "02:00:0a:01:00:0c");
  assert_null(sl_network_mac_from_ip("::1"));
}

static void
test_user_nic(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) nets = load("", &error);
  g_autoptr(SlNetwork) net = sl_network_user_new(nets->pdata[0], &error);
  guint16 p[] = {22, 8080};
  g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  g_array_append_vals(ports, p, 2);
  SlNicRequest nic = {.vm_id = "3", .index = 0, .ip = "127.100.0.3", .ports = ports};
  g_autoptr(SlNicSpec) n = net->ops->prepare(net, &nic, &error);
  assert_non_null(n);
  assert_int_equal(n->kind, SL_NIC_USER);
  assert_string_equal(n->host_ip, "127.100.0.3");
  assert_int_equal(n->ports->len, 2);
  assert_int_equal(g_array_index(n->ports, guint16, 1), 8080);
  assert_false(n->outbound);
  net->ops->release(net, "3", 0); /* nothing to undo */
}

static void
test_bridge_missing(void **state)
{
  (void)state;
  SlNetworkConfig cfg = {.name = (char *)"public",
                         .driver = (char *)"bridge",
                         .bridge = (char *)"sl-nobr-test",
                         .pool = (char *)"10.1.0.0/24"};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlNetwork) net = sl_network_bridge_new(&cfg, NULL, &error);
  assert_non_null(net);
  SlNicRequest nic = {.vm_id = "4", .index = 0, .ip = "10.1.0.4"};
  SlNicSpec *n = net->ops->prepare(net, &nic, &error);
  assert_null(n);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  assert_non_null(strstr(error->message, "bridge sl-nobr-test does not exist"));
  assert_false(g_file_test("/sys/class/net/vnet-4-0", G_FILE_TEST_EXISTS));
  cfg.bridge = NULL;
  g_clear_error(&error);
  assert_null(sl_network_bridge_new(&cfg, NULL, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_public), cmocka_unit_test(test_bridge_groups),
      cmocka_unit_test(test_bad_config),     cmocka_unit_test(test_names),
      cmocka_unit_test(test_user_nic),       cmocka_unit_test(test_bridge_missing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
