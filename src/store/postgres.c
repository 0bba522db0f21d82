/* postgres.c - the PostgreSQL store backend (libpq).
 *
 * Chosen with [store] backend = postgres, conninfo = "..." (store.c). Threads
 * share a small pool of connections, each used by one thread at a time.
 * Writes are serialised across every process on the database by a
 * transaction-scoped advisory lock (postgres-private.h explains why), the
 * schema version lives in a one-row table schema_version and migrations run
 * under the same lock, so two front-ends starting at once migrate once.
 */
#include <string.h>

#include "store/postgres-private.h"
#include "util/error.h"

#define POOL_MAX 8

/* ---- parameters ------------------------------------------------------ */

void
pg_p_text(PgParams *p, const char *s)
{
  g_assert(p->n < (int)G_N_ELEMENTS(p->values));
  p->owned[p->n] = NULL;
  p->values[p->n++] = s;
}

void
pg_p_int(PgParams *p, gint64 v)
{
  g_assert(p->n < (int)G_N_ELEMENTS(p->values));
  p->owned[p->n] = g_strdup_printf("%" G_GINT64_FORMAT, v);
  p->values[p->n] = p->owned[p->n];
  p->n++;
}

void
pg_p_clear(PgParams *p)
{
  if (!p)
    return;
  for (int i = 0; i < p->n; i++)
    g_clear_pointer(&p->owned[i], g_free);
  p->n = 0;
}

/* ---- connections ----------------------------------------------------- */

static void
conn_free(gpointer c)
{
  PQfinish(c);
}

static gboolean exec_simple(PGconn *c, const char *sql, const char *what, GError **error);

/* A new connection with the session settings; search_path is set only once
 * the schema exists (migrate creates it on the first connection). */
static PGconn *
conn_open(PgStore *s, gboolean set_path, GError **error)
{
  PGconn *c = PQconnectdb(s->conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    g_autofree char *msg = g_strstrip(g_strdup(PQerrorMessage(c)));
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "cannot connect to PostgreSQL: %s", msg);
    PQfinish(c);
    return NULL;
  }
  g_autofree char *sql = g_strdup_printf(
      "SET client_min_messages = warning; SET lock_timeout = '30s'%s%s",
      set_path && s->schema ? "; SET search_path = " : "", set_path && s->schema ? s->schema : "");
  if (!exec_simple(c, sql, "configure", error)) {
    PQfinish(c);
    return NULL;
  }
  return c;
}

static gpointer
pool_open(gpointer s, GError **error)
{
  return conn_open(s, TRUE, error);
}

static gboolean
pool_alive(gpointer c)
{
  return PQstatus(c) == CONNECTION_OK;
}

PGconn *
pg_conn_acquire(PgStore *s, GError **error)
{
  return sl_store_pool_acquire(&s->pool, error);
}

void
pg_conn_release(PgStore *s, PGconn *c)
{
  sl_store_pool_release(&s->pool, c);
}

/* ---- statements ------------------------------------------------------ */

static int
error_code(const char *state, PGconn *c)
{
  if (PQstatus(c) != CONNECTION_OK)
    return SL_ERROR_UNAVAILABLE;
  if (!state)
    return SL_ERROR_INTERNAL;
  if (g_str_has_prefix(state, "23"))
    return SL_ERROR_CONFLICT;
  /* connection, insufficient resources (disk full), lock timeout, serialisation, shutdown */
  if (g_str_has_prefix(state, "08") || g_str_has_prefix(state, "53") ||
      g_str_has_prefix(state, "40") || g_str_has_prefix(state, "57") || strcmp(state, "55P03") == 0)
    return SL_ERROR_UNAVAILABLE;
  return SL_ERROR_INTERNAL;
}

PGresult *
pg_exec(PGconn *c, const char *sql, PgParams *p, const char *what, GError **error)
{
  /* without parameters, PQexec: it also runs several ;-separated commands */
  PGresult *r =
      p && p->n ? PQexecParams(c, sql, p->n, NULL, p->values, NULL, NULL, 0) : PQexec(c, sql);
  pg_p_clear(p);
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
    return r;
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  g_autofree char *conn_msg = g_strstrip(g_strdup(PQerrorMessage(c)));
  g_set_error(error, SL_ERROR, error_code(state, c), "database error (%s): %s", what,
              msg ? msg : conn_msg);
  PQclear(r);
  return NULL;
}

gboolean
pg_change(PGconn *c, const char *sql, PgParams *p, int *changes, const char *what, GError **error)
{
  PGresult *r = pg_exec(c, sql, p, what, error);
  if (!r)
    return FALSE;
  if (changes) {
    const char *n = PQcmdTuples(r);
    *changes = n && *n ? (int)g_ascii_strtoll(n, NULL, 10) : 0;
  }
  PQclear(r);
  return TRUE;
}

static gboolean
exec_simple(PGconn *c, const char *sql, const char *what, GError **error)
{
  PGresult *r = pg_exec(c, sql, NULL, what, error);
  PQclear(r);
  return r != NULL;
}

char *
pg_text(const PGresult *r, int row, int col)
{
  return PQgetisnull(r, row, col) ? NULL : g_strdup(PQgetvalue(r, row, col));
}

gint64
pg_int(const PGresult *r, int row, int col)
{
  return PQgetisnull(r, row, col) ? 0 : g_ascii_strtoll(PQgetvalue(r, row, col), NULL, 10);
}

gboolean
pg_null(const PGresult *r, int row, int col)
{
  return PQgetisnull(r, row, col);
}

/* ---- write transactions ---------------------------------------------- */

PGconn *
pg_write_begin(PgStore *s, GError **error)
{
  PGconn *c = pg_conn_acquire(s, error);
  if (!c)
    return NULL;
  g_autofree char *begin = g_strdup_printf("BEGIN; SELECT pg_advisory_xact_lock(%s)", s->lock_key);
  if (!exec_simple(c, begin, "begin", error)) {
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
      exec_simple(c, "ROLLBACK", "rollback", NULL);
    pg_conn_release(s, c);
    return NULL;
  }
  return c;
}

gboolean
pg_write_end(PgStore *s, PGconn *c, gboolean ok, GError **error)
{
  if (ok && !exec_simple(c, "COMMIT", "commit", error))
    ok = FALSE;
  if (!ok && PQtransactionStatus(c) != PQTRANS_IDLE)
    exec_simple(c, "ROLLBACK", "rollback", NULL);
  pg_conn_release(s, c);
  return ok;
}

/* ---- queries ---------------------------------------------------------- */

GPtrArray *
pg_query_rows(PgStore *s, const char *sql, PgParams *p, PgLoadFunc load, GDestroyNotify free_fn,
              GError **error)
{
  PGconn *c = pg_conn_acquire(s, error);
  if (!c) {
    pg_p_clear(p);
    return NULL;
  }
  PGresult *r = pg_exec(c, sql, p, "query", error);
  pg_conn_release(s, c);
  if (!r)
    return NULL;
  int n = PQntuples(r);
  GPtrArray *rows = g_ptr_array_new_full((guint)n, free_fn);
  for (int i = 0; i < n; i++)
    g_ptr_array_add(rows, load(r, i));
  PQclear(r);
  return rows;
}

gpointer
pg_query_one(PgStore *s, const char *sql, PgParams *p, PgLoadFunc load, const char *what,
             const char *not_found, GError **error)
{
  PGconn *c = pg_conn_acquire(s, error);
  if (!c) {
    pg_p_clear(p);
    return NULL;
  }
  PGresult *r = pg_exec(c, sql, p, what, error);
  pg_conn_release(s, c);
  if (!r)
    return NULL;
  gpointer row = NULL;
  if (PQntuples(r) > 0)
    row = load(r, 0);
  else
    g_set_error_literal(error, SL_ERROR, SL_ERROR_NOT_FOUND, not_found);
  PQclear(r);
  return row;
}

/* ---- open / close / migrate ------------------------------------------ */

static gboolean
migrate(PgStore *s, PGconn *c, GError **error)
{
  const int target = sl_store_sqlite_migration_count;
  /* the schema is created under the lock; SET (not LOCAL) outlives the
   * commit, so this connection joins the pool with its search_path */
  g_autofree char *in_schema =
      s->schema ? g_strdup_printf("CREATE SCHEMA IF NOT EXISTS %s; SET search_path = %s;",
                                  s->schema, s->schema)
                : g_strdup("");
  g_autofree char *begin = g_strdup_printf(
      "BEGIN; SELECT pg_advisory_xact_lock(%s); %s"
      "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);"
      "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
      s->lock_key, in_schema);
  for (;;) {
    if (!exec_simple(c, begin, "begin migration", error))
      goto fail;
    PGresult *r = pg_exec(c, "SELECT version FROM schema_version", NULL, "schema version", error);
    if (!r)
      goto fail;
    int v = PQntuples(r) == 1 ? (int)pg_int(r, 0, 0) : -1;
    PQclear(r);
    if (v < 0 || v > target) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL,
                  "database has schema version %d; this program knows up to %d", v, target);
      goto fail;
    }
    if (v == target) {
      s->schema_version = v;
      return exec_simple(c, "COMMIT", "commit", error);
    }
    g_autofree char *sql = sl_store_postgres_migration(v);
    g_autofree char *what = g_strdup_printf("migration %d -> %d", v, v + 1);
    PgParams p = {0};
    pg_p_int(&p, v + 1);
    if (!exec_simple(c, sql, what, error) ||
        !pg_change(c, "UPDATE schema_version SET version = $1", &p, NULL, what, error) ||
        !exec_simple(c, "COMMIT", what, error))
      goto fail;
    g_debug("store: applied %s", what);
  }
fail:
  if (PQtransactionStatus(c) != PQTRANS_IDLE)
    exec_simple(c, "ROLLBACK", "rollback", NULL);
  return FALSE;
}

static void
pgs_close(SlStore *store)
{
  PgStore *s = PGS(store);
  sl_store_pool_clear(&s->pool); /* every connection must be back in the pool */
  g_free(s->conninfo);
  g_free(s->schema);
  g_free(s->lock_key);
  g_free(s);
}

static int
pgs_schema_version(SlStore *store)
{
  return PGS(store)->schema_version;
}

/* ---- users ------------------------------------------------------------ */

static gboolean
pgs_user_add(SlStore *store, const char *name, const char *hash, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  PgParams p = {0};
  pg_p_text(&p, name);
  pg_p_text(&p, hash);
  pg_p_int(&p, g_get_real_time() / G_USEC_PER_SEC);
  gboolean ok = pg_change(c, "INSERT INTO users(name, hash, created) VALUES($1, $2, $3)", &p, NULL,
                          "add user", &err);
  if (!ok && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "user %s already exists", name);
  }
  if (err)
    g_propagate_error(error, err);
  return pg_write_end(s, c, ok, error);
}

static gboolean
user_change(SlStore *store, const char *sql, const char *name, const char *hash, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  PgParams p = {0};
  if (hash)
    pg_p_text(&p, hash);
  pg_p_text(&p, name);
  int changes = 0;
  gboolean ok = pg_change(c, sql, &p, &changes, "change user", error);
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no such user: %s", name);
    ok = FALSE;
  }
  return pg_write_end(s, c, ok, error);
}

static gboolean
pgs_user_set_hash(SlStore *store, const char *name, const char *hash, GError **error)
{
  return user_change(store, "UPDATE users SET hash = $1 WHERE name = $2", name, hash, error);
}

static gboolean
pgs_user_delete(SlStore *store, const char *name, GError **error)
{
  return user_change(store, "DELETE FROM users WHERE name = $1", name, NULL, error);
}

static gpointer
user_row(const PGresult *r, int i)
{
  SlUser *u = g_new0(SlUser, 1);
  u->name = pg_text(r, i, 0);
  u->hash = pg_text(r, i, 1);
  u->created = pg_int(r, i, 2);
  return u;
}

static SlUser *
pgs_user_get(SlStore *store, const char *name, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, name);
  g_autofree char *nf = g_strdup_printf("no such user: %s", name);
  return pg_query_one(PGS(store), "SELECT name, hash, created FROM users WHERE name = $1", &p,
                      user_row, "get user", nf, error);
}

static GPtrArray *
pgs_user_list(SlStore *store, GError **error)
{
  return pg_query_rows(PGS(store), "SELECT name, hash, created FROM users ORDER BY name", NULL,
                       user_row, (GDestroyNotify)sl_user_free, error);
}

/* ---- leases ------------------------------------------------------------ */

/* A session advisory lock on a connection of the lease's own (not pooled):
 * the server releases it when the connection ends, the holder's death
 * included. The key: a hash of the schema and the name. */
typedef struct {
  SlStoreLease base;
  PGconn *conn;
} PgLease;

static SlStoreLease *
pgs_lease_try(SlStore *store, const char *name, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = conn_open(s, FALSE, error);
  if (!c)
    return NULL;
  g_autofree char *id = g_strdup_printf("lease %s %s", s->schema ? s->schema : "", name);
  PgParams p = {0};
  pg_p_int(&p, (gint64)g_str_hash(id) + (gint64)0x4c65617365000000); /* "Lease" */
  PGresult *r = pg_exec(c, "SELECT pg_try_advisory_lock(CAST($1 AS bigint))", &p, "lease", error);
  gboolean got = r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  if (!got) {
    PQfinish(c);
    return NULL;
  }
  PgLease *l = g_new0(PgLease, 1);
  l->conn = c;
  return &l->base;
}

static gboolean
pgs_lease_alive(SlStoreLease *lease)
{
  PgLease *l = (PgLease *)lease;
  PGresult *r = PQexec(l->conn, "SELECT 1");
  gboolean ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQstatus(l->conn) == CONNECTION_OK;
  PQclear(r);
  return ok;
}

static void
pgs_lease_release(SlStoreLease *lease)
{
  PgLease *l = (PgLease *)lease;
  PQfinish(l->conn); /* the session ends: the server drops the lock */
  g_free(l);
}

/* ---- table and constructor -------------------------------------------- */

static const SlStoreOps pg_ops = {
    .name = "postgres",
    .close = pgs_close,
    .schema_version = pgs_schema_version,
    .user_add = pgs_user_add,
    .user_set_hash = pgs_user_set_hash,
    .user_delete = pgs_user_delete,
    .user_get = pgs_user_get,
    .user_list = pgs_user_list,
    .disk_insert = pgs_disk_insert,
    .disk_get = pgs_disk_get,
    .disk_list_visible = pgs_disk_list_visible,
    .disk_list_all = pgs_disk_list_all,
    .disk_update = pgs_disk_update,
    .disk_set_state = pgs_disk_set_state,
    .disk_delete = pgs_disk_delete,
    .mount_insert = pgs_mount_insert,
    .mount_get = pgs_mount_get,
    .mount_list_for_disk = pgs_mount_list_for_disk,
    .mount_list_for_vm = pgs_mount_list_for_vm,
    .mount_delete = pgs_mount_delete,
    .vm_insert = pgs_vm_insert,
    .vm_usage = pgs_vm_usage,
    .quota_get = pgs_quota_get,
    .quota_set = pgs_quota_set,
    .vm_get = pgs_vm_get,
    .vm_list = pgs_vm_list,
    .vm_set_state = pgs_vm_set_state,
    .vm_release_ip = pgs_vm_release_ip,
    .image_insert = pgs_image_insert,
    .image_get = pgs_image_get,
    .image_list = pgs_image_list,
    .image_delete = pgs_image_delete,
    .market_insert = pgs_market_insert,
    .market_get = pgs_market_get,
    .market_search = pgs_market_search,
    .lease_try = pgs_lease_try,
    .lease_alive = pgs_lease_alive,
    .lease_release = pgs_lease_release,
};

SlStore *
sl_store_postgres_open(const char *conninfo, const char *schema, GError **error)
{
  PgStore *s = g_new0(PgStore, 1);
  s->base.ops = &pg_ops;
  atomic_init(&s->base.generation, 0);
  s->conninfo = g_strdup(conninfo);
  sl_store_pool_init(&s->pool, POOL_MAX, pool_open, pool_alive, conn_free, s);
  s->lock_key = g_strdup_printf("%" G_GINT64_FORMAT,
                                PG_WRITE_LOCK + (schema ? (gint64)g_str_hash(schema) : 0));
  PGconn *c = conn_open(s, FALSE, error);
  if (c && schema) {
    char *q = PQescapeIdentifier(c, schema, strlen(schema));
    s->schema = g_strdup(q);
    PQfreemem(q);
  }
  if (!c) {
    pgs_close(&s->base);
    return NULL;
  }
  sl_store_pool_adopt(&s->pool);
  gboolean ok = migrate(s, c, error);
  pg_conn_release(s, c);
  if (!ok) {
    pgs_close(&s->base);
    return NULL;
  }
  return &s->base;
}
