/* disks.c - the persistent disk REST resources (docs/rest-pdisk.md).
 *
 * Rights and validation live in src/pdisk/; this file maps requests to
 * sl_pdisk_* calls and results to JSON. GET /disks/ is the hot path: the
 * serialised list is cached per user and reused while sl_pdisk_generation()
 * is unchanged, so a repeated listing costs a lookup and a reference.
 */
#include "api/api.h"

#include <string.h>

#include "util/error.h"

#define LIST_CACHE_MAX 4096 /* users; the cache is dropped whole beyond this */

typedef struct {
  guint64 generation;
  GBytes *json;
} ListEntry;

typedef struct {
  SlPdisk *pdisk;
  GRWLock lock;
  GHashTable *lists; /* user -> ListEntry* */
} Disks;

static void
list_entry_free(gpointer p)
{
  ListEntry *e = p;
  g_bytes_unref(e->json);
  g_free(e);
}

static void
disks_free(gpointer p)
{
  Disks *d = p;
  g_hash_table_unref(d->lists);
  g_rw_lock_clear(&d->lock);
  g_free(d);
}

/* ---- JSON -------------------------------------------------------------- */

/* The mount object of docs/rest-pdisk.md; listings leave out "diskId". */
static json_t *
mount_json(const SlMount *m, gboolean with_disk)
{
  json_t *o = sl_mount_to_json(m);
  if (!with_disk)
    json_object_del(o, "diskId");
  return o;
}

static SlHttpResponse *
fail(GError *error)
{
  if (!error)
    return sl_http_response_new_message(500, "internal error");
  return sl_http_response_new_error(error);
}

/* Path uuid checked before any service call: 400 "Invalid UUID <text>". */
static const char *
path_uuid(const SlHttpRequest *req, SlHttpResponse **bad)
{
  const char *uuid = sl_http_request_param(req, "uuid");
  if (!uuid || !sl_pdisk_uuid_is_valid(uuid)) {
    *bad = sl_http_response_new_message(400, "Invalid UUID %s", uuid ? uuid : "");
    return NULL;
  }
  return uuid;
}

static void
fields_from(const SlHttpRequest *req, SlDiskFields *f, gboolean create)
{
  memset(f, 0, sizeof *f);
  if (create)
    f->size = sl_http_request_field(req, "size");
  f->tag = sl_http_request_field(req, "tag");
  f->visibility = sl_http_request_field(req, "visibility");
  f->type = sl_http_request_field(req, "type");
  f->identifier = sl_http_request_field(req, "identifier");
  f->quarantine = sl_http_request_field(req, "quarantine");
  f->group = sl_http_request_field(req, "group");
}

/* ---- /disks/ ----------------------------------------------------------- */

static GBytes *
build_list(Disks *d, const char *user, GError **error)
{
  g_autoptr(GPtrArray) disks = sl_pdisk_list(d->pdisk, user, error);
  if (!disks)
    return NULL;
  json_t *arr = json_array();
  for (guint i = 0; i < disks->len; i++)
    json_array_append_new(arr, sl_disk_to_json(disks->pdata[i]));
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  if (!text) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot serialise the disk list");
    return NULL;
  }
  return g_bytes_new_with_free_func(text, strlen(text), free, text);
}

static SlHttpResponse *
list_disks(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  guint64 generation = sl_pdisk_generation(d->pdisk);
  g_autoptr(GBytes) json = NULL;

  g_rw_lock_reader_lock(&d->lock);
  ListEntry *e = g_hash_table_lookup(d->lists, req->user);
  if (e && e->generation == generation)
    json = g_bytes_ref(e->json);
  g_rw_lock_reader_unlock(&d->lock);

  if (!json) {
    g_autoptr(GError) error = NULL;
    /* generation was read before the listing: a change in between only makes
     * the entry look older than it is, so it is rebuilt next time */
    json = build_list(d, req->user, &error);
    if (!json)
      return fail(error);
    ListEntry *fresh = g_new0(ListEntry, 1);
    fresh->generation = generation;
    fresh->json = g_bytes_ref(json);
    g_rw_lock_writer_lock(&d->lock);
    if (g_hash_table_size(d->lists) >= LIST_CACHE_MAX)
      g_hash_table_remove_all(d->lists);
    g_hash_table_replace(d->lists, g_strdup(req->user), fresh);
    g_rw_lock_writer_unlock(&d->lock);
  }
  return sl_http_response_new(200, "application/json", json);
}

static SlHttpResponse *
create_disk(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlDiskFields f;
  fields_from(req, &f, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) disk = sl_pdisk_create(d->pdisk, req->user, &f, &error);
  if (!disk)
    return fail(error);
  SlHttpResponse *resp = sl_http_response_new_json(201, sl_disk_to_json(disk));
  g_autofree char *location = g_strdup_printf("/disks/%s", disk->uuid);
  sl_http_response_add_header(resp, "Location", location);
  return resp;
}

/* ---- /disks/{uuid} ----------------------------------------------------- */

static SlHttpResponse *
get_disk(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) disk = sl_pdisk_get(d->pdisk, req->user, uuid, &error);
  if (!disk)
    return fail(error);
  return sl_http_response_new_json(200, sl_disk_to_json(disk));
}

static SlHttpResponse *
update_disk(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  SlDiskFields f;
  fields_from(req, &f, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) disk = sl_pdisk_update(d->pdisk, req->user, uuid, &f, &error);
  if (!disk)
    return fail(error);
  return sl_http_response_new_json(200, sl_disk_to_json(disk));
}

static SlHttpResponse *
delete_disk(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  g_autoptr(GError) error = NULL;
  if (!sl_pdisk_delete(d->pdisk, req->user, uuid, &error))
    return fail(error);
  json_t *o = json_object();
  json_object_set_new(o, "uuid", json_string(uuid));
  return sl_http_response_new_json(200, o);
}

/* ---- /disks/{uuid}/mounts ---------------------------------------------- */

static SlHttpResponse *
list_mounts(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mounts = sl_pdisk_mounts(d->pdisk, req->user, uuid, &error);
  if (!mounts)
    return fail(error);
  json_t *arr = json_array();
  for (guint i = 0; i < mounts->len; i++)
    json_array_append_new(arr, mount_json(mounts->pdata[i], FALSE));
  return sl_http_response_new_json(200, arr);
}

static SlHttpResponse *
create_mount(const SlHttpRequest *req, gpointer data)
{
  Disks *d = data;
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMount) mount =
      sl_pdisk_mount(d->pdisk, req->user, uuid, sl_http_request_field(req, "node"),
                     sl_http_request_field(req, "vm_id"), &error);
  if (!mount)
    return fail(error);
  json_t *o = mount_json(mount, TRUE);
  json_t *uuids = json_array();
  json_array_append_new(uuids, json_string(uuid));
  json_object_set_new(o, "uuid", uuids);
  SlHttpResponse *resp = sl_http_response_new_json(201, o);
  g_autofree char *location = g_strdup_printf("/disks/%s/mounts/%s", uuid, mount->id);
  sl_http_response_add_header(resp, "Location", location);
  return resp;
}

typedef SlMount *(*MountOp)(SlPdisk *pdisk, const char *user, const char *uuid,
                            const char *mount_id, GError **error);

/* /disks/{uuid}/mounts/{mount}: 200 with the mount that op returns. */
static SlHttpResponse *
mount_op(const SlHttpRequest *req, Disks *d, MountOp op)
{
  SlHttpResponse *bad = NULL;
  const char *uuid = path_uuid(req, &bad);
  if (!uuid)
    return bad;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMount) mount =
      op(d->pdisk, req->user, uuid, sl_http_request_param(req, "mount"), &error);
  if (!mount)
    return fail(error);
  return sl_http_response_new_json(200, mount_json(mount, TRUE));
}

static SlHttpResponse *
get_mount(const SlHttpRequest *req, gpointer data)
{
  return mount_op(req, data, sl_pdisk_mount_get);
}

static SlHttpResponse *
delete_mount(const SlHttpRequest *req, gpointer data)
{
  return mount_op(req, data, sl_pdisk_unmount);
}

static const SlHttpRoute routes[] = {
    {"GET", "/disks", list_disks, SL_HTTP_ROUTE_AUTH},
    {"POST", "/disks", create_disk, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}", get_disk, SL_HTTP_ROUTE_AUTH},
    {"PUT", "/disks/{uuid}", update_disk, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/disks/{uuid}", delete_disk, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}/mounts", list_mounts, SL_HTTP_ROUTE_AUTH},
    {"POST", "/disks/{uuid}/mounts", create_mount, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}/mounts/{mount}", get_mount, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/disks/{uuid}/mounts/{mount}", delete_mount, SL_HTTP_ROUTE_AUTH},
};

void
sl_api_disks_register(SlHttpRouter *router, SlPdisk *pdisk)
{
  Disks *d = g_new0(Disks, 1);
  d->pdisk = pdisk;
  g_rw_lock_init(&d->lock);
  d->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, list_entry_free);
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), d, disks_free);
}
