/* store-private.h - what a store backend implements (only src/store/ sees this).
 *
 * A backend embeds SlStore as its first member and fills an SlStoreOps; store.c
 * dispatches the public sl_store_* calls to it and bumps the generation counter
 * after every successful change of disks or mounts. Each op has the contract of
 * the public function of the same name in store.h.
 */
#pragma once
#include <stdatomic.h>

#include "store/store.h"

typedef struct {
  const char *name;
  void (*close)(SlStore *store);
  int (*schema_version)(SlStore *store);

  gboolean (*user_add)(SlStore *store, const char *name, const char *hash, GError **error);
  gboolean (*user_set_hash)(SlStore *store, const char *name, const char *hash, GError **error);
  gboolean (*user_delete)(SlStore *store, const char *name, GError **error);
  SlUser *(*user_get)(SlStore *store, const char *name, GError **error);
  GPtrArray *(*user_list)(SlStore *store, GError **error);

  gboolean (*disk_insert)(SlStore *store, const SlDisk *disk, GError **error);
  SlDisk *(*disk_get)(SlStore *store, const char *uuid, GError **error);
  GPtrArray *(*disk_list_visible)(SlStore *store, const char *owner, GError **error);
  GPtrArray *(*disk_list_all)(SlStore *store, GError **error);
  gboolean (*disk_update)(SlStore *store, const SlDisk *disk, GError **error);
  gboolean (*disk_set_state)(SlStore *store, const char *uuid, SlDiskState state, GError **error);
  gboolean (*disk_delete)(SlStore *store, const char *uuid, GError **error);

  /* check NULL: mount is not changed */
  gboolean (*mount_insert)(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                           gpointer check_data, GError **error);
  SlMount *(*mount_get)(SlStore *store, const char *id, GError **error);
  GPtrArray *(*mount_list_for_disk)(SlStore *store, const char *disk_uuid, GError **error);
  GPtrArray *(*mount_list_for_vm)(SlStore *store, gint64 vm_id, GError **error);
  gboolean (*mount_delete)(SlStore *store, const char *id, GError **error);

  gboolean (*vm_insert)(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                        SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                        SlStoreVmCheckFunc check, gpointer check_data, SlStoreIpPickFunc pick,
                        gpointer data, GError **error);
  gboolean (*vm_usage)(SlStore *store, const char *owner, SlVmUsage *usage, GError **error);
  gboolean (*quota_get)(SlStore *store, const char *user, SlQuota *quota, GError **error);
  gboolean (*quota_set)(SlStore *store, const char *user, const SlQuota *quota, GError **error);
  SlVm *(*vm_get)(SlStore *store, gint64 id, GError **error);
  GPtrArray *(*vm_list)(SlStore *store, const char *owner, gboolean include_final, GError **error);
  gboolean (*vm_set_state)(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                           GError **error);
  gboolean (*vm_release_ip)(SlStore *store, gint64 id, GError **error);

  gboolean (*image_insert)(SlStore *store, const SlImage *image, GError **error);
  SlImage *(*image_get)(SlStore *store, const char *identifier, GError **error);
  GPtrArray *(*image_list)(SlStore *store, GError **error);
  gboolean (*image_delete)(SlStore *store, const char *identifier, GError **error);

  gboolean (*market_insert)(SlStore *store, const SlMarketRow *row, GError **error);
  SlMarketRow *(*market_get)(SlStore *store, const char *identifier, const char *email,
                             const char *created, GError **error);
  GPtrArray *(*market_search)(SlStore *store, const SlMarketQuery *query, gint64 *total,
                              gint64 *displayed, GError **error);

  /* name is checked by store.c; NULL without error = held elsewhere */
  SlStoreLease *(*lease_try)(SlStore *store, const char *name, GError **error);
  gboolean (*lease_alive)(SlStoreLease *lease);
  void (*lease_release)(SlStoreLease *lease);
} SlStoreOps;

/* A backend's lease embeds this as its first member. */
struct SlStoreLease {
  SlStore *store;
};

struct SlStore {
  const SlStoreOps *ops;
  _Atomic guint64 generation;
};

/* Backends. */
SlStore *sl_store_sqlite_open(const char *data_dir, GError **error);
/* conninfo: a libpq connection string; schema NULL = public (postgres.c). */
SlStore *sl_store_postgres_open(const char *conninfo, const char *schema, GError **error);

/* Schema steps of the SQLite backend (migrations.c): step i takes the schema
 * from version i to i + 1 (PRAGMA user_version). */
extern const char *const sl_store_sqlite_migrations[];
extern const int sl_store_sqlite_migration_count;
/* The same step i in PostgreSQL's dialect (newly allocated; migrations.c
 * lists every difference). */
char *sl_store_postgres_migration(int step);
