/* sqlite-market.c - Marketplace entries (SQLite backend).
 *
 * market(identifier, email, created, …, latest): one row per signed entry,
 * never deleted. The newest entry of each (identifier, email) carries
 * latest = 1, moved inside the insert transaction, so "latest entries" is an
 * indexed lookup (market_latest, market_id_latest, market_email_latest).
 */
#include <string.h>

#include "store/sqlite-private.h"
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

static SlMarketRow *
row_load(sqlite3_stmt *st)
{
  SlMarketRow *r = g_new0(SlMarketRow, 1);
  r->identifier = sq_col_text(st, 0);
  r->email = sq_col_text(st, 1);
  r->created = sq_col_text(st, 2);
  r->valid = sq_col_text(st, 3);
  r->deprecated = sqlite3_column_int(st, 4) != 0;
  r->os = sq_col_text(st, 5);
  r->os_version = sq_col_text(st, 6);
  r->os_arch = sq_col_text(st, 7);
  r->kind = sq_col_text(st, 8);
  r->location = sq_col_text(st, 9);
  r->title = sq_col_text(st, 10);
  r->description = sq_col_text(st, 11);
  r->alternative = sq_col_text(st, 12);
  r->sha1 = sq_col_text(st, 13);
  r->bytes = (guint64)sqlite3_column_int64(st, 14);
  r->path = sq_col_text(st, 15);
  r->latest = sqlite3_column_int(st, 16) != 0;
  r->uploaded = sqlite3_column_int64(st, 17);
  return r;
}

static const char *
nn(const char *s)
{
  return s ? s : "";
}

gboolean
sqlite_market_insert(SlStore *store, const SlMarketRow *row, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(
      c, "SELECT created FROM market WHERE identifier = ? AND email = ? AND latest = 1", error);
  if (!st)
    return sq_write_end(s, c, FALSE, NULL);
  sq_bind_text(st, 1, row->identifier);
  sq_bind_text(st, 2, row->email);
  int rc = sqlite3_step(st);
  g_autofree char *latest = rc == SQLITE_ROW ? sq_col_text(st, 0) : NULL;
  sq_stmt_done(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    sq_set_db_error(error, c->db, rc, "market latest");
    return sq_write_end(s, c, FALSE, NULL);
  }
  gboolean newest = TRUE;
  if (latest) {
    int cmp = strcmp(row->created, latest);
    if (cmp < 0) {
      g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "older than latest entry");
      return sq_write_end(s, c, FALSE, NULL);
    }
    newest = cmp > 0;
  }
  if (newest && latest) {
    st = sq_stmt_get(c,
                     "UPDATE market SET latest = 0 WHERE identifier = ? AND email = ? AND "
                     "latest = 1",
                     error);
    if (!st)
      return sq_write_end(s, c, FALSE, NULL);
    sq_bind_text(st, 1, row->identifier);
    sq_bind_text(st, 2, row->email);
    if (!sq_step_change(c, st, NULL, "market latest", error))
      return sq_write_end(s, c, FALSE, NULL);
  }
  st = sq_stmt_get(c,
                   "INSERT INTO market(identifier, email, created, valid, deprecated, os, "
                   "os_version, os_arch, kind, location, loc_kind, title, description, "
                   "alternative, sha1, bytes, path, latest, uploaded) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   error);
  if (st) {
    sq_bind_text(st, 1, row->identifier);
    sq_bind_text(st, 2, row->email);
    sq_bind_text(st, 3, row->created);
    sq_bind_text(st, 4, row->valid);
    sqlite3_bind_int(st, 5, row->deprecated ? 1 : 0);
    sq_bind_text(st, 6, nn(row->os));
    sq_bind_text(st, 7, nn(row->os_version));
    sq_bind_text(st, 8, nn(row->os_arch));
    sq_bind_text(st, 9, nn(row->kind));
    sq_bind_text(st, 10, row->location);
    sq_bind_text(st, 11, loc_kind(row->location));
    sq_bind_text(st, 12, nn(row->title));
    sq_bind_text(st, 13, nn(row->description));
    sq_bind_text(st, 14, row->alternative);
    sq_bind_text(st, 15, nn(row->sha1));
    sqlite3_bind_int64(st, 16, (sqlite3_int64)row->bytes);
    sq_bind_text(st, 17, row->path);
    sqlite3_bind_int(st, 18, newest ? 1 : 0);
    sqlite3_bind_int64(st, 19, g_get_real_time() / G_USEC_PER_SEC);
    ok = sq_step_change(c, st, NULL, "market insert", error);
    if (!ok && error && *error && (*error)->code == SL_ERROR_CONFLICT) {
      g_clear_error(error);
      g_set_error_literal(error, SL_ERROR, SL_ERROR_CONFLICT, "metadata entry already exists");
    }
  }
  return sq_write_end(s, c, ok, error);
}

SlMarketRow *
sqlite_market_get(SlStore *store, const char *identifier, const char *email, const char *created,
                  GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return NULL;
  SlMarketRow *row = NULL;
  sqlite3_stmt *st = sq_stmt_get(c,
                                 "SELECT " ROW_COLUMNS " FROM market WHERE identifier = ? AND "
                                 "email = ? AND created = ?",
                                 error);
  if (st) {
    sq_bind_text(st, 1, identifier);
    sq_bind_text(st, 2, email);
    sq_bind_text(st, 3, created);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      row = row_load(st);
    else if (rc == SQLITE_DONE)
      g_set_error_literal(error, SL_ERROR, SL_ERROR_NOT_FOUND, "metadata entry not found.");
    else
      sq_set_db_error(error, c->db, rc, "market get");
    sq_stmt_done(st);
  }
  sq_conn_release(s, c);
  return row;
}

/* ---- search ------------------------------------------------------------ */

typedef struct {
  GString *where;
  GPtrArray *args; /* char* bound in order (borrowed) */
} Clause;

static void
add(Clause *cl, const char *sql, const char *arg)
{
  g_string_append(cl->where, cl->where->len ? " AND " : " WHERE ");
  g_string_append(cl->where, sql);
  if (arg)
    g_ptr_array_add(cl->args, (gpointer)arg);
}

/* "%text%" with LIKE wildcards escaped (ESCAPE '\'). */
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

static gboolean
count_rows(Conn *c, const char *where, GPtrArray *args, gint64 *out, GError **error)
{
  g_autofree char *sql = g_strconcat("SELECT COUNT(*) FROM market", where, NULL);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    sq_set_db_error(error, c->db, rc, "market count");
    return FALSE;
  }
  for (guint i = 0; i < args->len; i++)
    sq_bind_text(st, (int)i + 1, args->pdata[i]);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else
    sq_set_db_error(error, c->db, rc, "market count");
  sqlite3_finalize(st);
  return rc == SQLITE_ROW;
}

static GPtrArray *
run_search(Conn *c, const SlMarketQuery *q, gint64 *total, gint64 *displayed, GError **error)
{
  g_autoptr(GString) where = g_string_new(NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
  Clause cl = {where, args};
  if (q->created)
    add(&cl, "created = ?", q->created);
  else if (q->latest_only)
    add(&cl, "latest = 1", NULL);
  if (q->identifier)
    add(&cl, "identifier = ?", q->identifier);
  if (q->email)
    add(&cl, "email = ?", q->email);
  if (q->alternative)
    add(&cl, "alternative = ?", q->alternative);
  const char *now = q->now ? q->now : "";
  if (g_strcmp0(q->status, "valid") == 0)
    add(&cl, "deprecated = 0 AND (valid IS NULL OR valid > ?)", now);
  else if (g_strcmp0(q->status, "expired") == 0)
    add(&cl, "deprecated = 0 AND valid IS NOT NULL AND valid <= ?", now);
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
        "(os LIKE ?1x ESCAPE '\\' OR os_version LIKE ?1x ESCAPE '\\' OR os_arch LIKE ?1x ESCAPE "
        "'\\' OR email LIKE ?1x ESCAPE '\\' OR kind LIKE ?1x ESCAPE '\\' OR identifier LIKE ?1x "
        "ESCAPE '\\' OR title LIKE ?1x ESCAPE '\\' OR description LIKE ?1x ESCAPE '\\' OR "
        "IFNULL(location, '') LIKE ?1x ESCAPE '\\')",
        NULL);
    /* one parameter used 9 times: numbered below */
    g_autofree char *num = g_strdup_printf("?%u", args->len + 1);
    g_autofree char *fixed = NULL;
    {
      g_auto(GStrv) parts = g_strsplit(where->str, "?1x", -1);
      fixed = g_strjoinv(num, parts);
    }
    g_string_assign(where, fixed);
    g_ptr_array_add(args, p);
    filtered = TRUE;
  }
  static const char *const cols[] = {"os", "os_version", "os_arch", "email", "kind"};
  for (int i = 0; i < 5; i++) {
    if (!q->column_search[i] || !*q->column_search[i])
      continue;
    char *p = like_pattern(q->column_search[i]);
    g_ptr_array_add(owned, p);
    g_autofree char *sql = g_strdup_printf("%s LIKE ? ESCAPE '\\'", cols[i]);
    add(&cl, sql, p);
    filtered = TRUE;
  }
  n_display = n_total;
  if (displayed && (filtered || !total) && !count_rows(c, where->str, args, &n_display, error))
    return NULL;

  int sc =
      q->sort_column >= 0 && q->sort_column < (int)G_N_ELEMENTS(sort_columns) ? q->sort_column : 0;
  g_autofree char *sql = g_strdup_printf(
      "SELECT " ROW_COLUMNS " FROM market%s ORDER BY %s%s, identifier, email, created DESC"
      " LIMIT %" G_GINT64_FORMAT " OFFSET %" G_GINT64_FORMAT,
      where->str, sort_columns[sc], sc && q->sort_desc ? " DESC" : "",
      q->limit > 0 ? q->limit : (gint64)-1, q->offset > 0 ? q->offset : (gint64)0);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    sq_set_db_error(error, c->db, rc, "market search");
    return NULL;
  }
  for (guint i = 0; i < args->len; i++)
    sq_bind_text(st, (int)i + 1, args->pdata[i]);
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)sl_market_row_free);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(rows, row_load(st));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sq_set_db_error(error, c->db, rc, "market search");
    g_ptr_array_unref(rows);
    return NULL;
  }
  if (total)
    *total = n_total;
  if (displayed)
    *displayed = n_display;
  return rows;
}

GPtrArray *
sqlite_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total, gint64 *displayed,
                     GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return NULL;
  GPtrArray *rows = run_search(c, query, total, displayed, error);
  sq_conn_release(s, c);
  return rows;
}
