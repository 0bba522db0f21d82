/* market-client.c - raw HTTPS calls to the Marketplace (libcurl). */
#include "market-client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <string.h>

#include "client.h"
#include "sl-config.h"

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

static size_t
on_body(char *data, size_t size, size_t n, void *user)
{
  g_string_append_len(user, data, (gssize)(size * n));
  return size * n;
}

long
sl_market_request(SlCli *cli, const char *method, const char *url, const char *accept,
                  const char *content_type, const char *body, gsize len, GString **answer,
                  GError **error)
{
  *answer = g_string_new(NULL);
  CURL *curl = curl_easy_init();
  if (!curl) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: cannot initialise libcurl");
    return 0;
  }
  struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
  g_autofree char *h_accept = g_strdup_printf("Accept: %s", accept ? accept : "*/*");
  headers = curl_slist_append(headers, h_accept);
  g_autofree char *h_type = content_type ? g_strdup_printf("Content-Type: %s", content_type) : NULL;
  if (h_type)
    headers = curl_slist_append(headers, h_type);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, *answer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stratus/" SL_VERSION);
  g_autofree char *ca = sl_expand_home(sl_cli_get(cli, "ca-certificate"));
  if (ca)
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
  if (strcmp(method, "GET") != 0)
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  if (sl_cli_verbose(cli) >= 3)
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  sl_out_debug(cli, "%s %s", method, url);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: %s",
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return 0;
  }
  return status;
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
