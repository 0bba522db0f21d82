/* sqlite-disks.c - disks and mounts tables of the SQLite backend. */
#include <string.h>

#include "store/sqlite-private.h"
#include "util/error.h"

/* ---- disks ------------------------------------------------------------ */

#define DISK_COLS                                                                                  \
  "d.uuid, d.owner, d.tag, d.identifier, d.quarantine, d.grp, d.size, d.created, d.visibility,"    \
  " d.type, d.state, d.seed, (SELECT COUNT(*) FROM mounts m WHERE m.disk_uuid = d.uuid)"

static gpointer
disk_from_row(sqlite3_stmt *st)
{
  SlDisk *d = sl_disk_new();
  d->uuid = sq_col_text(st, 0);
  d->owner = sq_col_text(st, 1);
  g_free(d->tag);
  d->tag = sq_col_text(st, 2);
  if (!d->tag)
    d->tag = g_strdup("");
  d->identifier = sq_col_text(st, 3);
  d->quarantine = sq_col_text(st, 4);
  d->group = sq_col_text(st, 5);
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
  sq_bind_text(st, 1, d->owner);
  sq_bind_text(st, 2, d->tag ? d->tag : "");
  sq_bind_text(st, 3, d->identifier);
  sq_bind_text(st, 4, d->quarantine);
  sq_bind_text(st, 5, d->group);
  sqlite3_bind_int64(st, 6, d->size);
  sqlite3_bind_int64(st, 7, d->created);
  sq_bind_text(st, 8, sl_visibility_to_string(d->visibility));
  sq_bind_text(st, 9, sl_disk_type_to_string(d->type));
  sq_bind_text(st, 10, sl_disk_state_to_string(d->state));
  sqlite3_bind_int(st, 11, d->seed ? 1 : 0);
  sq_bind_text(st, 12, d->uuid);
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

gboolean
sqlite_disk_insert(SlStore *store, const SlDisk *disk, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c,
                                 "INSERT INTO disks(owner, tag, identifier, quarantine, grp, size,"
                                 " created, visibility, type, state, seed, uuid)"
                                 " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 &err);
  if (st) {
    bind_disk(st, disk);
    ok = sq_step_change(c, st, NULL, "insert disk", &err);
  }
  if (err) {
    disk_conflict_message(&err, disk);
    g_propagate_error(error, err);
  }
  return sq_write_end(s, c, ok, error);
}

SlDisk *
sqlite_disk_get(SlStore *store, const char *uuid, GError **error)
{
  return sq_query_one(SQ(store), "SELECT " DISK_COLS " FROM disks d WHERE d.uuid = ?", uuid, 0,
                      FALSE, disk_from_row, "get disk", error, "disk (%s) does not exist", uuid);
}

GPtrArray *
sqlite_disk_list_visible(SlStore *store, const char *owner, GError **error)
{
  if (!owner)
    return sq_query_rows(SQ(store),
                         "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                         " ORDER BY d.created DESC, d.rowid DESC",
                         NULL, 0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
  return sq_query_rows(SQ(store),
                       "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                       " AND (d.owner = ?1 OR d.visibility = 'public')"
                       " ORDER BY d.created DESC, d.rowid DESC",
                       owner, 0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

GPtrArray *
sqlite_disk_list_all(SlStore *store, GError **error)
{
  return sq_query_rows(SQ(store),
                       "SELECT " DISK_COLS " FROM disks d ORDER BY d.created DESC, d.rowid DESC",
                       NULL, 0, FALSE, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

/* One-row change on disks keyed by uuid; NOT_FOUND when no row matched. */
static gboolean
disk_change(SlStore *store, const char *sql, const SlDisk *disk, const char *uuid,
            const char *state, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c, sql, &err);
  if (st) {
    if (disk) {
      bind_disk(st, disk);
    } else if (state) {
      sq_bind_text(st, 1, state);
      sq_bind_text(st, 2, uuid);
    } else {
      sq_bind_text(st, 1, uuid);
    }
    ok = sq_step_change(c, st, &changes, "change disk", &err);
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
  return sq_write_end(s, c, ok, error);
}

gboolean
sqlite_disk_update(SlStore *store, const SlDisk *disk, GError **error)
{
  return disk_change(store,
                     "UPDATE disks SET owner = ?1, tag = ?2, identifier = ?3, quarantine = ?4,"
                     " grp = ?5, size = ?6, created = ?7, visibility = ?8, type = ?9,"
                     " state = ?10, seed = ?11 WHERE uuid = ?12",
                     disk, disk->uuid, NULL, error);
}

gboolean
sqlite_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error)
{
  return disk_change(store, "UPDATE disks SET state = ? WHERE uuid = ?", NULL, uuid,
                     sl_disk_state_to_string(state), error);
}

gboolean
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
  m->id = sq_col_text(st, 0);
  m->disk_uuid = sq_col_text(st, 1);
  m->vm_id = sqlite3_column_int64(st, 2);
  m->node = sq_col_text(st, 3);
  m->target = sq_col_text(st, 4);
  m->created = sqlite3_column_int64(st, 5);
  return m;
}

/* Mounts matching one parameter, on c (inside its transaction). */
static GPtrArray *
mounts_on(Conn *c, const char *sql, const char *text_arg, gint64 int_arg, GError **error)
{
  sqlite3_stmt *st = sq_stmt_get(c, sql, error);
  if (!st)
    return NULL;
  if (text_arg)
    sq_bind_text(st, 1, text_arg);
  else
    sqlite3_bind_int64(st, 1, int_arg);
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)sl_mount_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(rows, mount_from_row(st));
  if (rc != SQLITE_DONE) {
    sq_set_db_error(error, c->db, rc, "list mounts");
    g_clear_pointer(&rows, g_ptr_array_unref);
  }
  sq_stmt_done(st);
  return rows;
}

gboolean
sq_mount_check(Conn *c, SlMount *mount, gboolean of_vm, SlStoreMountCheckFunc check, gpointer data,
               GError **error)
{
  g_autoptr(GPtrArray) disk_mounts =
      mounts_on(c, "SELECT " MOUNT_COLS " FROM mounts WHERE disk_uuid = ? ORDER BY created, rowid",
                mount->disk_uuid ? mount->disk_uuid : "", 0, error);
  if (!disk_mounts)
    return FALSE;
  g_autoptr(GPtrArray) vm_mounts =
      of_vm ? mounts_on(c,
                        "SELECT " MOUNT_COLS " FROM mounts WHERE vm_id = ? ORDER BY created, rowid",
                        NULL, mount->vm_id, error)
            : g_ptr_array_new_with_free_func((GDestroyNotify)sl_mount_free);
  return vm_mounts && check(mount, disk_mounts, vm_mounts, data, error);
}

gboolean
sqlite_mount_insert(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                    gpointer check_data, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = (!check || sq_mount_check(c, mount, TRUE, check, check_data, error)) &&
                sq_mount_insert(c, mount, error);
  return sq_write_end(s, c, ok, error);
}

gboolean
sq_mount_insert(Conn *c, const SlMount *mount, GError **error)
{
  GError *err = NULL;
  gboolean ok = FALSE;
  sqlite3_stmt *st =
      sq_stmt_get(c, "INSERT INTO mounts(" MOUNT_COLS ") VALUES(?, ?, ?, ?, ?, ?)", &err);
  if (st) {
    sq_bind_text(st, 1, mount->id);
    sq_bind_text(st, 2, mount->disk_uuid);
    sqlite3_bind_int64(st, 3, mount->vm_id);
    sq_bind_text(st, 4, mount->node ? mount->node : "");
    sq_bind_text(st, 5, mount->target ? mount->target : "");
    sqlite3_bind_int64(st, 6, mount->created);
    ok = sq_step_change(c, st, NULL, "insert mount", &err);
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
  return ok;
}

SlMount *
sqlite_mount_get(SlStore *store, const char *id, GError **error)
{
  return sq_query_one(SQ(store), "SELECT " MOUNT_COLS " FROM mounts WHERE id = ?", id, 0, FALSE,
                      mount_from_row, "get mount", error, "mount %s does not exist", id);
}

GPtrArray *
sqlite_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error)
{
  return sq_query_rows(
      SQ(store), "SELECT " MOUNT_COLS " FROM mounts WHERE disk_uuid = ? ORDER BY created, rowid",
      disk_uuid, 0, FALSE, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

GPtrArray *
sqlite_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error)
{
  return sq_query_rows(SQ(store),
                       "SELECT " MOUNT_COLS " FROM mounts WHERE vm_id = ? ORDER BY created, rowid",
                       NULL, vm_id, TRUE, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

gboolean
sqlite_mount_delete(SlStore *store, const char *id, GError **error)
{
  SqliteStore *s = SQ(store);
  Conn *c = sq_write_begin(s, error);
  if (!c)
    return FALSE;
  int changes = 0;
  gboolean ok = FALSE;
  sqlite3_stmt *st = sq_stmt_get(c, "DELETE FROM mounts WHERE id = ?", error);
  if (st) {
    sq_bind_text(st, 1, id);
    ok = sq_step_change(c, st, &changes, "delete mount", error);
  }
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "mount %s does not exist", id);
    ok = FALSE;
  }
  return sq_write_end(s, c, ok, error);
}
