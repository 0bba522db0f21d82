/* sqlite-private.h - shared between the files of the SQLite backend.
 *
 * sqlite.c: connection pool, statement cache, transactions, open/migrate,
 * users and the ops table; sqlite-disks.c: the disks and mounts tables;
 * sqlite-vms.c: the vms and images tables.
 */
#pragma once
#include <sqlite3.h>

#include "store/pool.h"
#include "store/store-private.h"

typedef struct {
  sqlite3 *db;
  GHashTable *stmts; /* static SQL text (by address) -> sqlite3_stmt* */
} Conn;

typedef struct {
  SlStore base;
  char *path;
  int schema_version;
  SlStorePool pool; /* of Conn* */
  GMutex write_lock;
} SqliteStore;

#define SQ(s) ((SqliteStore *)(s))

/* Helpers (sqlite.c). Statements come from a per-connection cache keyed by the
 * address of the SQL literal; sq_stmt_done resets one after use. Writes run
 * between sq_write_begin (BEGIN IMMEDIATE) and sq_write_end (COMMIT if ok). */
void sq_set_db_error(GError **error, sqlite3 *db, int rc, const char *what);
gboolean sq_exec_sql(sqlite3 *db, const char *sql, const char *what, GError **error);
Conn *sq_conn_acquire(SqliteStore *s, GError **error);
void sq_conn_release(SqliteStore *s, Conn *c);
sqlite3_stmt *sq_stmt_get(Conn *c, const char *sql, GError **error);
void sq_stmt_done(sqlite3_stmt *st);
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);
char *sq_col_text(sqlite3_stmt *st, int i);
Conn *sq_write_begin(SqliteStore *s, GError **error);
gboolean sq_write_end(SqliteStore *s, Conn *c, gboolean ok, GError **error);
gboolean sq_step_change(Conn *c, sqlite3_stmt *st, int *changes, const char *what, GError **error);
GPtrArray *sq_query_rows(SqliteStore *s, const char *sql, const char *text_arg, gint64 int_arg,
                         gboolean use_int, gpointer (*load)(sqlite3_stmt *), GDestroyNotify free_fn,
                         GError **error);
/* Runs a query with one parameter (text_arg, else int_arg when use_int) that
 * yields at most one row, loaded with `load`. No row: NULL and SL_ERROR_NOT_FOUND
 * with the message not_found_fmt; a database error: NULL, "<what>: ...". */
gpointer sq_query_one(SqliteStore *s, const char *sql, const char *text_arg, gint64 int_arg,
                      gboolean use_int, gpointer (*load)(sqlite3_stmt *), const char *what,
                      GError **error, const char *not_found_fmt, ...) G_GNUC_PRINTF(9, 10);

/* Disk and mount operations (sqlite-disks.c), same contracts as store.h. */
gboolean sqlite_disk_insert(SlStore *store, const SlDisk *disk, GError **error);
SlDisk *sqlite_disk_get(SlStore *store, const char *uuid, GError **error);
GPtrArray *sqlite_disk_list_visible(SlStore *store, const char *owner, GError **error);
GPtrArray *sqlite_disk_list_all(SlStore *store, GError **error);
gboolean sqlite_disk_update(SlStore *store, const SlDisk *disk, GError **error);
gboolean sqlite_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error);
gboolean sqlite_disk_delete(SlStore *store, const char *uuid, GError **error);
gboolean sqlite_mount_insert(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                             gpointer check_data, GError **error);
/* The mount check of one mount on an open write transaction: loads the
 * disk's and (if of_vm; a new VM has none) the VM's mounts and calls check. */
gboolean sq_mount_check(Conn *c, SlMount *mount, gboolean of_vm, SlStoreMountCheckFunc check,
                        gpointer data, GError **error);
SlMount *sqlite_mount_get(SlStore *store, const char *id, GError **error);
GPtrArray *sqlite_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error);
GPtrArray *sqlite_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error);
gboolean sqlite_mount_delete(SlStore *store, const char *id, GError **error);

/* VM and image operations (sqlite-vms.c), same contracts as store.h. */
gboolean sqlite_vm_insert(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                          SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                          SlStoreVmCheckFunc check, gpointer check_data, SlStoreIpPickFunc pick,
                          gpointer data, GError **error);
/* One mount row on an open write transaction (sqlite-disks.c). */
gboolean sq_mount_insert(Conn *c, const SlMount *mount, GError **error);
SlVm *sqlite_vm_get(SlStore *store, gint64 id, GError **error);
GPtrArray *sqlite_vm_list(SlStore *store, const char *owner, gboolean include_final,
                          GError **error);
gboolean sqlite_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                             GError **error);
gboolean sqlite_vm_release_ip(SlStore *store, gint64 id, GError **error);
gboolean sqlite_image_insert(SlStore *store, const SlImage *image, GError **error);
SlImage *sqlite_image_get(SlStore *store, const char *identifier, GError **error);
GPtrArray *sqlite_image_list(SlStore *store, GError **error);
gboolean sqlite_image_delete(SlStore *store, const char *identifier, GError **error);

/* Usage and quotas (sqlite-quotas.c). The sq_* forms run on a connection
 * already inside a transaction. */
gboolean sq_vm_usage(Conn *c, const char *owner, SlVmUsage *usage, GError **error);
gboolean sq_quota_read(Conn *c, const char *user, SlQuota *quota, GError **error);
gboolean sqlite_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error);
gboolean sqlite_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error);
gboolean sqlite_quota_set(SlStore *store, const char *user, const SlQuota *quota, GError **error);

/* Marketplace entries (sqlite-market.c). */
gboolean sqlite_market_insert(SlStore *store, const SlMarketRow *row, GError **error);
SlMarketRow *sqlite_market_get(SlStore *store, const char *identifier, const char *email,
                               const char *created, GError **error);
GPtrArray *sqlite_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total,
                                gint64 *displayed, GError **error);
