/* session.h - server-side browser sessions of the portal (src/web/): an
 * opaque random identifier in a cookie, the user and a CSRF token kept here.
 *
 * A session is anonymous (user NULL: made for a form that needs a CSRF token,
 * e.g. the log-in form) or belongs to a user. It ends on log-out
 * (sl_http_sessions_end), after idle_seconds without a request, or when the
 * table is full (the least recently used anonymous one goes; only without any
 * anonymous session the least recently used one). Sessions live in memory
 * only: a daemon restart logs everybody out.
 *
 * Identifiers and tokens are 32 random bytes from the kernel (getrandom),
 * base64url. Lookups compare in constant time through a SHA-256 of the
 * identifier (the table is keyed by the digest, not the secret).
 *
 * Thread-safe: every call may come from any libmicrohttpd worker. Returned
 * SlHttpSession values are copies owned by the caller
 * (sl_http_session_free).
 */
#pragma once
#include <glib.h>

#define SL_HTTP_SESSION_COOKIE "sl_session"
#define SL_HTTP_SESSION_IDLE_DEFAULT (30 * 60)
#define SL_HTTP_SESSION_MAX_DEFAULT 10000

typedef struct {
  char *id;   /* the cookie value */
  char *user; /* NULL: anonymous */
  char *csrf; /* the token every state-changing form of this session carries */
} SlHttpSession;

void sl_http_session_free(SlHttpSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHttpSession, sl_http_session_free)

typedef struct SlHttpSessions SlHttpSessions;

/* idle_seconds 0: SL_HTTP_SESSION_IDLE_DEFAULT; max 0: SL_HTTP_SESSION_MAX_DEFAULT. */
SlHttpSessions *sl_http_sessions_new(guint idle_seconds, guint max);
void sl_http_sessions_free(SlHttpSessions *sessions);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHttpSessions, sl_http_sessions_free)

/* Test hook: the clock (monotonic seconds) used for idle expiry; NULL = real. */
void sl_http_sessions_set_clock(SlHttpSessions *sessions, gint64 (*now)(void));

/* A new session for user (NULL = anonymous) with fresh identifier and token. */
SlHttpSession *sl_http_sessions_create(SlHttpSessions *sessions, const char *user);
/* The live session of this identifier (its idle clock restarts), else NULL. */
SlHttpSession *sl_http_sessions_lookup(SlHttpSessions *sessions, const char *id);
/* Ends the session (no-op when unknown). */
void sl_http_sessions_end(SlHttpSessions *sessions, const char *id);
/* Number of live sessions (expired ones are dropped first). */
guint sl_http_sessions_count(SlHttpSessions *sessions);

/* TRUE when token equals the session's CSRF token (constant time). */
gboolean sl_http_session_check_csrf(const SlHttpSession *s, const char *token);

/* The value of cookie name in a Cookie header ("a=1; b=2"), newly allocated,
 * or NULL. */
char *sl_http_cookie_get(const char *header, const char *name);
/* "sl_session=<id>; Path=/; HttpOnly; Secure; SameSite=Strict" (max_age < 0:
 * no Max-Age, a browser-session cookie; 0: deletes it). */
char *sl_http_session_cookie(const char *id, gint max_age);
