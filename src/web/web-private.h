/* web-private.h - what the portal's page files share (src/web/ only).
 *
 * SlWeb is the state every page handler gets as its route data. Page helpers
 * build complete responses: layout, security headers, session cookie.
 */
#pragma once
#include "http/http.h"
#include "web/web.h"

typedef struct SlWebThrottle SlWebThrottle;

typedef struct {
  SlWebConfig config;
  SlWebThrottle *throttle; /* failed log-ins (account.c) */
} SlWeb;

typedef enum {
  SL_WEB_NAV_NONE,
  SL_WEB_NAV_IMAGES,
  SL_WEB_NAV_DISKS,
  SL_WEB_NAV_MACHINES,
  SL_WEB_NAV_ACCOUNT,
} SlWebNav;

/* A page: template (in templates/) rendered with ctx (stolen; may be NULL)
 * inside the layout. The layout sees title, nav, the user and CSRF token of
 * session (may be NULL), and ctx's "notice", "problem" and "refresh". When
 * new_session is not NULL its cookie is set. On a template error: 500. */
SlHttpResponse *sl_web_page(guint status, const char *tmpl, const char *title, SlWebNav nav,
                            const SlHttpSession *session, const SlHttpSession *new_session,
                            json_t *ctx);
/* A plain error page (status, one line). */
SlHttpResponse *sl_web_error_page(const SlHttpRequest *req, guint status, const char *message);
/* 303 See Other to location; set_cookie (may be NULL) becomes a Set-Cookie. */
SlHttpResponse *sl_web_redirect(const char *location, const char *set_cookie);
/* Adds the headers every portal answer carries (CSP, nosniff, no framing,
 * referrer policy, no caching of personal pages). */
void sl_web_secure_headers(SlHttpResponse *resp);

/* The session of req, or a new anonymous one (*created is set to it, owned by
 * the caller, for sl_web_page's new_session) so that a form can carry a
 * CSRF token. */
const SlHttpSession *sl_web_session_for_form(SlWeb *web, const SlHttpRequest *req,
                                             SlHttpSession **created);

/* json_string of s, "" for NULL or invalid UTF-8. */
json_t *sl_web_str(const char *s);
/* Query argument, NULL when absent or empty. */
const char *sl_web_query(const SlHttpRequest *req, const char *name);

/* Page families (each file registers its routes). */
void sl_web_account_register(SlHttpRouter *router, SlWeb *web);
void sl_web_account_free(SlWeb *web); /* the throttle table */
void sl_web_static_register(SlHttpRouter *router, SlWeb *web);
void sl_web_market_register(SlHttpRouter *router, SlWeb *web);   /* no-op without a market */
void sl_web_machines_register(SlHttpRouter *router, SlWeb *web); /* no-op without a cloud */
void sl_web_disks_register(SlHttpRouter *router, SlWeb *web);    /* no-op without pdisk */
