/* disks.c - the disk pages (log-in), Figure 5.2 of the guide: the user's
 * disks and others' public ones (Tag | Size | Users | Owner | UUID | Image
 * identifier), create (size, visibility, tag), one disk's page to edit tag /
 * visibility / type, delete after a confirmation page. Rights are the pdisk
 * service's: another user's private disk is 404. */
#include <string.h>

#include "util/error.h"
#include "web/web-private.h"

static json_t *
disk_json(const SlDisk *d, const char *user)
{
  json_t *o = json_object();
  json_object_set_new(o, "uuid", sl_web_str(d->uuid));
  json_object_set_new(o, "tag", sl_web_str(d->tag));
  json_object_set_new(o, "size", json_integer(d->size));
  json_object_set_new(o, "users", json_integer(d->users));
  json_object_set_new(o, "owner", sl_web_str(d->owner));
  json_object_set_new(o, "identifier", sl_web_str(d->identifier));
  json_object_set_new(o, "visibility", json_string(sl_visibility_to_string(d->visibility)));
  json_object_set_new(o, "type", json_string(sl_disk_type_to_string(d->type)));
  json_object_set_new(o, "private", json_boolean(d->visibility == SL_VISIBILITY_PRIVATE));
  json_object_set_new(o, "mine", json_boolean(g_strcmp0(d->owner, user) == 0));
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(d->created);
  g_autofree char *created = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S UTC") : NULL;
  json_object_set_new(o, "created", sl_web_str(created));
  return o;
}

static guint
status_of(const GError *e)
{
  return g_error_matches(e, SL_ERROR, SL_ERROR_NOT_FOUND)   ? 404
         : g_error_matches(e, SL_ERROR, SL_ERROR_INVALID)   ? 400
         : g_error_matches(e, SL_ERROR, SL_ERROR_FORBIDDEN) ? 403
         : g_error_matches(e, SL_ERROR, SL_ERROR_CONFLICT)  ? 409
                                                            : 500;
}

static SlHttpResponse *
list_page(SlWeb *web, const SlHttpRequest *req, guint status, const char *notice,
          const char *problem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) disks = sl_pdisk_list(web->config.pdisk, req->user, &error);
  if (!disks)
    return sl_web_error_page(req, status_of(error), error->message);
  json_t *ctx = json_object(), *a = json_array();
  for (guint i = 0; i < disks->len; i++)
    json_array_append_new(a, disk_json(disks->pdata[i], req->user));
  json_object_set_new(ctx, "disks", a);
  json_object_set_new(ctx, "has_disks", json_boolean(disks->len > 0));
  if (notice)
    json_object_set_new(ctx, "notice", sl_web_str(notice));
  if (problem)
    json_object_set_new(ctx, "problem", sl_web_str(problem));
  return sl_web_page(status, "disks.html", "Disks", SL_WEB_NAV_DISKS, req->session, NULL, ctx);
}

static SlHttpResponse *
list(const SlHttpRequest *req, gpointer data)
{
  const char *done = sl_web_query(req, "done");
  const char *notice = !g_strcmp0(done, "deleted") ? "Disk deleted." : NULL;
  return list_page(data, req, 200, notice, NULL);
}

static SlHttpResponse *
create(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  SlDiskFields f = {.size = sl_http_request_field(req, "size"),
                    .tag = sl_http_request_field(req, "tag"),
                    .visibility = sl_http_request_field(req, "visibility")};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) d = sl_pdisk_create(web->config.pdisk, req->user, &f, &error);
  if (!d) {
    g_autofree char *msg = g_strdup_printf("Not created: %s", error->message);
    return list_page(web, req, status_of(error), NULL, msg);
  }
  g_autofree char *loc = g_strdup_printf("/web/disks/%s?done=created", d->uuid);
  return sl_web_redirect(loc, NULL);
}

static SlHttpResponse *
disk_page(SlWeb *web, const SlHttpRequest *req, guint status, const char *notice,
          const char *problem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) d =
      sl_pdisk_get(web->config.pdisk, req->user, sl_http_request_param(req, "uuid"), &error);
  if (!d)
    return sl_web_error_page(req, status_of(error), error->message);
  if (g_strcmp0(d->owner, req->user) != 0) /* a public disk of another user: its row only */
    return sl_web_error_page(req, 404, "No such disk of yours.");
  json_t *ctx = json_object();
  json_t *o = disk_json(d, req->user);
  json_t *types = json_array();
  for (int t = 0; t < SL_DISK_TYPE_COUNT; t++) {
    json_t *x = json_pack("{s:s}", "name", sl_disk_type_to_string((SlDiskType)t));
    if (t == (int)d->type)
      json_object_set_new(x, "on", json_true());
    json_array_append_new(types, x);
  }
  json_object_set_new(o, "types", types);
  if (sl_web_query(req, "delete"))
    json_object_set_new(o, "confirm", json_true());
  json_object_set_new(ctx, "disk", o);
  const char *done = sl_web_query(req, "done");
  if (!notice && done)
    notice = !strcmp(done, "created") ? "Disk created." : !strcmp(done, "saved") ? "Saved." : NULL;
  if (notice)
    json_object_set_new(ctx, "notice", sl_web_str(notice));
  if (problem)
    json_object_set_new(ctx, "problem", sl_web_str(problem));
  g_autofree char *title = g_strdup_printf("Disk %s", d->tag && *d->tag ? d->tag : d->uuid);
  return sl_web_page(status, "disk.html", title, SL_WEB_NAV_DISKS, req->session, NULL, ctx);
}

static SlHttpResponse *
show(const SlHttpRequest *req, gpointer data)
{
  return disk_page(data, req, 200, NULL, NULL);
}

static SlHttpResponse *
update(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  const char *uuid = sl_http_request_param(req, "uuid");
  SlDiskFields f = {.tag = sl_http_request_field(req, "tag"),
                    .visibility = sl_http_request_field(req, "visibility"),
                    .type = sl_http_request_field(req, "type")};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) mine = sl_pdisk_get(web->config.pdisk, req->user, uuid, &error);
  if (!mine || g_strcmp0(mine->owner, req->user) != 0)
    return sl_web_error_page(req, 404, mine ? "No such disk of yours." : error->message);
  g_autoptr(SlDisk) d = sl_pdisk_update(web->config.pdisk, req->user, uuid, &f, &error);
  if (!d) {
    g_autofree char *msg = g_strdup_printf("Not saved: %s", error->message);
    return disk_page(web, req, status_of(error), NULL, msg);
  }
  g_autofree char *loc = g_strdup_printf("/web/disks/%s?done=saved", d->uuid);
  return sl_web_redirect(loc, NULL);
}

static SlHttpResponse *
delete_disk(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  const char *uuid = sl_http_request_param(req, "uuid");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlDisk) mine = sl_pdisk_get(web->config.pdisk, req->user, uuid, &error);
  if (!mine || g_strcmp0(mine->owner, req->user) != 0)
    return sl_web_error_page(req, 404, mine ? "No such disk of yours." : error->message);
  if (!sl_pdisk_delete(web->config.pdisk, req->user, uuid, &error)) {
    g_autofree char *msg = g_strdup_printf("Not deleted: %s", error->message);
    return disk_page(web, req, status_of(error), NULL, msg);
  }
  return sl_web_redirect("/web/disks?done=deleted", NULL);
}

static const SlHttpRoute routes[] = {
    {"GET", "/web/disks", list, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/disks", create, SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/disks/{uuid}", show, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/disks/{uuid}", update, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/disks/{uuid}/delete", delete_disk, SL_HTTP_ROUTE_SESSION},
};

void
sl_web_disks_register(SlHttpRouter *router, SlWeb *web)
{
  if (web->config.pdisk)
    sl_http_router_add(router, routes, G_N_ELEMENTS(routes), web, NULL);
}
