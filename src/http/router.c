/* router.c - the routing table and the socket-free request pipeline. */
#include "http/http.h"

#include <string.h>

#include "util/error.h"

typedef struct {
  const SlHttpRoute *route;
  char **segments; /* pattern split on '/', without the leading empty one */
  guint n_segments;
  gpointer data;
} Entry;

typedef struct {
  gpointer data;
  GDestroyNotify destroy;
} Owned;

struct SlHttpRouter {
  GArray *entries; /* of Entry */
  GArray *owned;   /* of Owned */
  SlHttpAuthFunc auth;
  gpointer auth_data;
  gsize raw_body_max;
  SlHttpSessions *sessions;
  char *login_path;
};

SlHttpRouter *
sl_http_router_new(void)
{
  SlHttpRouter *router = g_new0(SlHttpRouter, 1);
  router->entries = g_array_new(FALSE, TRUE, sizeof(Entry));
  router->owned = g_array_new(FALSE, TRUE, sizeof(Owned));
  router->raw_body_max = SL_HTTP_MAX_BODY;
  return router;
}

void
sl_http_router_free(SlHttpRouter *router)
{
  if (!router)
    return;
  for (guint i = 0; i < router->entries->len; i++)
    g_strfreev(g_array_index(router->entries, Entry, i).segments);
  g_array_unref(router->entries);
  for (guint i = 0; i < router->owned->len; i++) {
    Owned *o = &g_array_index(router->owned, Owned, i);
    if (o->destroy)
      o->destroy(o->data);
  }
  g_array_unref(router->owned);
  g_free(router->login_path);
  g_free(router);
}

/* "/a/b" -> {"a", "b"}; "/" -> {} */
static char **
split_path(const char *normalized, guint *n)
{
  if (strcmp(normalized, "/") == 0) {
    *n = 0;
    return g_new0(char *, 1);
  }
  char **parts = g_strsplit(normalized + 1, "/", -1);
  *n = g_strv_length(parts);
  return parts;
}

void
sl_http_router_add(SlHttpRouter *router, const SlHttpRoute *routes, gsize n, gpointer data,
                   GDestroyNotify destroy)
{
  for (gsize i = 0; i < n; i++) {
    g_autofree char *norm = sl_http_normalize_path(routes[i].pattern);
    Entry e = {.route = &routes[i], .data = data};
    e.segments = split_path(norm, &e.n_segments);
    g_array_append_val(router->entries, e);
  }
  if (data || destroy) {
    Owned o = {data, destroy};
    g_array_append_val(router->owned, o);
  }
}

void
sl_http_router_set_auth(SlHttpRouter *router, SlHttpAuthFunc func, gpointer data)
{
  router->auth = func;
  router->auth_data = data;
}

void
sl_http_router_set_sessions(SlHttpRouter *router, SlHttpSessions *sessions, const char *login_path)
{
  router->sessions = sessions;
  g_free(router->login_path);
  router->login_path = g_strdup(login_path);
}

void
sl_http_router_set_raw_body_max(SlHttpRouter *router, gsize max)
{
  router->raw_body_max = max;
}

gsize
sl_http_router_body_limit(SlHttpRouter *router, const char *method, const char *path)
{
  SlHttpMatch match;
  gsize limit = SL_HTTP_MAX_BODY;
  if (sl_http_router_match(router, method, path, &match) == SL_HTTP_MATCH_FOUND &&
      (match.route->flags & SL_HTTP_ROUTE_RAW_BODY))
    limit = router->raw_body_max;
  sl_http_match_clear(&match);
  return limit;
}

static gboolean
is_param(const char *segment, gsize *len)
{
  *len = strlen(segment);
  return *len > 2 && segment[0] == '{' && segment[*len - 1] == '}';
}

static gboolean
entry_matches(const Entry *e, char **parts, guint n, GHashTable *params)
{
  if (e->n_segments != n)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    gsize len;
    if (is_param(e->segments[i], &len)) {
      if (!*parts[i])
        return FALSE;
      if (params)
        g_hash_table_insert(params, g_strndup(e->segments[i] + 1, len - 2), g_strdup(parts[i]));
    } else if (strcmp(e->segments[i], parts[i]) != 0) {
      return FALSE;
    }
  }
  return TRUE;
}

SlHttpMatchResult
sl_http_router_match(SlHttpRouter *router, const char *method, const char *path, SlHttpMatch *match)
{
  memset(match, 0, sizeof *match);
  g_autofree char *norm = sl_http_normalize_path(path);
  guint n;
  g_auto(GStrv) parts = split_path(norm, &n);
  if (g_strcmp0(method, "HEAD") == 0)
    method = "GET";
  gboolean path_known = FALSE;
  for (guint i = 0; i < router->entries->len; i++) {
    const Entry *e = &g_array_index(router->entries, Entry, i);
    if (!entry_matches(e, parts, n, NULL))
      continue;
    path_known = TRUE;
    if (g_strcmp0(e->route->method, method) != 0)
      continue;
    match->route = e->route;
    match->data = e->data;
    match->params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    entry_matches(e, parts, n, match->params);
    return SL_HTTP_MATCH_FOUND;
  }
  return path_known ? SL_HTTP_MATCH_NO_METHOD : SL_HTTP_MATCH_NO_PATH;
}

char *
sl_http_router_allowed(SlHttpRouter *router, const char *path)
{
  g_autofree char *norm = sl_http_normalize_path(path);
  guint n;
  g_auto(GStrv) parts = split_path(norm, &n);
  GString *allow = g_string_new(NULL);
  for (guint i = 0; i < router->entries->len; i++) {
    const Entry *e = &g_array_index(router->entries, Entry, i);
    if (!entry_matches(e, parts, n, NULL))
      continue;
    if (allow->len)
      g_string_append(allow, ", ");
    g_string_append(allow, e->route->method);
    if (g_strcmp0(e->route->method, "GET") == 0)
      g_string_append(allow, ", HEAD");
  }
  return g_string_free(allow, FALSE);
}

void
sl_http_match_clear(SlHttpMatch *match)
{
  g_clear_pointer(&match->params, g_hash_table_unref);
  match->route = NULL;
  match->data = NULL;
}

const char *
sl_http_request_param(const SlHttpRequest *req, const char *name)
{
  return req->params ? g_hash_table_lookup(req->params, name) : NULL;
}

const char *
sl_http_request_field(const SlHttpRequest *req, const char *name)
{
  return req->body ? g_hash_table_lookup(req->body, name) : NULL;
}

static char *
authenticate(SlHttpRouter *router, const char *authorization)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  if (!router->auth || !sl_http_parse_basic_auth(authorization, &user, &password))
    return NULL;
  gboolean ok = router->auth(router->auth_data, user, password);
  if (password)
    memset(password, 0, strlen(password));
  return ok ? g_steal_pointer(&user) : NULL;
}

static SlHttpResponse *
call_handler(const SlHttpInput *in, GHashTable *query, const char *method, SlHttpMatch *match,
             GHashTable *body, const char *user, const SlHttpSession *session)
{
  gboolean raw = (match->route->flags & SL_HTTP_ROUTE_RAW_BODY) != 0;
  SlHttpRequest req = {
      .method = method,
      .path = in->path,
      .params = match->params,
      .query = query,
      .body = body,
      .user = user,
      .accept = in->accept,
      .content_type = in->content_type,
      .host = in->host,
      .raw = raw ? in->body : NULL,
      .raw_len = raw ? in->body_len : 0,
      .session = session,
  };
  SlHttpResponse *resp = match->route->handler(&req, match->data);
  sl_http_match_clear(match);
  if (!resp)
    resp = sl_http_response_new_message(500, "internal error");
  return resp;
}

/* A portal route: identity from the session cookie, CSRF on state changes. */
static SlHttpResponse *
process_session(SlHttpRouter *router, const SlHttpInput *in, GHashTable *query, const char *method,
                SlHttpMatch *match, char **user_out)
{
  g_autoptr(SlHttpSession) session = NULL;
  if (router->sessions) {
    g_autofree char *id = sl_http_cookie_get(in->cookie, SL_HTTP_SESSION_COOKIE);
    session = sl_http_sessions_lookup(router->sessions, id);
  }
  const char *user = session ? session->user : NULL;
  *user_out = g_strdup(user);
  if (!user && !(match->route->flags & SL_HTTP_ROUTE_PUBLIC)) {
    sl_http_match_clear(match);
    SlHttpResponse *resp = sl_http_response_new_message(303, "log-in required");
    g_autofree char *next = g_uri_escape_string(in->path, "/", TRUE);
    g_autofree char *loc =
        g_strdup_printf("%s?next=%s", router->login_path ? router->login_path : "/", next);
    sl_http_response_add_header(resp, "Location", loc);
    return resp;
  }
  gboolean raw = (match->route->flags & SL_HTTP_ROUTE_RAW_BODY) != 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) body =
      raw ? g_hash_table_new(g_str_hash, g_str_equal)
          : sl_http_parse_body(in->content_type, in->body, in->body_len, &error);
  if (!body) {
    sl_http_match_clear(match);
    return sl_http_response_new_error(error);
  }
  if (g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0) {
    const char *token =
        raw ? g_hash_table_lookup(query, "csrf") : g_hash_table_lookup(body, "csrf");
    if (!sl_http_session_check_csrf(session, token)) {
      sl_http_match_clear(match);
      return sl_http_response_new_message(403, "invalid or missing CSRF token");
    }
  }
  return call_handler(in, query, method, match, body, user, session);
}

SlHttpResponse *
sl_http_router_process(SlHttpRouter *router, const SlHttpInput *in, char **user_out)
{
  *user_out = NULL;
  g_autoptr(GHashTable) empty_query = NULL;
  GHashTable *query = in->query;
  if (!query)
    query = empty_query = g_hash_table_new(g_str_hash, g_str_equal);
  const char *method = sl_http_effective_method(in->method, query);

  SlHttpMatch match;
  SlHttpMatchResult result = sl_http_router_match(router, method, in->path, &match);
  gboolean public = result == SL_HTTP_MATCH_FOUND && (match.route->flags & SL_HTTP_ROUTE_PUBLIC);
  if (result == SL_HTTP_MATCH_FOUND && (match.route->flags & SL_HTTP_ROUTE_SESSION))
    return process_session(router, in, query, method, &match, user_out);
  g_autofree char *user = NULL;
  if (!public) {
    user = authenticate(router, in->authorization);
    if (!user) {
      sl_http_match_clear(&match);
      return sl_http_response_new_message(401, "authentication required");
    }
  }
  *user_out = g_strdup(user);
  if (result == SL_HTTP_MATCH_NO_PATH)
    return sl_http_response_new_message(404, "no such resource: %s", in->path);
  if (result == SL_HTTP_MATCH_NO_METHOD) {
    SlHttpResponse *resp =
        sl_http_response_new_message(405, "method %s not allowed on %s", method, in->path);
    g_autofree char *allow = sl_http_router_allowed(router, in->path);
    sl_http_response_add_header(resp, "Allow", allow);
    return resp;
  }

  g_autoptr(GError) error = NULL;
  gboolean raw = (match.route->flags & SL_HTTP_ROUTE_RAW_BODY) != 0;
  g_autoptr(GHashTable) body =
      raw ? g_hash_table_new(g_str_hash, g_str_equal)
          : sl_http_parse_body(in->content_type, in->body, in->body_len, &error);
  if (!body) {
    sl_http_match_clear(&match);
    return sl_http_response_new_error(error);
  }
  return call_handler(in, query, method, &match, body, user, NULL);
}
