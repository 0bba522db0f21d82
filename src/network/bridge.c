/* bridge.c - the `bridge` network driver: one tap device per NIC on the operator's bridge.
 *
 * prepare() makes vnet-<vm>-<n> (`ip tuntap add ... mode tap`, `ip link set
 * ... master <bridge> up`, through util/spawn) and hands it to QEMU by name;
 * the guest's address comes from the network's pool (chosen by the cloud)
 * and is told to it by the context (ETH<n>_IP/MASK/GATEWAY/DNS). release()
 * deletes the tap; recover() deletes every vnet-* tap on the bridge whose VM
 * is not live. The bridge itself (and its address, the gateway) is the
 * operator's (docs/network.md); a missing bridge fails prepare() with
 * SL_ERROR_UNAVAILABLE before anything is made.
 */
#include "network/driver.h"

#include <gio/gio.h>
#include <string.h>

#include "util/error.h"
#include "util/spawn.h"

typedef struct {
  SlNetwork base;
  guint prefix; /* of the pool */
} BridgeNetwork;

static gboolean
run_ip(const char *const *argv, GError **error)
{
  SlSpawnOptions o = {
      .argv = argv, .out = SL_SPAWN_SILENCE, .err = SL_SPAWN_CAPTURE, .timeout_ms = 10000};
  SlSpawnResult r = {0};
  g_autofree char *what = g_strjoinv(" ", (char **)argv);
  if (!sl_spawn_sync(&o, &r, error))
    return FALSE;
  gboolean ok = sl_spawn_result_check(&r, what, error);
  sl_spawn_result_clear(&r);
  return ok;
}

static gboolean
link_exists(const char *name)
{
  g_autofree char *p = g_build_filename("/sys/class/net", name, NULL);
  return g_file_test(p, G_FILE_TEST_EXISTS);
}

static gboolean
is_bridge(const char *name)
{
  g_autofree char *p = g_build_filename("/sys/class/net", name, "bridge", NULL);
  return g_file_test(p, G_FILE_TEST_IS_DIR);
}

/* The bridge a link is a port of, or NULL. */
static char *
master_of(const char *name)
{
  g_autofree char *p = g_build_filename("/sys/class/net", name, "master", NULL);
  g_autofree char *target = g_file_read_link(p, NULL);
  return target ? g_path_get_basename(target) : NULL;
}

static char *
mask_text(guint prefix)
{
  guint32 m = prefix ? 0xffffffffu << (32 - prefix) : 0;
  return g_strdup_printf("%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
}

static void
push(GPtrArray *pairs, guint index, const char *key, const char *value)
{
  g_ptr_array_add(pairs, g_strdup_printf("ETH%u_%s", index, key));
  g_ptr_array_add(pairs, g_strdup(value));
}

static void
bridge_context(SlNetwork *net, const SlNicRequest *nic, GPtrArray *pairs)
{
  BridgeNetwork *b = (BridgeNetwork *)net;
  if (!nic->ip)
    return;
  g_autofree char *mask = mask_text(b->prefix);
  push(pairs, nic->index, "IP", nic->ip);
  push(pairs, nic->index, "MASK", mask);
  if (net->config->gateway)
    push(pairs, nic->index, "GATEWAY", net->config->gateway);
  const char *dns = net->config->dns ? net->config->dns : net->config->gateway;
  if (dns)
    push(pairs, nic->index, "DNS", dns);
}

static SlNicSpec *
bridge_prepare(SlNetwork *net, const SlNicRequest *nic, GError **error)
{
  const char *br = net->config->bridge;
  g_autofree char *tap = sl_network_tap_name(nic->vm_id, nic->index);
  g_autofree char *mac = sl_network_mac_from_ip(nic->ip);
  if (!tap || !mac) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "network %s: VM %s NIC %u: no tap name or address", net->config->name, nic->vm_id,
                nic->index);
    return NULL;
  }
  if (!is_bridge(br)) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "network %s: bridge %s does not exist",
                net->config->name, br);
    return NULL;
  }
  if (!link_exists(tap)) {
    const char *add[] = {"ip", "tuntap", "add", "dev", tap, "mode", "tap", NULL};
    if (!run_ip(add, error))
      return NULL;
  }
  const char *up[] = {"ip", "link", "set", "dev", tap, "master", br, "up", NULL};
  if (!run_ip(up, error)) {
    const char *del[] = {"ip", "link", "del", "dev", tap, NULL};
    run_ip(del, NULL);
    return NULL;
  }
  g_message("network %s: tap %s on bridge %s for VM %s (%s)", net->config->name, tap, br,
            nic->vm_id, nic->ip);
  SlNicSpec *n = sl_nic_spec_new(SL_NIC_TAP);
  n->ifname = g_steal_pointer(&tap);
  n->mac = g_steal_pointer(&mac);
  return n;
}

static void
delete_tap(SlNetwork *net, const char *tap)
{
  g_autoptr(GError) e = NULL;
  const char *del[] = {"ip", "link", "del", "dev", tap, NULL};
  if (link_exists(tap) && !run_ip(del, &e))
    g_warning("network %s: %s", net->config->name, e->message);
  else
    g_message("network %s: tap %s removed", net->config->name, tap);
}

static void
bridge_release(SlNetwork *net, const char *vm_id, guint index)
{
  g_autofree char *tap = sl_network_tap_name(vm_id, index);
  if (tap && link_exists(tap))
    delete_tap(net, tap);
}

static void
bridge_recover(SlNetwork *net, GHashTable *live)
{
  g_autoptr(GDir) dir = g_dir_open("/sys/class/net", 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *vm = NULL;
    guint index = 0;
    if (!sl_network_tap_parse(name, &vm, &index))
      continue;
    g_autofree char *master = master_of(name);
    /* ours: on this bridge, or a bare tap (made, not yet attached, at a crash) */
    if (master && g_strcmp0(master, net->config->bridge) != 0)
      continue;
    if (!g_hash_table_contains(live, vm))
      delete_tap(net, name);
  }
}

static void
bridge_free(SlNetwork *net)
{
  sl_network_config_free(net->config);
  g_free(net);
}

static const SlNetworkOps bridge_ops = {
    .name = "bridge",
    .context = bridge_context,
    .prepare = bridge_prepare,
    .release = bridge_release,
    .recover = bridge_recover,
    .free = bridge_free,
};

SlNetwork *
sl_network_bridge_new(const SlNetworkConfig *cfg, GError **error)
{
  g_autoptr(GInetAddressMask) m =
      cfg->pool ? g_inet_address_mask_new_from_string(cfg->pool, NULL) : NULL;
  if (!cfg->bridge || !m) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "network %s: the bridge driver needs %s",
                cfg->name, cfg->bridge ? "a pool" : "a bridge");
    return NULL;
  }
  BridgeNetwork *b = g_new0(BridgeNetwork, 1);
  b->base.ops = &bridge_ops;
  b->base.config = sl_network_config_copy(cfg);
  b->prefix = g_inet_address_mask_get_length(m);
  return &b->base;
}
