/* page.c - the layout every portal page is rendered into, the security
 * headers of every portal answer, redirects and error pages. */
#include <string.h>

#include "sl-config.h"
#include "web/template.h"
#include "web/web-private.h"

#define CSP                                                                                        \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                \
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void
sl_web_secure_headers(SlHttpResponse *resp)
{
  sl_http_response_add_header(resp, "Content-Security-Policy", CSP);
  sl_http_response_add_header(resp, "X-Content-Type-Options", "nosniff");
  sl_http_response_add_header(resp, "X-Frame-Options", "DENY");
  sl_http_response_add_header(resp, "Referrer-Policy", "same-origin");
  sl_http_response_add_header(resp, "Cache-Control", "no-store");
}

json_t *
sl_web_str(const char *s)
{
  json_t *j = s ? json_string(s) : NULL;
  return j ? j : json_string("");
}

const char *
sl_web_query(const SlHttpRequest *req, const char *name)
{
  const char *v = req->query ? g_hash_table_lookup(req->query, name) : NULL;
  return v && *v ? v : NULL;
}

static gboolean
render_named(const char *name, json_t *ctx, GString *out, GError **error)
{
  g_autoptr(GBytes) t = sl_web_template_get(name, error);
  if (!t)
    return FALSE;
  gsize n;
  const char *text = g_bytes_get_data(t, &n);
  return sl_web_template_render(text, (gssize)n, ctx, out, error);
}

SlHttpResponse *
sl_web_page(guint status, const char *tmpl, const char *title, SlWebNav nav,
            const SlHttpSession *session, const SlHttpSession *new_session, json_t *ctx)
{
  if (!ctx)
    ctx = json_object();
  const SlHttpSession *s = new_session ? new_session : session;
  json_object_set_new(ctx, "title", sl_web_str(title));
  json_object_set_new(ctx, "version", json_string(SL_VERSION));
  if (s && s->user)
    json_object_set_new(ctx, "user", sl_web_str(s->user));
  if (s && s->csrf)
    json_object_set_new(ctx, "csrf", sl_web_str(s->csrf));
  static const char *const navs[] = {NULL, "nav_images", "nav_disks", "nav_machines",
                                     "nav_account"};
  if (nav != SL_WEB_NAV_NONE)
    json_object_set_new(ctx, navs[nav], json_true());

  g_autoptr(GError) error = NULL;
  GString *content = g_string_new(NULL);
  if (!render_named(tmpl, ctx, content, &error)) {
    g_string_free(content, TRUE);
    json_decref(ctx);
    g_warning("web: %s", error->message);
    SlHttpResponse *resp = sl_http_response_new_message(500, "internal error (page template)");
    sl_web_secure_headers(resp);
    return resp;
  }
  json_object_set_new(ctx, "content", json_stringn(content->str, content->len));
  g_string_free(content, TRUE);
  GString *out = g_string_sized_new(4096);
  gboolean ok = render_named("layout.html", ctx, out, &error);
  json_decref(ctx);
  if (!ok) {
    g_string_free(out, TRUE);
    g_warning("web: %s", error->message);
    SlHttpResponse *resp = sl_http_response_new_message(500, "internal error (page layout)");
    sl_web_secure_headers(resp);
    return resp;
  }
  gsize n = out->len;
  g_autoptr(GBytes) body = g_bytes_new_take(g_string_free(out, FALSE), n);
  SlHttpResponse *resp = sl_http_response_new(status, "text/html; charset=utf-8", body);
  sl_web_secure_headers(resp);
  if (new_session) {
    g_autofree char *cookie = sl_http_session_cookie(new_session->id, -1);
    sl_http_response_add_header(resp, "Set-Cookie", cookie);
  }
  return resp;
}

SlHttpResponse *
sl_web_error_page(const SlHttpRequest *req, guint status, const char *message)
{
  const char *title = status == 404   ? "Not found"
                      : status == 403 ? "Forbidden"
                      : status >= 500 ? "Server error"
                                      : "Cannot do that";
  json_t *ctx = json_object();
  json_object_set_new(ctx, "problem", sl_web_str(message));
  return sl_web_page(status, "error.html", title, SL_WEB_NAV_NONE, req ? req->session : NULL, NULL,
                     ctx);
}

SlHttpResponse *
sl_web_redirect(const char *location, const char *set_cookie)
{
  SlHttpResponse *resp = sl_http_response_new(303, NULL, NULL);
  sl_http_response_add_header(resp, "Location", location);
  if (set_cookie)
    sl_http_response_add_header(resp, "Set-Cookie", set_cookie);
  sl_web_secure_headers(resp);
  return resp;
}

const SlHttpSession *
sl_web_session_for_form(SlWeb *web, const SlHttpRequest *req, SlHttpSession **created)
{
  *created = NULL;
  if (req->session)
    return req->session;
  *created = sl_http_sessions_create(web->config.sessions, NULL);
  return *created;
}
