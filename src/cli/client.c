/* client.c - HTTPS client of the services on util/http-client: Basic auth
 * (or a PEM client certificate), Accept: application/json, form bodies, JSON
 * answers, peer and host always verified.
 */
#include "client.h"

#include "sl-config.h"
#include "util/http-client.h"

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
  g_autofree char *url = g_strconcat(client->base_url, path, NULL);
  g_autofree char *body = NULL;
  if (form != NULL) {
    body = sl_http_client_form_encode(form);
  } else if (json != NULL) {
    char *dump = json_dumps(json, JSON_COMPACT);
    body = g_strdup(dump);
    free(dump);
  }
  const char *headers[] = {"Accept: application/json", "Expect:",
                           body ? (json ? "Content-Type: application/json"
                                        : "Content-Type: application/x-www-form-urlencoded")
                                : NULL,
                           NULL};
  gboolean empty_post = !body && (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0);
  SlHttpClientRequest r = {
      .url = url,
      .method = method,
      .headers = headers,
      .body = body ? body : (empty_post ? "" : NULL), /* POST/PUT: Content-Length: 0 */
      .body_len = body ? strlen(body) : 0,
      .ca_file = client->ca_file,
      .username = client->username,
      .password = client->password,
      .client_cert = client->username ? NULL : client->cert,
      .client_key = client->username ? NULL : client->key,
      .connect_timeout_s = client->connect_timeout,
      .timeout_s = 300,
      .verbose = sl_cli_verbose(client->cli) >= 3,
  };
  sl_out_debug(client->cli, "%s %s%s%s", method, url, body ? " " : "",
               body && sl_cli_verbose(client->cli) >= 2 ? body : "");

  SlHttpClientAnswer a;
  g_autoptr(GError) net_error = NULL;
  gboolean ok = sl_http_client_perform(&r, &a, &net_error);
  if (http_status != NULL)
    *http_status = a.status;
  json_t *result = NULL;
  if (!ok) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Network error: %s", net_error->message);
  } else if (a.status < 200 || a.status > 299) {
    g_autofree char *msg = service_message(a.status, a.body);
    sl_out_debug(client->cli, "HTTP %ld: %s", a.status, a.body->str);
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Service error: %s", msg);
  } else if (a.body->len == 0) {
    result = json_null();
  } else {
    json_error_t jerr;
    result = json_loadb(a.body->str, a.body->len, JSON_DECODE_ANY, &jerr);
    if (result == NULL)
      g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                  "Service error: invalid JSON answer from %s: %s", url, jerr.text);
  }
  sl_http_client_answer_clear(&a);
  return result;
}
