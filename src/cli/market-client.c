/* market-client.c - raw HTTPS calls to the Marketplace (util/http-client). */
#include "market-client.h"

#include <jansson.h>
#include <string.h>

#include "client.h"
#include "sl-config.h"
#include "util/http-client.h"

char *
sl_market_base_url(SlCli *cli, GError **error)
{
  const char *ep = sl_cli_get(cli, "marketplace-endpoint");
  if (!ep || !*ep)
    ep = sl_cli_setting(cli, "endpoint");
  if (!ep || !*ep) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                "Missing Marketplace endpoint. Please provide --marketplace-endpoint (or "
                "STRATUSLAB_MARKETPLACE_ENDPOINT, marketplace_endpoint in the configuration "
                "file)");
    return NULL;
  }
  char *url = sl_endpoint_url(ep, SL_CONFIG_DEFAULT_PORT);
  gsize n = strlen(url);
  while (n > 0 && url[n - 1] == '/')
    url[--n] = '\0';
  return url;
}

long
sl_market_request(SlCli *cli, const char *method, const char *url, const char *accept,
                  const char *content_type, const char *body, gsize len, GString **answer,
                  GError **error)
{
  g_autofree char *h_accept = g_strdup_printf("Accept: %s", accept ? accept : "*/*");
  g_autofree char *h_type = content_type ? g_strdup_printf("Content-Type: %s", content_type) : NULL;
  const char *headers[] = {"Expect:", h_accept, h_type, NULL};
  g_autofree char *ca = sl_expand_home(sl_cli_get(cli, "ca-certificate"));
  SlHttpClientRequest r = {
      .url = url,
      .method = method,
      .headers = headers,
      .body = body,
      .body_len = len,
      .ca_file = ca,
      .connect_timeout_s = 10,
      .timeout_s = 300,
      .verbose = sl_cli_verbose(cli) >= 3,
  };
  sl_out_debug(cli, "%s %s", method, url);
  SlHttpClientAnswer a;
  g_autoptr(GError) net_error = NULL;
  gboolean ok = sl_http_client_perform(&r, &a, &net_error);
  *answer = g_steal_pointer(&a.body);
  if (!ok) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: %s", net_error->message);
    return 0;
  }
  return a.status;
}

char *
sl_market_error_text(long status, const GString *answer)
{
  const char *s = answer->str;
  const char *open = strstr(s, "<error>");
  const char *close = open ? strstr(open, "</error>") : NULL;
  if (open && close) {
    open += strlen("<error>");
    return g_strndup(open, close - open);
  }
  json_t *root = json_loadb(s, answer->len, 0, NULL);
  const char *msg =
      json_is_object(root) ? json_string_value(json_object_get(root, "message")) : NULL;
  char *text = msg ? g_strdup(msg) : NULL;
  json_decref(root);
  if (text)
    return text;
  g_autofree char *first = g_strndup(s, strcspn(s, "\r\n"));
  return g_strdup_printf("HTTP %ld%s%s", status, first[0] ? ": " : "", first);
}
