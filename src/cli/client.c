/* client.c - libcurl HTTPS client: Basic auth (or a PEM client certificate),
 * Accept: application/json, form bodies, JSON answers, peer and host always
 * verified.
 */
#include "client.h"

#include "sl-config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct SlClient {
  SlCli *cli;
  char *base_url;
  char *username;
  char *password;
  char *cert, *key; /* client certificate when there is no user name */
  char *ca_file;
  long connect_timeout;
};

gboolean
sl_is_disk_uuid(const char *text)
{
  static const int groups[] = {8, 4, 4, 4, 12};
  const char *p = text;
  for (size_t g = 0; g < G_N_ELEMENTS(groups); g++) {
    for (int i = 0; i < groups[g]; i++, p++)
      if (!(g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f')))
        return FALSE;
    if (g + 1 < G_N_ELEMENTS(groups) && *p++ != '-')
      return FALSE;
  }
  return *p == '\0';
}

char *
sl_prompt(const char *prompt, gboolean echo)
{
  gboolean tty = isatty(STDIN_FILENO);
  struct termios saved, quiet;
  gboolean restore = FALSE;
  fputs(prompt, stderr);
  fflush(stderr);
  if (tty && !echo && tcgetattr(STDIN_FILENO, &saved) == 0) {
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  GString *line = g_string_new(NULL);
  int c;
  gboolean got = FALSE;
  while ((c = getchar()) != EOF) {
    got = TRUE;
    if (c == '\n')
      break;
    g_string_append_c(line, (char)c);
  }
  if (restore)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!tty)
    fputc('\n', stderr); /* the answer was not echoed */
  if (!got) {
    g_string_free(line, TRUE);
    return NULL;
  }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate(line, line->len - 1);
  return g_string_free(line, FALSE);
}

char *
sl_expand_home(const char *path)
{
  if (path == NULL || path[0] == '\0')
    return NULL;
  if (g_str_has_prefix(path, "~/") || g_str_has_prefix(path, "$HOME/")) {
    const char *home = g_getenv("HOME");
    if (home == NULL || home[0] == '\0')
      home = g_get_home_dir();
    return g_build_filename(home, strchr(path, '/') + 1, NULL);
  }
  return g_strdup(path);
}

void
sl_client_free(SlClient *client)
{
  if (client == NULL)
    return;
  g_free(client->base_url);
  g_free(client->username);
  if (client->password)
    memset(client->password, 0, strlen(client->password));
  g_free(client->password);
  g_free(client->cert);
  g_free(client->key);
  g_free(client->ca_file);
  g_free(client);
}

const char *
sl_client_base_url(SlClient *client)
{
  return client->base_url;
}

static const char *
first_of(const char *a, const char *b)
{
  return (a && a[0]) ? a : ((b && b[0]) ? b : NULL);
}

/* A client of `ep` with the given credentials (NULL: PEM certificate). */
static SlClient *
client_new(SlCli *cli, const char *ep, const char *username, const char *password, GError **error)
{
  g_autoptr(SlClient) c = g_new0(SlClient, 1);
  c->cli = cli;
  c->base_url = sl_endpoint_url(ep, SL_CONFIG_DEFAULT_PORT);
  c->username = g_strdup(username);
  c->password = g_strdup(password);
  if (c->username != NULL && c->password == NULL && isatty(STDIN_FILENO)) {
    g_autofree char *prompt = g_strdup_printf("'%s' at '%s' password: ", c->username, ep);
    c->password = sl_prompt(prompt, FALSE);
  }
  if (c->username == NULL) {
    g_autofree char *cert = sl_expand_home(sl_cli_get(cli, "pem-cert"));
    g_autofree char *key = sl_expand_home(sl_cli_get(cli, "pem-key"));
    if (cert && key && g_file_test(cert, G_FILE_TEST_IS_REGULAR) &&
        g_file_test(key, G_FILE_TEST_IS_REGULAR)) {
      c->cert = g_steal_pointer(&cert);
      c->key = g_steal_pointer(&key);
    }
  }
  c->ca_file = sl_expand_home(sl_cli_get(cli, "ca-certificate"));
  if (c->ca_file != NULL && !g_file_test(c->ca_file, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "CA certificate %s does not exist",
                c->ca_file);
    return NULL;
  }
  const char *timeout = sl_cli_setting(cli, "endpoint_timeout");
  c->connect_timeout = timeout ? (long)g_ascii_strtoll(timeout, NULL, 10) : 10;
  if (c->connect_timeout <= 0)
    c->connect_timeout = 10;
  return g_steal_pointer(&c);
}

static const char *
cloud_endpoint(SlCli *cli)
{
  return first_of(sl_cli_get(cli, "endpoint"), sl_cli_setting(cli, "endpoint"));
}

SlClient *
sl_client_new_pdisk(SlCli *cli, GError **error)
{
  const char *ep = first_of(sl_cli_get(cli, "pdisk-endpoint"), cloud_endpoint(cli));
  if (ep == NULL) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                "Missing persistent disk endpoint. Please provide --pdisk-endpoint "
                "(or --endpoint, STRATUSLAB_PDISK_ENDPOINT, pdisk_endpoint in the "
                "configuration file)");
    return NULL;
  }
  return client_new(
      cli, ep, first_of(sl_cli_get(cli, "pdisk-username"), sl_cli_get(cli, "username")),
      first_of(sl_cli_get(cli, "pdisk-password"), sl_cli_get(cli, "password")), error);
}

SlClient *
sl_client_new_cloud(SlCli *cli, GError **error)
{
  const char *ep = cloud_endpoint(cli);
  if (ep == NULL) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                "Missing cloud endpoint. Please provide --endpoint (or STRATUSLAB_ENDPOINT, "
                "endpoint in the configuration file)");
    return NULL;
  }
  return client_new(cli, ep, first_of(sl_cli_get(cli, "username"), NULL),
                    first_of(sl_cli_get(cli, "password"), NULL), error);
}

static size_t
on_body(char *data, size_t size, size_t n, void *user)
{
  g_string_append_len(user, data, (gssize)(size * n));
  return size * n;
}

static char *
encode_form(CURL *curl, const char *const *form)
{
  GString *body = g_string_new(NULL);
  for (size_t i = 0; form[i] && form[i + 1]; i += 2) {
    char *k = curl_easy_escape(curl, form[i], 0);
    char *v = curl_easy_escape(curl, form[i + 1], 0);
    g_string_append_printf(body, "%s%s=%s", body->len ? "&" : "", k, v);
    curl_free(k);
    curl_free(v);
  }
  return g_string_free(body, FALSE);
}

static char *
service_message(long status, const GString *body)
{
  json_t *root = json_loadb(body->str, body->len, 0, NULL);
  const char *msg = NULL;
  if (json_is_object(root))
    msg = json_string_value(json_object_get(root, "message"));
  char *text;
  if (msg != NULL) {
    text = g_strdup(msg);
  } else {
    g_autofree char *first = g_strndup(body->str, strcspn(body->str, "\r\n"));
    text = g_strdup_printf("HTTP %ld%s%s", status, first[0] ? ": " : "", first);
  }
  json_decref(root);
  return text;
}

static json_t *call(SlClient *client, const char *method, const char *path, const char *const *form,
                    json_t *json, long *http_status, GError **error);

json_t *
sl_client_call(SlClient *client, const char *method, const char *path, const char *const *form,
               GError **error)
{
  return call(client, method, path, form, NULL, NULL, error);
}

json_t *
sl_client_call_json(SlClient *client, const char *method, const char *path, json_t *body,
                    long *http_status, GError **error)
{
  return call(client, method, path, NULL, body, http_status, error);
}

static json_t *
call(SlClient *client, const char *method, const char *path, const char *const *form, json_t *json,
     long *http_status, GError **error)
{
  CURL *curl = curl_easy_init();
  if (curl == NULL) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: cannot initialise libcurl");
    return NULL;
  }
  g_autofree char *url = g_strconcat(client->base_url, path, NULL);
  g_autofree char *body = NULL;
  if (form != NULL) {
    body = encode_form(curl, form);
  } else if (json != NULL) {
    char *dump = json_dumps(json, JSON_COMPACT);
    body = g_strdup(dump);
    free(dump);
  }
  GString *answer = g_string_new(NULL);
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");
  if (body)
    headers = curl_slist_append(headers, json ? "Content-Type: application/json"
                                              : "Content-Type: application/x-www-form-urlencoded");

  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, client->connect_timeout);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stratus/" SL_VERSION);
  if (client->ca_file)
    curl_easy_setopt(curl, CURLOPT_CAINFO, client->ca_file);
  if (client->username) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, client->username);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, client->password ? client->password : "");
  } else if (client->cert) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, client->cert);
    curl_easy_setopt(curl, CURLOPT_SSLKEY, client->key);
  }
  if (strcmp(method, "GET") != 0)
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (body)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, ""); /* Content-Length: 0 */
  if (sl_cli_verbose(client->cli) >= 3)
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  sl_out_debug(client->cli, "%s %s%s%s", method, url, body ? " " : "",
               body && sl_cli_verbose(client->cli) >= 2 ? body : "");

  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (http_status != NULL)
    *http_status = status;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  json_t *result = NULL;
  if (rc != CURLE_OK) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: %s",
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
  } else if (status < 200 || status > 299) {
    g_autofree char *msg = service_message(status, answer);
    sl_out_debug(client->cli, "HTTP %ld: %s", status, answer->str);
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Service error: %s", msg);
  } else if (answer->len == 0) {
    result = json_null();
  } else {
    json_error_t jerr;
    result = json_loadb(answer->str, answer->len, JSON_DECODE_ANY, &jerr);
    if (result == NULL)
      g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                  "Service error: invalid JSON answer from %s: %s", url, jerr.text);
  }
  g_string_free(answer, TRUE);
  return result;
}
