/* static.c - GET /web/static/<name>: the stylesheet (and other assets)
 * compiled into the program from src/web/static/. */
#include <gio/gio.h>
#include <string.h>

#include "web/web-private.h"

static const struct {
  const char *name, *type;
} assets[] = {
    {"style.css", "text/css; charset=utf-8"},
};

static SlHttpResponse *
get_static(const SlHttpRequest *req, gpointer data)
{
  (void)data;
  const char *name = sl_http_request_param(req, "name");
  for (gsize i = 0; i < G_N_ELEMENTS(assets); i++) {
    if (g_strcmp0(name, assets[i].name) != 0)
      continue;
    g_autofree char *path = g_strconcat("/eu/stratuslab/web/static/", name, NULL);
    g_autoptr(GBytes) b = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    if (!b)
      break;
    SlHttpResponse *resp = sl_http_response_new(200, assets[i].type, b);
    sl_http_response_add_header(resp, "X-Content-Type-Options", "nosniff");
    sl_http_response_add_header(resp, "Cache-Control", "public, max-age=3600");
    return resp;
  }
  return sl_http_response_new_message(404, "no such file: %s", name ? name : "");
}

static const SlHttpRoute routes[] = {
    {"GET", "/web/static/{name}", get_static, SL_HTTP_ROUTE_PUBLIC},
};

void
sl_web_static_register(SlHttpRouter *router, SlWeb *web)
{
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), web, NULL);
}
