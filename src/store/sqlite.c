/* sqlite.c - the SQLite store backend: one file DATA_DIR/stratus.db.
 *
 * WAL journal, synchronous=FULL, foreign keys on, busy timeout. Threads share
 * a small pool of connections (each used by one thread at a time, with its own
 * prepared-statement cache), so reads run in parallel under WAL. Writes take an
 * in-process mutex (no busy-wait between our own threads) and then
 * BEGIN IMMEDIATE (the busy timeout covers other processes, e.g. stratus-admin).
 */
#include <sqlite3.h>
#include <string.h>

#include "store/store-private.h"
#include "util/error.h"

#define DB_FILE "stratus.db"
#define POOL_MAX 8
#define BUSY_TIMEOUT_MS 10000

typedef struct {
  sqlite3 *db;
  GHashTable *stmts; /* static SQL text (by address) -> sqlite3_stmt* */
} Conn;

typedef struct {
  SlStore base;
  char *path;
  int schema_version;
  GMutex pool_lock;
  GCond pool_cond;
  GPtrArray *idle; /* Conn* */
  guint open_count;
  GMutex write_lock;
} SqliteStore;

#define SQ(s) ((SqliteStore *)(s))

/* ---- errors ---------------------------------------------------------- */

static void
set_db_error(GError **error, sqlite3 *db, int rc, const char *what)
{
  int code = SL_ERROR_INTERNAL;
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT)
    code = SL_ERROR_CONFLICT;
  else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    code = SL_ERROR_UNAVAILABLE;
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

static gboolean
exec_sql(sqlite3 *db, const char *sql, const char *what, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    int code = (rc & 0xff) == SQLITE_BUSY ? SL_ERROR_UNAVAILABLE : SL_ERROR_INTERNAL;
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
  if (!exec_sql(db,
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

static Conn *
conn_acquire(SqliteStore *s, GError **error)
{
  g_mutex_lock(&s->pool_lock);
  for (;;) {
    if (s->idle->len > 0) {
      Conn *c = g_ptr_array_steal_index(s->idle, s->idle->len - 1);
      g_mutex_unlock(&s->pool_lock);
      return c;
    }
    if (s->open_count < POOL_MAX) {
      s->open_count++;
      g_mutex_unlock(&s->pool_lock);
      Conn *c = conn_open(s->path, error);
      if (!c) {
        g_mutex_lock(&s->pool_lock);
        s->open_count--;
        g_cond_signal(&s->pool_cond);
        g_mutex_unlock(&s->pool_lock);
      }
      return c;
    }
    g_cond_wait(&s->pool_cond, &s->pool_lock);
  }
}

static void
conn_release(SqliteStore *s, Conn *c)
{
  if (!c)
    return;
  g_mutex_lock(&s->pool_lock);
  g_ptr_array_add(s->idle, c);
  g_cond_signal(&s->pool_cond);
  g_mutex_unlock(&s->pool_lock);
}

/* A cached prepared statement, reset and unbound. `sql` must be a literal. */
static sqlite3_stmt *
stmt_get(Conn *c, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(c->stmts, sql);
  if (st)
    return st;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    set_db_error(error, c->db, rc, "prepare");
    return NULL;
  }
  g_hash_table_insert(c->stmts, (gpointer)sql, st);
  return st;
}

static void
stmt_done(sqlite3_stmt *st)
{
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

/* ---- write transactions ---------------------------------------------- */

static Conn *
write_begin(SqliteStore *s, GError **error)
{
  Conn *c = conn_acquire(s, error);
  if (!c)
    return NULL;
  g_mutex_lock(&s->write_lock);
  if (!exec_sql(c->db, "BEGIN IMMEDIATE", "begin", error)) {
    g_mutex_unlock(&s->write_lock);
    conn_release(s, c);
    return NULL;
  }
  return c;
}

/* Commits if ok (a failed commit is rolled back and reported), else rolls back. */
static gboolean
write_end(SqliteStore *s, Conn *c, gboolean ok, GError **error)
{
  if (ok && !exec_sql(c->db, "COMMIT", "commit", error))
    ok = FALSE;
  if (!ok && !sqlite3_get_autocommit(c->db))
    exec_sql(c->db, "ROLLBACK", "rollback", NULL);
  g_mutex_unlock(&s->write_lock);
  conn_release(s, c);
  return ok;
}

/* Runs one prepared change statement; *changes gets the row count. */
static gboolean
step_change(Conn *c, sqlite3_stmt *st, int *changes, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  gboolean ok = rc == SQLITE_DONE;
  if (!ok)
    set_db_error(error, c->db, rc, what);
  else if (changes)
    *changes = sqlite3_changes(c->db);
  stmt_done(st);
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
    if (!exec_sql(c->db, "BEGIN IMMEDIATE", "begin migration", error))
      return FALSE;
    int v = read_user_version(c->db);
    if (v < 0 || v > target) {
      exec_sql(c->db, "ROLLBACK", "rollback", NULL);
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL,
                  "database %s has schema version %d; this program knows up to %d", s->path, v,
                  target);
      return FALSE;
    }
    if (v == target) {
      s->schema_version = v;
      return exec_sql(c->db, "COMMIT", "commit", error);
    }
    g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
    g_autofree char *what = g_strdup_printf("migration %d -> %d", v, v + 1);
    if (!exec_sql(c->db, sl_store_sqlite_migrations[v], what, error) ||
        !exec_sql(c->db, bump, what, error) || !exec_sql(c->db, "COMMIT", what, error)) {
      exec_sql(c->db, "ROLLBACK", "rollback", NULL);
      return FALSE;
    }
    g_debug("store: applied %s", what);
  }
}

static void
sqlite_close(SlStore *store)
{
  SqliteStore *s = SQ(store);
  g_ptr_array_unref(s->idle); /* every connection must be back in the pool */
  g_mutex_clear(&s->pool_lock);
  g_cond_clear(&s->pool_cond);
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
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  sqlite3_stmt *st = stmt_get(c, "INSERT INTO users(name, hash, created) VALUES(?, ?, ?)", &err);
  gboolean ok = FALSE;
  if (st) {
    bind_text(st, 1, name);
    bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
    ok = step_change(c, st, NULL, "add user", &err);
  }
  if (!ok && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "user %s already exists", name);
  }
  if (err)
    g_propagate_error(error, err);
  return write_end(s, c, ok, error);
}

static gboolean
user_change(SlStore *store, const char *sql, const char *name, const char *hash, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = stmt_get(c, sql, error);
  if (st) {
    int i = 1;
    if (hash)
      bind_text(st, i++, hash);
    bind_text(st, i, name);
    ok = step_change(c, st, &changes, "change user", error);
  }
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no such user: %s", name);
    ok = FALSE;
  }
  return write_end(s, c, ok, error);
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
  u->name = col_text(st, 0);
  u->hash = col_text(st, 1);
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
  SqliteStore *s = SQ(store);
  Conn *c = conn_acquire(s, error);
  if (!c)
    return NULL;
  SlUser *u = NULL;
  sqlite3_stmt *st = stmt_get(c, "SELECT name, hash, created FROM users WHERE name = ?", error);
  if (st) {
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      u = user_from_row(st);
    else if (rc == SQLITE_DONE)
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no such user: %s", name);
    else
      set_db_error(error, c->db, rc, "get user");
    stmt_done(st);
  }
  conn_release(s, c);
  return u;
}

/* Runs a query and collects one object per row with `load`. */
static GPtrArray *
query_rows(SqliteStore *s, const char *sql, const char *text_arg, gint64 int_arg, gboolean use_int,
           gpointer (*load)(sqlite3_stmt *), GDestroyNotify free_fn, GError **error)
{
  Conn *c = conn_acquire(s, error);
  if (!c)
    return NULL;
  GPtrArray *rows = NULL;
  sqlite3_stmt *st = stmt_get(c, sql, error);
  if (st) {
    if (text_arg)
      bind_text(st, 1, text_arg);
    else if (use_int)
      sqlite3_bind_int64(st, 1, int_arg);
    rows = g_ptr_array_new_with_free_func(free_fn);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      g_ptr_array_add(rows, load(st));
    if (rc != SQLITE_DONE) {
      set_db_error(error, c->db, rc, "query");
      g_clear_pointer(&rows, g_ptr_array_unref);
    }
    stmt_done(st);
  }
  conn_release(s, c);
  return rows;
}

static GPtrArray *
sqlite_user_list(SlStore *store, GError **error)
{
  return query_rows(SQ(store), "SELECT name, hash, created FROM users ORDER BY name", NULL, 0,
                    FALSE, user_row, (GDestroyNotify)sl_user_free, error);
}

/* ---- disks ------------------------------------------------------------ */

#define DISK_COLS                                                                                  \
  "d.uuid, d.owner, d.tag, d.identifier, d.quarantine, d.grp, d.size, d.created, d.visibility,"    \
  " d.type, d.state, d.seed, (SELECT COUNT(*) FROM mounts m WHERE m.disk_uuid = d.uuid)"

static gpointer
disk_from_row(sqlite3_stmt *st)
{
  SlDisk *d = sl_disk_new();
  d->uuid = col_text(st, 0);
  d->owner = col_text(st, 1);
  g_free(d->tag);
  d->tag = col_text(st, 2);
  if (!d->tag)
    d->tag = g_strdup("");
  d->identifier = col_text(st, 3);
  d->quarantine = col_text(st, 4);
  d->group = col_text(st, 5);
  d->size = sqlite3_column_int64(st, 6);
  d->created = sqlite3_column_int64(st, 7);
  const char *v = (const char *)sqlite3_column_text(st, 8);
  if (!sl_visibility_from_string(v, &d->visibility))
    g_warning("store: disk %s has unknown visibility '%s'", d->uuid, v ? v : "");
  const char *t = (const char *)sqlite3_column_text(st, 9);
  if (!sl_disk_type_from_string(t, &d->type))
    g_warning("store: disk %s has unknown type '%s'", d->uuid, t ? t : "");
  const char *state = (const char *)sqlite3_column_text(st, 10);
  if (!sl_disk_state_from_string(state, &d->state))
    g_warning("store: disk %s has unknown state '%s'", d->uuid, state ? state : "");
  d->seed = sqlite3_column_int(st, 11) != 0;
  d->users = sqlite3_column_int(st, 12);
  return d;
}

/* Binds the 11 written columns (uuid last, for UPDATE ... WHERE uuid = ?11). */
static void
bind_disk(sqlite3_stmt *st, const SlDisk *d)
{
  bind_text(st, 1, d->owner);
  bind_text(st, 2, d->tag ? d->tag : "");
  bind_text(st, 3, d->identifier);
  bind_text(st, 4, d->quarantine);
  bind_text(st, 5, d->group);
  sqlite3_bind_int64(st, 6, d->size);
  sqlite3_bind_int64(st, 7, d->created);
  bind_text(st, 8, sl_visibility_to_string(d->visibility));
  bind_text(st, 9, sl_disk_type_to_string(d->type));
  bind_text(st, 10, sl_disk_state_to_string(d->state));
  sqlite3_bind_int(st, 11, d->seed ? 1 : 0);
  bind_text(st, 12, d->uuid);
}

/* Turns a constraint failure on the disks table into the message users see. */
static void
disk_conflict_message(GError **err, const SlDisk *d)
{
  if (!g_error_matches(*err, SL_ERROR, SL_ERROR_CONFLICT))
    return;
  gboolean ident = strstr((*err)->message, "identifier") != NULL;
  g_clear_error(err);
  if (ident)
    g_set_error(err, SL_ERROR, SL_ERROR_CONFLICT, "Disk already registered");
  else
    g_set_error(err, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) already exists", d->uuid);
}

static gboolean
sqlite_disk_insert(SlStore *store, const SlDisk *disk, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  gboolean ok = FALSE;
  sqlite3_stmt *st = stmt_get(c,
                              "INSERT INTO disks(owner, tag, identifier, quarantine, grp, size,"
                              " created, visibility, type, state, seed, uuid)"
                              " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              &err);
  if (st) {
    bind_disk(st, disk);
    ok = step_change(c, st, NULL, "insert disk", &err);
  }
  if (err) {
    disk_conflict_message(&err, disk);
    g_propagate_error(error, err);
  }
  return write_end(s, c, ok, error);
}

static SlDisk *
sqlite_disk_get(SlStore *store, const char *uuid, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = conn_acquire(s, error);
  if (!c)
    return NULL;
  SlDisk *d = NULL;
  sqlite3_stmt *st = stmt_get(c, "SELECT " DISK_COLS " FROM disks d WHERE d.uuid = ?", error);
  if (st) {
    bind_text(st, 1, uuid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      d = disk_from_row(st);
    else if (rc == SQLITE_DONE)
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", uuid);
    else
      set_db_error(error, c->db, rc, "get disk");
    stmt_done(st);
  }
  conn_release(s, c);
  return d;
}

static GPtrArray *
sqlite_disk_list_visible(SlStore *store, const char *owner, GError **error)
{
  if (!owner)
    return query_rows(SQ(store),
                      "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                      " ORDER BY d.created DESC, d.rowid DESC",
                      NULL, 0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
  return query_rows(SQ(store),
                    "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                    " AND (d.owner = ?1 OR d.visibility = 'public')"
                    " ORDER BY d.created DESC, d.rowid DESC",
                    owner, 0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

static GPtrArray *
sqlite_disk_list_all(SlStore *store, GError **error)
{
  return query_rows(SQ(store),
                    "SELECT " DISK_COLS " FROM disks d ORDER BY d.created DESC, d.rowid DESC", NULL,
                    0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

/* One-row change on disks keyed by uuid; NOT_FOUND when no row matched. */
static gboolean
disk_change(SlStore *store, const char *sql, const SlDisk *disk, const char *uuid,
            const char *state, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = stmt_get(c, sql, &err);
  if (st) {
    if (disk) {
      bind_disk(st, disk);
    } else if (state) {
      bind_text(st, 1, state);
      bind_text(st, 2, uuid);
    } else {
      bind_text(st, 1, uuid);
    }
    ok = step_change(c, st, &changes, "change disk", &err);
  }
  if (ok && changes == 0) {
    g_set_error(&err, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", uuid);
    ok = FALSE;
  }
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT) && !disk) {
    /* only a delete can hit the mounts foreign key */
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) is in use and can't be deleted",
                uuid);
  } else if (err && disk) {
    disk_conflict_message(&err, disk);
  }
  if (err)
    g_propagate_error(error, err);
  return write_end(s, c, ok, error);
}

static gboolean
sqlite_disk_update(SlStore *store, const SlDisk *disk, GError **error)
{
  return disk_change(store,
                     "UPDATE disks SET owner = ?1, tag = ?2, identifier = ?3, quarantine = ?4,"
                     " grp = ?5, size = ?6, created = ?7, visibility = ?8, type = ?9,"
                     " state = ?10, seed = ?11 WHERE uuid = ?12",
                     disk, disk->uuid, NULL, error);
}

static gboolean
sqlite_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error)
{
  return disk_change(store, "UPDATE disks SET state = ? WHERE uuid = ?", NULL, uuid,
                     sl_disk_state_to_string(state), error);
}

static gboolean
sqlite_disk_delete(SlStore *store, const char *uuid, GError **error)
{
  return disk_change(store, "DELETE FROM disks WHERE uuid = ?", NULL, uuid, NULL, error);
}

/* ---- mounts ----------------------------------------------------------- */

#define MOUNT_COLS "id, disk_uuid, vm_id, node, target, created"

static gpointer
mount_from_row(sqlite3_stmt *st)
{
  SlMount *m = sl_mount_new();
  m->id = col_text(st, 0);
  m->disk_uuid = col_text(st, 1);
  m->vm_id = sqlite3_column_int64(st, 2);
  m->node = col_text(st, 3);
  m->target = col_text(st, 4);
  m->created = sqlite3_column_int64(st, 5);
  return m;
}

static gboolean
sqlite_mount_insert(SlStore *store, const SlMount *mount, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  gboolean ok = FALSE;
  sqlite3_stmt *st =
      stmt_get(c, "INSERT INTO mounts(" MOUNT_COLS ") VALUES(?, ?, ?, ?, ?, ?)", &err);
  if (st) {
    bind_text(st, 1, mount->id);
    bind_text(st, 2, mount->disk_uuid);
    sqlite3_bind_int64(st, 3, mount->vm_id);
    bind_text(st, 4, mount->node ? mount->node : "");
    bind_text(st, 5, mount->target ? mount->target : "");
    sqlite3_bind_int64(st, 6, mount->created);
    ok = step_change(c, st, NULL, "insert mount", &err);
  }
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    const char *msg = err->message;
    gboolean fk = strstr(msg, "FOREIGN KEY") != NULL;
    gboolean target = !fk && strstr(msg, "target") != NULL;
    g_autoptr(GError) old = err;
    err = NULL;
    if (fk)
      g_set_error(&err, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", mount->disk_uuid);
    else if (target)
      g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT,
                  "device %s is already used by VM %" G_GINT64_FORMAT, mount->target, mount->vm_id);
    else
      g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT,
                  "Mount already exists for: %" G_GINT64_FORMAT " and %s", mount->vm_id,
                  mount->disk_uuid);
  }
  if (err)
    g_propagate_error(error, err);
  return write_end(s, c, ok, error);
}

static SlMount *
sqlite_mount_get(SlStore *store, const char *id, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = conn_acquire(s, error);
  if (!c)
    return NULL;
  SlMount *m = NULL;
  sqlite3_stmt *st = stmt_get(c, "SELECT " MOUNT_COLS " FROM mounts WHERE id = ?", error);
  if (st) {
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      m = mount_from_row(st);
    else if (rc == SQLITE_DONE)
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "mount %s does not exist", id);
    else
      set_db_error(error, c->db, rc, "get mount");
    stmt_done(st);
  }
  conn_release(s, c);
  return m;
}

static GPtrArray *
sqlite_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error)
{
  return query_rows(SQ(store),
                    "SELECT " MOUNT_COLS " FROM mounts WHERE disk_uuid = ? ORDER BY created, rowid",
                    disk_uuid, 0, FALSE, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

static GPtrArray *
sqlite_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error)
{
  return query_rows(SQ(store),
                    "SELECT " MOUNT_COLS " FROM mounts WHERE vm_id = ? ORDER BY created, rowid",
                    NULL, vm_id, TRUE, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

static gboolean
sqlite_mount_delete(SlStore *store, const char *id, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = write_begin(s, error);
  if (!c)
    return FALSE;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = stmt_get(c, "DELETE FROM mounts WHERE id = ?", error);
  if (st) {
    bind_text(st, 1, id);
    ok = step_change(c, st, &changes, "delete mount", error);
  }
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "mount %s does not exist", id);
    ok = FALSE;
  }
  return write_end(s, c, ok, error);
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
};

SlStore *
sl_store_sqlite_open(const char *data_dir, GError **error)
{
  SqliteStore *s = g_new0(SqliteStore, 1);
  s->base.ops = &sqlite_ops;
  atomic_init(&s->base.generation, 0);
  s->path = g_build_filename(data_dir, DB_FILE, NULL);
  g_mutex_init(&s->pool_lock);
  g_cond_init(&s->pool_cond);
  g_mutex_init(&s->write_lock);
  s->idle = g_ptr_array_new_with_free_func((GDestroyNotify)conn_free);

  Conn *c = conn_open(s->path, error);
  if (!c) {
    sqlite_close(&s->base);
    return NULL;
  }
  s->open_count = 1;
  gboolean ok = migrate(s, c, error);
  conn_release(s, c);
  if (!ok) {
    sqlite_close(&s->base);
    return NULL;
  }
  return &s->base;
}
