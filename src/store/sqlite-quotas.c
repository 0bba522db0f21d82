/* sqlite-quotas.c - per-user quota overrides and VM usage (SQLite backend).
 *
 * quotas(user, cpu, ram, vms): one row per user with an override; a NULL
 * column means "the operator's default" (stratusd [quota]).
 */
#include "store/sqlite-private.h"
#include "util/error.h"

gboolean
sq_vm_usage(Conn *c, const char *owner, SlVmUsage *u, GError **error)
{
  *u = (SlVmUsage){0};
  sqlite3_stmt *st =
      owner ? sq_stmt_get(c,
                          "SELECT COUNT(*), COALESCE(SUM(vcpu), 0), COALESCE(SUM(ram), 0)"
                          " FROM vms WHERE owner = ? AND state NOT IN ('Done', 'Failed')",
                          error)
            : sq_stmt_get(c,
                          "SELECT COUNT(*), COALESCE(SUM(vcpu), 0), COALESCE(SUM(ram), 0)"
                          " FROM vms WHERE state NOT IN ('Done', 'Failed')",
                          error);
  if (!st)
    return FALSE;
  if (owner)
    sq_bind_text(st, 1, owner);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    u->vms = sqlite3_column_int64(st, 0);
    u->cpu = sqlite3_column_int64(st, 1);
    u->ram = sqlite3_column_int64(st, 2);
  } else {
    sq_set_db_error(error, c->db, rc, "vm usage");
  }
  sq_stmt_done(st);
  return rc == SQLITE_ROW;
}

static gint64
col_or_unset(sqlite3_stmt *st, int i)
{
  return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

gboolean
sq_quota_read(Conn *c, const char *user, SlQuota *q, GError **error)
{
  *q = (SlQuota){-1, -1, -1};
  if (!user)
    return TRUE;
  sqlite3_stmt *st = sq_stmt_get(c, "SELECT vms, cpu, ram FROM quotas WHERE user = ?", error);
  if (!st)
    return FALSE;
  sq_bind_text(st, 1, user);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    q->vms = col_or_unset(st, 0);
    q->cpu = col_or_unset(st, 1);
    q->ram = col_or_unset(st, 2);
  } else if (rc != SQLITE_DONE) {
    sq_set_db_error(error, c->db, rc, "read quota");
  }
  sq_stmt_done(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gboolean
sqlite_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return FALSE;
  gboolean ok = sq_vm_usage(c, owner, usage, error);
  sq_conn_release(s, c);
  return ok;
}

gboolean
sqlite_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_conn_acquire(s, error);
  if (!c)
    return FALSE;
  gboolean ok = sq_quota_read(c, user, quota, error);
  sq_conn_release(s, c);
  return ok;
}

static void
bind_or_null(sqlite3_stmt *st, int i, gint64 v)
{
  if (v < 0)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_int64(st, i, v);
}

gboolean
sqlite_quota_set(SlStore *store, const char *user, const SlQuota *q, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean unset = q->vms < 0 && q->cpu < 0 && q->ram < 0;
  sqlite3_stmt *st =
      unset
          ? sq_stmt_get(c, "DELETE FROM quotas WHERE user = ?", error)
          : sq_stmt_get(c, "INSERT OR REPLACE INTO quotas(user, vms, cpu, ram) VALUES(?, ?, ?, ?)",
                        error);
  gboolean ok = FALSE;
  if (st) {
    sq_bind_text(st, 1, user);
    if (!unset) {
      bind_or_null(st, 2, q->vms);
      bind_or_null(st, 3, q->cpu);
      bind_or_null(st, 4, q->ram);
    }
    ok = sq_step_change(c, st, NULL, "set quota", error);
  }
  return sq_write_end(s, c, ok, error);
}
