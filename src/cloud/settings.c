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

/* [cloud] *_overcommit: a factor in (0, 1000]; absent keeps *out. */
static gboolean
load_factor(GKeyFile *kf, const char *path, const char *key, double *out, GError **error)
{
  g_autoptr(GError) e = NULL;
  double v = g_key_file_get_double(kf, "cloud", key, &e);
  if (e && missing(e))
    return TRUE;
  if (e || !(v > 0 && v <= 1000))
    return bad(error, path, key, "want a factor such as 8 or 1.5 (> 0)");
  *out = v;
  return TRUE;
}

/* [quota] KEY: a non-negative integer or "unlimited" (-1); absent keeps *out. */
static gboolean
load_quota(GKeyFile *kf, const char *path, const char *key, gint64 *out, GError **error)
{
  g_autofree char *v = g_key_file_get_string(kf, "quota", key, NULL);
  if (!v)
    return TRUE;
  g_strstrip(v);
  char *end = NULL;
  gint64 n = g_ascii_strtoll(v, &end, 10);
  if (g_strcmp0(v, "unlimited") == 0)
    n = -1;
  else if (!*v || !end || *end || n < 0 || n > G_MAXINT) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "%s: [quota] %s: want a number >= 0 or unlimited", path, key);
    return FALSE;
  }
  *out = n;
  return TRUE;
}

gboolean
sl_cloud_settings_load(SlCloudSettings *s, const char *path, GError **error)
{
  s->cpu_overcommit = 8.0;
  s->ram_overcommit = 1.0;
  s->quota = (SlQuota){.vms = 20, .cpu = 20, .ram = 20480};
  const char *delay = g_getenv("SL_TEST_PROLOG_DELAY_MS");
  s->prolog_delay_ms = delay ? (guint)CLAMP(g_ascii_strtoll(delay, NULL, 10), 0, 3600000) : 0;
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
  const char *mk[] = {"marketplace_endpoint", "marketplace_ca", "policy"};
  char **md[] = {&s->marketplace_endpoint, &s->marketplace_ca, &s->policy};
  for (gsize i = 0; i < G_N_ELEMENTS(mk); i++) {
    g_autofree char *v = g_key_file_get_string(kf, "cloud", mk[i], NULL);
    if (v && *g_strstrip(v))
      *md[i] = g_steal_pointer(&v);
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
  return load_factor(kf, path, "cpu_overcommit", &s->cpu_overcommit, error) &&
         load_factor(kf, path, "ram_overcommit", &s->ram_overcommit, error) &&
         load_quota(kf, path, "vms", &s->quota.vms, error) &&
         load_quota(kf, path, "cpu", &s->quota.cpu, error) &&
         load_quota(kf, path, "ram", &s->quota.ram, error);
}

void
sl_cloud_settings_clear(SlCloudSettings *s)
{
  g_clear_pointer(&s->hypervisor, g_free);
  g_clear_pointer(&s->network, g_free);
  g_clear_pointer(&s->ports, g_array_unref);
  g_clear_pointer(&s->marketplace_endpoint, g_free);
  g_clear_pointer(&s->marketplace_ca, g_free);
  g_clear_pointer(&s->policy, g_free);
}
