/* test-http.c - routing, path normalisation, body parsing, auth, error JSON (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/http.h"
#include "http/status.h"
#include "util/error.h"

/* ---- helpers ----------------------------------------------------------- */

static SlHttpResponse *
echo_handler(const SlHttpRequest *req, gpointer data)
{
  json_t *o = json_object();
  json_object_set_new(o, "route", json_string(data));
  json_object_set_new(o, "method", json_string(req->method));
  json_object_set_new(o, "user", req->user ? json_string(req->user) : json_null());
  const char *uuid = sl_http_request_param(req, "uuid");
  if (uuid)
    json_object_set_new(o, "uuid", json_string(uuid));
  const char *mount = sl_http_request_param(req, "mount");
  if (mount)
    json_object_set_new(o, "mount", json_string(mount));
  const char *size = sl_http_request_field(req, "size");
  if (size)
    json_object_set_new(o, "size", json_string(size));
  return sl_http_response_new_json(200, o);
}

static SlHttpResponse *
failing_handler(const SlHttpRequest *req, gpointer data)
{
  (void)req;
  (void)data;
  g_autoptr(GError) error = NULL;
  g_set_error(&error, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) is in use", "x");
  return sl_http_response_new_error(error);
}

static const SlHttpRoute test_routes[] = {
    {"GET", "/", echo_handler, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/disks", echo_handler, SL_HTTP_ROUTE_AUTH},
    {"POST", "/disks", echo_handler, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}", echo_handler, SL_HTTP_ROUTE_AUTH},
    {"PUT", "/disks/{uuid}", echo_handler, SL_HTTP_ROUTE_AUTH},
    {"DELETE", "/disks/{uuid}", failing_handler, SL_HTTP_ROUTE_AUTH},
    {"GET", "/disks/{uuid}/mounts/{mount}", echo_handler, SL_HTTP_ROUTE_AUTH},
};

static int auth_calls;

static gboolean
fake_auth(gpointer data, const char *user, const char *password)
{
  (void)data;
  auth_calls++;
  return g_strcmp0(user, "alice") == 0 && g_strcmp0(password, "s3cret:x") == 0;
}

static SlHttpRouter *
make_router(void)
{
  SlHttpRouter *r = sl_http_router_new();
  sl_http_router_add(r, test_routes, G_N_ELEMENTS(test_routes), g_strdup("t"), g_free);
  sl_http_router_set_auth(r, fake_auth, NULL);
  return r;
}

static json_t *
body_json(SlHttpResponse *resp)
{
  GBytes *b = sl_http_response_get_body(resp);
  assert_non_null(b);
  gsize n;
  const char *data = g_bytes_get_data(b, &n);
  json_t *j = json_loadb(data, n, 0, NULL);
  assert_non_null(j);
  return j;
}

#define ALICE "Basic YWxpY2U6czNjcmV0Ong=" /* alice:s3cret:x */

static SlHttpResponse *
process(SlHttpRouter *r, const char *method, const char *path, const char *authz, char **user)
{
  SlHttpInput in = {.method = method, .path = path, .authorization = authz};
  return sl_http_router_process(r, &in, user);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_normalize(void **state)
{
  (void)state;
  const char *cases[][2] = {
      {"/", "/"},
      {"", "/"},
      {"/disks/", "/disks"},
      {"/disks", "/disks"},
      {"/disks//", "/disks"},
      {"/pswd", "/"},
      {"/pswd/", "/"},
      {"/pswd/disks/", "/disks"},
      {"/pswdx/disks", "/pswdx/disks"},
      {"/a/pswd/", "/a/pswd"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *n = sl_http_normalize_path(cases[i][0]);
    assert_string_equal(n, cases[i][1]);
  }
}

static void
test_match(void **state)
{
  (void)state;
  g_autoptr(SlHttpRouter) r = make_router();
  SlHttpMatch m;
  const char *uuid = "9c5a2c03-8243-4a1b-a248-0f0d22d948c2";
  g_autofree char *p1 = g_strdup_printf("/disks/%s", uuid);
  g_autofree char *p2 = g_strdup_printf("/pswd/disks/%s/", uuid);
  const char *paths[] = {p1, p2};
  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    assert_int_equal(sl_http_router_match(r, "GET", paths[i], &m), SL_HTTP_MATCH_FOUND);
    assert_ptr_equal(m.route, &test_routes[3]);
    assert_string_equal(g_hash_table_lookup(m.params, "uuid"), uuid);
    assert_string_equal(m.data, "t");
    sl_http_match_clear(&m);
  }
  assert_int_equal(sl_http_router_match(r, "GET", "/disks/", &m), SL_HTTP_MATCH_FOUND);
  assert_ptr_equal(m.route, &test_routes[1]);
  sl_http_match_clear(&m);
  assert_int_equal(sl_http_router_match(r, "HEAD", "/pswd/disks", &m), SL_HTTP_MATCH_FOUND);
  sl_http_match_clear(&m);
  assert_int_equal(sl_http_router_match(r, "GET", "/disks/a/mounts/a_7/", &m), SL_HTTP_MATCH_FOUND);
  assert_string_equal(g_hash_table_lookup(m.params, "uuid"), "a");
  assert_string_equal(g_hash_table_lookup(m.params, "mount"), "a_7");
  sl_http_match_clear(&m);
  assert_int_equal(sl_http_router_match(r, "PATCH", "/disks", &m), SL_HTTP_MATCH_NO_METHOD);
  assert_null(m.route);
  assert_int_equal(sl_http_router_match(r, "GET", "/disks/a/b", &m), SL_HTTP_MATCH_NO_PATH);
  assert_int_equal(sl_http_router_match(r, "GET", "/nowhere", &m), SL_HTTP_MATCH_NO_PATH);
  assert_int_equal(sl_http_router_match(r, "GET", "/pswd", &m), SL_HTTP_MATCH_FOUND);
  assert_ptr_equal(m.route, &test_routes[0]);
  sl_http_match_clear(&m);
}

static void
test_method_tunnel(void **state)
{
  (void)state;
  g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
  assert_string_equal(sl_http_effective_method("POST", q), "POST");
  g_hash_table_insert(q, "method", "put");
  assert_string_equal(sl_http_effective_method("POST", q), "PUT");
  assert_string_equal(sl_http_effective_method("GET", q), "GET");
  g_hash_table_insert(q, "method", "DELETE");
  assert_string_equal(sl_http_effective_method("POST", q), "DELETE");
  g_hash_table_insert(q, "method", "patch");
  assert_string_equal(sl_http_effective_method("POST", q), "POST");
  assert_string_equal(sl_http_effective_method("POST", NULL), "POST");
}

static void
test_form_body(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  const char *body = "size=5&tag=my+disk%21&visibility=PUBLIC&empty=";
  g_autoptr(GHashTable) f = sl_http_parse_body("application/x-www-form-urlencoded; charset=UTF-8",
                                               body, strlen(body), &error);
  assert_non_null(f);
  assert_string_equal(g_hash_table_lookup(f, "size"), "5");
  assert_string_equal(g_hash_table_lookup(f, "tag"), "my disk!");
  assert_string_equal(g_hash_table_lookup(f, "visibility"), "PUBLIC");
  assert_string_equal(g_hash_table_lookup(f, "empty"), "");
  /* no content type: treated as a form (curl -d sends one anyway) */
  g_autoptr(GHashTable) g = sl_http_parse_body(NULL, "node=h&vm_id=7", 14, &error);
  assert_non_null(g);
  assert_string_equal(g_hash_table_lookup(g, "vm_id"), "7");
  g_autoptr(GHashTable) e = sl_http_parse_body("application/json", NULL, 0, &error);
  assert_non_null(e);
  assert_int_equal(g_hash_table_size(e), 0);
  g_autoptr(GHashTable) bad = sl_http_parse_body(NULL, "a=%zz", 5, &error);
  assert_null(bad);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  g_clear_error(&error);
  g_autoptr(GHashTable) mp =
      sl_http_parse_body("multipart/form-data; boundary=x", "--x", 3, &error);
  assert_null(mp);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNSUPPORTED));
}

static void
test_json_body(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  const char *body =
      "{\"size\": 2, \"tag\": \"json\", \"ratio\": 1.5, \"seed\": true, \"q\": null}";
  g_autoptr(GHashTable) f = sl_http_parse_body("application/json", body, strlen(body), &error);
  assert_non_null(f);
  assert_string_equal(g_hash_table_lookup(f, "size"), "2");
  assert_string_equal(g_hash_table_lookup(f, "tag"), "json");
  assert_string_equal(g_hash_table_lookup(f, "ratio"), "1.5");
  assert_string_equal(g_hash_table_lookup(f, "seed"), "true");
  assert_false(g_hash_table_contains(f, "q"));
  /* nested values travel as compact JSON text (POST /vms/ context, disk lists) */
  const char *nested = "{\"a\": [1, \"x\"], \"o\": {\"K\": \"v\"}}";
  g_autoptr(GHashTable) n = sl_http_parse_body("application/json", nested, strlen(nested), &error);
  assert_non_null(n);
  assert_string_equal(g_hash_table_lookup(n, "a"), "[1,\"x\"]");
  assert_string_equal(g_hash_table_lookup(n, "o"), "{\"K\":\"v\"}");
  const char *bad[] = {"[1,2]", "{nope", "\"str\""};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GHashTable) t =
        sl_http_parse_body("application/json", bad[i], strlen(bad[i]), &error);
    assert_null(t);
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    g_clear_error(&error);
  }
}

static void
test_basic_auth(void **state)
{
  (void)state;
  g_autofree char *u = NULL;
  g_autofree char *p = NULL;
  assert_true(sl_http_parse_basic_auth(ALICE, &u, &p));
  assert_string_equal(u, "alice");
  assert_string_equal(p, "s3cret:x");
  g_clear_pointer(&u, g_free);
  g_clear_pointer(&p, g_free);
  assert_true(sl_http_parse_basic_auth("basic  Ym9iOg==", &u, &p)); /* bob: (empty password) */
  assert_string_equal(u, "bob");
  assert_string_equal(p, "");
  g_clear_pointer(&u, g_free);
  g_clear_pointer(&p, g_free);
  const char *bad[] = {NULL,         "",           "Bearer abc", "Basic",
                       "Basic !!!!", "Basic Ym9i", "Basic OnB3", /* ":pw" */ "BasicYWxpY2U6eA=="};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_false(sl_http_parse_basic_auth(bad[i], &u, &p));
    assert_null(u);
    assert_null(p);
  }
}

static void
test_listen(void **state)
{
  (void)state;
  g_autofree char *h = NULL;
  guint16 port = 0;
  g_autoptr(GError) error = NULL;
  assert_true(sl_http_parse_listen("127.0.0.1:2634", 1, &h, &port, &error));
  assert_string_equal(h, "127.0.0.1");
  assert_int_equal(port, 2634);
  g_clear_pointer(&h, g_free);
  assert_true(sl_http_parse_listen("[::1]:8443", 1, &h, &port, &error));
  assert_string_equal(h, "::1");
  assert_int_equal(port, 8443);
  g_clear_pointer(&h, g_free);
  assert_true(sl_http_parse_listen("localhost", 99, &h, &port, &error));
  assert_string_equal(h, "localhost");
  assert_int_equal(port, 99);
  g_clear_pointer(&h, g_free);
  const char *bad[] = {"", ":80", "host:", "host:99999", "host:x", "[::1", "[]:1", "[::1]x"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_false(sl_http_parse_listen(bad[i], 1, &h, &port, &error));
    assert_null(h);
    g_clear_error(&error);
  }
}

static void
test_error_json(void **state)
{
  (void)state;
  g_autoptr(GError) error =
      g_error_new(SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", "abc");
  g_autoptr(SlHttpResponse) resp = sl_http_response_new_error(error);
  assert_int_equal(sl_http_response_get_status(resp), 404);
  assert_string_equal(sl_http_response_get_content_type(resp), "application/json");
  json_t *j = body_json(resp);
  assert_string_equal(json_string_value(json_object_get(j, "message")),
                      "disk (abc) does not exist");
  assert_int_equal(json_integer_value(json_object_get(j, "code")), 404);
  json_decref(j);
  /* foreign domain: 500 */
  g_autoptr(GError) other = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "gone");
  g_autoptr(SlHttpResponse) r2 = sl_http_response_new_error(other);
  assert_int_equal(sl_http_response_get_status(r2), 500);
  g_autoptr(SlHttpResponse) r3 = sl_http_response_new_message(401, "authentication required");
  assert_string_equal(sl_http_response_get_header(r3, "www-authenticate"),
                      "Basic realm=\"StratusLab\"");
}

static void
test_process_auth(void **state)
{
  (void)state;
  g_autoptr(SlHttpRouter) r = make_router();
  g_autofree char *user = NULL;
  /* public home page without credentials */
  g_autoptr(SlHttpResponse) home = process(r, "GET", "/", NULL, &user);
  assert_int_equal(sl_http_response_get_status(home), 200);
  assert_null(user);
  /* everything else needs credentials, even unknown paths */
  const char *const authz[] = {NULL, "Basic YWxpY2U6d3Jvbmc=", "Basic Ym9iOnMzY3JldDp4", "junk"};
  for (gsize i = 0; i < G_N_ELEMENTS(authz); i++) {
    const char *paths[] = {"/disks/", "/nowhere"};
    for (gsize k = 0; k < G_N_ELEMENTS(paths); k++) {
      g_autoptr(SlHttpResponse) resp = process(r, "GET", paths[k], authz[i], &user);
      assert_int_equal(sl_http_response_get_status(resp), 401);
      assert_null(user);
      assert_string_equal(sl_http_response_get_header(resp, "WWW-Authenticate"),
                          "Basic realm=\"StratusLab\"");
      json_t *j = body_json(resp);
      assert_string_equal(json_string_value(json_object_get(j, "message")),
                          "authentication required");
      assert_int_equal(json_integer_value(json_object_get(j, "code")), 401);
      json_decref(j);
    }
  }
  g_autoptr(SlHttpResponse) ok = process(r, "GET", "/pswd/disks/", ALICE, &user);
  assert_int_equal(sl_http_response_get_status(ok), 200);
  assert_string_equal(user, "alice");
  json_t *j = body_json(ok);
  assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
  json_decref(j);
}

static void
test_process_errors(void **state)
{
  (void)state;
  g_autoptr(SlHttpRouter) r = make_router();
  g_autofree char *user = NULL;
  g_autoptr(SlHttpResponse) nf = process(r, "GET", "/nowhere/", ALICE, &user);
  assert_int_equal(sl_http_response_get_status(nf), 404);
  json_t *j = body_json(nf);
  assert_string_equal(json_string_value(json_object_get(j, "message")),
                      "no such resource: /nowhere/");
  json_decref(j);
  g_clear_pointer(&user, g_free);
  g_autoptr(SlHttpResponse) na = process(r, "PATCH", "/disks/", ALICE, &user);
  assert_int_equal(sl_http_response_get_status(na), 405);
  j = body_json(na);
  assert_string_equal(json_string_value(json_object_get(j, "message")),
                      "method PATCH not allowed on /disks/");
  json_decref(j);
  assert_string_equal(sl_http_response_get_header(na, "Allow"), "GET, HEAD, POST");
  g_clear_pointer(&user, g_free);
  /* handler errors map through GError codes */
  g_autoptr(SlHttpResponse) conflict = process(r, "DELETE", "/disks/x", ALICE, &user);
  assert_int_equal(sl_http_response_get_status(conflict), 409);
  g_clear_pointer(&user, g_free);
  /* tunnelled DELETE */
  g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(q, "method", "delete");
  SlHttpInput in = {.method = "POST", .path = "/disks/x/", .query = q, .authorization = ALICE};
  g_autoptr(SlHttpResponse) tun = sl_http_router_process(r, &in, &user);
  assert_int_equal(sl_http_response_get_status(tun), 409);
  g_clear_pointer(&user, g_free);
  /* bodies reach the handler; a bad body is 400 */
  const char *json = "{\"size\": 12}";
  SlHttpInput post = {.method = "POST",
                      .path = "/disks",
                      .authorization = ALICE,
                      .content_type = "application/json",
                      .body = json,
                      .body_len = strlen(json)};
  g_autoptr(SlHttpResponse) created = sl_http_router_process(r, &post, &user);
  assert_int_equal(sl_http_response_get_status(created), 200);
  j = body_json(created);
  assert_string_equal(json_string_value(json_object_get(j, "size")), "12");
  json_decref(j);
  g_clear_pointer(&user, g_free);
  post.body = "{";
  post.body_len = 1;
  g_autoptr(SlHttpResponse) badbody = sl_http_router_process(r, &post, &user);
  assert_int_equal(sl_http_response_get_status(badbody), 400);
}

/* The one table: every semantic code has its status; the values are not statuses. */
static void
test_status_table(void **state)
{
  (void)state;
  static const struct {
    SlErrorCode code;
    guint status;
  } want[] = {
      {SL_ERROR_INVALID, 400},     {SL_ERROR_UNAUTHORIZED, 401},   {SL_ERROR_FORBIDDEN, 403},
      {SL_ERROR_NOT_FOUND, 404},   {SL_ERROR_NOT_ACCEPTABLE, 406}, {SL_ERROR_CONFLICT, 409},
      {SL_ERROR_TOO_LARGE, 413},   {SL_ERROR_UNSUPPORTED, 415},    {SL_ERROR_INTERNAL, 500},
      {SL_ERROR_UNAVAILABLE, 503}, {SL_ERROR_NO_SPACE, 507},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    g_autoptr(GError) e = g_error_new_literal(SL_ERROR, want[i].code, "x");
    assert_int_equal(sl_http_status_for_error(e), want[i].status);
    assert_int_not_equal((guint)want[i].code, want[i].status);
  }
  g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
  assert_int_equal(sl_http_status_for_error(other), 500);
  g_autoptr(GError) unknown = g_error_new_literal(SL_ERROR, 404, "a status is not a code");
  assert_int_equal(sl_http_status_for_error(unknown), 500);
  assert_int_equal(sl_http_status_for_error(NULL), 500);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_table),   cmocka_unit_test(test_normalize),
      cmocka_unit_test(test_match),          cmocka_unit_test(test_method_tunnel),
      cmocka_unit_test(test_form_body),      cmocka_unit_test(test_json_body),
      cmocka_unit_test(test_basic_auth),     cmocka_unit_test(test_listen),
      cmocka_unit_test(test_error_json),     cmocka_unit_test(test_process_auth),
      cmocka_unit_test(test_process_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
