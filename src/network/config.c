/* config.c - the [network NAME] groups of stratusd's configuration and the small
 * helpers every driver shares (tap names, MACs). Owns nothing beyond its results. */
#include "network/driver.h"

#include <gio/gio.h>
#include <string.h>

#include "util/error.h"

void
sl_network_config_free(SlNetworkConfig *c)
{
  if (!c)
    return;
  g_free(c->name);
  g_free(c->driver);
  g_free(c->pool);
  g_free(c->bridge);
  g_free(c->gateway);
  g_free(c->dns);
  g_clear_pointer(&c->ports, g_array_unref);
  g_free(c);
}

SlNetworkConfig *
sl_network_config_copy(const SlNetworkConfig *c)
{
  SlNetworkConfig *n = g_new0(SlNetworkConfig, 1);
  n->name = g_strdup(c->name);
  n->driver = g_strdup(c->driver);
  n->kind = c->kind;
  n->pool = g_strdup(c->pool);
  n->bridge = g_strdup(c->bridge);
  n->gateway = g_strdup(c->gateway);
  n->dns = g_strdup(c->dns);
  n->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  if (c->ports)
    g_array_append_vals(n->ports, c->ports->data, c->ports->len);
  n->outbound = c->outbound;
  return n;
}

const char *
sl_network_kind_name(SlNetKind kind)
{
  static const char *names[] = {"public", "local", "private"};
  return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "public";
}

static gboolean
kind_from_name(const char *s, SlNetKind *out)
{
  for (SlNetKind k = SL_NET_PUBLIC; k <= SL_NET_PRIVATE; k++)
    if (g_strcmp0(s, sl_network_kind_name(k)) == 0) {
      *out = k;
      return TRUE;
    }
  return FALSE;
}

static gboolean
bad(GError **error, const char *path, const char *name, const char *key, const char *why)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: [network %s] %s: %s", path, name, key, why);
  return FALSE;
}

static gboolean
valid_ipv4(const char *s)
{
  g_autoptr(GInetAddress) a = s ? g_inet_address_new_from_string(s) : NULL;
  return a && g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4;
}

static gboolean
valid_pool(const char *s)
{
  g_autoptr(GInetAddressMask) m = s ? g_inet_address_mask_new_from_string(s, NULL) : NULL;
  return m && g_inet_address_mask_get_family(m) == G_SOCKET_FAMILY_IPV4 && strchr(s, '/') &&
         g_inet_address_mask_get_length(m) >= 8 && g_inet_address_mask_get_length(m) <= 30;
}

static GArray *
parse_ports(const char *text)
{
  g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  g_auto(GStrv) items = g_strsplit(text, ",", -1);
  for (char **p = items; *p; p++) {
    g_strstrip(*p);
    guint64 v = 0;
    if (!**p)
      continue;
    if (!g_ascii_string_to_unsigned(*p, 10, 1, 65535, &v, NULL))
      return NULL;
    guint16 port = (guint16)v;
    g_array_append_val(ports, port);
  }
  return g_steal_pointer(&ports);
}

static SlNetworkConfig *
load_group(GKeyFile *kf, const char *path, const char *group, GError **error)
{
  g_autoptr(SlNetworkConfig) c = g_new0(SlNetworkConfig, 1);
  c->name = g_strstrip(g_strdup(group + strlen("network ")));
  if (!*c->name || strspn(c->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(c->name)) {
    bad(error, path, c->name, "name", "want lower-case letters, digits, '-' or '_'");
    return NULL;
  }
  const char *keys[] = {"driver", "pool", "bridge", "gateway", "dns"};
  char **dest[] = {&c->driver, &c->pool, &c->bridge, &c->gateway, &c->dns};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autofree char *v = g_key_file_get_string(kf, group, keys[i], NULL);
    if (v && *g_strstrip(v))
      *dest[i] = g_steal_pointer(&v);
  }
  if (!c->driver)
    c->driver = g_strdup("user");
  if (g_strcmp0(c->driver, "user") != 0 && g_strcmp0(c->driver, "bridge") != 0) {
    bad(error, path, c->name, "driver", "want user or bridge");
    return NULL;
  }
  g_autofree char *kind = g_key_file_get_string(kf, group, "kind", NULL);
  if (kind) {
    if (!kind_from_name(g_strstrip(kind), &c->kind)) {
      bad(error, path, c->name, "kind", "want public, local or private");
      return NULL;
    }
  } else if (!kind_from_name(c->name, &c->kind)) {
    c->kind = SL_NET_PUBLIC;
  }
  if (c->pool && !valid_pool(c->pool)) {
    bad(error, path, c->name, "pool", "want an IPv4 CIDR block from /8 to /30");
    return NULL;
  }
  if (c->gateway && !valid_ipv4(c->gateway)) {
    bad(error, path, c->name, "gateway", "want an IPv4 address");
    return NULL;
  }
  if (c->dns && !valid_ipv4(c->dns)) {
    bad(error, path, c->name, "dns", "want an IPv4 address");
    return NULL;
  }
  g_autofree char *ports = g_key_file_get_string(kf, group, "ports", NULL);
  c->ports = parse_ports(ports ? ports : "22,80,443");
  if (!c->ports) {
    bad(error, path, c->name, "ports", "want a list of TCP ports such as 22,80,443");
    return NULL;
  }
  g_autoptr(GError) e = NULL;
  gboolean out = g_key_file_get_boolean(kf, group, "outbound", &e);
  if (!e)
    c->outbound = out;
  else if (!g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND)) {
    bad(error, path, c->name, "outbound", "want true or false");
    return NULL;
  }
  if (g_str_equal(c->driver, "bridge") && (!c->bridge || !c->pool)) {
    bad(error, path, c->name, c->bridge ? "pool" : "bridge", "required by the bridge driver");
    return NULL;
  }
  if (c->bridge && (strlen(c->bridge) > 15 || strpbrk(c->bridge, "/ \t:"))) {
    bad(error, path, c->name, "bridge", "not an interface name");
    return NULL;
  }
  return g_steal_pointer(&c);
}

GPtrArray *
sl_network_configs_load(const char *path, const char *default_pool, const GArray *default_ports,
                        gboolean outbound, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)sl_network_config_free);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (path && !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return NULL;
  }
  g_auto(GStrv) groups = path ? g_key_file_get_groups(kf, NULL) : NULL;
  for (char **g = groups; g && *g; g++) {
    if (!g_str_has_prefix(*g, "network ") && g_strcmp0(*g, "network") != 0)
      continue;
    SlNetworkConfig *c = load_group(kf, path, g_str_equal(*g, "network") ? "network " : *g, error);
    if (!c)
      return NULL;
    for (guint i = 0; i < out->len; i++)
      if (g_str_equal(((SlNetworkConfig *)out->pdata[i])->name, c->name)) {
        bad(error, path, c->name, "name", "defined twice");
        sl_network_config_free(c);
        return NULL;
      }
    if (g_str_equal(c->name, "public"))
      g_ptr_array_insert(out, 0, c);
    else
      g_ptr_array_add(out, c);
  }
  if (out->len == 0 || !g_str_equal(((SlNetworkConfig *)out->pdata[0])->name, "public")) {
    SlNetworkConfig *c = g_new0(SlNetworkConfig, 1);
    c->name = g_strdup("public");
    c->driver = g_strdup("user");
    c->kind = SL_NET_PUBLIC;
    c->pool = g_strdup(default_pool ? default_pool : "127.100.0.0/16");
    c->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    if (default_ports)
      g_array_append_vals(c->ports, default_ports->data, default_ports->len);
    c->outbound = outbound;
    g_ptr_array_insert(out, 0, c);
  }
  for (guint i = 0; i < out->len; i++) {
    SlNetworkConfig *c = out->pdata[i];
    if (!c->pool) {
      bad(error, path, c->name, "pool", "required");
      return NULL;
    }
  }
  return g_steal_pointer(&out);
}

char *
sl_network_tap_name(const char *vm_id, guint index)
{
  char *name = g_strdup_printf("vnet-%s-%u", vm_id, index);
  if (strlen(name) > 15)
    g_clear_pointer(&name, g_free);
  return name;
}

gboolean
sl_network_tap_parse(const char *name, char **vm_id, guint *index)
{
  if (!g_str_has_prefix(name, "vnet-"))
    return FALSE;
  const char *id = name + 5;
  const char *dash = strrchr(id, '-');
  guint64 n = 0;
  if (!dash || dash == id || strspn(id, "0123456789") != (gsize)(dash - id) ||
      !g_ascii_string_to_unsigned(dash + 1, 10, 0, 64, &n, NULL))
    return FALSE;
  *vm_id = g_strndup(id, dash - id);
  *index = (guint)n;
  return TRUE;
}

char *
sl_network_mac_from_ip(const char *ip)
{
  g_autoptr(GInetAddress) a = ip ? g_inet_address_new_from_string(ip) : NULL;
  if (!a || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
    return NULL;
  const guint8 *b = g_inet_address_to_bytes(a);
  return g_strdup_printf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
}
