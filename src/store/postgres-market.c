/* postgres-market.c - Marketplace entries (PostgreSQL backend), the same
 * rows, latest flag and searches as sqlite-market.c. Dialect: $n
 * parameters, ILIKE for the case-insensitive display filters, COALESCE for
 * IFNULL, LIMIT ALL for no limit. */
#include <string.h>

#include "store/postgres-private.h"
#include "util/error.h"

#define ROW_COLUMNS                                                                                \
  "identifier, email, created, valid, deprecated, os, os_version, os_arch, kind, location, "       \
  "title, description, alternative, sha1, bytes, path, latest, uploaded"

static const char *
loc_kind(const char *location)
{
  if (!location || !*location || g_str_has_prefix(location, "http://") ||
      g_str_has_prefix(location, "https://") || g_str_has_prefix(location, "ftp://"))
    return "web";
  if (g_str_has_prefix(location, "pdisk"))
    return "pdisk";
  return "other";
}

static gpointer
row_load(const PGresult *r, int i)
{
  SlMarketRow *m = g_new0(SlMarketRow, 1);
  m->identifier = pg_text(r, i, 0);
  m->email = pg_text(r, i, 1);
  m->created = pg_text(r, i, 2);
  m->valid = pg_text(r, i, 3);
  m->deprecated = pg_int(r, i, 4) != 0;
  m->os = pg_text(r, i, 5);
  m->os_version = pg_text(r, i, 6);
  m->os_arch = pg_text(r, i, 7);
  m->kind = pg_text(r, i, 8);
  m->location = pg_text(r, i, 9);
  m->title = pg_text(r, i, 10);
  m->description = pg_text(r, i, 11);
  m->alternative = pg_text(r, i, 12);
  m->sha1 = pg_text(r, i, 13);
  m->bytes = (guint64)pg_int(r, i, 14);
  m->path = pg_text(r, i, 15);
  m->latest = pg_int(r, i, 16) != 0;
  m->uploaded = pg_int(r, i, 17);
  return m;
}

static const char *
nn(const char *s)
{
  return s ? s : "";
}

gboolean
pgs_market_insert(SlStore *store, const SlMarketRow *row, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  PgParams p = {0};
  pg_p_text(&p, row->identifier);
  pg_p_text(&p, row->email);
  PGresult *r =
      pg_exec(c, "SELECT created FROM market WHERE identifier = $1 AND email = $2 AND latest = 1",
              &p, "market latest", error);
  if (!r)
    return pg_write_end(s, c, FALSE, NULL);
  g_autofree char *latest = PQntuples(r) > 0 ? pg_text(r, 0, 0) : NULL;
  PQclear(r);
  gboolean newest = TRUE;
  if (latest) {
    int cmp = strcmp(row->created, latest);
    if (cmp < 0) {
      g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "older than latest entry");
      return pg_write_end(s, c, FALSE, NULL);
    }
    newest = cmp > 0;
  }
  if (newest && latest) {
    pg_p_text(&p, row->identifier);
    pg_p_text(&p, row->email);
    if (!pg_change(c,
                   "UPDATE market SET latest = 0 WHERE identifier = $1 AND email = $2 AND"
                   " latest = 1",
                   &p, NULL, "market latest", error))
      return pg_write_end(s, c, FALSE, NULL);
  }
  pg_p_text(&p, row->identifier);
  pg_p_text(&p, row->email);
  pg_p_text(&p, row->created);
  pg_p_text(&p, row->valid);
  pg_p_int(&p, row->deprecated ? 1 : 0);
  pg_p_text(&p, nn(row->os));
  pg_p_text(&p, nn(row->os_version));
  pg_p_text(&p, nn(row->os_arch));
  pg_p_text(&p, nn(row->kind));
  pg_p_text(&p, row->location);
  pg_p_text(&p, loc_kind(row->location));
  pg_p_text(&p, nn(row->title));
  pg_p_text(&p, nn(row->description));
  pg_p_text(&p, row->alternative);
  pg_p_text(&p, nn(row->sha1));
  pg_p_int(&p, (gint64)row->bytes);
  pg_p_text(&p, row->path);
  pg_p_int(&p, newest ? 1 : 0);
  pg_p_int(&p, g_get_real_time() / G_USEC_PER_SEC);
  gboolean ok = pg_change(c,
                          "INSERT INTO market(identifier, email, created, valid, deprecated, os,"
                          " os_version, os_arch, kind, location, loc_kind, title, description,"
                          " alternative, sha1, bytes, path, latest, uploaded) VALUES($1, $2, $3,"
                          " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
                          " $19)",
                          &p, NULL, "market insert", error);
  if (!ok && error && *error && (*error)->code == SL_ERROR_CONFLICT) {
    g_clear_error(error);
    g_set_error_literal(error, SL_ERROR, SL_ERROR_CONFLICT, "metadata entry already exists");
  }
  return pg_write_end(s, c, ok, error);
}

SlMarketRow *
pgs_market_get(SlStore *store, const char *identifier, const char *email, const char *created,
               GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, identifier);
  pg_p_text(&p, email);
  pg_p_text(&p, created);
  return pg_query_one(PGS(store),
                      "SELECT " ROW_COLUMNS " FROM market WHERE identifier = $1 AND email = $2"
                      " AND created = $3",
                      &p, row_load, "market get", "metadata entry not found.", error);
}

/* ---- search ------------------------------------------------------------ */

typedef struct {
  GString *where;
  GPtrArray *args; /* char* bound in order (borrowed) */
} Clause;

/* sql has one "$?" where the next parameter goes (or none). */
static void
add(Clause *cl, const char *sql, const char *arg)
{
  g_string_append(cl->where, cl->where->len ? " AND " : " WHERE ");
  if (arg) {
    g_ptr_array_add(cl->args, (gpointer)arg);
    g_autofree char *num = g_strdup_printf("$%u", cl->args->len);
    g_auto(GStrv) parts = g_strsplit(sql, "$?", -1);
    g_autofree char *fixed = g_strjoinv(num, parts);
    g_string_append(cl->where, fixed);
  } else {
    g_string_append(cl->where, sql);
  }
}

static char *
like_pattern(const char *text)
{
  GString *p = g_string_new("%");
  for (const char *t = text; *t; t++) {
    if (*t == '%' || *t == '_' || *t == '\\')
      g_string_append_c(p, '\\');
    g_string_append_c(p, *t);
  }
  g_string_append_c(p, '%');
  return g_string_free(p, FALSE);
}

static const char *const sort_columns[] = {
    "created DESC", "os",         "os_version", "os_arch",     "email", "kind",
    "created",      "identifier", "location",   "description", "title",
};

static void
bind_args(PgParams *p, GPtrArray *args)
{
  for (guint i = 0; i < args->len; i++)
    pg_p_text(p, args->pdata[i]);
}

static gboolean
count_rows(PGconn *c, const char *where, GPtrArray *args, gint64 *out, GError **error)
{
  g_autofree char *sql = g_strconcat("SELECT COUNT(*) FROM market", where, NULL);
  PgParams p = {0};
  bind_args(&p, args);
  PGresult *r = pg_exec(c, sql, &p, "market count", error);
  if (!r)
    return FALSE;
  *out = pg_int(r, 0, 0);
  PQclear(r);
  return TRUE;
}

static GPtrArray *
run_search(PGconn *c, const SlMarketQuery *q, gint64 *total, gint64 *displayed, GError **error)
{
  g_autoptr(GString) where = g_string_new(NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
  Clause cl = {where, args};
  if (q->created)
    add(&cl, "created = $?", q->created);
  else if (q->latest_only)
    add(&cl, "latest = 1", NULL);
  if (q->identifier)
    add(&cl, "identifier = $?", q->identifier);
  if (q->email)
    add(&cl, "email = $?", q->email);
  if (q->alternative)
    add(&cl, "alternative = $?", q->alternative);
  const char *now = q->now ? q->now : "";
  if (g_strcmp0(q->status, "valid") == 0)
    add(&cl, "deprecated = 0 AND (valid IS NULL OR valid > $?)", now);
  else if (g_strcmp0(q->status, "expired") == 0)
    add(&cl, "deprecated = 0 AND valid IS NOT NULL AND valid <= $?", now);
  else if (g_strcmp0(q->status, "deprecated") == 0)
    add(&cl, "deprecated = 1", NULL);
  if (g_strcmp0(q->location, "web") == 0)
    add(&cl, "loc_kind = 'web'", NULL);
  else if (g_strcmp0(q->location, "pdisk") == 0)
    add(&cl, "loc_kind = 'pdisk'", NULL);

  gint64 n_total = 0, n_display = 0;
  if (total && !count_rows(c, where->str, args, &n_total, error))
    return NULL;
  gboolean filtered = FALSE;
  if (q->search && *q->search) {
    char *p = like_pattern(q->search);
    g_ptr_array_add(owned, p);
    add(&cl,
        "(os ILIKE $? OR os_version ILIKE $? OR os_arch ILIKE $? OR email ILIKE $? OR"
        " kind ILIKE $? OR identifier ILIKE $? OR title ILIKE $? OR description ILIKE $? OR"
        " COALESCE(location, '') ILIKE $?)",
        p);
    filtered = TRUE;
  }
  static const char *const cols[] = {"os", "os_version", "os_arch", "email", "kind"};
  for (int i = 0; i < 5; i++) {
    if (!q->column_search[i] || !*q->column_search[i])
      continue;
    char *p = like_pattern(q->column_search[i]);
    g_ptr_array_add(owned, p);
    g_autofree char *sql = g_strdup_printf("%s ILIKE $?", cols[i]);
    add(&cl, sql, p);
    filtered = TRUE;
  }
  n_display = n_total;
  if (displayed && (filtered || !total) && !count_rows(c, where->str, args, &n_display, error))
    return NULL;

  int sc =
      q->sort_column >= 0 && q->sort_column < (int)G_N_ELEMENTS(sort_columns) ? q->sort_column : 0;
  g_autofree char *limit =
      q->limit > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, q->limit) : g_strdup("ALL");
  g_autofree char *sql = g_strdup_printf(
      "SELECT " ROW_COLUMNS " FROM market%s ORDER BY %s%s, identifier, email, created DESC"
      " LIMIT %s OFFSET %" G_GINT64_FORMAT,
      where->str, sort_columns[sc], sc && q->sort_desc ? " DESC" : "", limit,
      q->offset > 0 ? q->offset : (gint64)0);
  PgParams p = {0};
  bind_args(&p, args);
  PGresult *r = pg_exec(c, sql, &p, "market search", error);
  if (!r)
    return NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)sl_market_row_free);
  for (int i = 0; i < PQntuples(r); i++)
    g_ptr_array_add(rows, row_load(r, i));
  PQclear(r);
  if (total)
    *total = n_total;
  if (displayed)
    *displayed = n_display;
  return rows;
}

GPtrArray *
pgs_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total, gint64 *displayed,
                  GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_conn_acquire(s, error);
  if (!c)
    return NULL;
  GPtrArray *rows = run_search(c, query, total, displayed, error);
  pg_conn_release(s, c);
  return rows;
}
