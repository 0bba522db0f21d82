/* machines.c - the machine pages (log-in): the user's VMs (refreshing
 * themselves while one changes state, by a meta refresh: no script), one VM
 * (state, address, the ssh line, kill / shut down), and the "Run this image"
 * form that starts one. Other users' VMs are 404, as in the REST API. */
#include <string.h>

#include "util/error.h"
#include "web/web-private.h"

#define REFRESH_SECONDS 3

static gboolean
changing(SlVmState s)
{
  return !sl_vm_state_is_final(s) && s != SL_VM_RUNNING && s != SL_VM_UNKNOWN;
}

static json_t *
vm_json(const SlVm *v)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(v->id));
  json_object_set_new(o, "name", sl_web_str(v->name));
  json_object_set_new(o, "state", json_string(sl_vm_state_to_string(v->state)));
  json_object_set_new(o, "image", sl_web_str(v->image));
  if (v->ip)
    json_object_set_new(o, "ip", sl_web_str(v->ip));
  if (v->error)
    json_object_set_new(o, "error", sl_web_str(v->error));
  json_object_set_new(o, "vcpu", json_integer(v->vcpu));
  json_object_set_new(o, "ram", json_integer(v->ram));
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(v->created);
  g_autofree char *created = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S UTC") : NULL;
  json_object_set_new(o, "created", sl_web_str(created));
  if (!sl_vm_state_is_final(v->state))
    json_object_set_new(o, "active", json_true());
  return o;
}

static SlHttpResponse *
fail_page(const SlHttpRequest *req, const GError *e)
{
  guint status = g_error_matches(e, SL_ERROR, SL_ERROR_NOT_FOUND)   ? 404
                 : g_error_matches(e, SL_ERROR, SL_ERROR_INVALID)   ? 400
                 : g_error_matches(e, SL_ERROR, SL_ERROR_FORBIDDEN) ? 403
                 : g_error_matches(e, SL_ERROR, SL_ERROR_CONFLICT)  ? 409
                                                                    : 500;
  return sl_web_error_page(req, status, e->message);
}

static SlHttpResponse *
list(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = sl_cloud_vm_list(web->config.cloud, req->user, &error);
  if (!vms)
    return fail_page(req, error);
  json_t *ctx = json_object(), *a = json_array();
  gboolean moving = FALSE;
  for (guint i = 0; i < vms->len; i++) {
    const SlVm *v = vms->pdata[i];
    moving |= changing(v->state);
    json_array_append_new(a, vm_json(v));
  }
  json_object_set_new(ctx, "vms", a);
  json_object_set_new(ctx, "has_vms", json_boolean(vms->len > 0));
  if (moving)
    json_object_set_new(ctx, "refresh", json_integer(REFRESH_SECONDS));
  return sl_web_page(200, "machines.html", "Your machines", SL_WEB_NAV_MACHINES, req->session, NULL,
                     ctx);
}

static gboolean
vm_id(const SlHttpRequest *req, gint64 *id)
{
  const char *s = sl_http_request_param(req, "id");
  return s && g_ascii_string_to_signed(s, 10, 1, G_MAXINT64, id, NULL);
}

static SlHttpResponse *
show(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  gint64 id;
  if (!vm_id(req, &id))
    return sl_web_error_page(req, 404, "No such machine.");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVm) v = sl_cloud_vm_get(web->config.cloud, req->user, id, &error);
  if (!v)
    return fail_page(req, error);
  json_t *ctx = json_object();
  json_object_set_new(ctx, "vm", vm_json(v));
  if (changing(v->state))
    json_object_set_new(ctx, "refresh", json_integer(REFRESH_SECONDS));
  g_autofree char *title = g_strdup_printf("Machine %" G_GINT64_FORMAT, v->id);
  return sl_web_page(200, "machine.html", title, SL_WEB_NAV_MACHINES, req->session, NULL, ctx);
}

static SlHttpResponse *
act(const SlHttpRequest *req, SlWeb *web, gboolean kill)
{
  gint64 id;
  if (!vm_id(req, &id))
    return sl_web_error_page(req, 404, "No such machine.");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVm) v = kill ? sl_cloud_vm_kill(web->config.cloud, req->user, id, &error)
                           : sl_cloud_vm_shutdown(web->config.cloud, req->user, id, &error);
  if (!v)
    return fail_page(req, error);
  g_autofree char *loc = g_strdup_printf("/web/machines/%" G_GINT64_FORMAT, id);
  return sl_web_redirect(loc, NULL);
}

static SlHttpResponse *
kill_vm(const SlHttpRequest *req, gpointer data)
{
  return act(req, data, TRUE);
}

static SlHttpResponse *
shutdown_vm(const SlHttpRequest *req, gpointer data)
{
  return act(req, data, FALSE);
}

static SlHttpResponse *
run_form(SlWeb *web, const SlHttpRequest *req, guint status, const char *image, const char *problem)
{
  json_t *ctx = json_object();
  json_object_set_new(ctx, "image", sl_web_str(image));
  guint n = 0;
  const SlInstanceType *t = sl_cloud_types(&n);
  json_t *types = json_array();
  for (guint i = 0; i < n; i++) {
    json_t *o = json_pack("{s:s, s:i, s:i}", "name", t[i].name, "cpu", t[i].cpu, "ram", t[i].ram);
    if (!strcmp(t[i].name, "m1.small"))
      json_object_set_new(o, "on", json_true());
    json_array_append_new(types, o);
  }
  json_object_set_new(ctx, "types", types);
  if (web->config.pdisk) {
    g_autoptr(GPtrArray) disks = sl_pdisk_list(web->config.pdisk, req->user, NULL);
    json_t *a = json_array();
    for (guint i = 0; disks && i < disks->len; i++) {
      const SlDisk *d = disks->pdata[i];
      if (g_strcmp0(d->owner, req->user) != 0)
        continue;
      json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "uuid", d->uuid, "tag",
                                         d->tag && *d->tag ? d->tag : "(no tag)", "size",
                                         (json_int_t)d->size));
    }
    json_object_set_new(ctx, "has_disks", json_boolean(json_array_size(a) > 0));
    json_object_set_new(ctx, "disks", a);
  }
  if (problem)
    json_object_set_new(ctx, "problem", sl_web_str(problem));
  return sl_web_page(status, "run.html", "Run this image", SL_WEB_NAV_MACHINES, req->session, NULL,
                     ctx);
}

static SlHttpResponse *
get_new(const SlHttpRequest *req, gpointer data)
{
  return run_form(data, req, 200, sl_web_query(req, "image"), NULL);
}

static SlHttpResponse *
post_new(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  const char *image = sl_http_request_field(req, "image");
  g_autoptr(SlVmDef) def = sl_vm_def_new();
  def->image = g_strdup(image);
  def->type = g_strdup(sl_http_request_field(req, "type"));
  const char *key = sl_http_request_field(req, "public_key");
  def->public_key = key && *key ? g_strstrip(g_strdup(key)) : NULL;
  def->cpu = def->ram = def->swap = def->number = -1;
  def->volatile_disk = 0;
  json_t *disks = json_array();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, req->body);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (g_str_has_prefix(k, "disk_"))
      json_array_append_new(disks, json_string((const char *)k + 5));
  g_autoptr(GError) error = NULL;
  gboolean ok =
      !json_array_size(disks) || sl_vm_def_set_json(def, "persistent_disks", disks, &error);
  json_decref(disks);
  g_autoptr(GPtrArray) vms =
      ok ? sl_cloud_vm_create(web->config.cloud, req->user, def, &error) : NULL;
  if (!vms) {
    g_autofree char *msg = g_strdup_printf("Not started: %s", error->message);
    return run_form(web, req, 400, image, msg);
  }
  const SlVm *first = vms->pdata[0];
  g_autofree char *loc = g_strdup_printf("/web/machines/%" G_GINT64_FORMAT, first->id);
  return sl_web_redirect(loc, NULL);
}

static const SlHttpRoute routes[] = {
    {"GET", "/web/machines", list, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/machines", post_new, SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/machines/new", get_new, SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/machines/{id}", show, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/machines/{id}/kill", kill_vm, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/machines/{id}/shutdown", shutdown_vm, SL_HTTP_ROUTE_SESSION},
};

void
sl_web_machines_register(SlHttpRouter *router, SlWeb *web)
{
  if (web->config.cloud)
    sl_http_router_add(router, routes, G_N_ELEMENTS(routes), web, NULL);
}
