/* sqlite.c - the SQLite store backend: one file DATA_DIR/stratus.db.
 *
 * WAL journal, synchronous=FULL, foreign keys on, busy timeout. Threads share
 * a small pool of connections (each used by one thread at a time, with its own
 * prepared-statement cache), so reads run in parallel under WAL. Writes take an
 * in-process mutex (no busy-wait between our own threads) and then
 * BEGIN IMMEDIATE (the busy timeout covers other processes, e.g. stratus-admin).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite-private.h"
#include "util/error.h"

#define DB_FILE "stratus.db"
#define POOL_MAX 8
#define BUSY_TIMEOUT_MS 10000

/* ---- errors ---------------------------------------------------------- */

void
sq_set_db_error(GError **error, sqlite3 *db, int rc, const char *what)
{
  int code = SL_ERROR_INTERNAL;
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT)
    code = SL_ERROR_CONFLICT;
  else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    code = SL_ERROR_UNAVAILABLE;
  else if (primary == SQLITE_FULL) /* the data directory's file system is full: not our bug */
    code = SL_ERROR_NO_SPACE;
  g_set_error(error, SL_ERROR, code, "database error (%s): %s", what,
              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* ---- connections ----------------------------------------------------- */

static void
stmt_finalize(gpointer st)
{
  sqlite3_finalize(st);
}

static void
conn_free(Conn *c)
{
  if (!c)
    return;
  g_hash_table_destroy(c->stmts);
  sqlite3_close_v2(c->db);
  g_free(c);
}

gboolean
sq_exec_sql(sqlite3 *db, const char *sql, const char *what, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    int primary = rc & 0xff;
    int code = primary == SQLITE_FULL   ? SL_ERROR_NO_SPACE
               : primary == SQLITE_BUSY ? SL_ERROR_UNAVAILABLE
                                        : SL_ERROR_INTERNAL;
    g_set_error(error, SL_ERROR, code, "database error (%s): %s", what,
                msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

static Conn *
conn_open(const char *path, GError **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot open database %s: %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return NULL;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
  if (!sq_exec_sql(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                   "PRAGMA temp_store=MEMORY;",
                   "configure", error)) {
    sqlite3_close_v2(db);
    return NULL;
  }
  Conn *c = g_new0(Conn, 1);
  c->db = db;
  c->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stmt_finalize);
  return c;
}

static gpointer
pool_open(gpointer s, GError **error)
{
  return conn_open(SQ(s)->path, error);
}

Conn *
sq_conn_acquire(SqliteStore *s, GError **error)
{
  return sl_store_pool_acquire(&s->pool, error);
}

void
sq_conn_release(SqliteStore *s, Conn *c)
{
  sl_store_pool_release(&s->pool, c);
}

/* A cached prepared statement, reset and unbound. `sql` must be a literal. */
sqlite3_stmt *
sq_stmt_get(Conn *c, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(c->stmts, sql);
  if (st)
    return st;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    sq_set_db_error(error, c->db, rc, "prepare");
    return NULL;
  }
  g_hash_table_insert(c->stmts, (gpointer)sql, st);
  return st;
}

void
sq_stmt_done(sqlite3_stmt *st)
{
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

void
sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

char *
sq_col_text(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

/* ---- write transactions ---------------------------------------------- */

Conn *
sq_write_begin(SqliteStore *s, GError **error)
{
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return NULL;
  g_mutex_lock(&s->write_lock);
  if (!sq_exec_sql(c->db, "BEGIN IMMEDIATE", "begin", error)) {
    g_mutex_unlock(&s->write_lock);
    sq_conn_release(s, c);
    return NULL;
  }
  return c;
}

/* Commits if ok (a failed commit is rolled back and reported), else rolls back. */
gboolean
sq_write_end(SqliteStore *s, Conn *c, gboolean ok, GError **error)
{
  if (ok && !sq_exec_sql(c->db, "COMMIT", "commit", error))
    ok = FALSE;
  if (!ok && !sqlite3_get_autocommit(c->db))
    sq_exec_sql(c->db, "ROLLBACK", "rollback", NULL);
  g_mutex_unlock(&s->write_lock);
  sq_conn_release(s, c);
  return ok;
}

/* Runs one prepared change statement; *changes gets the row count. */
gboolean
sq_step_change(Conn *c, sqlite3_stmt *st, int *changes, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  gboolean ok = rc == SQLITE_DONE;
  if (!ok)
    sq_set_db_error(error, c->db, rc, what);
  else if (changes)
    *changes = sqlite3_changes(c->db);
  sq_stmt_done(st);
  return ok;
}

/* ---- open / close / migrate ------------------------------------------ */

static int
read_user_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static gboolean
migrate(SqliteStore *s, Conn *c, GError **error)
{
  const int target = sl_store_sqlite_migration_count;
  for (;;) {
    if (!sq_exec_sql(c->db, "BEGIN IMMEDIATE", "begin migration", error))
      return FALSE;
    int v = read_user_version(c->db);
    if (v < 0 || v > target) {
      sq_exec_sql(c->db, "ROLLBACK", "rollback", NULL);
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL,
                  "database %s has schema version %d; this program knows up to %d", s->path, v,
                  target);
      return FALSE;
    }
    if (v == target) {
      s->schema_version = v;
      return sq_exec_sql(c->db, "COMMIT", "commit", error);
    }
    g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
    g_autofree char *what = g_strdup_printf("migration %d -> %d", v, v + 1);
    if (!sq_exec_sql(c->db, sl_store_sqlite_migrations[v], what, error) ||
        !sq_exec_sql(c->db, bump, what, error) || !sq_exec_sql(c->db, "COMMIT", what, error)) {
      sq_exec_sql(c->db, "ROLLBACK", "rollback", NULL);
      return FALSE;
    }
    g_debug("store: applied %s", what);
  }
}

static void
sqlite_close(SlStore *store)
{
  SqliteStore *s = SQ(store);
  sl_store_pool_clear(&s->pool); /* every connection must be back in the pool */
  g_mutex_clear(&s->write_lock);
  g_free(s->path);
  g_free(s);
}

static int
sqlite_schema_version(SlStore *store)
{
  return SQ(store)->schema_version;
}

/* ---- users ------------------------------------------------------------ */

static gboolean
sqlite_user_add(SlStore *store, const char *name, const char *hash, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  sqlite3_stmt *st = sq_stmt_get(c, "INSERT INTO users(name, hash, created) VALUES(?, ?, ?)", &err);
  gboolean ok = FALSE;
  if (st) {
    sq_bind_text(st, 1, name);
    sq_bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
    ok = sq_step_change(c, st, NULL, "add user", &err);
  }
  if (!ok && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "user %s already exists", name);
  }
  if (err)
    g_propagate_error(error, err);
  return sq_write_end(s, c, ok, error);
}

static gboolean
user_change(SlStore *store, const char *sql, const char *name, const char *hash, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c, sql, error);
  if (st) {
    int i = 1;
    if (hash)
      sq_bind_text(st, i++, hash);
    sq_bind_text(st, i, name);
    ok = sq_step_change(c, st, &changes, "change user", error);
  }
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no such user: %s", name);
    ok = FALSE;
  }
  return sq_write_end(s, c, ok, error);
}

static gboolean
sqlite_user_set_hash(SlStore *store, const char *name, const char *hash, GError **error)
{
  return user_change(store, "UPDATE users SET hash = ? WHERE name = ?", name, hash, error);
}

static gboolean
sqlite_user_delete(SlStore *store, const char *name, GError **error)
{
  return user_change(store, "DELETE FROM users WHERE name = ?", name, NULL, error);
}

static SlUser *
user_from_row(sqlite3_stmt *st)
{
  SlUser *u = g_new0(SlUser, 1);
  u->name = sq_col_text(st, 0);
  u->hash = sq_col_text(st, 1);
  u->created = sqlite3_column_int64(st, 2);
  return u;
}

static gpointer
user_row(sqlite3_stmt *st)
{
  return user_from_row(st);
}

static SlUser *
sqlite_user_get(SlStore *store, const char *name, GError **error)
{
  return sq_query_one(SQ(store), "SELECT name, hash, created FROM users WHERE name = ?", name, 0,
                      FALSE, user_row, "get user", error, "no such user: %s", name);
}

/* Runs a query and collects one object per row with `load`. */
GPtrArray *
sq_query_rows(SqliteStore *s, const char *sql, const char *text_arg, gint64 int_arg,
              gboolean use_int, gpointer (*load)(sqlite3_stmt *), GDestroyNotify free_fn,
              GError **error)
{
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return NULL;
  GPtrArray *rows = NULL;
  sqlite3_stmt *st = sq_stmt_get(c, sql, error);
  if (st) {
    if (text_arg)
      sq_bind_text(st, 1, text_arg);
    else if (use_int)
      sqlite3_bind_int64(st, 1, int_arg);
    rows = g_ptr_array_new_with_free_func(free_fn);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      g_ptr_array_add(rows, load(st));
    if (rc != SQLITE_DONE) {
      sq_set_db_error(error, c->db, rc, "query");
      g_clear_pointer(&rows, g_ptr_array_unref);
    }
    sq_stmt_done(st);
  }
  sq_conn_release(s, c);
  return rows;
}

gpointer
sq_query_one(SqliteStore *s, const char *sql, const char *text_arg, gint64 int_arg,
             gboolean use_int, gpointer (*load)(sqlite3_stmt *), const char *what, GError **error,
             const char *not_found_fmt, ...)
{
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return NULL;
  gpointer row = NULL;
  sqlite3_stmt *st = sq_stmt_get(c, sql, error);
  if (st) {
    if (text_arg)
      sq_bind_text(st, 1, text_arg);
    else if (use_int)
      sqlite3_bind_int64(st, 1, int_arg);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      row = load(st);
    } else if (rc == SQLITE_DONE) {
      va_list ap;
      va_start(ap, not_found_fmt);
      g_autofree char *msg = g_strdup_vprintf(not_found_fmt, ap);
      va_end(ap);
      g_set_error_literal(error, SL_ERROR, SL_ERROR_NOT_FOUND, msg);
    } else {
      sq_set_db_error(error, c->db, rc, what);
    }
    sq_stmt_done(st);
  }
  sq_conn_release(s, c);
  return row;
}

static GPtrArray *
sqlite_user_list(SlStore *store, GError **error)
{
  return sq_query_rows(SQ(store), "SELECT name, hash, created FROM users ORDER BY name", NULL, 0,
                       FALSE, user_row, (GDestroyNotify)sl_user_free, error);
}

/* ---- leases ------------------------------------------------------------ */

/* An open-file-description lock (F_OFD_SETLK) on DATA_DIR/<name>.lease: owned
 * by this open, so two handles of one process exclude each other too, and
 * dropped by the kernel when the holder dies. */
typedef struct {
  SlStoreLease base;
  int fd;
} SqliteLease;

static SlStoreLease *
sqlite_lease_try(SlStore *store, const char *name, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(SQ(store)->path);
  g_autofree char *file = g_strdup_printf("%s.lease", name);
  g_autofree char *path = g_build_filename(dir, file, NULL);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot open %s: %s", path, g_strerror(e));
    return NULL;
  }
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    int e = errno;
    close(fd);
    if (e != EAGAIN && e != EACCES)
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot lock %s: %s", path, g_strerror(e));
    return NULL;
  }
  SqliteLease *l = g_new0(SqliteLease, 1);
  l->fd = fd;
  return &l->base;
}

static gboolean
sqlite_lease_alive(SlStoreLease *lease)
{
  (void)lease; /* the lock lives as long as the descriptor */
  return TRUE;
}

static void
sqlite_lease_release(SlStoreLease *lease)
{
  SqliteLease *l = (SqliteLease *)lease;
  close(l->fd);
  g_free(l);
}

/* ---- table and constructor -------------------------------------------- */

static const SlStoreOps sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .user_add = sqlite_user_add,
    .user_set_hash = sqlite_user_set_hash,
    .user_delete = sqlite_user_delete,
    .user_get = sqlite_user_get,
    .user_list = sqlite_user_list,
    .disk_insert = sqlite_disk_insert,
    .disk_get = sqlite_disk_get,
    .disk_list_visible = sqlite_disk_list_visible,
    .disk_list_all = sqlite_disk_list_all,
    .disk_update = sqlite_disk_update,
    .disk_set_state = sqlite_disk_set_state,
    .disk_delete = sqlite_disk_delete,
    .mount_insert = sqlite_mount_insert,
    .mount_get = sqlite_mount_get,
    .mount_list_for_disk = sqlite_mount_list_for_disk,
    .mount_list_for_vm = sqlite_mount_list_for_vm,
    .mount_delete = sqlite_mount_delete,
    .vm_insert = sqlite_vm_insert,
    .vm_usage = sqlite_vm_usage,
    .quota_get = sqlite_quota_get,
    .quota_set = sqlite_quota_set,
    .vm_get = sqlite_vm_get,
    .vm_list = sqlite_vm_list,
    .vm_set_state = sqlite_vm_set_state,
    .vm_release_ip = sqlite_vm_release_ip,
    .image_insert = sqlite_image_insert,
    .image_get = sqlite_image_get,
    .image_list = sqlite_image_list,
    .image_delete = sqlite_image_delete,
    .market_insert = sqlite_market_insert,
    .market_get = sqlite_market_get,
    .market_search = sqlite_market_search,
    .lease_try = sqlite_lease_try,
    .lease_alive = sqlite_lease_alive,
    .lease_release = sqlite_lease_release,
};

SlStore *
sl_store_sqlite_open(const char *data_dir, GError **error)
{
  SqliteStore *s = g_new0(SqliteStore, 1);
  s->base.ops = &sqlite_ops;
  atomic_init(&s->base.generation, 0);
  s->path = g_build_filename(data_dir, DB_FILE, NULL);
  sl_store_pool_init(&s->pool, POOL_MAX, pool_open, NULL, (GDestroyNotify)conn_free, s);
  g_mutex_init(&s->write_lock);

  Conn *c = conn_open(s->path, error);
  if (!c) {
    sqlite_close(&s->base);
    return NULL;
  }
  sl_store_pool_adopt(&s->pool);
  gboolean ok = migrate(s, c, error);
  sq_conn_release(s, c);
  if (!ok) {
    sqlite_close(&s->base);
    return NULL;
  }
  return &s->base;
}
