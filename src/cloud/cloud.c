/* cloud.c - the public VM service: requests from worker threads, hand-off to
 * the main context, CPU sampling. See cloud.h for the threading model. */
#include "cloud/cloud.h"

#include "cloud/call.h"
#include "cloud/disks.h"
#include "cloud/epilog.h"
#include "cloud/instance.h"
#include "cloud/lifecycle.h"
#include "cloud/vm-limits.h"
#include "cloud/prolog.h"
#include "cloud/readonly.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "context/cloudinit.h"
#include "context/context.h"
#include "market/entry.h"
#include "util/error.h"

#define MAX_NUMBER 100
#define MAX_VOLATILE_GIB 1024
#define MAX_NAME 128

/* ---- CPU sampling (main context) ----------------------------------------- */

static gboolean
read_ticks(int pid, guint64 *ticks)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return FALSE;
  const char *p = strrchr(text, ')'); /* comm may hold spaces */
  if (!p)
    return FALSE;
  g_auto(GStrv) f = g_strsplit(p + 2, " ", 0); /* f[0] = field 3 (state) */
  if (g_strv_length(f) < 13)
    return FALSE;
  *ticks = g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10);
  return TRUE;
}

static gboolean
sample_cpu(gpointer data)
{
  SlCloud *c = data;
  long hz = sysconf(_SC_CLK_TCK);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, c->vms);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    Vm *vm = value;
    guint64 ticks = 0;
    if (!vm->dom || vm->dom_gone || vm->dom->pid <= 0 || !read_ticks(vm->dom->pid, &ticks))
      continue;
    gint64 now = g_get_monotonic_time();
    if (vm->cpu_time > 0 && now > vm->cpu_time && ticks >= vm->cpu_ticks && hz > 0) {
      double secs = (double)(now - vm->cpu_time) / G_USEC_PER_SEC;
      int pct = (int)((double)(ticks - vm->cpu_ticks) / (double)hz / secs * 100.0 + 0.5);
      g_mutex_lock(&c->cpu_lock);
      g_hash_table_replace(c->cpu, g_memdup2(&vm->id, sizeof vm->id), GINT_TO_POINTER(pct));
      g_mutex_unlock(&c->cpu_lock);
    }
    vm->cpu_ticks = ticks;
    vm->cpu_time = now;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- construction -------------------------------------------------------- */

SlCloud *
sl_cloud_new(SlStore *store, SlImageCache *images, SlHypervisor *hv, const SlCloudConfig *cfg,
             GError **error)
{
  SlNetwork *net = cfg->networks && cfg->networks->len ? cfg->networks->pdata[0] : NULL;
  const char *cidr = net ? net->config->pool : cfg->network ? cfg->network : "127.100.0.0/16";
  g_autoptr(SlIpPool) pool = sl_ip_pool_new(cidr, error);
  if (!pool)
    return NULL;
  g_autofree char *vms = g_build_filename(cfg->data_dir, "vms", NULL);
  if (!g_path_is_absolute(vms)) {
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *abs = g_build_filename(cwd, vms, NULL);
    g_free(vms);
    vms = g_canonicalize_filename(abs, NULL);
  }
  if (g_mkdir_with_parents(vms, 0700) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", vms, g_strerror(errno));
    return NULL;
  }
  /* the other networks' pools: [0] stands for `pool`; no address in two networks */
  g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func((GDestroyNotify)sl_ip_pool_free);
  g_ptr_array_add(pools, NULL);
  for (guint i = 1; cfg->networks && i < cfg->networks->len; i++) {
    SlNetwork *n = cfg->networks->pdata[i];
    g_autoptr(SlIpPool) p = sl_ip_pool_new(n->config->pool, error);
    if (!p)
      return NULL;
    for (guint j = 0; j < pools->len; j++) {
      const SlIpPool *other = j == 0 ? pool : pools->pdata[j];
      const SlNetwork *on = j == 0 ? net : cfg->networks->pdata[j];
      if (sl_ip_pool_overlaps(p, other)) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                    "the pools of networks %s and %s overlap (an address belongs to one network)",
                    on ? on->config->name : "public", n->config->name);
        return NULL;
      }
    }
    g_ptr_array_add(pools, g_steal_pointer(&p));
  }
  SlCloud *c = g_new0(SlCloud, 1);
  c->store = store;
  c->images = images;
  c->hv = hv;
  c->ctx = g_main_context_default();
  c->vms_dir = g_steal_pointer(&vms);
  c->pool = g_steal_pointer(&pool);
  c->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  static const guint16 default_ports[] = {22, 80, 443};
  if (cfg->ports)
    g_array_append_vals(c->ports, cfg->ports, cfg->n_ports);
  else
    g_array_append_vals(c->ports, default_ports, G_N_ELEMENTS(default_ports));
  c->outbound = cfg->outbound;
  if (net) {
    g_array_set_size(c->ports, 0);
    g_array_append_vals(c->ports, net->config->ports->data, net->config->ports->len);
    c->outbound = net->config->outbound;
    c->net = net;
  } else {
    SlNetworkConfig user = {.name = (char *)"public",
                            .driver = (char *)"user",
                            .pool = (char *)cidr,
                            .ports = c->ports,
                            .outbound = c->outbound};
    c->net = c->owned_net = sl_network_user_new(&user, NULL);
  }
  c->nets = g_ptr_array_new();
  g_ptr_array_add(c->nets, c->net);
  for (guint i = 1; cfg->networks && i < cfg->networks->len; i++)
    g_ptr_array_add(c->nets, cfg->networks->pdata[i]);
  c->pools = g_steal_pointer(&pools);
  c->shutdown_timeout_s = cfg->shutdown_timeout_s ? cfg->shutdown_timeout_s : 60;
  c->cpu_sample_s = cfg->cpu_sample_s ? cfg->cpu_sample_s : 5;
  c->qemu_img = g_strdup(cfg->qemu_img ? cfg->qemu_img : "qemu-img");
  g_autofree char *mkswap = g_find_program_in_path(cfg->mkswap ? cfg->mkswap : "mkswap");
  if (!mkswap && !cfg->mkswap && g_file_test("/sbin/mkswap", G_FILE_TEST_IS_EXECUTABLE))
    mkswap = g_strdup("/sbin/mkswap");
  c->mkswap = mkswap ? g_steal_pointer(&mkswap) : g_strdup(cfg->mkswap ? cfg->mkswap : "mkswap");
  c->vms =
      g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)sl_cloud_vm_unref);
  g_mutex_init(&c->cpu_lock);
  c->cpu = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  c->cpu_timer = g_timeout_add_seconds(c->cpu_sample_s, sample_cpu, c);
  c->market = cfg->market;
  c->prolog = g_new(SlPrologConfig, 1);
  *c->prolog = (SlPrologConfig){.store = store,
                                .images = images,
                                .market = cfg->market,
                                .pdisk = cfg->pdisk,
                                .qemu_img = c->qemu_img,
                                .mkswap = c->mkswap,
                                .pause_ms = cfg->prolog_delay_ms,
                                .net = c->net,
                                .nets = c->nets};
  sl_cloud_limits_init(c, cfg);
  sl_cloud_disks_init(c, cfg);
  sl_cloud_save_init(c, cfg);
  return c;
}

void
sl_cloud_free(SlCloud *c)
{
  if (!c)
    return;
  g_clear_handle_id(&c->cpu_timer, g_source_remove);
  sl_cloud_save_clear(c);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, c->vms);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    Vm *vm = value;
    vm->cloud = NULL;
    g_clear_handle_id(&vm->timer, g_source_remove);
    g_clear_pointer(&vm->dom, sl_domain_free); /* VMs keep running */
  }
  g_hash_table_unref(c->vms);
  g_hash_table_unref(c->cpu);
  g_mutex_clear(&c->cpu_lock);
  sl_ip_pool_free(c->pool);
  g_array_unref(c->ports);
  sl_network_free(c->owned_net);
  g_clear_pointer(&c->nets, g_ptr_array_unref);
  g_clear_pointer(&c->pools, g_ptr_array_unref);
  g_free(c->vms_dir);
  g_free(c->qemu_img);
  g_free(c->mkswap);
  g_free(c->prolog);
  sl_cloud_disks_clear(c);
  g_free(c);
}

/* ---- create ---------------------------------------------------------------- */

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean
invalid(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, msg);
  return FALSE;
}

/* The `save` request (protocols.md §7.1): every field a one-line UTF-8
 * string; author, author_email, image_version, title, comment required. */
static gboolean
check_save(const SlVmDef *r, GError **error)
{
  static const char *const names[] = {"author", "author_email", "image_version",
                                      "title",  "comment",      "marketplace"};
  const SlVmDefSave *s = r->save;
  const char *values[] = {s->author, s->author_email, s->image_version,
                          s->title,  s->comment,      s->marketplace};
  if (r->number > 1)
    return invalid(error, "save needs a single VM (number 1)");
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    gboolean required = i + 1 < G_N_ELEMENTS(names);
    const char *text = values[i];
    if (!text && !required)
      break;
    if (!text || (!*text && required) || strlen(text) > 1024 || !g_utf8_validate(text, -1, NULL) ||
        strpbrk(text, "\r\n"))
      return invalid(error, "save: %s must be a non-empty one-line string", names[i]);
  }
  if (!sl_mail_address_is_valid(s->author_email))
    return invalid(error, "save: invalid author_email");
  return TRUE;
}

/* The request's context with normalised keys (a later key replaces an
 * earlier one of the same name), checked as CloudInit data. */
static gboolean
check_context(char **pairs, GStrv *out, GError **error)
{
  g_autoptr(GPtrArray) norm = g_ptr_array_new_with_free_func(g_free);
  for (char **p = pairs; p && p[0] && p[1]; p += 2) {
    char *key = sl_context_normalize_key(p[0], error);
    if (!key) {
      g_prefix_error(error, "context: ");
      return FALSE;
    }
    guint i = 0;
    while (i < norm->len && !g_str_equal(norm->pdata[i], key))
      i += 2;
    if (i < norm->len) {
      g_free(key);
      g_free(norm->pdata[i + 1]);
      norm->pdata[i + 1] = g_strdup(p[1]);
    } else {
      g_ptr_array_add(norm, key);
      g_ptr_array_add(norm, g_strdup(p[1]));
    }
  }
  g_autoptr(SlContext) check = sl_context_new(); /* bad CloudInit data: 400, not a Failed VM */
  for (guint i = 0; i < norm->len; i += 2)
    sl_context_set(check, norm->pdata[i], norm->pdata[i + 1], NULL);
  if (!sl_cloudinit_check(check, error))
    return FALSE;
  g_ptr_array_add(norm, NULL);
  *out = (GStrv)g_ptr_array_free(g_steal_pointer(&norm), FALSE);
  return TRUE;
}

static void
add_port(GArray *ports, guint port)
{
  for (guint i = 0; i < ports->len; i++)
    if (g_array_index(ports, guint16, i) == port)
      return;
  guint16 p = (guint16)port;
  if (port >= 1 && port <= 65535)
    g_array_append_val(ports, p);
}

/* The Marketplace entry of the image (fetched now or kept beside the cached
 * image), or NULL. */
static SlMarketEntry *
image_entry(SlCloud *c, const char *image, const SlVmDefImage *root)
{
  g_autoptr(GBytes) doc =
      root && root->fetch && root->fetch->entry ? g_bytes_ref(root->fetch->entry) : NULL;
  if (!doc && image) {
    g_autofree char *path = sl_image_cache_entry_path(c->images, image);
    char *xml = NULL;
    gsize len = 0;
    if (path && g_file_get_contents(path, &xml, &len, NULL))
      doc = g_bytes_new_take(xml, len);
  }
  gsize len = 0;
  const char *data = doc ? g_bytes_get_data(doc, &len) : NULL;
  return data ? sl_market_entry_parse(data, len, NULL) : NULL;
}

/* The inbound TCP ports of a new VM (docs/network.md): the network's, then those the
 * image's Marketplace entry declares (slterms:inbound-port), then the asked ones. */
static GArray *
inbound_ports(SlNetwork *net, const SlMarketEntry *e, const GArray *asked)
{
  GArray *ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  for (guint i = 0; i < net->config->ports->len; i++)
    add_port(ports, g_array_index(net->config->ports, guint16, i));
  for (guint i = 0; e && i < e->inbound_ports->len; i++)
    add_port(ports, g_array_index(e->inbound_ports, guint, i));
  for (guint i = 0; asked && i < asked->len; i++)
    add_port(ports, g_array_index(asked, guint16, i));
  return ports;
}

/* Distributions whose images run stock cloud-init: their context CD is
 * labelled CONTEXT (cloud-init's ds-identify ignores _STRATUSLAB); every
 * other image (StratusLab appliances) keeps _STRATUSLAB (docs/context.md). */
static const char *const cloud_init_os[] = {"debian", "ubuntu",    "centos",  "fedora",
                                            "rocky",  "almalinux", "opensuse"};

/* The context label for an image from its Marketplace entry; NULL = the
 * default _STRATUSLAB. */
static char *
context_label_of(const SlMarketEntry *e)
{
  for (gsize i = 0; e && e->os && i < G_N_ELEMENTS(cloud_init_os); i++)
    if (g_ascii_strcasecmp(e->os, cloud_init_os[i]) == 0)
      return g_strdup(SL_CONTEXT_CLOUD_LABEL);
  return NULL;
}

/* Validates the request; returns the completed definition (image sources,
 * ports) and the instance's resources. */
static SlVmDef *
check_request(SlCloud *c, const SlVmDef *r, int *cpu, int *ram, int *swap, GError **error)
{
  if (!r->image || !*r->image)
    return invalid(error, "missing image"), NULL;
  const SlInstanceType *t = sl_cloud_type_lookup(r->type ? r->type : SL_CLOUD_DEFAULT_TYPE);
  if (!t)
    return invalid(error, "Unknown instance type: %s", r->type), NULL;
  *cpu = r->cpu >= 0 ? r->cpu : t->cpu;
  *ram = r->ram >= 0 ? r->ram : t->ram;
  *swap = r->swap >= 0 ? r->swap : t->swap;
  if (*cpu < 1 || *cpu > 64)
    return invalid(error, "cpu must be between 1 and 64"), NULL;
  if (*ram < 16 || *ram > 1024 * 1024)
    return invalid(error, "ram must be between 16 and 1048576 MiB"), NULL;
  if (*swap < 0 || *swap > 1024 * 1024)
    return invalid(error, "swap must be between 0 and 1048576 MiB"), NULL;
  if (r->number > MAX_NUMBER)
    return invalid(error, "number must be between 1 and %d", MAX_NUMBER), NULL;
  if (r->volatile_disk < 0 || r->volatile_disk > MAX_VOLATILE_GIB)
    return invalid(error, "volatile_disk must be between 0 and %d GiB", MAX_VOLATILE_GIB), NULL;
  if (r->name && (strlen(r->name) > MAX_NAME || !g_utf8_validate(r->name, -1, NULL) ||
                  strpbrk(r->name, "\n\r\t")))
    return invalid(error, "invalid name (at most %d characters, one line)", MAX_NAME), NULL;
  g_autoptr(SlVmDef) def = sl_vm_def_copy(r);
  g_strfreev(def->context);
  def->context = NULL;
  if (!check_context(r->context, &def->context, error))
    return NULL;
  if (r->save && !check_save(r, error))
    return NULL;
  /* the image: cached, or from the Marketplace (market/client.c); checked now so that
   * bad metadata refuses the request instead of failing the VM */
  if (c->market) {
    def->root = sl_market_client_resolve(c->market, r->image, NULL, error);
  } else {
    g_autoptr(SlImage) image = sl_image_cache_get(c->images, r->image, error);
    if (image)
      def->root = sl_vm_def_image_new(NULL, image->path, image->kind ? image->kind : "raw");
  }
  if (!def->root || !sl_cloud_readonly_resolve(c->market, c->images, def->readonly, error))
    return NULL;
  g_autoptr(SlMarketEntry) entry = image_entry(c, r->image, def->root);
  g_free(def->context_label);
  def->context_label = context_label_of(entry);
  g_clear_pointer(&def->root->id, g_free); /* the row's image */
  if (def->readonly && def->readonly->len == 0)
    g_clear_pointer(&def->readonly, g_ptr_array_unref);
  const char *netname = r->network && *r->network ? r->network : "public";
  SlNetwork *net = sl_cloud_network(c, netname, NULL);
  if (!net) {
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < c->nets->len; i++)
      g_string_append_printf(names, "%s%s", i ? ", " : "",
                             ((SlNetwork *)c->nets->pdata[i])->config->name);
    return invalid(error, "unknown network '%s' (this cloud has: %s)", netname, names->str), NULL;
  }
  if (!net->ops->check(net, error))
    return NULL;
  if (r->address) { /* --address (protocols.md §2): one VM, an address of its network */
    SlIpPool *pool = c->pool;
    sl_cloud_network(c, netname, &pool);
    if (r->number > 1)
      return invalid(error, "address %s asks for one machine (number is %d)", r->address,
                     r->number),
             NULL;
    if (!pool || !sl_ip_pool_contains(pool, r->address))
      return invalid(error, "address %s is not in the address pool of network '%s'", r->address,
                     netname),
             NULL;
  }
  g_autoptr(GArray) asked = g_steal_pointer(&def->ports);
  def->ports = inbound_ports(net, entry, asked);
  def->outbound = net->config->outbound;
  g_free(def->network);
  def->network = g_strdup(net->config->name);
  return g_steal_pointer(&def);
}

SlNetwork *
sl_cloud_network(SlCloud *c, const char *name, SlIpPool **pool)
{
  for (guint i = 0; i < c->nets->len; i++) {
    SlNetwork *n = c->nets->pdata[i];
    if (g_strcmp0(n->config->name, name ? name : "public") == 0) {
      if (pool)
        *pool = i == 0 ? c->pool : c->pools->pdata[i];
      return n;
    }
  }
  return NULL;
}

static gboolean
start_main(gpointer data)
{
  SlCloudCall *call = data;
  sl_cloud_vm_start(sl_cloud_call_owner(call), sl_cloud_call_id(call));
  sl_cloud_call_unref(call);
  return G_SOURCE_REMOVE;
}

GPtrArray *
sl_cloud_vm_create(SlCloud *c, const char *user, const SlVmDef *r, GError **error)
{
  int cpu = 0, ram = 0, swap = 0;
  g_autoptr(SlVmDef) def = check_request(c, r, &cpu, &ram, &swap, error);
  if (!def)
    return NULL;
  int n = r->number > 0 ? r->number : 1;
  g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
  for (int i = 0; i < n; i++) {
    SlVm *v = sl_vm_new();
    v->owner = g_strdup(user);
    v->name = r->name && *r->name
                  ? (n > 1 ? g_strdup_printf("%s-%d", r->name, i + 1) : g_strdup(r->name))
                  : NULL;
    v->image = g_strdup(r->image);
    v->state = SL_VM_PENDING;
    v->vcpu = cpu;
    v->ram = ram;
    v->swap = swap;
    v->def = sl_vm_def_copy(def);
    g_ptr_array_add(vms, v);
  }
  if (!sl_cloud_disks_insert(c, user, r->persistent, vms, sl_cloud_limits_check, c, error))
    return NULL;
  for (guint i = 0; i < vms->len; i++) {
    SlVm *v = vms->pdata[i];
    g_message("vm %" G_GINT64_FORMAT ": allocated for %s, address %s", v->id, user, v->ip);
    g_main_context_invoke(c->ctx, start_main, sl_cloud_call_new(c, v->id, NULL, NULL));
  }
  return g_steal_pointer(&vms);
}

/* ---- read ------------------------------------------------------------------ */

static void
fill_runtime(SlCloud *c, SlVm *v)
{
  v->memory = v->state == SL_VM_RUNNING ? (gint64)v->ram * 1024 : 0;
  g_mutex_lock(&c->cpu_lock);
  gpointer pct = NULL;
  v->cpu = g_hash_table_lookup_extended(c->cpu, &v->id, NULL, &pct) && v->state == SL_VM_RUNNING
               ? GPOINTER_TO_INT(pct)
               : 0;
  g_mutex_unlock(&c->cpu_lock);
}

SlVm *
sl_cloud_vm_get(SlCloud *c, const char *user, gint64 id, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(SlVm) v = sl_store_vm_get(c->store, id, &local);
  if (!v || g_strcmp0(v->owner, user) != 0) {
    if (!v && !g_error_matches(local, SL_ERROR, SL_ERROR_NOT_FOUND)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "VM %" G_GINT64_FORMAT " does not exist", id);
    return NULL;
  }
  fill_runtime(c, v);
  return g_steal_pointer(&v);
}

GPtrArray *
sl_cloud_vm_list(SlCloud *c, const char *user, GError **error)
{
  GPtrArray *all = sl_store_vm_list(c->store, user, TRUE, error);
  if (!all)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
  for (guint i = 0; i < all->len; i++) {
    SlVm *v = all->pdata[i];
    if (v->state == SL_VM_DONE)
      continue;
    fill_runtime(c, v);
    g_ptr_array_add(out, g_steal_pointer(&all->pdata[i]));
  }
  g_ptr_array_unref(all);
  return out;
}

int
sl_cloud_vm_progress(SlCloud *c, const SlVm *v)
{
  return sl_cloud_prolog_progress(c->market, v);
}

/* ---- kill / shutdown (main context) --------------------------------------- */

static gboolean
kill_main(gpointer data)
{
  SlCloudCall *call = data;
  SlCloud *c = sl_cloud_call_owner(call);
  gint64 id = sl_cloud_call_id(call);
  Vm *vm = g_hash_table_lookup(c->vms, &id);
  if (vm && vm->cleaned) /* finished, about to leave the table: the row says the rest */
    vm = NULL;
  if (vm) {
    vm->waiters = g_slist_prepend(vm->waiters, sl_cloud_call_ref(call));
    sl_cloud_vm_finish(vm, SL_VM_DONE, NULL);
  } else {
    g_autoptr(GError) error = NULL;
    g_autoptr(SlVm) row = sl_store_vm_get(c->store, id, &error);
    if (!row) {
      sl_cloud_call_complete(call, error);
    } else if (row->state == SL_VM_DONE && !row->ip) {
      g_set_error(&error, SL_ERROR, SL_ERROR_CONFLICT, "VM %" G_GINT64_FORMAT " is already Done",
                  row->id);
      sl_cloud_call_complete(call, error);
    } else if (sl_vm_state_is_final(row->state) && !row->ip) { /* Failed -> Done */
      gboolean ok = row->state == SL_VM_DONE ||
                    sl_store_vm_set_state(c->store, row->id, SL_VM_DONE, NULL, &error);
      sl_cloud_call_complete(call, ok ? NULL : error);
    } else { /* no live presence: just clean up what may be left */
      vm = sl_cloud_vm_new(c, row->id, row->state);
      vm->waiters = g_slist_prepend(vm->waiters, sl_cloud_call_ref(call));
      sl_cloud_vm_finish(vm, SL_VM_DONE, NULL);
    }
  }
  sl_cloud_call_unref(call);
  return G_SOURCE_REMOVE;
}

static gboolean
shutdown_main(gpointer data)
{
  SlCloudCall *call = data;
  SlCloud *c = sl_cloud_call_owner(call);
  gint64 id = sl_cloud_call_id(call);
  Vm *vm = g_hash_table_lookup(c->vms, &id);
  g_autoptr(GError) error = NULL;
  if (!vm)
    g_set_error(&error, SL_ERROR, SL_ERROR_CONFLICT, "VM %" G_GINT64_FORMAT " is not running", id);
  else
    sl_cloud_vm_powerdown(vm, &error);
  sl_cloud_call_complete(call, error);
  sl_cloud_call_unref(call);
  return G_SOURCE_REMOVE;
}

static SlVm *
act(SlCloud *c, const char *user, gint64 id, GSourceFunc fn, GError **error)
{
  g_autoptr(SlVm) v = sl_cloud_vm_get(c, user, id, error); /* rights first */
  if (!v)
    return NULL;
  SlCloudCall *call = sl_cloud_call_new(c, id, NULL, NULL);
  gboolean ok = sl_cloud_call_run(c->ctx, fn, call, error);
  sl_cloud_call_unref(call);
  return ok ? sl_cloud_vm_get(c, user, id, error) : NULL;
}

SlVm *
sl_cloud_vm_kill(SlCloud *c, const char *user, gint64 id, GError **error)
{
  return act(c, user, id, kill_main, error);
}

SlVm *
sl_cloud_vm_shutdown(SlCloud *c, const char *user, gint64 id, GError **error)
{
  return act(c, user, id, shutdown_main, error);
}
