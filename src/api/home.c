/* home.c - GET /, the only resource served without credentials. */
#include "api/api.h"

#include "sl-config.h"

static const char home_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>StratusLab</title></head>\n"
    "<body><h1>StratusLab</h1>\n"
    "<p>stratusd " SL_VERSION ". Services: <a href=\"disks/\">persistent disks</a> "
    "(HTTP Basic authentication).</p>\n"
    "</body></html>\n";

static SlHttpResponse *
home(const SlHttpRequest *req, gpointer data)
{
  (void)req;
  (void)data;
  g_autoptr(GBytes) body = g_bytes_new_static(home_html, sizeof home_html - 1);
  return sl_http_response_new(200, "text/html; charset=utf-8", body);
}

static const SlHttpRoute routes[] = {
    {"GET", "/", home, SL_HTTP_ROUTE_PUBLIC},
};

void
sl_api_home_register(SlHttpRouter *router)
{
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), NULL, NULL);
}
