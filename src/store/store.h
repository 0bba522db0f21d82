/* store.h - the one interface to persistent state.
 *
 * Only src/store/ contains SQL. A backend implements SlStoreOps; sqlite.c is
 * the default (one file DIR/stratus.db, WAL, foreign keys on), postgres.c can
 * come later behind the same table. Every function that changes state is one
 * transaction. All functions are safe to call from several threads at once.
 *
 * Errors: SL_ERROR_NOT_FOUND for a missing row, SL_ERROR_CONFLICT for a
 * duplicate key, SL_ERROR_INTERNAL for database failures.
 */
#pragma once
#include <glib.h>

#include "conf/disk.h"

typedef struct SlStore SlStore;

typedef struct {
  char *name;
  char *hash; /* crypt(3) string */
  gint64 created;
} SlUser;

void sl_user_free(SlUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlUser, sl_user_free)

/* Opens (creating if needed) the database under data_dir and applies pending
 * migrations. */
SlStore *sl_store_open(const char *data_dir, GError **error);
void sl_store_close(SlStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlStore, sl_store_close)

/* Schema version after migrations (for tests and `stratus-admin info`). */
int sl_store_schema_version(SlStore *store);

/* Users. */
gboolean sl_store_user_add(SlStore *store, const char *name, const char *hash, GError **error);
gboolean sl_store_user_set_hash(SlStore *store, const char *name, const char *hash, GError **error);
gboolean sl_store_user_delete(SlStore *store, const char *name, GError **error);
SlUser *sl_store_user_get(SlStore *store, const char *name, GError **error);
GPtrArray *sl_store_user_list(SlStore *store, GError **error); /* of SlUser*, by name */

/* Disks. Rows in every state are returned by get/list_all; callers filter. */
gboolean sl_store_disk_insert(SlStore *store, const SlDisk *disk, GError **error);
SlDisk *sl_store_disk_get(SlStore *store, const char *uuid, GError **error);
/* READY disks owned by owner or PUBLIC (owner NULL = all READY disks), newest first. */
GPtrArray *sl_store_disk_list_visible(SlStore *store, const char *owner, GError **error);
/* Every row whatever its state (recovery). */
GPtrArray *sl_store_disk_list_all(SlStore *store, GError **error);
/* Rewrites every column of the row with uuid == disk->uuid. */
gboolean sl_store_disk_update(SlStore *store, const SlDisk *disk, GError **error);
gboolean sl_store_disk_set_state(SlStore *store, const char *uuid, SlDiskState state,
                                 GError **error);
gboolean sl_store_disk_delete(SlStore *store, const char *uuid, GError **error);

/* Mounts. insert fails with SL_ERROR_CONFLICT if the id exists. */
gboolean sl_store_mount_insert(SlStore *store, const SlMount *mount, GError **error);
SlMount *sl_store_mount_get(SlStore *store, const char *id, GError **error);
GPtrArray *sl_store_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error);
GPtrArray *sl_store_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error);
gboolean sl_store_mount_delete(SlStore *store, const char *id, GError **error);

/* Monotonic counter bumped by every committed change to disks or mounts;
 * lets readers cache derived data (e.g. serialised listings). */
guint64 sl_store_generation(SlStore *store);
