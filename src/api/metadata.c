/* metadata.c - the Marketplace REST resources (protocols.md §5.1,
 * docs/marketplace.md). Public: no Basic auth (uploads are signed, reads
 * are a public registry).
 *
 *   GET  /metadata[/a[/b[/c]]]   list (xml | json DataTables | html)
 *   GET  /metadata/<id>/<email>/<created>  one entry (exact signed bytes)
 *   POST /metadata               upload (xml body or multipart/form-data),
 *                                or DataTables search (form-urlencoded)
 */
#include <string.h>

#include "api/api.h"
#include "http/multipart.h"
#include "http/negotiate.h"
#include "http/status.h"
#include "market/service.h"
#include "util/error.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
#define NOT_FOUND_QUERY "no metadata matching query found"
#define HTML_PAGE_ROWS 100

typedef enum { FMT_XML, FMT_JSON, FMT_HTML } Fmt;

/* What the resource can send, in its order of preference (http/negotiate.h):
 * XML first (the default media type, also for no Accept or a wildcard). */
static const char *const offered[] = {
    "application/xml",  "application/rdf+xml",   "text/xml", /* FMT_XML */
    "application/json",                                      /* FMT_JSON */
    "text/html",        "application/xhtml+xml",             /* FMT_HTML */
};
static const Fmt offered_fmt[] = {FMT_XML, FMT_XML, FMT_XML, FMT_JSON, FMT_HTML, FMT_HTML};
G_STATIC_ASSERT(G_N_ELEMENTS(offered) == G_N_ELEMENTS(offered_fmt));

/* The format for req's Accept; FALSE when none fits (406). *explicit_xml
 * tells whether XML was asked by name (errors then are XML). */
static gboolean
negotiate(const char *accept, Fmt *fmt, gboolean *explicit_xml)
{
  SlHttpNegotiation n;
  gboolean ok = sl_http_negotiate(accept, offered, G_N_ELEMENTS(offered), &n);
  *fmt = ok ? offered_fmt[n.index] : FMT_XML;
  *explicit_xml = ok && *fmt == FMT_XML && n.named;
  return ok;
}

static SlHttpResponse *
error_response(const SlHttpRequest *req, guint status, const char *message)
{
  Fmt fmt;
  gboolean xml;
  negotiate(req->accept, &fmt, &xml);
  if (xml) {
    g_autofree char *esc = g_markup_escape_text(message, -1);
    g_autofree char *text = g_strdup_printf(XML_DECL "<error>%s</error>", esc);
    gsize n = strlen(text);
    g_autoptr(GBytes) body = g_bytes_new_take(g_steal_pointer(&text), n);
    return sl_http_response_new(status, "application/xml; charset=utf-8", body);
  }
  json_t *o = json_object();
  json_object_set_new(o, "message", json_string(message));
  json_object_set_new(o, "code", json_integer(status));
  return sl_http_response_new_json(status, o);
}

static SlHttpResponse *
fail(const SlHttpRequest *req, const GError *error)
{
  return error_response(req, sl_http_status_for_error(error),
                        error ? error->message : "internal error");
}

static SlHttpResponse *
text_response(guint status, const char *type, GString *text)
{
  gsize n = text->len;
  g_autoptr(GBytes) body = g_bytes_new_take(g_string_free(text, FALSE), n);
  return sl_http_response_new(status, type, body);
}

/* ---- queries --------------------------------------------------------- */

static gboolean
is_created(const char *s)
{
  /* YYYY-MM-DDThh:mm:ssZ */
  static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
  if (strlen(s) != sizeof shape - 1)
    return FALSE;
  for (gsize i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !g_ascii_isdigit(s[i]) : s[i] != shape[i])
      return FALSE;
  return TRUE;
}

static gboolean
is_email(const char *s)
{
  const char *at = strchr(s, '@');
  return at && at != s && at[1] && !strchr(at + 1, '@');
}

static const char *
query_arg(const SlHttpRequest *req, const char *name)
{
  const char *v = g_hash_table_lookup(req->query, name);
  return v && *v ? v : NULL;
}

static gint64
query_int(const SlHttpRequest *req, const char *name, gint64 def)
{
  const char *v = query_arg(req, name);
  gint64 n;
  return v && g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, &n, NULL) ? n : def;
}

/* Path segments a, b, c and query arguments -> query (strings borrowed from
 * req). */
static void
build_query(const SlHttpRequest *req, SlMarketQuery *q)
{
  memset(q, 0, sizeof *q);
  const char *names[] = {"a", "b", "c"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    const char *seg = sl_http_request_param(req, names[i]);
    if (!seg)
      continue;
    if (is_email(seg))
      q->email = seg;
    else if (is_created(seg))
      q->created = seg;
    else
      q->identifier = seg;
  }
  if (!q->identifier)
    q->identifier = query_arg(req, "identifier");
  if (!q->email)
    q->email = query_arg(req, "email");
  if (!q->created)
    q->created = query_arg(req, "created");
  q->alternative = query_arg(req, "tag");
  q->latest_only = TRUE;
  const char *status = query_arg(req, "status");
  if (!status)
    q->status = "valid";
  else if (!strcmp(status, "valid") || !strcmp(status, "expired") || !strcmp(status, "deprecated"))
    q->status = status;
  const char *loc = query_arg(req, "location");
  if (loc && (!strcmp(loc, "web") || !strcmp(loc, "pdisk")))
    q->location = loc;
  q->search = query_arg(req, "sSearch");
  for (int i = 0; i < 5; i++) {
    char name[16];
    g_snprintf(name, sizeof name, "sSearch_%d", i + 1);
    q->column_search[i] = query_arg(req, name);
  }
  q->sort_column = (int)query_int(req, "iSortCol_0", 0);
  q->sort_desc = g_strcmp0(query_arg(req, "sSortDir_0"), "desc") == 0;
  q->offset = query_int(req, "iDisplayStart", 0);
  q->limit = query_int(req, "iDisplayLength", -1);
}

/* ---- renderers ------------------------------------------------------- */

static gboolean
append_entry_xml(SlMarketService *svc, const SlMarketRow *row, GString *out, GError **error)
{
  g_autoptr(GBytes) data = sl_market_service_read(svc, row, error);
  if (!data)
    return FALSE;
  gsize n;
  const char *p = g_bytes_get_data(data, &n);
  const char *end = p + n;
  /* drop the XML declaration (and the line break after it) */
  if (n >= 5 && !strncmp(p, "<?xml", 5)) {
    const char *q = g_strstr_len(p, (gssize)n, "?>");
    if (q) {
      p = q + 2;
      while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    }
  }
  g_string_append_len(out, p, end - p);
  return TRUE;
}

static SlHttpResponse *
list_xml(const SlHttpRequest *req, SlMarketService *svc, GPtrArray *rows)
{
  GString *out = g_string_new(XML_DECL "<metadata>");
  for (guint i = 0; i < rows->len; i++) {
    g_autoptr(GError) error = NULL;
    if (!append_entry_xml(svc, rows->pdata[i], out, &error)) {
      g_string_free(out, TRUE);
      return fail(req, error);
    }
  }
  g_string_append(out, "</metadata>");
  return text_response(200, "application/xml; charset=utf-8", out);
}

static json_t *
jstr(const char *s)
{
  json_t *j = json_string(s ? s : "");
  return j ? j : json_string("");
}

static SlHttpResponse *
list_json(const SlHttpRequest *req, GPtrArray *rows, gint64 total, gint64 displayed,
          const char *msg)
{
  json_t *data = json_array();
  for (guint i = 0; i < rows->len; i++) {
    const SlMarketRow *r = rows->pdata[i];
    json_t *a = json_array();
    json_array_append_new(a, json_string(""));
    json_array_append_new(a, jstr(r->os));
    json_array_append_new(a, jstr(r->os_version));
    json_array_append_new(a, jstr(r->os_arch));
    json_array_append_new(a, jstr(r->email));
    json_array_append_new(a, jstr(r->kind));
    json_array_append_new(a, jstr(r->created));
    json_array_append_new(a, jstr(r->identifier));
    json_array_append_new(a, jstr(r->location));
    json_array_append_new(a, jstr(r->description));
    json_array_append_new(a, jstr(r->title));
    json_array_append_new(data, a);
  }
  json_t *o = json_object();
  json_object_set_new(o, "sEcho", json_integer(query_int(req, "sEcho", 0)));
  json_object_set_new(o, "iTotalRecords", json_integer(total));
  json_object_set_new(o, "iTotalDisplayRecords", json_integer(displayed));
  json_object_set_new(o, "rMsg", json_string(msg));
  json_object_set_new(o, "aaData", data);
  return sl_http_response_new_json(200, o);
}

static void
html_head(GString *out, const char *title)
{
  g_string_append_printf(out,
                         "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n"
                         "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
                         "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;"
                         "vertical-align:top}</style></head>\n<body><h1>%s</h1>\n",
                         title, title);
}

static char *
esc(const char *s)
{
  return g_markup_escape_text(s ? s : "", -1);
}

static SlHttpResponse *
list_html(const SlHttpRequest *req, GPtrArray *rows, gint64 displayed, const SlMarketQuery *q)
{
  GString *out = g_string_new(NULL);
  html_head(out, "StratusLab Marketplace");
  g_string_append_printf(out,
                         "<p>%" G_GINT64_FORMAT " entries (status %s). Show: "
                         "<a href=\"/metadata?status=valid\">valid</a> "
                         "<a href=\"/metadata?status=expired\">expired</a> "
                         "<a href=\"/metadata?status=deprecated\">deprecated</a> "
                         "<a href=\"/metadata?status=all\">all</a>.</p>\n",
                         displayed, q->status ? q->status : "any");
  g_string_append(out, "<table><tr><th>identifier</th><th>os</th><th>version</th><th>arch</th>"
                       "<th>kind</th><th>endorser</th><th>created</th><th>title</th>"
                       "<th>description</th><th>location</th></tr>\n");
  for (guint i = 0; i < rows->len; i++) {
    const SlMarketRow *r = rows->pdata[i];
    const char *cells[] = {r->os,      r->os_version, r->os_arch,     r->kind,    r->email,
                           r->created, r->title,      r->description, r->location};
    g_autofree char *id = esc(r->identifier);
    g_autofree char *em = g_uri_escape_string(r->email, NULL, TRUE);
    g_string_append_printf(out, "<tr><td><a href=\"/metadata/%s/%s/%s\">%s</a>%s</td>", id, em,
                           r->created, id, r->deprecated ? " (deprecated)" : "");
    for (gsize c = 0; c < G_N_ELEMENTS(cells); c++) {
      g_autofree char *e = esc(cells[c]);
      g_string_append_printf(out, "<td>%s</td>", e);
    }
    g_string_append(out, "</tr>\n");
  }
  g_string_append(out, "</table>\n");
  if (q->limit > 0 && q->offset + q->limit < displayed) {
    g_string_append_printf(out,
                           "<p><a href=\"?status=%s&amp;iDisplayStart=%" G_GINT64_FORMAT
                           "&amp;iDisplayLength=%" G_GINT64_FORMAT "\">next page</a></p>\n",
                           q->status ? q->status : "all", q->offset + q->limit, q->limit);
  }
  g_string_append(out, "</body></html>\n");
  (void)req;
  return text_response(200, "text/html; charset=utf-8", out);
}

/* ---- one entry ------------------------------------------------------- */

static SlHttpResponse *
one_entry(const SlHttpRequest *req, SlMarketService *svc, const char *id, const char *email,
          const char *created)
{
  Fmt fmt;
  gboolean xml;
  negotiate(req->accept, &fmt, &xml);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketRow) row = sl_market_service_get(svc, id, email, created, &error);
  if (!row)
    return fail(req, error);
  if (fmt == FMT_JSON) {
    g_autoptr(GPtrArray) rows = g_ptr_array_new();
    g_ptr_array_add(rows, row);
    return list_json(req, rows, 1, 1, "");
  }
  g_autoptr(GBytes) data = sl_market_service_read(svc, row, &error);
  if (!data)
    return fail(req, error);
  if (fmt == FMT_XML) {
    SlHttpResponse *resp = sl_http_response_new(200, "application/rdf+xml", data);
    g_autofree char *disp = g_strdup_printf("attachment; filename=%s.xml", row->identifier);
    sl_http_response_add_header(resp, "Content-Disposition", disp);
    return resp;
  }
  GString *out = g_string_new(NULL);
  g_autofree char *title = esc(row->title && *row->title ? row->title : row->identifier);
  html_head(out, title);
  const char *names[] = {"identifier", "endorser",   "created",    "valid until", "deprecated",
                         "os",         "os version", "arch",       "kind",        "location",
                         "sha1",       "bytes",      "description"};
  g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT, row->bytes);
  const char *values[] = {
      row->identifier, row->email,      row->created,    row->valid, row->deprecated ? "yes" : "no",
      row->os,         row->os_version, row->os_arch,    row->kind,  row->location,
      row->sha1,       bytes,           row->description};
  g_string_append(out, "<table>\n");
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *e = esc(values[i]);
    g_string_append_printf(out, "<tr><th>%s</th><td>%s</td></tr>\n", names[i], e);
  }
  gsize n;
  const char *p = g_bytes_get_data(data, &n);
  g_autofree char *doc = g_markup_escape_text(p, (gssize)n);
  g_string_append_printf(out,
                         "</table>\n<h2>Signed entry</h2>\n<pre>%s</pre>\n"
                         "<p><a href=\"/metadata\">all entries</a></p></body></html>\n",
                         doc);
  return text_response(200, "text/html; charset=utf-8", out);
}

/* ---- handlers -------------------------------------------------------- */

static SlHttpResponse *
search(const SlHttpRequest *req, SlMarketService *svc, Fmt fmt)
{
  SlMarketQuery q;
  build_query(req, &q);
  if (fmt == FMT_HTML && q.limit <= 0)
    q.limit = HTML_PAGE_ROWS;
  gint64 total = 0, displayed = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = sl_market_service_search(svc, &q, &total, &displayed, &error);
  if (!rows)
    return fail(req, error);
  if (fmt == FMT_JSON)
    return list_json(req, rows, total, displayed, rows->len ? "" : NOT_FOUND_QUERY);
  if (rows->len == 0)
    return error_response(req, 404, NOT_FOUND_QUERY);
  if (fmt == FMT_HTML)
    return list_html(req, rows, displayed, &q);
  return list_xml(req, svc, rows);
}

static SlHttpResponse *
get_metadata(const SlHttpRequest *req, gpointer data)
{
  SlMarketService *svc = data;
  Fmt fmt;
  gboolean xml;
  if (!negotiate(req->accept, &fmt, &xml))
    return error_response(req, 406,
                          "not acceptable: /metadata answers application/xml, "
                          "application/rdf+xml, text/xml, application/json, text/html or "
                          "application/xhtml+xml");
  const char *a = sl_http_request_param(req, "a");
  const char *b = sl_http_request_param(req, "b");
  const char *c = sl_http_request_param(req, "c");
  if (a && b && c && !is_email(a) && !is_created(a) && is_email(b) && is_created(c))
    return one_entry(req, svc, a, b, c);
  return search(req, svc, fmt);
}

/* The entry of an upload form: the first file part, else the first part
 * named "Metadata File" (any case). */
typedef struct {
  GByteArray *file;  /* the first file part */
  GByteArray *named; /* the first "Metadata File" part */
  GByteArray *cur;   /* where the current part goes, or NULL */
} FormEntry;

static gboolean
form_begin(const SlHttpPart *part, gpointer data, GError **error)
{
  (void)error;
  FormEntry *f = data;
  f->cur = NULL;
  if (part->filename && !f->file)
    f->cur = f->file = g_byte_array_new();
  else if (!part->filename && !f->named && !g_ascii_strcasecmp(part->name, "metadata file"))
    f->cur = f->named = g_byte_array_new();
  return TRUE;
}

static gboolean
form_data(const SlHttpPart *part, const char *bytes, gsize len, gpointer data, GError **error)
{
  (void)part;
  (void)error;
  FormEntry *f = data;
  if (f->cur)
    g_byte_array_append(f->cur, (const guint8 *)bytes, (guint)len);
  return TRUE;
}

/* NULL with error for a malformed form, NULL without one when it has no entry. */
static GBytes *
form_entry(const char *content_type, const char *body, gsize len, GError **error)
{
  static const SlHttpMultipartCallbacks cb = {.begin = form_begin, .data = form_data};
  FormEntry f = {0};
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(content_type, &cb, &f, error);
  gboolean ok =
      mp && sl_http_multipart_feed(mp, body, len, error) && sl_http_multipart_finish(mp, error);
  GByteArray *keep = ok ? (f.file ? f.file : f.named) : NULL;
  if (f.file && f.file != keep)
    g_byte_array_unref(f.file);
  if (f.named && f.named != keep)
    g_byte_array_unref(f.named);
  return keep ? g_byte_array_free_to_bytes(keep) : NULL;
}

static SlHttpResponse *
post_metadata(const SlHttpRequest *req, gpointer data)
{
  SlMarketService *svc = data;
  const char *ct = req->content_type ? req->content_type : "";
  if (!g_ascii_strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
    /* DataTables search: the body is a query string */
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) form = sl_http_parse_body(ct, req->raw, req->raw_len, &error);
    if (!form)
      return fail(req, error);
    g_autoptr(GHashTable) merged = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, req->query);
    while (g_hash_table_iter_next(&it, &k, &v))
      g_hash_table_insert(merged, k, v);
    g_hash_table_iter_init(&it, form);
    while (g_hash_table_iter_next(&it, &k, &v))
      g_hash_table_insert(merged, k, v);
    SlHttpRequest sub = *req;
    sub.query = merged;
    return search(&sub, svc, FMT_JSON);
  }
  g_autoptr(GBytes) doc = NULL;
  if (!g_ascii_strncasecmp(ct, "multipart/form-data", 19)) {
    g_autoptr(GError) error = NULL;
    doc = form_entry(ct, req->raw ? req->raw : "", req->raw_len, &error);
    if (!doc && error)
      return fail(req, error);
    if (!doc)
      return error_response(req, 400, "invalid metadata: no metadata file in the form");
  } else {
    doc = g_bytes_new(req->raw, req->raw_len);
  }
  gsize n;
  const char *bytes = g_bytes_get_data(doc, &n);
  g_autoptr(GError) error = NULL;
  gboolean is_new = FALSE;
  g_autoptr(SlMarketRow) row =
      sl_market_service_upload(svc, bytes ? bytes : "", n, &is_new, &error);
  if (!row)
    return fail(req, error);
  g_autofree char *em = g_uri_escape_string(row->email, "@", TRUE);
  g_autofree char *tail = g_strdup_printf("/metadata/%s/%s/%s", row->identifier, em, row->created);
  g_autofree char *location =
      req->host ? g_strdup_printf("https://%s%s", req->host, tail) : g_strdup(tail);
  const char *msg =
      is_new ? "metadata entry created" : "metadata entry already exists (same document)";
  GString *text = g_string_new(msg);
  SlHttpResponse *resp = text_response(201, "text/plain; charset=utf-8", text);
  sl_http_response_add_header(resp, "Location", location);
  return resp;
}

static const SlHttpRoute routes[] = {
    {"GET", "/metadata", get_metadata, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/metadata/{a}", get_metadata, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/metadata/{a}/{b}", get_metadata, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/metadata/{a}/{b}/{c}", get_metadata, SL_HTTP_ROUTE_PUBLIC},
    {"POST", "/metadata", post_metadata, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_RAW_BODY},
};

void
sl_api_metadata_register(SlHttpRouter *router, SlMarketService *svc)
{
  /* the envelope (multipart headers) may add a little to the entry */
  sl_http_router_set_raw_body_max(router, sl_market_service_max_bytes(svc) + 64 * 1024);
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), svc, NULL);
}
