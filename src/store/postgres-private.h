/* postgres-private.h - shared between the files of the PostgreSQL backend.
 *
 * postgres.c: connection pool, parameters, queries, transactions,
 * open/migrate, users, leases and the ops table; postgres-rows.c: disks,
 * mounts, vms, images, quotas and Marketplace rows.
 *
 * Every write runs between pg_write_begin and pg_write_end: BEGIN, then
 * pg_advisory_xact_lock(s->lock_key), then the statements, then COMMIT.
 * The lock is the database-wide equivalent of SQLite's BEGIN IMMEDIATE: one
 * writer at a time across every front-end on the database, so a check made
 * inside a write transaction (free address, quota, mount target) still holds
 * at its commit. Reads run outside it (READ COMMITTED).
 */
#pragma once
#include <libpq-fe.h>

#include "store/pool.h"
#include "store/store-private.h"

/* The write lock's key: this constant plus a hash of the schema, so two
 * clouds in one database (two schemas) do not wait for each other. */
#define PG_WRITE_LOCK G_GINT64_CONSTANT(0x53746f7265000000) /* "Store" */

typedef struct {
  SlStore base;
  char *conninfo;
  char *schema;   /* quoted identifier, NULL = public */
  char *lock_key; /* decimal text of the write lock's key */
  int schema_version;
  SlStorePool pool; /* of PGconn* */
} PgStore;

#define PGS(s) ((PgStore *)(s))

/* Text parameters of one statement ($1, $2, ... in order); NULL = SQL NULL. */
typedef struct {
  const char *values[24];
  char *owned[24];
  int n;
} PgParams;

void pg_p_text(PgParams *p, const char *s);
void pg_p_int(PgParams *p, gint64 v);
void pg_p_clear(PgParams *p);

PGconn *pg_conn_acquire(PgStore *s, GError **error);
void pg_conn_release(PgStore *s, PGconn *c);
/* Runs sql with params (may be NULL). Returns the result (PQclear it), or
 * NULL with error set: SL_ERROR_CONFLICT for integrity violations (class 23;
 * the message names the constraint), SL_ERROR_UNAVAILABLE for connection
 * loss, lock timeouts, serialisation failures and a full disk, else
 * SL_ERROR_INTERNAL. Always clears p. */
PGresult *pg_exec(PGconn *c, const char *sql, PgParams *p, const char *what, GError **error);
/* pg_exec for a change; *changes gets the affected row count. */
gboolean pg_change(PGconn *c, const char *sql, PgParams *p, int *changes, const char *what,
                   GError **error);
PGconn *pg_write_begin(PgStore *s, GError **error);
/* Commits if ok, else rolls back; releases the connection. Returns ok. */
gboolean pg_write_end(PgStore *s, PGconn *c, gboolean ok, GError **error);
/* Text of a column (NULL for SQL NULL), newly allocated. */
char *pg_text(const PGresult *r, int row, int col);
gint64 pg_int(const PGresult *r, int row, int col);
gboolean pg_null(const PGresult *r, int row, int col);

typedef gpointer (*PgLoadFunc)(const PGresult *r, int row);
GPtrArray *pg_query_rows(PgStore *s, const char *sql, PgParams *p, PgLoadFunc load,
                         GDestroyNotify free_fn, GError **error);
/* At most one row; none: NULL + SL_ERROR_NOT_FOUND with not_found. */
gpointer pg_query_one(PgStore *s, const char *sql, PgParams *p, PgLoadFunc load, const char *what,
                      const char *not_found, GError **error);

/* postgres-rows.c, same contracts as store.h. */
gboolean pgs_disk_insert(SlStore *store, const SlDisk *disk, GError **error);
SlDisk *pgs_disk_get(SlStore *store, const char *uuid, GError **error);
GPtrArray *pgs_disk_list_visible(SlStore *store, const char *owner, GError **error);
GPtrArray *pgs_disk_list_all(SlStore *store, GError **error);
gboolean pgs_disk_update(SlStore *store, const SlDisk *disk, GError **error);
gboolean pgs_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error);
gboolean pgs_disk_delete(SlStore *store, const char *uuid, GError **error);
gboolean pgs_mount_insert(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                          gpointer check_data, GError **error);
SlMount *pgs_mount_get(SlStore *store, const char *id, GError **error);
GPtrArray *pgs_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error);
GPtrArray *pgs_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error);
gboolean pgs_mount_delete(SlStore *store, const char *id, GError **error);
gboolean pgs_vm_insert(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                       SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                       SlStoreVmCheckFunc check, gpointer check_data, SlStoreIpPickFunc pick,
                       gpointer data, GError **error);
gboolean pgs_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error);
gboolean pgs_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error);
gboolean pgs_quota_set(SlStore *store, const char *user, const SlQuota *quota, GError **error);
SlVm *pgs_vm_get(SlStore *store, gint64 id, GError **error);
GPtrArray *pgs_vm_list(SlStore *store, const char *owner, gboolean include_final, GError **error);
gboolean pgs_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                          GError **error);
gboolean pgs_vm_release_ip(SlStore *store, gint64 id, GError **error);
gboolean pgs_image_insert(SlStore *store, const SlImage *image, GError **error);
SlImage *pgs_image_get(SlStore *store, const char *identifier, GError **error);
GPtrArray *pgs_image_list(SlStore *store, GError **error);
gboolean pgs_image_delete(SlStore *store, const char *identifier, GError **error);
gboolean pgs_market_insert(SlStore *store, const SlMarketRow *row, GError **error);
SlMarketRow *pgs_market_get(SlStore *store, const char *identifier, const char *email,
                            const char *created, GError **error);
GPtrArray *pgs_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total,
                             gint64 *displayed, GError **error);
