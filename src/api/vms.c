/* vms.c - the virtual machine REST resources (docs/rest-vm.md).
 *
 * Validation of VM content, rights and the lifecycle live in src/cloud/; this
 * file parses requests into the VM definition (conf/vm-def.h) and renders
 * SlVm as JSON.
 */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static SlHttpResponse *
fail(GError *error)
{
  if (!error)
    return sl_http_response_new_message(500, "internal error");
  return sl_http_response_new_error(error);
}

/* ---- JSON ----------------------------------------------------------------- */

/* Persistent disks: the target recorded in the mount row (docs/rest-vm.md)
 * and the stable name the guest finds them under. */
static void
add_persistent(json_t *arr, SlCloud *cloud, const SlVm *v)
{
  g_autoptr(GPtrArray) mounts = sl_cloud_vm_disks(cloud, v->id, NULL);
  for (guint i = 0; mounts && i < mounts->len; i++) {
    SlMount *m = mounts->pdata[i];
    g_autofree char *serial = g_strndup(m->disk_uuid, 20);
    g_autofree char *by_id = g_strconcat("/dev/disk/by-id/virtio-", serial, NULL);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "target", m->target, "kind",
                                         "persistent", "uuid", m->disk_uuid, "by_id", by_id));
  }
}

static json_t *
disks_json(const SlVm *v)
{
  json_t *arr = json_array();
  char target[] = "vda";
  json_array_append_new(arr, json_pack("{s:s, s:s}", "target", target, "kind", "root"));
  if (v->def && v->def->volatile_disk > 0) {
    target[2]++;
    json_array_append_new(arr, json_pack("{s:s, s:s}", "target", target, "kind", "volatile"));
  }
  if (v->swap > 0) {
    target[2]++;
    json_array_append_new(arr, json_pack("{s:s, s:s}", "target", target, "kind", "swap"));
  }
  return arr;
}

static json_t *
vm_json(const SlVm *v, SlCloud *cloud)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(v->created);
  g_autofree char *created = t ? g_date_time_format(t, "%Y/%m/%d %H:%M:%S") : g_strdup("");
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(v->id));
  json_object_set_new(o, "name", json_string(v->name ? v->name : ""));
  json_object_set_new(o, "owner", json_string(v->owner ? v->owner : ""));
  json_object_set_new(o, "state", json_string(sl_vm_state_to_string(v->state)));
  json_object_set_new(o, "vcpu", json_integer(v->vcpu));
  json_object_set_new(o, "memory", json_integer(v->memory));
  json_object_set_new(o, "cpu", json_integer(v->cpu));
  json_object_set_new(o, "ip", v->ip ? json_string(v->ip) : json_null());
  json_object_set_new(o, "network",
                      json_string(v->def && v->def->network ? v->def->network : "public"));
  if (v->def && v->def->ports) {
    json_t *ports = json_array();
    for (guint i = 0; i < v->def->ports->len; i++)
      json_array_append_new(ports, json_integer(g_array_index(v->def->ports, guint16, i)));
    json_object_set_new(o, "ports", ports);
  }
  json_object_set_new(o, "image", json_string(v->image ? v->image : ""));
  const char *type = v->def ? v->def->type : NULL;
  if (type)
    json_object_set_new(o, "type", json_string(type));
  json_object_set_new(o, "ram", json_integer(v->ram));
  json_object_set_new(o, "swap", json_integer(v->swap));
  json_object_set_new(o, "created", json_string(created));
  if (v->error)
    json_object_set_new(o, "error", json_string(v->error));
  int progress = sl_cloud_vm_progress(cloud, v); /* image download in Prolog */
  if (progress >= 0)
    json_object_set_new(o, "progress", json_sprintf("%d%%", progress));
  json_t *disks = disks_json(v);
  add_persistent(disks, cloud, v);
  json_object_set_new(o, "disks", disks);
  return o;
}

/* ---- request parsing -------------------------------------------------------- */

/* Integer field: -1 when absent; FALSE (400) when not an integer. */
static gboolean
int_field(const SlHttpRequest *req, const char *name, int *out, GError **error)
{
  const char *s = sl_http_request_field(req, name);
  *out = -1;
  if (!s || !*s)
    return TRUE;
  char *end = NULL;
  gint64 v = g_ascii_strtoll(s, &end, 10);
  if (!end || *end || v < 0 || v > G_MAXINT) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s must be a non-negative integer", name);
    return FALSE;
  }
  *out = (int)v;
  return TRUE;
}

/* A JSON field sent as an object/array (or, from forms, a plain string). */
static json_t *
json_field(const SlHttpRequest *req, const char *name, gboolean want_object, GError **error)
{
  const char *s = sl_http_request_field(req, name);
  if (!s)
    return NULL;
  json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
  if (!want_object && (!v || json_is_string(v))) { /* one item */
    json_decref(v);
    json_t *arr = json_array();
    if (*s)
      json_array_append_new(arr, json_string(s));
    return arr;
  }
  if (!v || (want_object ? !json_is_object(v) : !json_is_array(v))) {
    json_decref(v);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s must be a JSON %s", name,
                want_object ? "object" : "array");
    return NULL;
  }
  return v;
}

static SlHttpResponse *
list_vms(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = sl_cloud_vm_list(data, req->user, &error);
  if (!vms)
    return fail(error);
  json_t *arr = json_array();
  for (guint i = 0; i < vms->len; i++)
    json_array_append_new(arr, vm_json(vms->pdata[i], data));
  return sl_http_response_new_json(200, arr);
}

/* The body of POST /vms/ as a VM definition (the asked-for members). */
static SlVmDef *
parse_request(const SlHttpRequest *req, GError **error)
{
  g_autoptr(SlVmDef) def = sl_vm_def_new();
  def->image = g_strdup(sl_http_request_field(req, "image"));
  def->type = g_strdup(sl_http_request_field(req, "type"));
  def->name = g_strdup(sl_http_request_field(req, "name"));
  def->public_key = g_strdup(sl_http_request_field(req, "public_key"));
  def->network = g_strdup(sl_http_request_field(req, "network")); /* NULL = public */
  def->address = g_strdup(sl_http_request_field(req, "address")); /* NULL = the pool's */
  if (!int_field(req, "cpu", &def->cpu, error) || !int_field(req, "ram", &def->ram, error) ||
      !int_field(req, "swap", &def->swap, error) ||
      !int_field(req, "number", &def->number, error) ||
      !int_field(req, "volatile_disk", &def->volatile_disk, error))
    return NULL;
  if (def->number == 0) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "number must be at least 1");
    return NULL;
  }
  def->volatile_disk = MAX(def->volatile_disk, 0);
  if (sl_http_request_field(req, "cloud_init")) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "cloud_init is not supported yet");
    return NULL;
  }
  static const struct {
    const char *name;
    gboolean object;
  } members[] = {{"context", TRUE},
                 {"persistent_disks", FALSE},
                 {"readonly_disks", FALSE},
                 {"inbound_ports", FALSE},
                 {"save", TRUE}};
  for (size_t i = 0; i < G_N_ELEMENTS(members); i++) {
    json_t *v = json_field(req, members[i].name, members[i].object, error);
    if (!v && *error)
      return NULL;
    gboolean ok = !v || sl_vm_def_set_json(def, members[i].name, v, error);
    json_decref(v);
    if (!ok)
      return NULL;
  }
  return g_steal_pointer(&def);
}

static SlHttpResponse *
create_vms(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVmDef) def = parse_request(req, &error);
  g_autoptr(GPtrArray) vms = def ? sl_cloud_vm_create(data, req->user, def, &error) : NULL;
  if (!vms)
    return fail(error);
  json_t *arr = json_array();
  for (guint i = 0; i < vms->len; i++) {
    SlVm *v = vms->pdata[i];
    json_array_append_new(arr, json_pack("{s:I, s:s?}", "id", (json_int_t)v->id, "ip", v->ip));
  }
  SlHttpResponse *resp = sl_http_response_new_json(
      201, json_pack("{s:o, s:s}", "vms", arr, "network",
                     def->network && *def->network ? def->network : "public"));
  SlVm *first = vms->pdata[0];
  g_autofree char *location = g_strdup_printf("/vms/%" G_GINT64_FORMAT, first->id);
  sl_http_response_add_header(resp, "Location", location);
  return resp;
}

/* Path id: a positive integer, else 404 like an unknown VM. */
static gboolean
path_id(const SlHttpRequest *req, gint64 *id, GError **error)
{
  const char *s = sl_http_request_param(req, "id");
  char *end = NULL;
  *id = s ? g_ascii_strtoll(s, &end, 10) : 0;
  if (!s || !*s || !end || *end || *id <= 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "VM %s does not exist", s ? s : "");
    return FALSE;
  }
  return TRUE;
}

typedef SlVm *(*VmAction)(SlCloud *, const char *, gint64, GError **);

static SlHttpResponse *
vm_action(const SlHttpRequest *req, SlCloud *cloud, VmAction action, guint status)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;
  if (!path_id(req, &id, &error))
    return fail(error);
  g_autoptr(SlVm) v = action(cloud, req->user, id, &error);
  if (!v)
    return fail(error);
  return sl_http_response_new_json(status, vm_json(v, cloud));
}

static SlHttpResponse *
get_vm(const SlHttpRequest *req, gpointer data)
{
  return vm_action(req, data, sl_cloud_vm_get, 200);
}

static SlHttpResponse *
kill_vm(const SlHttpRequest *req, gpointer data)
{
  return vm_action(req, data, sl_cloud_vm_kill, 200);
}

static SlHttpResponse *
shutdown_vm(const SlHttpRequest *req, gpointer data)
{
  return vm_action(req, data, sl_cloud_vm_shutdown, 202);
}

/* ---- /vms/{id}/disks: hot-plug (src/cloud/disks.c) ------------------------ */

static json_t *
mount_json(const SlMount *m)
{
  return json_pack("{s:s, s:s, s:s}", "uuid", m->disk_uuid, "target", m->target, "mountId", m->id);
}

static SlHttpResponse *
attach_disk(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;
  if (!path_id(req, &id, &error))
    return fail(error);
  const char *uuid = sl_http_request_field(req, "uuid");
  if (!uuid || !*uuid)
    return sl_http_response_new_message(400, "missing uuid attribute");
  g_autoptr(SlMount) m = sl_cloud_vm_attach_disk(data, req->user, id, uuid, &error);
  if (!m)
    return fail(error);
  SlHttpResponse *resp = sl_http_response_new_json(201, mount_json(m));
  g_autofree char *location =
      g_strdup_printf("/vms/%" G_GINT64_FORMAT "/disks/%s", id, m->disk_uuid);
  sl_http_response_add_header(resp, "Location", location);
  return resp;
}

static SlHttpResponse *
detach_disk(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;
  if (!path_id(req, &id, &error))
    return fail(error);
  g_autoptr(SlMount) m =
      sl_cloud_vm_detach_disk(data, req->user, id, sl_http_request_param(req, "uuid"), &error);
  return m ? sl_http_response_new_json(200, mount_json(m)) : fail(error);
}

static SlHttpResponse *
list_disks(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;
  if (!path_id(req, &id, &error))
    return fail(error);
  g_autoptr(SlVm) v = sl_cloud_vm_get(data, req->user, id, &error);
  g_autoptr(GPtrArray) mounts = v ? sl_cloud_vm_disks(data, id, &error) : NULL;
  if (!mounts)
    return fail(error);
  json_t *arr = json_array();
  for (guint i = 0; i < mounts->len; i++)
    json_array_append_new(arr, mount_json(mounts->pdata[i]));
  return sl_http_response_new_json(200, arr);
}

static SlHttpResponse *
list_types(const SlHttpRequest *req, gpointer data)
{
  (void)req;
  (void)data;
  guint n = 0;
  const SlInstanceType *t = sl_cloud_types(&n);
  json_t *o = json_object();
  for (guint i = 0; i < n; i++)
    json_object_set_new(
        o, t[i].name,
        json_pack("{s:i, s:i, s:i}", "cpu", t[i].cpu, "ram", t[i].ram, "swap", t[i].swap));
  return sl_http_response_new_json(200, o);
}

static const SlHttpRoute routes[] = {
    {"GET", "/vms", list_vms, SL_HTTP_ROUTE_AUTH},
    {"POST", "/vms", create_vms, SL_HTTP_ROUTE_AUTH},
    {"GET", "/vms/{id}", get_vm, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/vms/{id}", kill_vm, SL_HTTP_ROUTE_AUTH},
    {"POST", "/vms/{id}/shutdown", shutdown_vm, SL_HTTP_ROUTE_AUTH},
    {"GET", "/vms/{id}/disks", list_disks, SL_HTTP_ROUTE_AUTH},
    {"POST", "/vms/{id}/disks", attach_disk, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/vms/{id}/disks/{uuid}", detach_disk, SL_HTTP_ROUTE_AUTH},
    {"GET", "/types", list_types, SL_HTTP_ROUTE_AUTH},
};

void
sl_api_vms_register(SlHttpRouter *router, SlCloud *cloud)
{
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), cloud, NULL);
}
