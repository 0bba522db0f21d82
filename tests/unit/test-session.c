/* test-session.c - the portal's session table (http/session.c) and the
 * router's session routes: cookie identity, log-in redirect, CSRF refusal
 * before the handler, idle expiry, eviction, no Basic auth (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/http.h"
#include "http/session.h"

static gint64 fake_now = 1000;

static gint64
clock_fn(void)
{
  return fake_now;
}

static void
test_create_lookup_end(void **state)
{
  (void)state;
  g_autoptr(SlHttpSessions) t = sl_http_sessions_new(60, 0);
  sl_http_sessions_set_clock(t, clock_fn);
  g_autoptr(SlHttpSession) a = sl_http_sessions_create(t, "alice");
  g_autoptr(SlHttpSession) b = sl_http_sessions_create(t, NULL);
  assert_string_equal(a->user, "alice");
  assert_null(b->user);
  assert_true(strlen(a->id) >= 40 && strlen(a->csrf) >= 40);
  assert_string_not_equal(a->id, b->id);
  assert_string_not_equal(a->id, a->csrf);
  g_autoptr(SlHttpSession) a2 = sl_http_sessions_lookup(t, a->id);
  assert_non_null(a2);
  assert_string_equal(a2->user, "alice");
  assert_string_equal(a2->csrf, a->csrf);
  assert_true(sl_http_session_check_csrf(a2, a->csrf));
  assert_false(sl_http_session_check_csrf(a2, b->csrf));
  assert_false(sl_http_session_check_csrf(a2, ""));
  assert_false(sl_http_session_check_csrf(a2, NULL));
  assert_false(sl_http_session_check_csrf(NULL, a->csrf));
  assert_null(sl_http_sessions_lookup(t, "no-such-session"));
  assert_null(sl_http_sessions_lookup(t, ""));
  assert_null(sl_http_sessions_lookup(t, NULL));
  assert_int_equal(sl_http_sessions_count(t), 2);
  sl_http_sessions_end(t, a->id);
  assert_null(sl_http_sessions_lookup(t, a->id));
  assert_int_equal(sl_http_sessions_count(t), 1);
}

static void
test_idle_expiry(void **state)
{
  (void)state;
  g_autoptr(SlHttpSessions) t = sl_http_sessions_new(60, 0);
  sl_http_sessions_set_clock(t, clock_fn);
  fake_now = 1000;
  g_autoptr(SlHttpSession) a = sl_http_sessions_create(t, "alice");
  fake_now = 1059; /* a request just before the end restarts the clock */
  g_autoptr(SlHttpSession) a1 = sl_http_sessions_lookup(t, a->id);
  assert_non_null(a1);
  fake_now = 1118;
  g_autoptr(SlHttpSession) a2 = sl_http_sessions_lookup(t, a->id);
  assert_non_null(a2);
  fake_now = 1178; /* 60 s idle */
  assert_null(sl_http_sessions_lookup(t, a->id));
  assert_int_equal(sl_http_sessions_count(t), 0);
}

static void
test_eviction(void **state)
{
  (void)state;
  g_autoptr(SlHttpSessions) t = sl_http_sessions_new(600, 3);
  sl_http_sessions_set_clock(t, clock_fn);
  fake_now = 2000;
  g_autoptr(SlHttpSession) a = sl_http_sessions_create(t, "a");
  fake_now++;
  g_autoptr(SlHttpSession) b = sl_http_sessions_create(t, "b");
  fake_now++;
  g_autoptr(SlHttpSession) c = sl_http_sessions_create(t, "c");
  fake_now++;
  g_autoptr(SlHttpSession) a1 = sl_http_sessions_lookup(t, a->id); /* a used again */
  fake_now++;
  g_autoptr(SlHttpSession) d = sl_http_sessions_create(t, "d");
  assert_int_equal(sl_http_sessions_count(t), 3);
  g_autoptr(SlHttpSession) b1 = sl_http_sessions_lookup(t, b->id);
  assert_null(b1); /* the least recently used went */
  g_autoptr(SlHttpSession) a2 = sl_http_sessions_lookup(t, a->id);
  assert_non_null(a2);
  /* anonymous sessions are evicted before users' ones, even newer */
  fake_now++;
  g_autoptr(SlHttpSession) x = sl_http_sessions_create(t, NULL); /* evicts c (oldest user) */
  fake_now++;
  g_autoptr(SlHttpSession) y = sl_http_sessions_create(t, NULL); /* evicts x, not a or d */
  g_autoptr(SlHttpSession) a3 = sl_http_sessions_lookup(t, a->id);
  g_autoptr(SlHttpSession) d1 = sl_http_sessions_lookup(t, d->id);
  g_autoptr(SlHttpSession) x1 = sl_http_sessions_lookup(t, x->id);
  assert_non_null(a3);
  assert_non_null(d1);
  assert_null(x1);
}

static void
test_cookies(void **state)
{
  (void)state;
  g_autofree char *v = sl_http_cookie_get("a=1; sl_session=XYZ ;b=2", "sl_session");
  assert_string_equal(v, "XYZ");
  g_autofree char *n = sl_http_cookie_get("xsl_session=1; sl_sessionx=2", "sl_session");
  assert_null(n);
  assert_null(sl_http_cookie_get(NULL, "sl_session"));
  g_autofree char *c = sl_http_session_cookie("ID", -1);
  assert_string_equal(c, "sl_session=ID; Path=/; HttpOnly; Secure; SameSite=Strict");
  g_autofree char *d = sl_http_session_cookie("", 0);
  assert_string_equal(d, "sl_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

/* ---- router ------------------------------------------------------------ */

static int handler_calls;

static SlHttpResponse *
page(const SlHttpRequest *req, gpointer data)
{
  (void)data;
  handler_calls++;
  json_t *o = json_object();
  json_object_set_new(o, "user", req->user ? json_string(req->user) : json_null());
  json_object_set_new(o, "session", json_boolean(req->session != NULL));
  return sl_http_response_new_json(200, o);
}

static gboolean
always(gpointer data, const char *user, const char *password)
{
  (void)data;
  (void)user;
  (void)password;
  return TRUE;
}

static const SlHttpRoute routes[] = {
    {"GET", "/web/private", page, SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/private", page, SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/public", page, SL_HTTP_ROUTE_SESSION | SL_HTTP_ROUTE_PUBLIC},
    {"POST", "/web/raw", page, SL_HTTP_ROUTE_SESSION | SL_HTTP_ROUTE_RAW_BODY},
    {"GET", "/rest", page, SL_HTTP_ROUTE_AUTH},
};

static SlHttpResponse *
call(SlHttpRouter *r, const char *method, const char *path, const char *cookie, const char *body,
     GHashTable *query, const char *authorization)
{
  SlHttpInput in = {.method = method,
                    .path = path,
                    .query = query,
                    .cookie = cookie,
                    .authorization = authorization,
                    .content_type = body ? "application/x-www-form-urlencoded" : NULL,
                    .body = body,
                    .body_len = body ? strlen(body) : 0};
  g_autofree char *user = NULL;
  return sl_http_router_process(r, &in, &user);
}

static void
test_router_sessions(void **state)
{
  (void)state;
  g_autoptr(SlHttpSessions) t = sl_http_sessions_new(60, 0);
  g_autoptr(SlHttpRouter) r = sl_http_router_new();
  sl_http_router_set_auth(r, always, NULL);
  sl_http_router_set_sessions(r, t, "/web/login");
  sl_http_router_add(r, routes, G_N_ELEMENTS(routes), NULL, NULL);
  g_autoptr(SlHttpSession) s = sl_http_sessions_create(t, "alice");
  g_autoptr(SlHttpSession) anon = sl_http_sessions_create(t, NULL);
  g_autofree char *cookie = g_strdup_printf("x=1; sl_session=%s", s->id);
  g_autofree char *anon_cookie = g_strdup_printf("sl_session=%s", anon->id);
  const char *basic = "Basic YWxpY2U6cHc="; /* alice:pw */

  handler_calls = 0;
  g_autoptr(SlHttpResponse) r1 = call(r, "GET", "/web/private", NULL, NULL, NULL, basic);
  assert_int_equal(sl_http_response_get_status(r1), 303);
  assert_string_equal(sl_http_response_get_header(r1, "Location"), "/web/login?next=/web/private");
  g_autoptr(SlHttpResponse) r2 = call(r, "GET", "/web/private", anon_cookie, NULL, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(r2), 303);
  assert_int_equal(handler_calls, 0);
  g_autoptr(SlHttpResponse) r3 = call(r, "GET", "/web/private", cookie, NULL, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(r3), 200);
  assert_int_equal(handler_calls, 1);
  g_autoptr(SlHttpResponse) r4 = call(r, "GET", "/web/public", NULL, NULL, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(r4), 200);

  /* state changes need the session's token, else 403 and no handler call */
  handler_calls = 0;
  g_autoptr(SlHttpResponse) p1 = call(r, "POST", "/web/private", cookie, "a=1", NULL, NULL);
  assert_int_equal(sl_http_response_get_status(p1), 403);
  g_autofree char *wrong = g_strdup_printf("csrf=%s", anon->csrf);
  g_autoptr(SlHttpResponse) p2 = call(r, "POST", "/web/private", cookie, wrong, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(p2), 403);
  assert_int_equal(handler_calls, 0);
  g_autofree char *right = g_strdup_printf("csrf=%s", s->csrf);
  g_autoptr(SlHttpResponse) p3 = call(r, "POST", "/web/private", cookie, right, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(p3), 200);
  assert_int_equal(handler_calls, 1);
  /* a raw body route takes the token from the query */
  g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(SlHttpResponse) p4 = call(r, "POST", "/web/raw", cookie, right, q, NULL);
  assert_int_equal(sl_http_response_get_status(p4), 403);
  g_hash_table_insert(q, "csrf", s->csrf);
  g_autoptr(SlHttpResponse) p5 = call(r, "POST", "/web/raw", cookie, "x", q, NULL);
  assert_int_equal(sl_http_response_get_status(p5), 200);

  /* REST routes ignore the cookie */
  g_autoptr(SlHttpResponse) x1 = call(r, "GET", "/rest", cookie, NULL, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(x1), 401);
  g_autoptr(SlHttpResponse) x2 = call(r, "GET", "/rest", NULL, NULL, NULL, basic);
  assert_int_equal(sl_http_response_get_status(x2), 200);

  /* an ended session is nobody */
  sl_http_sessions_end(t, s->id);
  g_autoptr(SlHttpResponse) e1 = call(r, "POST", "/web/private", cookie, right, NULL, NULL);
  assert_int_equal(sl_http_response_get_status(e1), 303);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_lookup_end), cmocka_unit_test(test_idle_expiry),
      cmocka_unit_test(test_eviction),          cmocka_unit_test(test_cookies),
      cmocka_unit_test(test_router_sessions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
