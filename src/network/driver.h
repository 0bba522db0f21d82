/* driver.h - network drivers: how a VM's NIC reaches one of the cloud's networks.
 *
 * The cloud's networks are named in stratusd's configuration ([network NAME]
 * groups, config.c; docs/network.md). Each has a driver, a table of functions
 * (SlNetworkOps) that the cloud calls without knowing which driver it is;
 * only daemon/main.c names the concrete drivers:
 *   user    QEMU's user-mode network (the embedded default): forwards from the
 *           VM's loopback address, no traffic out unless outbound = true
 *   bridge  a tap device per NIC, vnet-<vm>-<n>, on the operator's bridge
 *
 * Contract (all drivers):
 *  - Called from the daemon's main context only (not thread-safe).
 *  - check() tells whether the network can take a VM now (bridge: the bridge
 *    exists); the cloud asks before it allocates anything. SL_ERROR_UNAVAILABLE.
 *  - context() is pure: what the guest is told about NIC `index` (KEY, value
 *    pairs appended to `pairs`, e.g. ETH0_IP/ETH0_MASK/ETH0_GATEWAY/ETH0_DNS).
 *  - prepare() makes what the NIC needs on the host (nothing for user, a tap
 *    for bridge) and returns the hypervisor's SlNicSpec (owned by the caller);
 *    it is idempotent: a second call for the same NIC reuses what is there.
 *    Errors: SL_ERROR_UNAVAILABLE (the host cannot: bridge missing, ip failed).
 *  - release() undoes prepare() for one NIC; idempotent, never fails (logs).
 *  - recover() at daemon start removes what belongs to no VM in `live` (a set
 *    of VM id strings): taps left by a crash between prepare and the row.
 */
#pragma once
#include <glib.h>

#include "hypervisor/driver.h"

typedef enum {
  SL_NET_PUBLIC,  /* reachable addresses (run-instance default) */
  SL_NET_LOCAL,   /* --local-ip: the site's internal network */
  SL_NET_PRIVATE, /* --private-ip: one user's VMs among themselves */
} SlNetKind;

/* One [network NAME] group. Strings owned; NULL = not set. */
typedef struct {
  char *name;   /* "public", "local", "private" or the operator's */
  char *driver; /* "user" | "bridge" */
  SlNetKind kind;
  char *pool;        /* IPv4 CIDR of the VM addresses */
  char *bridge;      /* bridge: the operator's Linux bridge (must exist) */
  char *gateway;     /* bridge: handed to guests; NULL = none */
  char *dns;         /* bridge: handed to guests; NULL = the gateway */
  GArray *ports;     /* user: guint16 TCP ports forwarded for every VM */
  gboolean outbound; /* user: guests may open connections out */
} SlNetworkConfig;

SlNetworkConfig *sl_network_config_copy(const SlNetworkConfig *cfg);
void sl_network_config_free(SlNetworkConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlNetworkConfig, sl_network_config_free)
const char *sl_network_kind_name(SlNetKind kind); /* "public", "local", "private" */

/* What the cloud knows of one NIC of one VM. */
typedef struct {
  const char *vm_id;   /* decimal VM id */
  guint index;         /* 0 = eth0 */
  const char *ip;      /* the NIC's address from the network's pool, or NULL */
  const GArray *ports; /* guint16 inbound TCP ports of this VM (image + asked), or NULL */
  const char *owner;   /* the VM's user (private networks isolate users), or NULL */
} SlNicRequest;

typedef struct SlNetwork SlNetwork;

typedef struct {
  const char *name;
  gboolean (*check)(SlNetwork *net, GError **error);
  void (*context)(SlNetwork *net, const SlNicRequest *nic, GPtrArray *pairs);
  SlNicSpec *(*prepare)(SlNetwork *net, const SlNicRequest *nic, GError **error);
  void (*release)(SlNetwork *net, const char *vm_id, guint index);
  void (*recover)(SlNetwork *net, GHashTable *live);
  void (*free)(SlNetwork *net);
} SlNetworkOps;

struct SlNetwork {
  const SlNetworkOps *ops;
  SlNetworkConfig *config; /* owned by the network */
};

/* The drivers; each takes a copy of cfg. SL_ERROR_INVALID for a config the
 * driver cannot use (bridge: no bridge name, no pool). */
SlNetwork *sl_network_user_new(const SlNetworkConfig *cfg, GError **error);
/* state_dir (DATA/networks): <name>/ holds dnsmasq's pid file, log, leases and host
 * files; NULL = no dnsmasq (unit tests). */
SlNetwork *sl_network_bridge_new(const SlNetworkConfig *cfg, const char *state_dir, GError **error);

/* The [network NAME] groups of stratusd's configuration file (config.c):
 *   driver = user | bridge   kind = public | local | private (default: the
 *   name when it is one of those, else public)   pool = CIDR
 *   bridge = br0   gateway = IPv4   dns = IPv4   ports = 22,80,443
 *   outbound = false
 * Without a [network public] group, "public" is the user network made of
 * [cloud] network/ports/outbound (default_pool, default_ports, outbound).
 * Returns SlNetworkConfig* by name (public first); SL_ERROR_INVALID
 * "<path>: [network NAME] <key>: <why>" otherwise. path NULL = defaults. */
GPtrArray *sl_network_configs_load(const char *path, const char *default_pool,
                                   const GArray *default_ports, gboolean outbound, GError **error);

/* "vnet-<vm>-<n>", or NULL when that is longer than the 15 characters of a
 * Linux interface name (VM ids up to 8 digits fit). */
char *sl_network_tap_name(const char *vm_id, guint index);
/* The VM id and NIC index of a tap name made by sl_network_tap_name (the
 * "vnet-" form only); FALSE for other names. */
gboolean sl_network_tap_parse(const char *name, char **vm_id, guint *index);
/* 02:00:a:b:c:d from an IPv4 address (OpenNebula style); NULL if not IPv4. */
char *sl_network_mac_from_ip(const char *ip);

static inline void
sl_network_free(SlNetwork *net)
{
  if (net)
    net->ops->free(net);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlNetwork, sl_network_free)
