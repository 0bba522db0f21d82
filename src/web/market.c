/* market.c - the Marketplace pages (no log-in): search with filters, paging
 * and sorting done by the store; an entry page with every field, the
 * checksums, the endorsement and links to the exact signed XML and to JSON;
 * an endorser page; the upload form (same rules as POST /metadata). */
#include <string.h>

#include "http/multipart.h"
#include "market/entry.h"
#include "util/error.h"
#include "web/web-private.h"

#define PER_PAGE_DEFAULT 25
#define PER_PAGE_MAX 100

/* Sortable columns: query name, label, DataTables column of SlMarketQuery. */
static const struct {
  const char *name, *label;
  int column;
  gboolean wide;
} columns[] = {
    {"title", "Title", 10, FALSE},       {"os", "OS", 1, FALSE},
    {"os_version", "Version", 2, FALSE}, {"arch", "Arch", 3, FALSE},
    {"kind", "Kind", 5, FALSE},          {"endorser", "Endorser", 4, FALSE},
    {"created", "Endorsed", 6, TRUE},    {"location", "Location", 8, TRUE},
};

/* The filter arguments of the search page, in the order of its URLs. */
static const char *const filter_names[] = {
    "q", "status", "location", "os", "osv", "arch", "endorser", "kind", "sort", "dir", "per_page"};

static char *
esc_segment(const char *s)
{
  return g_uri_escape_string(s ? s : "", NULL, TRUE);
}

static char *
entry_url(const char *identifier, const char *email, const char *created, const char *suffix)
{
  g_autofree char *i = esc_segment(identifier);
  g_autofree char *e = esc_segment(email);
  g_autofree char *c = esc_segment(created);
  return g_strdup_printf("/web/images/%s/%s/%s%s", i, e, c, suffix ? suffix : "");
}

static char *
endorser_url(const char *email)
{
  g_autofree char *e = esc_segment(email);
  return g_strconcat("/web/endorsers/", e, NULL);
}

/* base?name=value&… of the current arguments with one or two replaced
 * (value NULL drops the argument). */
static char *
page_url(const SlHttpRequest *req, const char *base, const char *n1, const char *v1, const char *n2,
         const char *v2, const char *n3, const char *v3)
{
  GString *u = g_string_new(base);
  gboolean first = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(filter_names) + 3; i++) {
    const char *name, *value;
    if (i < G_N_ELEMENTS(filter_names)) {
      name = filter_names[i];
      if (!g_strcmp0(name, n1) || !g_strcmp0(name, n2) || !g_strcmp0(name, n3))
        continue;
      value = sl_web_query(req, name);
    } else {
      gsize k = i - G_N_ELEMENTS(filter_names);
      name = k == 0 ? n1 : k == 1 ? n2 : n3;
      value = k == 0 ? v1 : k == 1 ? v2 : v3;
    }
    if (!name || !value)
      continue;
    g_autofree char *ev = g_uri_escape_string(value, NULL, TRUE);
    g_string_append_printf(u, "%s%s=%s", first ? "?" : "&", name, ev);
    first = FALSE;
  }
  return g_string_free(u, FALSE);
}

static char *
now_text(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return sl_market_format_date(now);
}

static const char *
row_status(const SlMarketRow *r, const char *now)
{
  if (r->deprecated)
    return "deprecated";
  if (r->valid && *r->valid && strcmp(r->valid, now) < 0)
    return "expired";
  return "valid";
}

static json_t *
options(const char *const *values, const char *const *labels, gsize n, const char *current)
{
  json_t *a = json_array();
  for (gsize i = 0; i < n; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(values[i]));
    json_object_set_new(o, "label", json_string(labels[i]));
    if (!g_strcmp0(values[i], current ? current : ""))
      json_object_set_new(o, "on", json_true());
    json_array_append_new(a, o);
  }
  return a;
}

/* Runs the search of req (filters from the query) and fills ctx; the endorser
 * page passes its e-mail as a fixed filter. */
static SlHttpResponse *
search_page(SlWeb *web, const SlHttpRequest *req, const char *endorser, const char *base,
            const char *title)
{
  SlMarketQuery q = {0};
  q.latest_only = TRUE;
  const char *status = sl_web_query(req, "status");
  if (endorser) /* every entry of the endorser, newest first */
    q.status = status && strcmp(status, "all") ? status : NULL;
  else
    q.status = !status ? "valid" : !strcmp(status, "all") ? NULL : status;
  if (q.status && strcmp(q.status, "valid") && strcmp(q.status, "expired") &&
      strcmp(q.status, "deprecated"))
    return sl_web_error_page(req, 400, "Unknown status (valid, expired, deprecated or all).");
  const char *loc = sl_web_query(req, "location");
  if (loc && strcmp(loc, "web") && strcmp(loc, "pdisk"))
    return sl_web_error_page(req, 400, "Unknown location (web or pdisk).");
  q.location = loc;
  q.email = endorser;
  q.search = sl_web_query(req, "q");
  q.column_search[0] = sl_web_query(req, "os");
  q.column_search[1] = sl_web_query(req, "osv");
  q.column_search[2] = sl_web_query(req, "arch");
  q.column_search[3] = endorser ? NULL : sl_web_query(req, "endorser");
  q.column_search[4] = sl_web_query(req, "kind");
  const char *sort = sl_web_query(req, "sort");
  gboolean desc = g_strcmp0(sl_web_query(req, "dir"), "desc") == 0;
  for (gsize i = 0; sort && i < G_N_ELEMENTS(columns); i++)
    if (!strcmp(sort, columns[i].name))
      q.sort_column = columns[i].column;
  q.sort_desc = desc;
  gint64 per = PER_PAGE_DEFAULT, page = 1;
  const char *pp = sl_web_query(req, "per_page");
  if (pp && (!g_ascii_string_to_signed(pp, 10, 1, PER_PAGE_MAX, &per, NULL)))
    return sl_web_error_page(req, 400, "per_page must be a number from 1 to 100.");
  const char *pg = sl_web_query(req, "page");
  if (pg && !g_ascii_string_to_signed(pg, 10, 1, G_MAXINT32, &page, NULL))
    return sl_web_error_page(req, 400, "page must be a positive number.");
  q.offset = (page - 1) * per;
  q.limit = per;
  g_autofree char *now = now_text(); /* for the status column; the search uses the service's */

  gint64 total = 0, displayed = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows =
      sl_market_service_search(web->config.market, &q, &total, &displayed, &error);
  if (!rows)
    return sl_web_error_page(req, 500, error->message);

  json_t *ctx = json_object();
  json_t *f = json_object();
  for (gsize i = 0; i < G_N_ELEMENTS(filter_names); i++)
    json_object_set_new(f, filter_names[i], sl_web_str(sl_web_query(req, filter_names[i])));
  json_object_set_new(ctx, "f", f);
  static const char *const st_v[] = {"valid", "expired", "deprecated", "all"};
  static const char *const st_l[] = {"valid", "expired", "deprecated", "all"};
  static const char *const st_ev[] = {"all", "valid", "expired", "deprecated"};
  json_object_set_new(ctx, "statuses",
                      endorser ? options(st_ev, st_ev, 4, status ? status : "all")
                               : options(st_v, st_l, 4, status ? status : "valid"));
  static const char *const lo_v[] = {"", "web", "pdisk"};
  static const char *const lo_l[] = {"any", "web", "pdisk"};
  json_object_set_new(ctx, "locations", options(lo_v, lo_l, 3, loc));

  json_t *cols = json_array();
  for (gsize i = 0; i < G_N_ELEMENTS(columns); i++) {
    gboolean on = sort && !strcmp(sort, columns[i].name);
    g_autofree char *url = page_url(req, base, "sort", columns[i].name, "dir",
                                    on && !desc ? "desc" : "asc", "page", NULL);
    json_t *c = json_object();
    json_object_set_new(c, "label", json_string(columns[i].label));
    json_object_set_new(c, "url", json_string(url));
    if (on)
      json_object_set_new(c, "arrow", json_string(desc ? " ▼" : " ▲"));
    if (columns[i].wide)
      json_object_set_new(c, "wide", json_true());
    json_array_append_new(cols, c);
  }
  json_object_set_new(ctx, "columns", cols);

  json_t *list = json_array();
  for (guint i = 0; i < rows->len; i++) {
    const SlMarketRow *r = rows->pdata[i];
    json_t *o = json_object();
    g_autofree char *u = entry_url(r->identifier, r->email, r->created, NULL);
    g_autofree char *eu = endorser_url(r->email);
    json_object_set_new(o, "url", json_string(u));
    json_object_set_new(o, "endorser_url", json_string(eu));
    json_object_set_new(o, "title", sl_web_str(r->title && *r->title ? r->title : r->identifier));
    json_object_set_new(o, "identifier", sl_web_str(r->identifier));
    json_object_set_new(o, "os", sl_web_str(r->os));
    json_object_set_new(o, "os_version", sl_web_str(r->os_version));
    json_object_set_new(o, "os_arch", sl_web_str(r->os_arch));
    json_object_set_new(o, "kind", sl_web_str(r->kind));
    json_object_set_new(o, "email", sl_web_str(r->email));
    json_object_set_new(o, "created", sl_web_str(r->created));
    json_object_set_new(o, "location", sl_web_str(r->location));
    json_object_set_new(o, "status", json_string(row_status(r, now)));
    json_array_append_new(list, o);
  }
  json_object_set_new(ctx, "has_rows", json_boolean(rows->len > 0));
  json_object_set_new(ctx, "rows", list);
  json_object_set_new(ctx, "displayed", json_integer(displayed));
  json_object_set_new(ctx, "one", json_boolean(displayed == 1));
  gint64 pages = (displayed + per - 1) / per;
  if (pages > 1) {
    json_object_set_new(ctx, "page", json_integer(page));
    json_object_set_new(ctx, "pages", json_integer(pages));
  }
  if (page > 1) {
    g_autofree char *p = g_strdup_printf("%" G_GINT64_FORMAT, page - 1);
    g_autofree char *u = page_url(req, base, "page", p, NULL, NULL, NULL, NULL);
    json_object_set_new(ctx, "prev_url", json_string(u));
  }
  if (page < pages) {
    g_autofree char *p = g_strdup_printf("%" G_GINT64_FORMAT, page + 1);
    g_autofree char *u = page_url(req, base, "page", p, NULL, NULL, NULL, NULL);
    json_object_set_new(ctx, "next_url", json_string(u));
  }
  if (!displayed)
    json_object_set_new(ctx, "notice", json_string("No entry matches; try fewer filters."));
  return sl_web_page(200, "images.html", title, SL_WEB_NAV_IMAGES, req->session, NULL, ctx);
}

static SlHttpResponse *
images(const SlHttpRequest *req, gpointer data)
{
  return search_page(data, req, NULL, "/web/images", "Marketplace images");
}

static SlHttpResponse *
endorser(const SlHttpRequest *req, gpointer data)
{
  const char *email = sl_http_request_param(req, "email");
  g_autofree char *title = g_strdup_printf("Entries endorsed by %s", email);
  g_autofree char *base = endorser_url(email);
  return search_page(data, req, email, base, title);
}

/* The row, its signed bytes and their parse, or an error page. */
static SlHttpResponse *
load_entry(SlWeb *web, const SlHttpRequest *req, SlMarketRow **row, GBytes **bytes,
           SlMarketEntry **entry)
{
  g_autoptr(GError) error = NULL;
  *row = sl_market_service_get(web->config.market, sl_http_request_param(req, "id"),
                               sl_http_request_param(req, "email"),
                               sl_http_request_param(req, "created"), &error);
  if (!*row)
    return sl_web_error_page(req, g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND) ? 404 : 500,
                             error->message);
  *bytes = sl_market_service_read(web->config.market, *row, &error);
  if (!*bytes)
    return sl_web_error_page(req, 500, error->message);
  gsize n;
  const char *p = g_bytes_get_data(*bytes, &n);
  *entry = sl_market_entry_parse(p, n, &error);
  if (!*entry)
    return sl_web_error_page(req, 500, error->message);
  return NULL;
}

static void
field(json_t *a, const char *name, const char *value)
{
  if (!value || !*value)
    return;
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(name));
  json_object_set_new(o, "value", sl_web_str(value));
  json_array_append_new(a, o);
}

static char *
ports_text(const GArray *ports)
{
  if (!ports || !ports->len)
    return NULL;
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < ports->len; i++)
    g_string_append_printf(s, "%s%u", i ? ", " : "", g_array_index(ports, guint, i));
  return g_string_free(s, FALSE);
}

/* The entry's fields as (name, value) pairs, document names. */
static json_t *
entry_fields(const SlMarketEntry *e, const SlMarketRow *r)
{
  json_t *a = json_array();
  g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT, e->bytes);
  GString *locs = g_string_new(NULL);
  for (guint i = 0; e->locations && i < e->locations->len; i++)
    g_string_append_printf(locs, "%s%s", i ? "\n" : "", (const char *)e->locations->pdata[i]);
  g_autofree char *locations = g_string_free(locs, FALSE);
  g_autofree char *in = ports_text(e->inbound_ports);
  g_autofree char *out = ports_text(e->outbound_ports);
  g_autofree char *icmp = ports_text(e->icmp);
  g_autofree char *now = now_text();
  field(a, "identifier", e->identifier);
  field(a, "title", e->title);
  field(a, "tag (alternative)", e->alternative);
  field(a, "status", row_status(r, now));
  field(a, "deprecated because", e->deprecated_reason);
  field(a, "valid until", e->valid);
  field(a, "type", e->type);
  field(a, "kind", e->kind);
  field(a, "os", e->os);
  field(a, "os version", e->os_version);
  field(a, "os arch", e->os_arch);
  field(a, "image version", e->version);
  field(a, "format", e->format);
  field(a, "compression", e->compression);
  field(a, "bytes", bytes);
  field(a, "location", locations);
  field(a, "creator", e->creator);
  field(a, "publisher", e->publisher);
  field(a, "built", e->image_created);
  field(a, "hypervisor", e->hypervisor);
  field(a, "disks bus", e->disks_bus);
  field(a, "serial number", e->serial_number);
  field(a, "inbound ports", in);
  field(a, "outbound ports", out);
  field(a, "icmp", icmp);
  field(a, "description", e->description);
  return a;
}

static SlHttpResponse *
entry_page(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  g_autoptr(SlMarketRow) row = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(SlMarketEntry) e = NULL;
  SlHttpResponse *err = load_entry(web, req, &row, &bytes, &e);
  if (err)
    return err;
  json_t *ctx = json_object();
  g_autofree char *xml = entry_url(row->identifier, row->email, row->created, "/xml");
  g_autofree char *js = entry_url(row->identifier, row->email, row->created, "/json");
  g_autofree char *eu = endorser_url(row->email);
  json_object_set_new(ctx, "xml_url", json_string(xml));
  json_object_set_new(ctx, "json_url", json_string(js));
  json_object_set_new(ctx, "endorser_url", json_string(eu));
  json_object_set_new(ctx, "description", sl_web_str(e->description));
  json_object_set_new(ctx, "fields", entry_fields(e, row));
  json_t *sums = json_array();
  for (guint i = 0; e->checksums && i < e->checksums->len; i++) {
    const SlMarketChecksum *c = e->checksums->pdata[i];
    json_t *o = json_object();
    json_object_set_new(o, "algorithm", sl_web_str(c->algorithm));
    json_object_set_new(o, "value", sl_web_str(c->value));
    json_array_append_new(sums, o);
  }
  json_object_set_new(ctx, "checksums", sums);
  json_object_set_new(ctx, "email", sl_web_str(e->email));
  json_object_set_new(ctx, "subject", sl_web_str(e->subject));
  json_object_set_new(ctx, "issuer", sl_web_str(e->issuer));
  json_object_set_new(ctx, "created", sl_web_str(e->created));
  json_object_set_new(ctx, "signed", json_boolean(e->has_signature));
  if (web->config.cloud && req->session && req->session->user) {
    g_autofree char *ru = g_strdup_printf("/web/machines/new?image=%s", row->identifier);
    json_object_set_new(ctx, "run", json_true());
    json_object_set_new(ctx, "run_url", json_string(ru));
  }
  const char *title = row->title && *row->title ? row->title : row->identifier;
  return sl_web_page(200, "entry.html", title, SL_WEB_NAV_IMAGES, req->session, NULL, ctx);
}

static SlHttpResponse *
entry_xml(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(SlMarketRow) row = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(SlMarketEntry) e = NULL;
  SlHttpResponse *err = load_entry(data, req, &row, &bytes, &e);
  if (err)
    return err;
  SlHttpResponse *resp = sl_http_response_new(200, "application/xml", bytes);
  g_autofree char *disp = g_strdup_printf("attachment; filename=\"%s.xml\"", row->identifier);
  sl_http_response_add_header(resp, "Content-Disposition", disp);
  sl_web_secure_headers(resp);
  return resp;
}

static void
jset(json_t *o, const char *k, const char *v)
{
  if (v)
    json_object_set_new(o, k, sl_web_str(v));
}

static SlHttpResponse *
entry_json(const SlHttpRequest *req, gpointer data)
{
  g_autoptr(SlMarketRow) row = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(SlMarketEntry) e = NULL;
  SlHttpResponse *err = load_entry(data, req, &row, &bytes, &e);
  if (err)
    return err;
  json_t *o = json_object();
  jset(o, "identifier", e->identifier);
  jset(o, "email", e->email);
  jset(o, "created", e->created);
  jset(o, "subject", e->subject);
  jset(o, "issuer", e->issuer);
  jset(o, "title", e->title);
  jset(o, "alternative", e->alternative);
  jset(o, "description", e->description);
  jset(o, "type", e->type);
  jset(o, "kind", e->kind);
  jset(o, "os", e->os);
  jset(o, "os_version", e->os_version);
  jset(o, "os_arch", e->os_arch);
  jset(o, "version", e->version);
  jset(o, "format", e->format);
  jset(o, "compression", e->compression);
  jset(o, "valid", e->valid);
  jset(o, "creator", e->creator);
  jset(o, "publisher", e->publisher);
  json_object_set_new(o, "bytes", json_integer((json_int_t)e->bytes));
  json_object_set_new(o, "deprecated", json_boolean(e->deprecated));
  g_autofree char *now = now_text();
  json_object_set_new(o, "status", json_string(row_status(row, now)));
  json_t *loc = json_array();
  for (guint i = 0; e->locations && i < e->locations->len; i++)
    json_array_append_new(loc, sl_web_str(e->locations->pdata[i]));
  json_object_set_new(o, "locations", loc);
  json_t *sums = json_object();
  for (guint i = 0; e->checksums && i < e->checksums->len; i++) {
    const SlMarketChecksum *c = e->checksums->pdata[i];
    json_object_set_new(sums, c->algorithm, sl_web_str(c->value));
  }
  json_object_set_new(o, "checksums", sums);
  SlHttpResponse *resp = sl_http_response_new_json(200, o);
  sl_web_secure_headers(resp);
  return resp;
}

/* ---- upload ---------------------------------------------------------- */

typedef struct {
  GByteArray *file; /* the first file part */
  gboolean in_file, seen_file;
} Upload;

static gboolean
up_begin(const SlHttpPart *part, gpointer data, GError **error)
{
  (void)error;
  Upload *u = data;
  u->in_file = part->filename && !u->seen_file;
  if (u->in_file)
    u->seen_file = TRUE;
  return TRUE;
}

static gboolean
up_data(const SlHttpPart *part, const char *bytes, gsize len, gpointer data, GError **error)
{
  (void)part;
  (void)error;
  Upload *u = data;
  if (u->in_file)
    g_byte_array_append(u->file, (const guint8 *)bytes, (guint)len);
  return TRUE;
}

static SlHttpResponse *
upload_form(SlWeb *web, const SlHttpRequest *req, guint status, json_t *ctx)
{
  g_autoptr(SlHttpSession) created = NULL;
  const SlHttpSession *s = sl_web_session_for_form(web, req, &created);
  if (!ctx)
    ctx = json_object();
  json_object_set_new(ctx, "max",
                      json_integer((json_int_t)sl_market_service_max_bytes(web->config.market)));
  return sl_web_page(status, "upload.html", "Upload a Marketplace entry", SL_WEB_NAV_IMAGES, s,
                     created, ctx);
}

static SlHttpResponse *
get_upload(const SlHttpRequest *req, gpointer data)
{
  return upload_form(data, req, 200, NULL);
}

static guint
status_of(const GError *e)
{
  if (g_error_matches(e, SL_ERROR, SL_ERROR_FORBIDDEN))
    return 403;
  if (g_error_matches(e, SL_ERROR, SL_ERROR_CONFLICT))
    return 409;
  if (g_error_matches(e, SL_ERROR, SL_ERROR_TOO_LARGE))
    return 413;
  if (g_error_matches(e, SL_ERROR, SL_ERROR_INTERNAL) ||
      g_error_matches(e, SL_ERROR, SL_ERROR_NO_SPACE))
    return 500;
  return 400;
}

static SlHttpResponse *
post_upload(const SlHttpRequest *req, gpointer data)
{
  SlWeb *web = data;
  g_autoptr(GError) error = NULL;
  Upload u = {.file = g_byte_array_new()};
  SlHttpMultipartCallbacks cb = {.begin = up_begin, .data = up_data};
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(req->content_type, &cb, &u, &error);
  gboolean ok = mp && sl_http_multipart_feed(mp, req->raw ? req->raw : "", req->raw_len, &error) &&
                sl_http_multipart_finish(mp, &error);
  json_t *ctx = json_object();
  SlHttpResponse *resp;
  if (!ok) {
    json_object_set_new(ctx, "problem", json_sprintf("Refused: %s", error->message));
    resp = upload_form(web, req, 400, ctx);
  } else if (!u.seen_file || u.file->len == 0) {
    json_object_set_new(ctx, "problem", json_string("Refused: choose a metadata file first."));
    resp = upload_form(web, req, 400, ctx);
  } else {
    gboolean is_new = FALSE;
    g_autoptr(SlMarketRow) row = sl_market_service_upload(
        web->config.market, (const char *)u.file->data, u.file->len, &is_new, &error);
    if (!row) {
      json_object_set_new(ctx, "problem", json_sprintf("Refused: %s", error->message));
      resp = upload_form(web, req, status_of(error), ctx);
    } else {
      g_autofree char *url = entry_url(row->identifier, row->email, row->created, NULL);
      json_object_set_new(ctx, "entry_url", json_string(url));
      json_object_set_new(
          ctx, "notice",
          is_new ? json_sprintf("Accepted: entry %s of %s, endorsed on %s, is in the Marketplace.",
                                row->identifier, row->email, row->created)
                 : json_sprintf("Already there: exactly this entry (%s of %s) was uploaded before.",
                                row->identifier, row->email));
      resp = upload_form(web, req, is_new ? 201 : 200, ctx);
    }
  }
  g_byte_array_unref(u.file);
  return resp;
}

static const SlHttpRoute routes[] = {
    {"GET", "/web/images", images, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/images/{id}/{email}/{created}", entry_page,
     SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/images/{id}/{email}/{created}/xml", entry_xml, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/web/images/{id}/{email}/{created}/json", entry_json, SL_HTTP_ROUTE_PUBLIC},
    {"GET", "/web/endorsers/{email}", endorser, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"GET", "/web/upload", get_upload, SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION},
    {"POST", "/web/upload", post_upload,
     SL_HTTP_ROUTE_PUBLIC | SL_HTTP_ROUTE_SESSION | SL_HTTP_ROUTE_RAW_BODY},
};

void
sl_web_market_register(SlHttpRouter *router, SlWeb *web)
{
  if (web->config.market)
    sl_http_router_add(router, routes, G_N_ELEMENTS(routes), web, NULL);
}
