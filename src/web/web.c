/* web.c - sl_web_register: the portal's state (SlWeb) and its page families;
 * the router owns the state once registered. */
#include "web/web-private.h"

static void
web_free(gpointer p)
{
  SlWeb *web = p;
  sl_web_account_free(web);
  g_free(web);
}

void
sl_web_register(SlHttpRouter *router, const SlWebConfig *config)
{
  SlWeb *web = g_new0(SlWeb, 1);
  web->config = *config;
  sl_http_router_set_sessions(router, config->sessions, "/web/login");
  sl_web_account_register(router, web);
  sl_web_static_register(router, web);
  sl_web_market_register(router, web);
  sl_web_machines_register(router, web);
  sl_web_disks_register(router, web);
  /* no routes: the router frees the state with the others */
  sl_http_router_add(router, NULL, 0, web, web_free);
}
