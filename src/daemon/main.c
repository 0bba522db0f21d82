/* main.c - stratusd: the daemon hosting every StratusLab service.
 *
 *   stratusd [--config FILE] [--data-dir DIR] [--listen ADDR:PORT] [--pid-file FILE]
 *
 * Start-up: data dir (0700) -> store (+ recovery lease) -> storage -> pdisk recovery -> TLS
 * material -> HTTPS server -> main loop. SIGTERM/SIGINT stop accepting,
 * let in-flight requests finish and exit 0. See docs/stratusd.md.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sl-config.h"
#include "api/api.h"
#include "auth/auth.h"
#include "web/web.h"
#include "cloud/cloud.h"
#include "market/client.h"
#include "network/driver.h"
#include "http/http.h"
#include "http/tls.h"
#include "hypervisor/driver.h"
#include "image/cache.h"
#include "pdisk/pdisk.h"
#include "storage/driver.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"

#define DEFAULT_DATA_DIR "/var/lib/stratuslab"
#define DEFAULT_LISTEN "127.0.0.1:2634"
#define DEFAULT_PORT 2634
#define STOP_TIMEOUT_MS 10000

typedef struct {
  char *data_dir;
  char *listen;
  char *pid_file;
  gboolean pdisk;
  gboolean marketplace;
  char *mp_whitelist, *mp_truststore, *mp_crl;
  guint64 mp_max_bytes;
  guint web_idle; /* [web] session_idle, seconds; 0: the default */
} Settings;

static void
settings_clear(Settings *s)
{
  g_free(s->data_dir);
  g_free(s->listen);
  g_free(s->pid_file);
  g_free(s->mp_whitelist);
  g_free(s->mp_truststore);
  g_free(s->mp_crl);
}

/* [services] marketplace = true|false; [marketplace] max_bytes, whitelist,
 * truststore, crl (docs/marketplace.md). */
static gboolean
load_marketplace_config(GKeyFile *kf, const char *path, Settings *s, GError **error)
{
  g_autoptr(GError) local = NULL;
  gboolean on = g_key_file_get_boolean(kf, "services", "marketplace", &local);
  if (!local)
    s->marketplace = on;
  else if (!g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
           !g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: [services] marketplace: %s", path,
                local->message);
    return FALSE;
  }
  const char *keys[] = {"whitelist", "truststore", "crl"};
  char **dest[] = {&s->mp_whitelist, &s->mp_truststore, &s->mp_crl};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autofree char *v = g_key_file_get_string(kf, "marketplace", keys[i], NULL);
    if (v && *g_strstrip(v))
      *dest[i] = g_steal_pointer(&v);
  }
  g_autofree char *max = g_key_file_get_string(kf, "marketplace", "max_bytes", NULL);
  if (max &&
      !g_ascii_string_to_unsigned(g_strstrip(max), 10, 1, G_MAXUINT32, &s->mp_max_bytes, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: [marketplace] max_bytes: invalid: %s", path,
                max);
    return FALSE;
  }
  return TRUE;
}

/* [daemon] data_dir, listen, pid_file; [services] pdisk = true|false.
 * Command-line options win over the file. */
static gboolean
load_config(const char *path, Settings *s, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return FALSE;
  }
  const char *keys[] = {"data_dir", "listen", "pid_file"};
  char **dest[] = {&s->data_dir, &s->listen, &s->pid_file};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autofree char *v = g_key_file_get_string(kf, "daemon", keys[i], NULL);
    if (v && !*dest[i]) {
      g_strstrip(v);
      *dest[i] = g_steal_pointer(&v);
    }
  }
  g_autoptr(GError) local = NULL;
  gboolean on = g_key_file_get_boolean(kf, "services", "pdisk", &local);
  if (!local)
    s->pdisk = on;
  else if (!g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
           !g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: [services] pdisk: %s", path,
                local->message);
    return FALSE;
  }
  g_autofree char *idle = g_key_file_get_string(kf, "web", "session_idle", NULL);
  guint64 idle_s = 0;
  if (idle && !g_ascii_string_to_unsigned(g_strstrip(idle), 10, 1, 7 * 24 * 3600, &idle_s, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "%s: [web] session_idle: invalid: %s (want seconds, 1..604800)", path, idle);
    return FALSE;
  }
  s->web_idle = (guint)idle_s;
  return load_marketplace_config(kf, path, s, error);
}

static gboolean
check_password(gpointer data, const char *user, const char *password)
{
  return sl_auth_verify(data, user, password);
}

static gboolean
on_signal(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_CONTINUE;
}

/* Runs until SIGTERM or SIGINT. */
static void
serve(SlHttpServer *server, const char *host, const Settings *s)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop);
  guint sigint = g_unix_signal_add(SIGINT, on_signal, loop);
  gboolean v6 = strchr(host, ':') != NULL;
  g_message("stratusd %s listening on https://%s%s%s:%u (data dir %s, services:%s)", SL_VERSION,
            v6 ? "[" : "", host, v6 ? "]" : "", sl_http_server_get_port(server), s->data_dir,
            s->pdisk ? (s->marketplace ? " pdisk marketplace" : " pdisk")
                     : (s->marketplace ? " marketplace" : " none"));
  g_main_loop_run(loop);
  g_source_remove(sigterm);
  g_source_remove(sigint);
}

static gboolean
write_pid_file(const char *path, GError **error)
{
  g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
  return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Marketplace images (docs/images.md): [cloud] marketplace_endpoint (default:
 * this daemon, trusted through its own CA), marketplace_ca, policy (default:
 * DATA/policy.cfg when present). */
static SlMarketClient *
start_market(const Settings *s, const SlCloudSettings *cs, SlImageCache *images)
{
  g_autofree char *host = NULL, *own = NULL, *policy = NULL;
  guint16 port = 0;
  if (sl_http_parse_listen(s->listen, DEFAULT_PORT, &host, &port, NULL)) {
    gboolean any = !g_strcmp0(host, "0.0.0.0") || !g_strcmp0(host, "::") || !*host;
    gboolean v6 = strchr(host, ':') != NULL && !any;
    own = g_strdup_printf("https://%s%s%s:%u", v6 ? "[" : "", any ? "127.0.0.1" : host,
                          v6 ? "]" : "", port);
  }
  g_autofree char *own_ca = g_build_filename(s->data_dir, "tls", "ca.crt", NULL);
  g_autofree char *endpoint = cs->marketplace_endpoint && !strstr(cs->marketplace_endpoint, "://")
                                  ? g_strconcat("https://", cs->marketplace_endpoint, NULL)
                                  : g_strdup(cs->marketplace_endpoint);
  if (!cs->policy)
    policy = g_build_filename(s->data_dir, "policy.cfg", NULL);
  SlMarketClientConfig mc = {
      .endpoint = endpoint ? endpoint : own,
      .ca_file = cs->marketplace_ca ? cs->marketplace_ca : own_ca,
      .policy = cs->policy ? cs->policy : policy,
      .policy_required = cs->policy != NULL,
  };
  g_message("Marketplace images from %s (site policy %s)", mc.endpoint, mc.policy);
  return sl_market_client_new(images, &mc);
}

/* The cloud's networks ([network NAME] groups, docs/network.md); SlNetwork*, public first.
 * Only here are the concrete drivers named. */
static GPtrArray *
start_networks(const char *config, const char *data_dir, const SlCloudSettings *cs, GError **error)
{
  g_autoptr(GPtrArray) cfgs =
      sl_network_configs_load(config, cs->network, cs->ports, cs->outbound, error);
  if (!cfgs)
    return NULL;
  g_autoptr(GPtrArray) nets = g_ptr_array_new_with_free_func((GDestroyNotify)sl_network_free);
  g_autofree char *state = g_build_filename(data_dir, "networks", NULL);
  for (guint i = 0; i < cfgs->len; i++) {
    const SlNetworkConfig *nc = cfgs->pdata[i];
    SlNetwork *n = g_str_equal(nc->driver, "bridge") ? sl_network_bridge_new(nc, state, error)
                                                     : sl_network_user_new(nc, error);
    if (!n)
      return NULL;
    g_message("network %s: driver %s, pool %s%s%s", nc->name, nc->driver, nc->pool,
              nc->bridge ? ", bridge " : "", nc->bridge ? nc->bridge : "");
    g_ptr_array_add(nets, n);
  }
  return g_steal_pointer(&nets);
}

static GPtrArray *networks; /* SlNetwork*: outlives the cloud */

/* The VM service: [cloud] settings, hypervisor, image cache, cloud, recovery. */
static gboolean
start_cloud(const Settings *s, const char *config, SlStore *store, SlPdisk *pdisk, gboolean recover,
            SlCloudSettings *cs, SlHypervisor **hv, SlImageCache **images, SlCloud **cloud,
            SlMarketClient **mkt, GError **error)
{
  if (!sl_cloud_settings_load(cs, config, error))
    return FALSE;
  /* --save: [mail], [marketplace], [endorser]; this daemon's address and CA */
  g_auto(SlSaveSettings) save = {0};
  if (!sl_save_settings_load(&save, config, error))
    return FALSE;
  save.endpoint = g_strdup(s->listen);
  save.ca_file = g_build_filename(s->data_dir, "tls", "ca.crt", NULL);
  if (g_strcmp0(cs->hypervisor, "fake") == 0) {
    g_warning("[cloud] hypervisor = fake: no VM really runs (tests and benchmarks only)");
    *hv = sl_hypervisor_fake_new();
  } else if (!(*hv = sl_hypervisor_qemu_new(NULL, s->data_dir, error))) {
    return FALSE;
  }
  if (!(networks = start_networks(config, s->data_dir, cs, error)))
    return FALSE;
  *images = sl_image_cache_new(store, s->data_dir, error);
  if (!*images || (recover && !sl_image_cache_recover(*images, NULL, error)))
    return FALSE;
  SlCloudConfig cfg = {
      .data_dir = s->data_dir,
      .network = cs->network,
      .ports = (const guint16 *)(void *)cs->ports->data,
      .n_ports = cs->ports->len,
      .outbound = cs->outbound,
      .shutdown_timeout_s = cs->shutdown_timeout_s,
      .quota = &cs->quota,
      .cpu_overcommit = cs->cpu_overcommit,
      .ram_overcommit = cs->ram_overcommit,
      .prolog_delay_ms = cs->prolog_delay_ms,
      .pdisk = s->pdisk ? pdisk : NULL,
      .save = &save,
      .market = *mkt = start_market(s, cs, *images),
      .networks = networks,
  };
  *cloud = sl_cloud_new(store, *images, *hv, &cfg, error);
  return *cloud && (!recover || sl_cloud_recover(*cloud, error));
}

static int
die(GError *error)
{
  fprintf(stderr, "stratusd: error: %s\n", error ? error->message : "failed");
  return 1;
}

/* One descriptor per HTTPS connection: the usual soft limit (1024) is below 1,000 clients
 * plus the daemon's own files, so take the hard limit the operator allows. */
static void
raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rlim_t was = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    g_warning("cannot raise the open files limit from %llu: %s", (unsigned long long)was,
              g_strerror(errno));
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  sl_log_init("stratusd");
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  Settings s = {.pdisk = TRUE, .marketplace = TRUE};
  g_autofree char *config = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Configuration file (GKeyFile)", "FILE"},
      {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &s.data_dir,
       "Data directory (default " DEFAULT_DATA_DIR ")", "DIR"},
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &s.listen,
       "Address and port to serve HTTPS on (default " DEFAULT_LISTEN ")", "ADDR:PORT"},
      {"pid-file", 0, 0, G_OPTION_ARG_FILENAME, &s.pid_file, "Write the process id to FILE",
       "FILE"},
      {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- the StratusLab cloud daemon");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "stratusd: error: %s (see --help)\n", error->message);
    settings_clear(&s);
    return 2;
  }
  if (version) {
    printf("stratusd %s\n", SL_VERSION);
    settings_clear(&s);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "stratusd: error: unexpected argument %s (see --help)\n", argv[1]);
    settings_clear(&s);
    return 2;
  }
  if (config && !load_config(config, &s, &error)) {
    settings_clear(&s);
    return die(error);
  }
  if (!s.data_dir)
    s.data_dir = g_strdup(DEFAULT_DATA_DIR);
  if (!s.listen)
    s.listen = g_strdup(DEFAULT_LISTEN);

  int rc = 1;
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_autoptr(SlStore) store = NULL;
  g_autoptr(SlStoreLease) lease = NULL; /* released before the store is closed */
  g_autoptr(SlStorage) storage = NULL;
  g_autoptr(SlPdisk) pdisk = NULL;
  g_autoptr(SlAuth) auth = NULL;
  g_autoptr(SlHttpRouter) router = NULL;
  g_autoptr(SlHttpSessions) sessions = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *tls_dir = NULL;
  g_autofree char *volumes = NULL;
  SlHttpServer *server = NULL;
  SlCloudSettings cloud_settings = {0};
  g_autoptr(SlHypervisor) hv = NULL;
  g_autoptr(SlImageCache) images = NULL;
  g_autoptr(SlCloud) cloud = NULL;
  SlMarketClient *cloud_market = NULL;
  g_autoptr(SlMarketService) market = NULL;

  if (!sl_http_parse_listen(s.listen, DEFAULT_PORT, &host, &port, &error))
    goto out;
  if (!strchr(s.listen, ':') || s.listen[strlen(s.listen) - 1] == ']') {
    g_set_error(&error, SL_ERROR, SL_ERROR_INVALID, "invalid listen address: %s (want ADDR:PORT)",
                s.listen);
    goto out;
  }
  if (g_mkdir_with_parents(s.data_dir, 0700) != 0) {
    int e = errno;
    g_set_error(&error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", s.data_dir,
                g_strerror(e));
    goto out;
  }
  store = sl_store_open(s.data_dir, &error);
  if (!store)
    goto out;
  /* Start-up recovery (disks, images, VMs) undoes what a crashed front-end left
   * half done; with several front-ends on one store only the holder of the
   * "recovery" lease may run it, or it would undo the others' work in progress
   * (docs/scale-out.md). The lease is held until exit and dies with this process. */
  lease = sl_store_lease_try(store, "recovery", &error);
  if (!lease && error)
    goto out;
  if (lease)
    g_message("store (%s): recovery lease taken: this front-end runs start-up recovery",
              sl_store_backend(store));
  else
    g_message("store (%s): another front-end holds the recovery lease: start-up recovery "
              "skipped",
              sl_store_backend(store));
  volumes = g_build_filename(s.data_dir, "volumes", NULL);
  storage = sl_storage_file_new(volumes, &error);
  if (!storage)
    goto out;
  pdisk = sl_pdisk_new(store, storage);
  if (lease && !sl_pdisk_recover(pdisk, &error))
    goto out;
  auth = sl_auth_new(store, SL_AUTH_CACHE_SECONDS);
  tls_dir = g_build_filename(s.data_dir, "tls", NULL);
  if (!sl_tls_ensure(tls_dir, host, &cert_pem, &key_pem, &error))
    goto out;

  if (!start_cloud(&s, config, store, pdisk, lease != NULL, &cloud_settings, &hv, &images, &cloud,
                   &cloud_market, &error))
    goto out;

  if (s.marketplace) {
    g_autofree char *mp_dir = g_build_filename(s.data_dir, "metadata", NULL);
    SlMarketServiceConfig mc = {.dir = mp_dir,
                                .max_bytes = (gsize)s.mp_max_bytes,
                                .whitelist = s.mp_whitelist,
                                .truststore = s.mp_truststore,
                                .crl = s.mp_crl,
                                /* test hook: a fixed clock for validity checks */
                                .now = g_getenv("STRATUSD_TEST_MARKET_NOW")};
    market = sl_market_service_new(store, &mc, &error);
    if (!market)
      goto out;
  }

  router = sl_http_router_new();
  sl_http_router_set_auth(router, check_password, auth);
  sessions = sl_http_sessions_new(s.web_idle, 0);
  SlWebConfig web = {.sessions = sessions,
                     .auth = check_password,
                     .auth_data = auth,
                     .idle_seconds = s.web_idle,
                     .market = market,
                     .pdisk = s.pdisk ? pdisk : NULL,
                     .cloud = cloud};
  sl_web_register(router, &web);
  if (s.pdisk)
    sl_api_disks_register(router, pdisk);
  sl_api_vms_register(router, cloud);
  sl_api_images_register(router, s.data_dir);
  if (market)
    sl_api_metadata_register(router, market);

  server = sl_http_server_start(router, host, port, cert_pem, key_pem, &error);
  if (!server)
    goto out;
  if (s.pid_file && !write_pid_file(s.pid_file, &error)) {
    sl_http_server_stop(server, 0);
    goto out;
  }

  serve(server, host, &s);
  g_message("stopping: finishing in-flight requests");
  sl_http_server_stop(server, STOP_TIMEOUT_MS);
  if (s.pid_file)
    g_unlink(s.pid_file);
  g_message("stopped");
  rc = 0;

out:
  if (rc != 0)
    die(error);
  if (key_pem)
    memset(key_pem, 0, strlen(key_pem));
  /* the router holds api state referring to pdisk: free it first */
  g_clear_pointer(&router, sl_http_router_free);
  g_clear_pointer(&sessions, sl_http_sessions_free);
  g_clear_pointer(&market, sl_market_service_free);
  g_clear_pointer(&cloud, sl_cloud_free); /* running VMs are adopted at the next start */
  g_clear_pointer(&cloud_market, sl_market_client_free);
  g_clear_pointer(&images, sl_image_cache_free);
  g_clear_pointer(&hv, sl_hypervisor_free);
  g_clear_pointer(&networks, g_ptr_array_unref);
  sl_cloud_settings_clear(&cloud_settings);
  g_clear_pointer(&auth, sl_auth_free);
  g_clear_pointer(&pdisk, sl_pdisk_free);
  g_clear_pointer(&storage, sl_storage_free);
  g_clear_pointer(&lease, sl_store_lease_release);
  g_clear_pointer(&store, sl_store_close);
  settings_clear(&s);
  return rc;
}
