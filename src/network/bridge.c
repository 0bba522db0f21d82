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
 *
 * DHCP and DNS: a dnsmasq per network, started by recover() (daemon start) or
 * the first prepare(), bound to the bridge, stopped by PID at free(); a stale
 * one (left by a killed daemon, found through DIR/dnsmasq.pid and its command
 * line) is stopped first. It serves only the VMs' fixed addresses: one file per
 * NIC in DIR/dhcp (MAC,IP,vm-<id>) and DIR/hosts (IP vm-<id>), which dnsmasq
 * re-reads by itself (inotify); prepare writes them, release and recover remove them.
 *
 * A private network (kind = private) isolates users by a bridge per user:
 * "<bridge>u<n>", made by stratusd on first use, n the user's number (2..4094,
 * DIR/vlans, kept across restarts; a VLAN id would do the same on a kernel with
 * bridge VLAN filtering, which this machine's has not). The bridges have no
 * address, so private addresses exist only among the guests (no dnsmasq there).
 */
#include "network/driver.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>

#include "util/error.h"
#include "util/spawn.h"

typedef struct {
  SlNetwork base;
  guint prefix;       /* of the pool */
  char *network;      /* the pool's network address */
  char *dir;          /* DATA/networks/<name>, or NULL: no dnsmasq */
  SlProcess *dnsmasq; /* ours, or NULL */
  GHashTable *vlans;  /* private: user -> VLAN id (GUINT_TO_POINTER) */
} BridgeNetwork;

#define VLAN_FIRST 2
#define VLAN_LAST 4094

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

/* ---- dnsmasq ----------------------------------------------------------------- */

static char *
state_file(BridgeNetwork *b, const char *name)
{
  return g_build_filename(b->dir, name, NULL);
}

static void
write_hosts(BridgeNetwork *b, const SlNicRequest *nic, const char *mac)
{
  if (!b->dir)
    return;
  g_autofree char *base = g_strdup_printf("%s-%u", nic->vm_id, nic->index);
  g_autofree char *hosts = g_build_filename(b->dir, "hosts", base, NULL);
  g_autofree char *dhcp = g_build_filename(b->dir, "dhcp", base, NULL);
  g_autofree char *h = g_strdup_printf("%s vm-%s\n", nic->ip, nic->vm_id);
  g_autofree char *d = g_strdup_printf("%s,%s,vm-%s\n", mac, nic->ip, nic->vm_id);
  g_autoptr(GError) e = NULL;
  if (!g_file_set_contents(hosts, h, -1, &e) || !g_file_set_contents(dhcp, d, -1, &e))
    g_warning("network %s: %s", b->base.config->name, e->message);
}

static void
drop_hosts(BridgeNetwork *b, const char *base)
{
  if (!b->dir)
    return;
  g_autofree char *hosts = g_build_filename(b->dir, "hosts", base, NULL);
  g_autofree char *dhcp = g_build_filename(b->dir, "dhcp", base, NULL);
  g_unlink(hosts);
  g_unlink(dhcp);
}

/* A dnsmasq left by an earlier daemon: its pid file names it, its command line names our
 * directory. Stopped by PID (SIGTERM, then SIGKILL after 2 s). */
static void
stop_stale(BridgeNetwork *b)
{
  g_autofree char *pidfile = state_file(b, "dnsmasq.pid");
  g_autofree char *text = NULL;
  guint64 pid = 0;
  if (!g_file_get_contents(pidfile, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned(g_strstrip(text), 10, 2, G_MAXINT32, &pid, NULL))
    return;
  g_autofree char *proc = g_strdup_printf("/proc/%" G_GUINT64_FORMAT "/cmdline", pid);
  g_autofree char *cmd = NULL;
  gsize len = 0;
  if (g_file_get_contents(proc, &cmd, &len, NULL) && len > 0) {
    for (gsize i = 0; i + 1 < len; i++)
      if (!cmd[i])
        cmd[i] = ' ';
    if (strstr(cmd, "dnsmasq") && strstr(cmd, pidfile)) {
      g_message("network %s: stopping the dnsmasq of an earlier daemon (pid %" G_GUINT64_FORMAT ")",
                b->base.config->name, pid);
      kill((pid_t)pid, SIGTERM);
      for (int i = 0; i < 20 && kill((pid_t)pid, 0) == 0; i++)
        g_usleep(100000);
      if (kill((pid_t)pid, 0) == 0)
        kill((pid_t)pid, SIGKILL);
    }
  }
  g_unlink(pidfile);
}

static void
dnsmasq_exited(SlProcess *proc, const SlSpawnResult *result, const GError *error, gpointer data)
{
  (void)proc, (void)error;
  g_autofree char *how = sl_spawn_result_describe(result);
  g_message("network %s: dnsmasq ended (%s)", (const char *)data, how);
  g_free(data);
}

static void
start_dnsmasq(BridgeNetwork *b)
{
  if (!b->dir || (b->dnsmasq && !sl_process_has_exited(b->dnsmasq)) ||
      !is_bridge(b->base.config->bridge))
    return;
  g_clear_pointer(&b->dnsmasq, sl_process_unref);
  g_autofree char *prog = g_find_program_in_path("dnsmasq");
  if (!prog) {
    g_warning("network %s: dnsmasq not found: no DHCP or DNS (guests still get their address "
              "from the context)",
              b->base.config->name);
    return;
  }
  stop_stale(b);
  g_autofree char *pidfile = state_file(b, "dnsmasq.pid");
  g_autofree char *log = state_file(b, "dnsmasq.log");
  g_autofree char *mask = mask_text(b->prefix);
  g_autofree char *o_pid = g_strconcat("--pid-file=", pidfile, NULL);
  g_autofree char *o_if = g_strconcat("--interface=", b->base.config->bridge, NULL);
  g_autofree char *o_lease = g_strdup_printf("--dhcp-leasefile=%s/leases", b->dir);
  g_autofree char *o_hosts = g_strdup_printf("--hostsdir=%s/hosts", b->dir);
  g_autofree char *o_dhcp = g_strdup_printf("--dhcp-hostsdir=%s/dhcp", b->dir);
  g_autofree char *o_range = g_strdup_printf("--dhcp-range=%s,static,%s,12h", b->network, mask);
  g_autofree char *o_router = b->base.config->gateway ? g_strconcat("--dhcp-option=option:router,",
                                                                    b->base.config->gateway, NULL)
                                                      : g_strdup("--dhcp-option=option:router");
  const char *argv[] = {prog,
                        "--keep-in-foreground",
                        "--conf-file=/dev/null",
                        "--bind-interfaces",
                        o_if,
                        "--except-interface=lo",
                        "--user=root",
                        "--group=root",
                        o_pid,
                        o_lease,
                        o_hosts,
                        o_dhcp,
                        o_range,
                        o_router,
                        "--no-resolv",
                        "--no-hosts",
                        "--domain-needed",
                        "--log-dhcp",
                        NULL};
  SlSpawnOptions o = {.argv = argv, .out = SL_SPAWN_LOG, .err = SL_SPAWN_LOG, .log_file = log};
  g_autoptr(GError) e = NULL;
  char *name = g_strdup(b->base.config->name);
  b->dnsmasq = sl_process_spawn(&o, dnsmasq_exited, name, &e);
  if (!b->dnsmasq) {
    g_free(name);
    g_warning("network %s: %s", b->base.config->name, e->message);
    return;
  }
  int pid = sl_process_get_pid(b->dnsmasq);
  g_autofree char *text = g_strdup_printf("%d\n", pid);
  g_file_set_contents(pidfile, text, -1, NULL);
  g_message("network %s: dnsmasq (pid %d) on bridge %s", b->base.config->name, pid,
            b->base.config->bridge);
}

/* ---- private networks: a VLAN per user ---------------------------------------- */

static void
load_vlans(BridgeNetwork *b)
{
  g_autofree char *path = b->dir ? state_file(b, "vlans") : NULL;
  g_autofree char *text = NULL;
  if (!path || !g_file_get_contents(path, &text, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = g_strsplit(*l, " ", 2);
    guint64 vid = 0;
    if (f[0] && f[1] && g_ascii_string_to_unsigned(f[1], 10, VLAN_FIRST, VLAN_LAST, &vid, NULL))
      g_hash_table_replace(b->vlans, g_strdup(f[0]), GUINT_TO_POINTER((guint)vid));
  }
}

/* The user's VLAN id, a new one when the user has none yet; 0 when none is left. */
static guint
vlan_of(BridgeNetwork *b, const char *user)
{
  gpointer v = g_hash_table_lookup(b->vlans, user);
  if (v)
    return GPOINTER_TO_UINT(v);
  guint vid = VLAN_FIRST;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, b->vlans);
  while (g_hash_table_iter_next(&it, &key, &value))
    vid = MAX(vid, GPOINTER_TO_UINT(value) + 1);
  if (vid > VLAN_LAST)
    return 0;
  g_hash_table_replace(b->vlans, g_strdup(user), GUINT_TO_POINTER(vid));
  if (b->dir) {
    g_autoptr(GString) text = g_string_new(NULL);
    g_hash_table_iter_init(&it, b->vlans);
    while (g_hash_table_iter_next(&it, &key, &value))
      g_string_append_printf(text, "%s %u\n", (const char *)key, GPOINTER_TO_UINT(value));
    g_autofree char *path = state_file(b, "vlans");
    g_autoptr(GError) e = NULL;
    if (!g_file_set_contents_full(path, text->str, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e))
      g_warning("network %s: %s", b->base.config->name, e->message);
  }
  return vid;
}

/* The user's own bridge "<bridge>u<n>" of a private network, made (and brought up) when
 * missing; NULL with the error when there is no number left or the name is too long. */
static char *
user_bridge(BridgeNetwork *b, const char *user, GError **error)
{
  guint n = vlan_of(b, user ? user : "");
  g_autofree char *name = g_strdup_printf("%su%u", b->base.config->bridge, n);
  if (!n || strlen(name) > 15) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "network %s: no bridge left for user %s",
                b->base.config->name, user ? user : "");
    return NULL;
  }
  if (!is_bridge(name)) {
    const char *add[] = {"ip", "link", "add", "name", name, "type", "bridge", NULL};
    const char *up[] = {"ip", "link", "set", "dev", name, "up", NULL};
    if (!run_ip(add, error) || !run_ip(up, error))
      return NULL;
    g_message("network %s: bridge %s for the private VMs of %s", b->base.config->name, name, user);
  }
  return g_steal_pointer(&name);
}

/* A bridge of this network: the operator's, or one of its users' (private). */
static gboolean
ours(BridgeNetwork *b, const char *bridge)
{
  const char *base = b->base.config->bridge;
  if (g_strcmp0(bridge, base) == 0)
    return TRUE;
  gsize n = strlen(base);
  return b->base.config->kind == SL_NET_PRIVATE && bridge && g_str_has_prefix(bridge, base) &&
         bridge[n] == 'u' && bridge[n + 1] &&
         strspn(bridge + n + 1, "0123456789") == strlen(bridge + n + 1);
}

/* ---- the driver -------------------------------------------------------------- */

static gboolean
bridge_check(SlNetwork *net, GError **error)
{
  if (is_bridge(net->config->bridge))
    return TRUE;
  g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "network %s: bridge %s does not exist",
              net->config->name, net->config->bridge);
  return FALSE;
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
  if (!bridge_check(net, error))
    return NULL;
  g_autofree char *own = NULL;
  if (net->config->kind == SL_NET_PRIVATE &&
      !(own = user_bridge((BridgeNetwork *)net, nic->owner, error)))
    return NULL;
  if (own)
    br = own;
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
  if (net->config->kind != SL_NET_PRIVATE) {
    write_hosts((BridgeNetwork *)net, nic, mac);
    start_dnsmasq((BridgeNetwork *)net);
  }
  g_message("network %s: tap %s on bridge %s for VM %s of %s (%s)", net->config->name, tap, br,
            nic->vm_id, nic->owner ? nic->owner : "?", nic->ip);
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
  g_autofree char *base = g_strdup_printf("%s-%u", vm_id, index);
  drop_hosts((BridgeNetwork *)net, base);
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
    if (master && !ours((BridgeNetwork *)net, master))
      continue;
    if (!g_hash_table_contains(live, vm))
      delete_tap(net, name);
  }
  BridgeNetwork *b = (BridgeNetwork *)net;
  g_autofree char *hosts = b->dir ? state_file(b, "dhcp") : NULL;
  g_autoptr(GDir) files = hosts ? g_dir_open(hosts, 0, NULL) : NULL;
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
  while (files && (name = g_dir_read_name(files))) {
    g_autofree char *vm = g_strndup(name, strcspn(name, "-"));
    if (!g_hash_table_contains(live, vm))
      g_ptr_array_add(stale, g_strdup(name));
  }
  for (guint i = 0; i < stale->len; i++)
    drop_hosts(b, stale->pdata[i]);
  if (net->config->kind != SL_NET_PRIVATE)
    start_dnsmasq(b);
}

static void
bridge_free(SlNetwork *net)
{
  BridgeNetwork *b = (BridgeNetwork *)net;
  if (b->dnsmasq && !sl_process_has_exited(b->dnsmasq)) {
    sl_process_signal(b->dnsmasq, SIGTERM);
    g_autofree char *pidfile = state_file(b, "dnsmasq.pid");
    g_unlink(pidfile);
  }
  g_clear_pointer(&b->dnsmasq, sl_process_unref);
  g_free(b->network);
  g_free(b->dir);
  g_hash_table_unref(b->vlans);
  sl_network_config_free(net->config);
  g_free(net);
}

static const SlNetworkOps bridge_ops = {
    .name = "bridge",
    .check = bridge_check,
    .context = bridge_context,
    .prepare = bridge_prepare,
    .release = bridge_release,
    .recover = bridge_recover,
    .free = bridge_free,
};

SlNetwork *
sl_network_bridge_new(const SlNetworkConfig *cfg, const char *state_dir, GError **error)
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
  b->network = g_inet_address_to_string(g_inet_address_mask_get_address(m));
  b->vlans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (state_dir) {
    b->dir = g_build_filename(state_dir, cfg->name, NULL);
    g_autofree char *hosts = g_build_filename(b->dir, "hosts", NULL);
    g_autofree char *dhcp = g_build_filename(b->dir, "dhcp", NULL);
    if (g_mkdir_with_parents(hosts, 0700) != 0 || g_mkdir_with_parents(dhcp, 0700) != 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "network %s: cannot create %s: %s", cfg->name,
                  b->dir, g_strerror(errno));
      sl_network_free(&b->base);
      return NULL;
    }
  }
  load_vlans(b);
  return &b->base;
}
