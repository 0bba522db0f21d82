/* store.h - the one interface to persistent state.
 *
 * Only src/store/ contains SQL. A backend implements SlStoreOps; sqlite.c is
 * the default (one file DIR/stratus.db, WAL, foreign keys on), postgres.c
 * (libpq) is behind the same table. Every function that changes state is one
 * transaction. All functions are safe to call from several threads at once.
 *
 * Errors: SL_ERROR_NOT_FOUND for a missing row, SL_ERROR_CONFLICT for a
 * duplicate key, SL_ERROR_INTERNAL for database failures.
 */
#pragma once
#include <glib.h>

#include "conf/disk.h"
#include "conf/vm.h"

typedef struct SlStore SlStore;

typedef struct {
  char *name;
  char *hash; /* crypt(3) string */
  gint64 created;
} SlUser;

void sl_user_free(SlUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlUser, sl_user_free)

/* Opens (creating if needed) the store of data_dir and applies pending
 * migrations. The backend is chosen by data_dir/store.conf (a key file;
 * without it: SQLite, data_dir/stratus.db):
 *   [store]
 *   backend = postgres            (or sqlite)
 *   conninfo = host=... dbname=... (a libpq connection string)
 *   schema = name                 (optional; created if missing; default public)
 * Every program given the data directory (stratusd, stratus-admin) thus opens
 * the same store. A bad store.conf is SL_ERROR_INVALID; an unreachable
 * server SL_ERROR_UNAVAILABLE. */
#define SL_STORE_CONF "store.conf"
SlStore *sl_store_open(const char *data_dir, GError **error);
/* "sqlite" or "postgres". */
const char *sl_store_backend(SlStore *store);
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
/* The mount rules (pdisk exclusivity, device choice), run inside the write
 * transaction before the row is written: disk_mounts holds every mount of
 * mount->disk_uuid and vm_mounts every mount of mount->vm_id (SlMount*, by
 * created), as committed by any process on the store; no other writer runs
 * until the commit, so what the check saw still holds then (two front-ends on
 * one PostgreSQL cannot both attach a read-write disk). It may fill in
 * mount->target. FALSE + error aborts. */
typedef gboolean (*SlStoreMountCheckFunc)(SlMount *mount, GPtrArray *disk_mounts,
                                          GPtrArray *vm_mounts, gpointer data, GError **error);
/* sl_store_mount_insert after check (NULL = none) in the same transaction. */
gboolean sl_store_mount_insert_checked(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                                       gpointer check_data, GError **error);
SlMount *sl_store_mount_get(SlStore *store, const char *id, GError **error);
GPtrArray *sl_store_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error);
GPtrArray *sl_store_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error);
gboolean sl_store_mount_delete(SlStore *store, const char *id, GError **error);

/* Leases: work only one process on the store may do at a time (recovery,
 * monitoring) when several front-ends share it. sl_store_lease_try takes the
 * lease `name` ([a-z0-9-], at most 32) without waiting: NULL and no error when
 * someone else holds it (another process, or another SlStore handle of this
 * one). A lease lasts until released or until its holder dies, kill -9
 * included: PostgreSQL drops a session advisory lock with its connection (the
 * lease has a connection of its own), SQLite's backend holds an open-file
 * lock on DATA_DIR/<name>.lease that the kernel drops with the process. The
 * next sl_store_lease_try anywhere then gets it. sl_store_lease_alive is FALSE
 * once the lease is lost (its PostgreSQL connection broke, e.g. the server
 * restarted): the holder stops the work and tries again. */
typedef struct SlStoreLease SlStoreLease;
SlStoreLease *sl_store_lease_try(SlStore *store, const char *name, GError **error);
gboolean sl_store_lease_alive(SlStoreLease *lease);
void sl_store_lease_release(SlStoreLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlStoreLease, sl_store_lease_release)

/* Monotonic counter bumped by every committed change to disks or mounts;
 * lets readers cache derived data (e.g. serialised listings). */
guint64 sl_store_generation(SlStore *store);

/* VMs (sqlite-vms.c). Rows are never deleted: Done and Failed VMs stay
 * visible by id. ip is unique among rows; NULL once released. */

/* Chooses a free address: `used` holds every address currently held (char* set).
 * Returns a newly allocated address, or NULL when the pool is exhausted. */
typedef char *(*SlStoreIpPickFunc)(GHashTable *used, gpointer data);

/* Inserts every SlVm* of vms in ONE transaction (all or nothing) and writes
 * back id, created, updated and ip (picked with pick unless pick is NULL).
 * A NULL or empty name becomes "one-<id>". Fails with SL_ERROR_NOT_FOUND
 * "image <id> is not in the image cache" when vm->image has no ready images
 * row (unless vm->def->root has a fetch: downloaded in Prolog, docs/images.md),
 * SL_ERROR_CONFLICT "no free address in the pool" when pick gives NULL. */
gboolean sl_store_vm_insert(SlStore *store, GPtrArray *vms, SlStoreIpPickFunc pick, gpointer data,
                            GError **error);
/* Usage and quotas (sqlite-quotas.c). Usage counts the rows that are not
 * Done/Failed (cpu in vCPUs, ram in MiB). A quota field < 0 is not set: the
 * operator's default applies (stratusd [quota]). */
typedef struct {
  gint64 vms, cpu, ram;
} SlVmUsage;
typedef struct {
  gint64 vms, cpu, ram;
} SlQuota;
/* Called inside the insert transaction, before any row is written: the
 * owner's usage, everybody's usage and the owner's quota row (all fields -1
 * without a row). FALSE + error aborts the insert. */
typedef gboolean (*SlStoreVmCheckFunc)(const SlVmUsage *mine, const SlVmUsage *all,
                                       const SlQuota *quota, GPtrArray *vms, gpointer data,
                                       GError **error);
/* sl_store_vm_insert with a limits check in the same transaction (all VMs of
 * vms belong to one owner): concurrent requests cannot both pass a limit. */
gboolean sl_store_vm_insert_checked(SlStore *store, GPtrArray *vms, SlStoreVmCheckFunc check,
                                    gpointer check_data, SlStoreIpPickFunc pick, gpointer data,
                                    GError **error);
/* sl_store_vm_insert_checked that also writes, in the same transaction, one
 * mount row per VM and per SlMount* template of mounts (disk_uuid, node,
 * target are read; id "<disk>_<vm>", vm_id and created are filled in and
 * written back when there is one VM). mount_check (NULL = none) runs first,
 * once per template (vm_id 0, vm_mounts empty), with the disk's mounts. */
gboolean sl_store_vm_insert_mounts(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                                   SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                                   SlStoreVmCheckFunc check, gpointer check_data,
                                   SlStoreIpPickFunc pick, gpointer data, GError **error);
/* owner NULL = every user. */
gboolean sl_store_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error);
/* No row: every field -1, TRUE. */
gboolean sl_store_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error);
/* Replaces the user's row (fields < 0 = not set; all unset deletes it). */
gboolean sl_store_quota_set(SlStore *store, const char *user, const SlQuota *quota, GError **error);
SlVm *sl_store_vm_get(SlStore *store, gint64 id, GError **error);
/* owner NULL = all users; include_final FALSE leaves out Done and Failed. By id. */
GPtrArray *sl_store_vm_list(SlStore *store, const char *owner, gboolean include_final,
                            GError **error);
/* Sets state, updated = now and, if error_text is not NULL, the error text. */
gboolean sl_store_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                               GError **error);
/* ip = NULL (the address returns to the pool). */
gboolean sl_store_vm_release_ip(SlStore *store, gint64 id, GError **error);

/* Cached images (sqlite-vms.c). insert fails with SL_ERROR_CONFLICT if the
 * identifier exists; delete fails with SL_ERROR_CONFLICT "image <id> is used
 * by VM <n>" while a VM that is not Done/Failed refers to it. */
gboolean sl_store_image_insert(SlStore *store, const SlImage *image, GError **error);
SlImage *sl_store_image_get(SlStore *store, const char *identifier, GError **error);
GPtrArray *sl_store_image_list(SlStore *store, GError **error); /* SlImage*, by identifier */
gboolean sl_store_image_delete(SlStore *store, const char *identifier, GError **error);

/* Marketplace entries (sqlite-market.c). Rows are never deleted; the signed
 * document itself lives in a file (path, relative to the metadata directory).
 * `latest` is set on the entry with the greatest `created` of each
 * (identifier, email) and kept up to date by sl_store_market_insert. */
typedef struct {
  char *identifier, *email, *created; /* the key; created = endorsement date */
  char *valid;                        /* dcterms:valid, NULL = no end of validity */
  gboolean deprecated;
  char *os, *os_version, *os_arch, *kind;
  char *location; /* first slterms:location or NULL */
  char *title, *description, *alternative;
  char *sha1;
  guint64 bytes;
  char *path;
  gboolean latest;
  gint64 uploaded; /* unix time of the upload */
} SlMarketRow;
void sl_market_row_free(SlMarketRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketRow, sl_market_row_free)

/* Inserts a row and moves the latest flag, in one transaction. Fails with
 * SL_ERROR_INVALID "older than latest entry" when a stored entry of the same
 * identifier and email has a later created, SL_ERROR_CONFLICT when the key
 * exists. row->latest and row->uploaded are ignored. */
gboolean sl_store_market_insert(SlStore *store, const SlMarketRow *row, GError **error);
SlMarketRow *sl_store_market_get(SlStore *store, const char *identifier, const char *email,
                                 const char *created, GError **error);

typedef struct {
  const char *identifier, *email, *created; /* exact filters, NULL = any */
  const char *alternative;                  /* exact dcterms:alternative (tag) */
  gboolean latest_only;                     /* only latest rows (ignored with created) */
  const char *status;                       /* "valid", "expired", "deprecated"; NULL = any */
  const char *now;                          /* yyyy-MM-ddTHH:mm:ssZ, for status */
  const char *location;                     /* "web", "pdisk"; NULL = all */
  /* Display filters (counted in *displayed only): substring (case-insensitive
   * ASCII) of any text column, and of os, os_version, os_arch, email, kind. */
  const char *search;
  const char *column_search[5];
  int sort_column; /* DataTables column 1..10 (os … title); 0 = created, newest first */
  gboolean sort_desc;
  gint64 offset, limit; /* limit <= 0: all */
} SlMarketQuery;
/* Rows matching (SlMarketRow*); *total = count before display filters,
 * *displayed = count after them (before offset/limit); either may be NULL. */
GPtrArray *sl_store_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total,
                                  gint64 *displayed, GError **error);
