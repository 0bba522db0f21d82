/* account.c - the start page, log-in, log-out and the account page; owns the
 * table of failed log-ins that slows down password guessing. */
#include <string.h>

#include "web/web-private.h"

/* After FREE_FAILURES failed log-ins of one user name, each further attempt
 * must wait FIRST_WAIT * 2^(n - FREE_FAILURES) seconds (at most MAX_WAIT) after
 * the last failure; the attempt is refused unchecked before that. A success clears
 * the count; an entry is forgotten FORGET seconds after its last failure. */
#define FREE_FAILURES 3
#define FIRST_WAIT 5
#define MAX_WAIT 60
#define FORGET 900
#define MAX_ENTRIES 10000

typedef struct {
  guint failures;
  gint64 last; /* monotonic seconds */
} Failures;

struct SlWebThrottle {
  GMutex lock;
  GHashTable *users; /* name -> Failures* */
};

static gint64
now_s(void)
{
  return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static SlWebThrottle *
throttle_new(void)
{
  SlWebThrottle *t = g_new0(SlWebThrottle, 1);
  g_mutex_init(&t->lock);
  t->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return t;
}

static void
throttle_free(SlWebThrottle *t)
{
  if (!t)
    return;
  g_hash_table_unref(t->users);
  g_mutex_clear(&t->lock);
  g_free(t);
}

static gint64
wait_of(const Failures *f)
{
  if (f->failures < FREE_FAILURES)
    return 0;
  guint k = MIN(f->failures - FREE_FAILURES, 6u);
  return MIN((gint64)FIRST_WAIT << k, (gint64)MAX_WAIT);
}

static gboolean
forgotten(gpointer key, gpointer value, gpointer data)
{
  (void)key;
  return *(gint64 *)data - ((Failures *)value)->last > FORGET;
}

/* Seconds the user must still wait (0: may try now). */
static gint64
throttle_wait(SlWebThrottle *t, const char *user)
{
  gint64 now = now_s(), left = 0;
  g_mutex_lock(&t->lock);
  Failures *f = g_hash_table_lookup(t->users, user);
  if (f) {
    gint64 until = f->last + wait_of(f);
    left = until > now ? until - now : 0;
  }
  g_mutex_unlock(&t->lock);
  return left;
}

static void
throttle_record(SlWebThrottle *t, const char *user, gboolean ok)
{
  gint64 now = now_s();
  g_mutex_lock(&t->lock);
  if (ok) {
    g_hash_table_remove(t->users, user);
  } else {
    if (g_hash_table_size(t->users) >= MAX_ENTRIES)
      g_hash_table_foreach_remove(t->users, forgotten, &now);
    Failures *f = g_hash_table_lookup(t->users, user);
    if (!f && g_hash_table_size(t->users) < MAX_ENTRIES) {
      f = g_new0(Failures, 1);
      g_hash_table_insert(t->users, g_strdup(user), f);
    }
    if (f) {
      f->failures++;
      f->last = now;
    }
  }
  g_mutex_unlock(&t->lock);
}

/* ---- pages ----------------------------------------------------------- */

static SlHttpResponse *
home(const SlHttpRequest *req, gpointer data)
{
  (void)data;
  return sl_web_page(200, "home.html", "Welcome", SL_WEB_NAV_NONE, req->session, NULL, NULL);
}

/* A local path to go back to after log-in ("/web/…" or "/"); else "/". */
static const char *
safe_next(const char *next)
{
  if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n"))
    return "/";
  return next;
}

static SlHttpResponse *
login_form(SlWeb *web, const SlHttpRequest *req, guint status, const char *username,
           const char *next, const char *problem)
{
  g_autoptr(SlHttpSession) created = NULL;
  /* a fresh anonymous session for the form (never reuse a logged-in one) */
  const SlHttpSession *s = req->session;
  if (!s || s->user) {
    created = sl_http_sessions_create(web->config.sessions, NULL);
    s = created;
  }
  json_t *ctx = json_object();
  json_object_set_new(ctx, "username", sl_web_str(username));
  json_object_set_new(ctx, "next", sl_web_str(safe_next(next)));
  if (problem)
    json_object_set_new(ctx, "problem", sl_web_str(problem));
  if (req->session && req->session->user && !problem)
    json_object_set_new(ctx, "notice",
                        json_sprintf("You are logged in as %s; logging in again replaces that.",
                                     req->session->user));
  return sl_web_page(status, "login.html", "Log in", SL_WEB_NAV_ACCOUNT, NULL, s, ctx);
}

static SlHttpResponse *
get_login(const SlHttpRequest *req, gpointer data)
{
  return login_form(data, req, 200, NULL, sl_web_query(req, "next"), NULL);
}

static SlHttpResponse *
post_login(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  const char *user = sl_http_request_field(req, "username");
  const char *password = sl_http_request_field(req, "password");
  const char *next = sl_http_request_field(req, "next");
  if (!user || !*user || !password || !*password || strlen(user) > 256)
    return login_form(web, req, 400, user, next, "Give your user name and password.");
  gint64 wait = throttle_wait(web->throttle, user);
  if (wait > 0) {
    g_autofree char *msg = g_strdup_printf(
        "Too many failed log-ins for this user name; try again in %" G_GINT64_FORMAT " s.", wait);
    SlHttpResponse *resp = login_form(web, req, 429, user, next, msg);
    g_autofree char *after = g_strdup_printf("%" G_GINT64_FORMAT, wait);
    sl_http_response_add_header(resp, "Retry-After", after);
    return resp;
  }
  gboolean ok = web->config.auth(web->config.auth_data, user, password);
  throttle_record(web->throttle, user, ok);
  if (!ok) {
    g_message("web: failed log-in for %s", user);
    return login_form(web, req, 401, user, next, "Wrong user name or password.");
  }
  /* a new identifier at log-in: a session fixed before it is worth nothing */
  if (req->session)
    sl_http_sessions_end(web->config.sessions, req->session->id);
  g_autoptr(SlHttpSession) s = sl_http_sessions_create(web->config.sessions, user);
  g_autofree char *cookie = sl_http_session_cookie(s->id, -1);
  g_message("web: %s logged in", user);
  return sl_web_redirect(safe_next(next), cookie);
}

static SlHttpResponse *
post_logout(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  if (req->session) {
    g_message("web: %s logged out", req->session->user ? req->session->user : "-");
    sl_http_sessions_end(web->config.sessions, req->session->id);
  }
  g_autofree char *cookie = sl_http_session_cookie("", 0);
  return sl_web_redirect("/", cookie);
}

static SlHttpResponse *
account(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  json_t *ctx = json_object();
  guint idle = web->config.idle_seconds ? web->config.idle_seconds : SL_HTTP_SESSION_IDLE_DEFAULT;
  json_object_set_new(ctx, "idle",
                      idle < 120 ? json_sprintf("%u seconds", idle)
                                 : json_sprintf("%u minutes", (idle + 59) / 60));
  return sl_web_page(200, "account.html", "Account", SL_WEB_NAV_ACCOUNT, req->session, NULL, ctx);
}

static const SlHttpRoute routes[] = {
    {"GET", "/", home, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"GET", "/web", home, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/login", get_login, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/login", post_login, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/logout", post_logout, SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/account", account, SL_HTTP_ROUTE_SESSION},
};

void
sl_web_account_register(SlHttpRouter *router, SlWeb *web)
{
  web->throttle = throttle_new();
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), web, NULL);
}

void
sl_web_account_free(SlWeb *web)
{
  throttle_free(web->throttle);
  web->throttle = NULL;
}
