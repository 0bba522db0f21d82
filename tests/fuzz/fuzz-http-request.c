/* fuzz-http-request.c - HTTP request heads as stratusd sees them after
 * libmicrohttpd: method, path, query, Authorization (Basic), Content-Type,
 * Accept, Host, then the body, through sl_http_router_process (routing,
 * ?method= tunnelling, credentials, body parsing) and the head helpers
 * (path normalisation, Basic auth, listen addresses).
 *
 * Input: one line each for method, path (with an optional ?query),
 * Authorization, Content-Type, Accept, Host; the rest is the body. An empty
 * header line means the header is absent. */
#include "fuzz.h"
#include "http/http.h"

static SlHttpResponse *
echo(const SlHttpRequest *req, gpointer data)
{
  (void)data;
  json_t *obj = json_object();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, req->params);
  while (g_hash_table_iter_next(&it, &k, &v))
    json_object_set_new(obj, k, json_string(v));
  g_hash_table_iter_init(&it, req->body);
  while (g_hash_table_iter_next(&it, &k, &v))
    json_object_set_new(obj, k, json_string(v));
  if (req->raw_len)
    json_object_set_new(obj, "raw", json_integer((json_int_t)req->raw_len));
  return sl_http_response_new_json(200, obj);
}

static const SlHttpRoute routes[] = {
    {"GET", "/", echo, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/disks", echo, SL_HTTP_ROUTE_AUTH},
    {"POST", "/disks", echo, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}", echo, SL_HTTP_ROUTE_AUTH},
    {"PUT", "/disks/{uuid}", echo, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/disks/{uuid}", echo, SL_HTTP_ROUTE_AUTH},
    {"POST", "/disks/{uuid}/mounts/{mount}", echo, SL_HTTP_ROUTE_AUTH},
    {"GET", "/metadata/{a}/{b}/{c}", echo, SL_HTTP_ROUTE_PUBLIC},
    {"POST", "/metadata", echo, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_RAW_BODY},
};

static gboolean
check_password(gpointer data, const char *user, const char *password)
{
  (void)data;
  return g_str_equal(user, "alice") && g_str_equal(password, "secret");
}

static SlHttpRouter *router;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  router = sl_http_router_new();
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), NULL, NULL);
  sl_http_router_set_auth(router, check_password, NULL);
  sl_http_router_set_raw_body_max(router, 4096);
  return 0;
}

#define OR_NULL(s) (*(s) ? (s) : NULL)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *method = fuzz_take_line(&data, &size);
  g_autofree char *target = fuzz_take_line(&data, &size);
  g_autofree char *authorization = fuzz_take_line(&data, &size);
  g_autofree char *content_type = fuzz_take_line(&data, &size);
  g_autofree char *accept = fuzz_take_line(&data, &size);
  g_autofree char *host = fuzz_take_line(&data, &size);

  /* libmicrohttpd hands over the path and the arguments separately, decoded */
  char *q = strchr(target, '?');
  g_autoptr(GHashTable) query = NULL;
  if (q) {
    *q++ = '\0';
    query = g_uri_parse_params(q, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  }
  g_autofree char *path = g_uri_unescape_string(target, NULL);
  if (!path)
    return 0;

  SlHttpInput in = {
      .method = method,
      .path = path,
      .query = query,
      .authorization = OR_NULL(authorization),
      .content_type = OR_NULL(content_type),
      .accept = OR_NULL(accept),
      .host = OR_NULL(host),
      .body = size ? (const char *)data : NULL,
      .body_len = size,
  };
  if (size <= sl_http_router_body_limit(router, method, path)) {
    g_autofree char *user = NULL;
    g_autoptr(SlHttpResponse) resp = sl_http_router_process(router, &in, &user);
    guint status = sl_http_response_get_status(resp);
    g_assert(status >= 200 && status < 600);
    g_assert(status != 500);
    if (user)
      g_assert(g_str_equal(user, "alice"));
  }

  g_autofree char *norm = sl_http_normalize_path(path);
  g_assert(norm[0] == '/');
  g_autofree char *allowed = sl_http_router_allowed(router, path);
  g_autofree char *user = NULL, *password = NULL;
  if (sl_http_parse_basic_auth(in.authorization, &user, &password))
    g_assert(*user && !strchr(user, ':'));
  g_autofree char *lhost = NULL;
  guint16 port = 0;
  g_autoptr(GError) error = NULL;
  if (!sl_http_parse_listen(host, 2634, &lhost, &port, &error))
    g_assert(error != NULL);
  return 0;
}
