/* sqlite-vms.c - vms and images tables of the SQLite backend. */
#include <string.h>

#include "store/sqlite-private.h"
#include "util/error.h"

/* ---- vms -------------------------------------------------------------- */

#define VM_COLS "id, owner, name, image, state, vcpu, ram, swap, ip, created, updated, error, spec"

static gpointer
vm_from_row(sqlite3_stmt *st)
{
  SlVm *v = sl_vm_new();
  v->id = sqlite3_column_int64(st, 0);
  v->owner = sq_col_text(st, 1);
  v->name = sq_col_text(st, 2);
  v->image = sq_col_text(st, 3);
  const char *state = (const char *)sqlite3_column_text(st, 4);
  if (!sl_vm_state_from_string(state, &v->state)) {
    g_warning("store: vm %" G_GINT64_FORMAT " has unknown state '%s'", v->id, state ? state : "");
    v->state = SL_VM_UNKNOWN;
  }
  v->vcpu = sqlite3_column_int(st, 5);
  v->ram = sqlite3_column_int(st, 6);
  v->swap = sqlite3_column_int(st, 7);
  v->ip = sq_col_text(st, 8);
  v->created = sqlite3_column_int64(st, 9);
  v->updated = sqlite3_column_int64(st, 10);
  v->error = sq_col_text(st, 11);
  g_autoptr(GError) error = NULL;
  v->def = sl_vm_def_parse((const char *)sqlite3_column_text(st, 12), &error);
  if (!v->def) { /* kept loadable: an empty definition, as the old code read it */
    g_warning("store: vm %" G_GINT64_FORMAT ": %s", v->id, error->message);
    v->def = sl_vm_def_new();
  }
  return v;
}

/* Every address held by a row, as a set of strings. */
static GHashTable *
used_addresses(Conn *c, GError **error)
{
  sqlite3_stmt *st = sq_stmt_get(c, "SELECT ip FROM vms WHERE ip IS NOT NULL", error);
  if (!st)
    return NULL;
  GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_hash_table_add(used, sq_col_text(st, 0));
  if (rc != SQLITE_DONE) {
    sq_set_db_error(error, c->db, rc, "list addresses");
    g_clear_pointer(&used, g_hash_table_unref);
  }
  sq_stmt_done(st);
  return used;
}

static gboolean
image_ready(Conn *c, const char *identifier, const char *spec, GError **error)
{
  /* a Marketplace image not cached yet is downloaded in Prolog: spec "fetch"
   * (conf/vm-def.h) */
  sqlite3_stmt *st = sq_stmt_get(
      c,
      "SELECT 1 WHERE EXISTS (SELECT 1 FROM images WHERE identifier = ?1 AND state = 'ready') "
      "OR (CASE WHEN json_valid(?2) THEN json_type(?2, '$.fetch') END) = 'object'",
      error);
  if (!st)
    return FALSE;
  sq_bind_text(st, 1, identifier);
  sq_bind_text(st, 2, spec);
  int rc = sqlite3_step(st);
  sq_stmt_done(st);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "image %s is not in the image cache",
                identifier ? identifier : "(none)");
  else
    sq_set_db_error(error, c->db, rc, "check image");
  return FALSE;
}

static gboolean
insert_one(Conn *c, SlVm *v, GHashTable *used, SlStoreIpPickFunc pick, gpointer data,
           GError **error)
{
  g_autofree char *spec = v->def ? sl_vm_def_format(v->def) : g_strdup("{}");
  if (!image_ready(c, v->image, spec, error))
    return FALSE;
  if (pick) {
    g_free(v->ip);
    v->ip = pick(used, data);
    if (!v->ip) {
      g_set_error_literal(error, SL_ERROR, SL_ERROR_CONFLICT, "no free address in the pool");
      return FALSE;
    }
    g_hash_table_add(used, g_strdup(v->ip));
  }
  v->created = v->updated = g_get_real_time() / G_USEC_PER_SEC;
  sqlite3_stmt *st = sq_stmt_get(c,
                                 "INSERT INTO vms(owner, name, image, state, vcpu, ram, swap, ip,"
                                 " created, updated, error, spec)"
                                 " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 error);
  if (!st)
    return FALSE;
  sq_bind_text(st, 1, v->owner);
  sq_bind_text(st, 2, v->name && v->name[0] ? v->name : "");
  sq_bind_text(st, 3, v->image);
  sq_bind_text(st, 4, sl_vm_state_to_string(v->state));
  sqlite3_bind_int(st, 5, v->vcpu);
  sqlite3_bind_int(st, 6, v->ram);
  sqlite3_bind_int(st, 7, v->swap);
  sq_bind_text(st, 8, v->ip);
  sqlite3_bind_int64(st, 9, v->created);
  sqlite3_bind_int64(st, 10, v->updated);
  sq_bind_text(st, 11, v->error);
  sq_bind_text(st, 12, spec);
  if (!sq_step_change(c, st, NULL, "insert vm", error))
    return FALSE;
  v->id = sqlite3_last_insert_rowid(c->db);
  if (v->name && v->name[0])
    return TRUE;
  g_free(v->name);
  v->name = g_strdup_printf("one-%" G_GINT64_FORMAT, v->id);
  st = sq_stmt_get(c, "UPDATE vms SET name = ? WHERE id = ?", error);
  if (!st)
    return FALSE;
  sq_bind_text(st, 1, v->name);
  sqlite3_bind_int64(st, 2, v->id);
  return sq_step_change(c, st, NULL, "name vm", error);
}

/* The limits check of sl_store_vm_insert_checked, inside the transaction. */
static gboolean
check_limits(Conn *c, GPtrArray *vms, SlStoreVmCheckFunc check, gpointer data, GError **error)
{
  const char *owner = vms->len ? ((SlVm *)vms->pdata[0])->owner : NULL;
  SlVmUsage mine, all;
  SlQuota quota;
  return sq_vm_usage(c, owner, &mine, error) && sq_vm_usage(c, NULL, &all, error) &&
         sq_quota_read(c, owner, &quota, error) && check(&mine, &all, &quota, vms, data, error);
}

/* The boot-time mounts of VM id (sl_store_vm_insert_mounts). */
static gboolean
insert_mounts(Conn *c, gint64 id, GPtrArray *mounts, gboolean write_back, GError **error)
{
  for (guint i = 0; i < mounts->len; i++) {
    SlMount *t = mounts->pdata[i];
    g_autoptr(SlMount) m = sl_mount_copy(t);
    g_free(m->id);
    m->id = g_strdup_printf("%s_%" G_GINT64_FORMAT, t->disk_uuid, id);
    m->vm_id = id;
    m->created = g_get_real_time() / G_USEC_PER_SEC;
    if (!sq_mount_insert(c, m, error))
      return FALSE;
    if (write_back) {
      g_free(t->id);
      t->id = g_strdup(m->id);
      t->vm_id = id;
      t->created = m->created;
    }
  }
  return TRUE;
}

gboolean
sqlite_vm_insert(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                 SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                 SlStoreVmCheckFunc check, gpointer check_data, SlStoreIpPickFunc pick,
                 gpointer data, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = TRUE;
  for (guint i = 0; ok && mount_check && mounts && i < mounts->len; i++)
    ok = sq_mount_check(c, mounts->pdata[i], FALSE, mount_check, mount_check_data, error);
  ok = ok && (!check || check_limits(c, vms, check, check_data, error));
  g_autoptr(GHashTable) used = ok && pick ? used_addresses(c, error) : NULL;
  ok = ok && (!pick || used);
  for (guint i = 0; ok && i < vms->len; i++)
    ok = insert_one(c, vms->pdata[i], used, pick, data, error);
  for (guint i = 0; ok && mounts && i < vms->len; i++)
    ok = insert_mounts(c, ((SlVm *)vms->pdata[i])->id, mounts, vms->len == 1, error);
  if (!ok) /* nothing was allocated: do not hand back ids or addresses */
    for (guint i = 0; i < vms->len; i++) {
      SlVm *v = vms->pdata[i];
      v->id = 0;
      if (pick)
        g_clear_pointer(&v->ip, g_free);
    }
  return sq_write_end(s, c, ok, error);
}

SlVm *
sqlite_vm_get(SlStore *store, gint64 id, GError **error)
{
  return sq_query_one(SQ(store), "SELECT " VM_COLS " FROM vms WHERE id = ?", NULL, id, TRUE,
                      vm_from_row, "get vm", error, "VM %" G_GINT64_FORMAT " does not exist", id);
}

GPtrArray *
sqlite_vm_list(SlStore *store, const char *owner, gboolean include_final, GError **error)
{
  GDestroyNotify fr = (GDestroyNotify)sl_vm_free;
  SqliteStore *s = SQ(store);
  if (owner && include_final)
    return sq_query_rows(s, "SELECT " VM_COLS " FROM vms WHERE owner = ?1 ORDER BY id", owner, 0,
                         FALSE, vm_from_row, fr, error);
  if (owner)
    return sq_query_rows(s,
                         "SELECT " VM_COLS " FROM vms WHERE owner = ?1"
                         " AND state NOT IN ('Done', 'Failed') ORDER BY id",
                         owner, 0, FALSE, vm_from_row, fr, error);
  if (include_final)
    return sq_query_rows(s, "SELECT " VM_COLS " FROM vms ORDER BY id", NULL, 0, FALSE, vm_from_row,
                         fr, error);
  return sq_query_rows(s,
                       "SELECT " VM_COLS " FROM vms WHERE state NOT IN ('Done', 'Failed')"
                       " ORDER BY id",
                       NULL, 0, FALSE, vm_from_row, fr, error);
}

/* One-row change keyed by id; NOT_FOUND when no row matched. */
static gboolean
vm_change(SlStore *store, const char *sql, gint64 id, const char *state, const char *text,
          GError **error)
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
    if (state) {
      sq_bind_text(st, i++, state);
      sq_bind_text(st, i++, text);
      sqlite3_bind_int64(st, i++, g_get_real_time() / G_USEC_PER_SEC);
    }
    sqlite3_bind_int64(st, i, id);
    ok = sq_step_change(c, st, &changes, "change vm", error);
  }
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "VM %" G_GINT64_FORMAT " does not exist", id);
    ok = FALSE;
  }
  return sq_write_end(s, c, ok, error);
}

gboolean
sqlite_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                    GError **error)
{
  return vm_change(store,
                   "UPDATE vms SET state = ?, error = COALESCE(?, error), updated = ?"
                   " WHERE id = ?",
                   id, sl_vm_state_to_string(state), error_text, error);
}

gboolean
sqlite_vm_release_ip(SlStore *store, gint64 id, GError **error)
{
  return vm_change(store, "UPDATE vms SET ip = NULL WHERE id = ?", id, NULL, NULL, error);
}

/* ---- images ----------------------------------------------------------- */

#define IMAGE_COLS "identifier, sha1, bytes, path, kind, created, state"

static gpointer
image_from_row(sqlite3_stmt *st)
{
  SlImage *im = sl_image_new();
  im->identifier = sq_col_text(st, 0);
  im->sha1 = sq_col_text(st, 1);
  im->bytes = sqlite3_column_int64(st, 2);
  im->path = sq_col_text(st, 3);
  im->kind = sq_col_text(st, 4);
  im->created = sqlite3_column_int64(st, 5);
  im->state = sq_col_text(st, 6);
  return im;
}

gboolean
sqlite_image_insert(SlStore *store, const SlImage *im, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c,
                                 "INSERT INTO images(identifier, sha1, bytes, path, kind, created,"
                                 " state) VALUES(?, ?, ?, ?, ?, ?, ?)",
                                 &err);
  if (st) {
    sq_bind_text(st, 1, im->identifier);
    sq_bind_text(st, 2, im->sha1);
    sqlite3_bind_int64(st, 3, im->bytes);
    sq_bind_text(st, 4, im->path);
    sq_bind_text(st, 5, im->kind ? im->kind : "raw");
    sqlite3_bind_int64(st, 6, im->created);
    sq_bind_text(st, 7, im->state ? im->state : "ready");
    ok = sq_step_change(c, st, NULL, "insert image", &err);
  }
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "image %s already exists", im->identifier);
  }
  if (err)
    g_propagate_error(error, err);
  return sq_write_end(s, c, ok, error);
}

SlImage *
sqlite_image_get(SlStore *store, const char *identifier, GError **error)
{
  return sq_query_one(SQ(store), "SELECT " IMAGE_COLS " FROM images WHERE identifier = ?",
                      identifier, 0, FALSE, image_from_row, "get image", error,
                      "image %s is not in the image cache", identifier);
}

GPtrArray *
sqlite_image_list(SlStore *store, GError **error)
{
  return sq_query_rows(SQ(store), "SELECT " IMAGE_COLS " FROM images ORDER BY identifier", NULL, 0,
                       FALSE, image_from_row, (GDestroyNotify)sl_image_free, error);
}

gboolean
sqlite_image_delete(SlStore *store, const char *identifier, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c,
                                 "SELECT id FROM vms WHERE image = ?"
                                 " AND state NOT IN ('Done', 'Failed') ORDER BY id LIMIT 1",
                                 error);
  if (st) {
    sq_bind_text(st, 1, identifier);
    int rc = sqlite3_step(st);
    gint64 user = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sq_stmt_done(st);
    if (rc == SQLITE_ROW)
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "image %s is used by VM %" G_GINT64_FORMAT,
                  identifier, user);
    else if (rc != SQLITE_DONE)
      sq_set_db_error(error, c->db, rc, "check image use");
    else
      ok = TRUE;
  }
  int changes = 0;
  if (ok && (st = sq_stmt_get(c, "DELETE FROM images WHERE identifier = ?", error))) {
    sq_bind_text(st, 1, identifier);
    ok = sq_step_change(c, st, &changes, "delete image", error);
    if (ok && changes == 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "image %s is not in the image cache",
                  identifier);
      ok = FALSE;
    }
  } else if (ok) {
    ok = FALSE;
  }
  return sq_write_end(s, c, ok, error);
}
