/* http.h - the HTTP layer of stratusd: routing table, requests, responses.
 *
 * Resources (src/api/) register routes declaratively: a method, a path
 * pattern whose "{name}" segments capture path parameters, and a handler.
 * Every pattern also answers under the "/pswd" prefix and with or without a
 * trailing slash. A POST with ?method=put|delete acts as PUT/DELETE.
 *
 * Everything up to the handler call is socket-free (sl_http_router_process),
 * so routing, parsing, auth and error mapping are unit-testable; server.c only
 * moves bytes between libmicrohttpd and this.
 */
#pragma once
#include <glib.h>
#include <jansson.h>

#include "http/session.h"

/* ---- requests ---------------------------------------------------------- */

typedef struct {
  const char *method;       /* effective method (after ?method= tunnelling) */
  const char *path;         /* as received, e.g. "/pswd/disks/" (for messages) */
  GHashTable *params;       /* path parameters: "uuid" -> "…" (never NULL) */
  GHashTable *query;        /* query arguments (never NULL) */
  GHashTable *body;         /* body fields, form or JSON object (never NULL) */
  const char *user;         /* authenticated user; NULL on public routes */
  const char *accept;       /* Accept header or NULL */
  const char *content_type; /* Content-Type header or NULL */
  const char *host;         /* Host header or NULL */
  const char *raw;          /* the body as received (SL_HTTP_ROUTE_RAW_BODY routes) */
  gsize raw_len;
  const SlHttpSession *session; /* the browser session (SL_HTTP_ROUTE_SESSION routes) or NULL */
} SlHttpRequest;

/* Field lookups: NULL when absent. */
const char *sl_http_request_param(const SlHttpRequest *req, const char *name);
const char *sl_http_request_field(const SlHttpRequest *req, const char *name);

/* ---- responses --------------------------------------------------------- */

typedef struct SlHttpResponse SlHttpResponse;

/* body may be NULL (empty). The response keeps a reference to body. */
SlHttpResponse *sl_http_response_new(guint status, const char *content_type, GBytes *body);
/* Serialises json (stolen) once, compact, as application/json. */
SlHttpResponse *sl_http_response_new_json(guint status, json_t *json);
/* {"message": error->message, "code": status}; status from the error's code
 * (http/status.h: SL_ERROR codes, 500 for anything else). */
SlHttpResponse *sl_http_response_new_error(const GError *error);
SlHttpResponse *sl_http_response_new_message(guint status, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
void sl_http_response_add_header(SlHttpResponse *resp, const char *name, const char *value);
void sl_http_response_free(SlHttpResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHttpResponse, sl_http_response_free)

guint sl_http_response_get_status(const SlHttpResponse *resp);
const char *sl_http_response_get_content_type(const SlHttpResponse *resp);
GBytes *sl_http_response_get_body(const SlHttpResponse *resp); /* borrowed, may be NULL */
/* NULL-terminated flat array name, value, name, value, … (borrowed). */
const char *const *sl_http_response_get_headers(const SlHttpResponse *resp, guint *n_pairs);
const char *sl_http_response_get_header(const SlHttpResponse *resp, const char *name);

/* ---- routing ----------------------------------------------------------- */

typedef SlHttpResponse *(*SlHttpHandler)(const SlHttpRequest *req, gpointer data);

typedef enum {
  SL_HTTP_ROUTE_AUTH = 0,   /* needs an authenticated user (default) */
  SL_HTTP_ROUTE_PUBLIC = 1, /* served without credentials */
  /* The body is not parsed: the handler reads req->raw (any content type);
   * bodies up to sl_http_router_set_raw_body_max() bytes are accepted. */
  SL_HTTP_ROUTE_RAW_BODY = 2,
  /* A portal page (src/web/): the identity comes from the session cookie
   * (http/session.h), never from Basic auth. Without a logged-in session a
   * route that is not also PUBLIC answers 303 to the log-in page. Any method
   * but GET/HEAD must carry the session's CSRF token, as the body field
   * "csrf" (or, for RAW_BODY routes, the query argument "csrf"), else 403
   * and the handler is not called. */
  SL_HTTP_ROUTE_SESSION = 4,
} SlHttpRouteFlags;

typedef struct {
  const char *method;  /* "GET", "POST", "PUT", "DELETE" */
  const char *pattern; /* "/disks/{uuid}/mounts/{mount}" (without /pswd, no trailing /) */
  SlHttpHandler handler;
  SlHttpRouteFlags flags;
} SlHttpRoute;

/* Checks a user's password; must be thread-safe (sl_auth_verify fits). */
typedef gboolean (*SlHttpAuthFunc)(gpointer data, const char *user, const char *password);

typedef struct SlHttpRouter SlHttpRouter;

SlHttpRouter *sl_http_router_new(void);
void sl_http_router_free(SlHttpRouter *router);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHttpRouter, sl_http_router_free)

/* Registers n routes (the array must outlive the router, typically static);
 * data is passed to their handlers and released with destroy when the router
 * is freed. Not thread-safe: register everything before serving. */
void sl_http_router_add(SlHttpRouter *router, const SlHttpRoute *routes, gsize n, gpointer data,
                        GDestroyNotify destroy);
/* Largest body of SL_HTTP_ROUTE_RAW_BODY routes (default SL_HTTP_MAX_BODY). */
void sl_http_router_set_raw_body_max(SlHttpRouter *router, gsize max);
/* Largest body accepted for a request (the route's limit; SL_HTTP_MAX_BODY
 * when no route matches). */
gsize sl_http_router_body_limit(SlHttpRouter *router, const char *method, const char *path);
/* Without an auth function every authenticated route answers 401. */
void sl_http_router_set_auth(SlHttpRouter *router, SlHttpAuthFunc func, gpointer data);
/* The session table of SL_HTTP_ROUTE_SESSION routes (borrowed; must outlive
 * the router) and the log-in page they redirect to ("/web/login"). Without
 * it those routes treat every request as anonymous. */
void sl_http_router_set_sessions(SlHttpRouter *router, SlHttpSessions *sessions,
                                 const char *login_path);

typedef enum {
  SL_HTTP_MATCH_FOUND,
  SL_HTTP_MATCH_NO_PATH,   /* 404 */
  SL_HTTP_MATCH_NO_METHOD, /* 405 */
} SlHttpMatchResult;

typedef struct {
  const SlHttpRoute *route;
  gpointer data;
  GHashTable *params; /* owned; free with sl_http_match_clear */
} SlHttpMatch;

/* Matches a received path (any /pswd prefix, trailing slashes) against the table.
 * HEAD matches GET routes. */
SlHttpMatchResult sl_http_router_match(SlHttpRouter *router, const char *method, const char *path,
                                       SlHttpMatch *match);
void sl_http_match_clear(SlHttpMatch *match);
/* "GET, HEAD, POST" for the methods registered on path ("" if none). */
char *sl_http_router_allowed(SlHttpRouter *router, const char *path);

/* One request as read from the wire. */
typedef struct {
  const char *method;
  const char *path;          /* decoded path, without the query */
  GHashTable *query;         /* may be NULL */
  const char *authorization; /* Authorization header or NULL */
  const char *content_type;  /* Content-Type header or NULL */
  const char *accept;        /* Accept header or NULL */
  const char *host;          /* Host header or NULL */
  const char *cookie;        /* Cookie header or NULL */
  const char *body;          /* may be NULL when body_len == 0 */
  gsize body_len;
} SlHttpInput;

/* Routes, authenticates, parses the body and calls the handler. Never returns
 * NULL. *user is set to the authenticated user (or NULL), newly allocated. */
SlHttpResponse *sl_http_router_process(SlHttpRouter *router, const SlHttpInput *in, char **user);

/* ---- helpers (exported for tests) -------------------------------------- */

/* Path without the /pswd prefix and without trailing slashes ("/" stays "/"). */
char *sl_http_normalize_path(const char *path);
/* "PUT"/"DELETE" for a POST with ?method=put|delete (any case), else method. */
const char *sl_http_effective_method(const char *method, GHashTable *query);
/* Fields of an x-www-form-urlencoded or JSON-object body; an empty body gives
 * an empty table. JSON numbers and booleans become their text, nested objects
 * and arrays their compact JSON text, nulls are dropped. Errors are SL_ERROR_INVALID (400) or
 * SL_ERROR_UNSUPPORTED (415) for other types. */
GHashTable *sl_http_parse_body(const char *content_type, const char *data, gsize len,
                               GError **error);
/* Decodes "Basic base64(user:password)". FALSE if absent or malformed. */
gboolean sl_http_parse_basic_auth(const char *header, char **user, char **password);
/* "host:port", "[v6]:port", or "host" (default_port). */
gboolean sl_http_parse_listen(const char *listen, guint16 default_port, char **host, guint16 *port,
                              GError **error);

/* ---- server ------------------------------------------------------------ */

#define SL_HTTP_MAX_BODY (1024 * 1024)

typedef struct SlHttpServer SlHttpServer;

/* Starts HTTPS on host:port (port 0 = any free port) with a thread pool of one
 * thread per core. cert_pem/key_pem are copied. Fails with a one-line message
 * ("cannot listen on …: Address already in use"). The router must outlive the
 * server. */
SlHttpServer *sl_http_server_start(SlHttpRouter *router, const char *host, guint16 port,
                                   const char *cert_pem, const char *key_pem, GError **error);
/* The port actually bound. */
guint16 sl_http_server_get_port(SlHttpServer *server);
/* Stops accepting, waits (at most timeout_ms) for in-flight requests, stops. */
void sl_http_server_stop(SlHttpServer *server, guint timeout_ms);
