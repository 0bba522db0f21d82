/* settings.c - the [cloud] group of the daemon's configuration file. */
#include "cloud/cloud.h"

#include "util/error.h"

GArray *
sl_cloud_parse_ports(const char *text, GError **error)
{
  g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  g_auto(GStrv) items = g_strsplit(text ? text : "", ",", -1);
  for (char **p = items; *p; p++) {
    g_strstrip(*p);
    if (!**p)
      continue;
    char *end = NULL;
    guint64 v = g_ascii_strtoull(*p, &end, 10);
    gboolean dup = FALSE;
    for (guint i = 0; i < ports->len; i++)
      dup = dup || g_array_index(ports, guint16, i) == v;
    if (!end || *end || v < 1 || v > 65535 || dup) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid port list '%s' at '%s'", text, *p);
      return NULL;
    }
    guint16 port = (guint16)v;
    g_array_append_val(ports, port);
  }
  return g_steal_pointer(&ports);
}

static gboolean
bad(GError **error, const char *path, const char *key, const char *msg)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: [cloud] %s: %s", path, key, msg);
  return FALSE;
}

static gboolean
missing(const GError *e)
{
  return g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
         g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND);
}

gboolean
sl_cloud_settings_load(SlCloudSettings *s, const char *path, GError **error)
{
  s->hypervisor = g_strdup("qemu");
  s->network = g_strdup("127.100.0.0/16");
  s->ports = sl_cloud_parse_ports("22,80,443", NULL);
  s->outbound = FALSE;
  s->shutdown_timeout_s = 60;
  if (!path)
    return TRUE;
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return FALSE;
  }
  g_autofree char *hv = g_key_file_get_string(kf, "cloud", "hypervisor", NULL);
  if (hv) {
    g_strstrip(hv);
    if (g_strcmp0(hv, "qemu") != 0 && g_strcmp0(hv, "fake") != 0)
      return bad(error, path, "hypervisor", "want qemu or fake");
    g_free(s->hypervisor);
    s->hypervisor = g_steal_pointer(&hv);
  }
  g_autofree char *net = g_key_file_get_string(kf, "cloud", "network", NULL);
  if (net) {
    g_autoptr(SlIpPool) pool = sl_ip_pool_new(g_strstrip(net), NULL);
    if (!pool)
      return bad(error, path, "network", "want an IPv4 CIDR block such as 127.100.0.0/16");
    g_free(s->network);
    s->network = g_steal_pointer(&net);
  }
  g_autofree char *ports = g_key_file_get_string(kf, "cloud", "ports", NULL);
  if (ports) {
    g_autoptr(GError) e = NULL;
    GArray *a = sl_cloud_parse_ports(ports, &e);
    if (!a)
      return bad(error, path, "ports", e->message);
    g_array_unref(s->ports);
    s->ports = a;
  }
  g_autoptr(GError) e = NULL;
  gboolean out = g_key_file_get_boolean(kf, "cloud", "outbound", &e);
  if (!e)
    s->outbound = out;
  else if (!missing(e))
    return bad(error, path, "outbound", "want true or false");
  g_clear_error(&e);
  gint64 t = g_key_file_get_int64(kf, "cloud", "shutdown_timeout", &e);
  if (!e && (t < 1 || t > 86400))
    return bad(error, path, "shutdown_timeout", "want 1..86400 seconds");
  if (!e)
    s->shutdown_timeout_s = (guint)t;
  else if (!missing(e))
    return bad(error, path, "shutdown_timeout", "want a number of seconds");
  return TRUE;
}

void
sl_cloud_settings_clear(SlCloudSettings *s)
{
  g_clear_pointer(&s->hypervisor, g_free);
  g_clear_pointer(&s->network, g_free);
  g_clear_pointer(&s->ports, g_array_unref);
}
