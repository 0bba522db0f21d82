/* user.c - the `user` network driver: QEMU's user-mode network, the embedded default.
 *
 * Nothing is made on the host: the NIC's address (from the network's pool, a
 * loopback address by default) is where QEMU listens for the VM's forwarded
 * TCP ports; the guest sits behind slirp (10.0.2.15, gateway 10.0.2.2) and
 * opens no connection out unless the network says outbound = true.
 */
#include "network/driver.h"

typedef struct {
  SlNetwork base;
} UserNetwork;

static gboolean
user_check(SlNetwork *net, GError **error)
{
  (void)net, (void)error;
  return TRUE;
}

static void
user_context(SlNetwork *net, const SlNicRequest *nic, GPtrArray *pairs)
{
  (void)net, (void)nic, (void)pairs; /* the guest's slirp defaults */
}

static SlNicSpec *
user_prepare(SlNetwork *net, const SlNicRequest *nic, GError **error)
{
  (void)error;
  SlNicSpec *n = sl_nic_spec_new(SL_NIC_USER);
  n->host_ip = g_strdup(nic->ip);
  if (nic->ports)
    g_array_append_vals(n->ports, nic->ports->data, nic->ports->len);
  n->outbound = net->config->outbound;
  return n;
}

static void
user_release(SlNetwork *net, const char *vm_id, guint index)
{
  (void)net, (void)vm_id, (void)index;
}

static void
user_recover(SlNetwork *net, GHashTable *live)
{
  (void)net, (void)live;
}

static void
user_free(SlNetwork *net)
{
  sl_network_config_free(net->config);
  g_free(net);
}

static const SlNetworkOps user_ops = {
    .name = "user",
    .check = user_check,
    .context = user_context,
    .prepare = user_prepare,
    .release = user_release,
    .recover = user_recover,
    .free = user_free,
};

SlNetwork *
sl_network_user_new(const SlNetworkConfig *cfg, GError **error)
{
  (void)error;
  UserNetwork *u = g_new0(UserNetwork, 1);
  u->base.ops = &user_ops;
  u->base.config = sl_network_config_copy(cfg);
  return &u->base;
}
