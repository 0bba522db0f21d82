/* store.c - public sl_store_* entry points: dispatch to the backend's ops and
 * keep the change generation. */
#include "store/store-private.h"

#include <string.h>

#include <glib/gstdio.h>

#include "util/error.h"

void
sl_user_free(SlUser *user)
{
  if (!user)
    return;
  g_free(user->name);
  g_free(user->hash);
  g_free(user);
}

SlStore *
sl_store_open(const char *data_dir, GError **error)
{
  g_return_val_if_fail(data_dir != NULL, NULL);
  if (g_mkdir_with_parents(data_dir, 0700) != 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create data directory %s: %s", data_dir,
                g_strerror(e));
    return NULL;
  }
  g_autofree char *conf = g_build_filename(data_dir, SL_STORE_CONF, NULL);
  if (!g_file_test(conf, G_FILE_TEST_EXISTS))
    return sl_store_sqlite_open(data_dir, error);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *err = NULL;
  if (!g_key_file_load_from_file(kf, conf, G_KEY_FILE_NONE, &err)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: %s", conf, err->message);
    g_error_free(err);
    return NULL;
  }
  g_autofree char *backend = g_key_file_get_string(kf, "store", "backend", NULL);
  if (backend)
    g_strstrip(backend);
  if (!backend || !*backend || strcmp(backend, "sqlite") == 0)
    return sl_store_sqlite_open(data_dir, error);
  if (strcmp(backend, "postgres") != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "%s: unknown [store] backend '%s' (sqlite or postgres)", conf, backend);
    return NULL;
  }
  g_autofree char *conninfo = g_key_file_get_string(kf, "store", "conninfo", NULL);
  g_autofree char *schema = g_key_file_get_string(kf, "store", "schema", NULL);
  if (!conninfo || !*g_strstrip(conninfo)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "%s: [store] backend = postgres needs conninfo (a libpq connection string)", conf);
    return NULL;
  }
  if (schema && !*g_strstrip(schema))
    g_clear_pointer(&schema, g_free);
  return sl_store_postgres_open(conninfo, schema, error);
}

const char *
sl_store_backend(SlStore *store)
{
  return store->ops->name;
}

void
sl_store_close(SlStore *store)
{
  if (store)
    store->ops->close(store);
}

int
sl_store_schema_version(SlStore *store)
{
  return store->ops->schema_version(store);
}

guint64
sl_store_generation(SlStore *store)
{
  return atomic_load(&store->generation);
}

static gboolean
changed(SlStore *store, gboolean ok)
{
  if (ok)
    atomic_fetch_add(&store->generation, 1);
  return ok;
}

gboolean
sl_store_user_add(SlStore *store, const char *name, const char *hash, GError **error)
{
  return store->ops->user_add(store, name, hash, error);
}

gboolean
sl_store_user_set_hash(SlStore *store, const char *name, const char *hash, GError **error)
{
  return store->ops->user_set_hash(store, name, hash, error);
}

gboolean
sl_store_user_delete(SlStore *store, const char *name, GError **error)
{
  return store->ops->user_delete(store, name, error);
}

SlUser *
sl_store_user_get(SlStore *store, const char *name, GError **error)
{
  return store->ops->user_get(store, name, error);
}

GPtrArray *
sl_store_user_list(SlStore *store, GError **error)
{
  return store->ops->user_list(store, error);
}

gboolean
sl_store_disk_insert(SlStore *store, const SlDisk *disk, GError **error)
{
  return changed(store, store->ops->disk_insert(store, disk, error));
}

SlDisk *
sl_store_disk_get(SlStore *store, const char *uuid, GError **error)
{
  return store->ops->disk_get(store, uuid, error);
}

GPtrArray *
sl_store_disk_list_visible(SlStore *store, const char *owner, GError **error)
{
  return store->ops->disk_list_visible(store, owner, error);
}

GPtrArray *
sl_store_disk_list_all(SlStore *store, GError **error)
{
  return store->ops->disk_list_all(store, error);
}

gboolean
sl_store_disk_update(SlStore *store, const SlDisk *disk, GError **error)
{
  return changed(store, store->ops->disk_update(store, disk, error));
}

gboolean
sl_store_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error)
{
  return changed(store, store->ops->disk_set_state(store, uuid, state, error));
}

gboolean
sl_store_disk_delete(SlStore *store, const char *uuid, GError **error)
{
  return changed(store, store->ops->disk_delete(store, uuid, error));
}

gboolean
sl_store_mount_insert(SlStore *store, const SlMount *mount, GError **error)
{
  return changed(store, store->ops->mount_insert(store, (SlMount *)mount, NULL, NULL, error));
}

gboolean
sl_store_mount_insert_checked(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check,
                              gpointer check_data, GError **error)
{
  return changed(store, store->ops->mount_insert(store, mount, check, check_data, error));
}

SlMount *
sl_store_mount_get(SlStore *store, const char *id, GError **error)
{
  return store->ops->mount_get(store, id, error);
}

GPtrArray *
sl_store_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error)
{
  return store->ops->mount_list_for_disk(store, disk_uuid, error);
}

GPtrArray *
sl_store_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error)
{
  return store->ops->mount_list_for_vm(store, vm_id, error);
}

gboolean
sl_store_mount_delete(SlStore *store, const char *id, GError **error)
{
  return changed(store, store->ops->mount_delete(store, id, error));
}

gboolean
sl_store_vm_insert(SlStore *store, GPtrArray *vms, SlStoreIpPickFunc pick, gpointer data,
                   GError **error)
{
  return store->ops->vm_insert(store, vms, NULL, NULL, NULL, NULL, NULL, pick, data, error);
}

gboolean
sl_store_vm_insert_checked(SlStore *store, GPtrArray *vms, SlStoreVmCheckFunc check,
                           gpointer check_data, SlStoreIpPickFunc pick, gpointer data,
                           GError **error)
{
  return store->ops->vm_insert(store, vms, NULL, NULL, NULL, check, check_data, pick, data, error);
}

gboolean
sl_store_vm_insert_mounts(SlStore *store, GPtrArray *vms, GPtrArray *mounts,
                          SlStoreMountCheckFunc mount_check, gpointer mount_check_data,
                          SlStoreVmCheckFunc check, gpointer check_data, SlStoreIpPickFunc pick,
                          gpointer data, GError **error)
{
  gboolean ok = store->ops->vm_insert(store, vms, mounts, mount_check, mount_check_data, check,
                                      check_data, pick, data, error);
  return mounts && mounts->len ? changed(store, ok) : ok;
}

gboolean
sl_store_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error)
{
  return store->ops->vm_usage(store, owner, usage, error);
}

gboolean
sl_store_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error)
{
  return store->ops->quota_get(store, user, quota, error);
}

gboolean
sl_store_quota_set(SlStore *store, const char *user, const SlQuota *quota, GError **error)
{
  return store->ops->quota_set(store, user, quota, error);
}

SlVm *
sl_store_vm_get(SlStore *store, gint64 id, GError **error)
{
  return store->ops->vm_get(store, id, error);
}

GPtrArray *
sl_store_vm_list(SlStore *store, const char *owner, gboolean include_final, GError **error)
{
  return store->ops->vm_list(store, owner, include_final, error);
}

gboolean
sl_store_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text,
                      GError **error)
{
  return store->ops->vm_set_state(store, id, state, error_text, error);
}

gboolean
sl_store_vm_release_ip(SlStore *store, gint64 id, GError **error)
{
  return store->ops->vm_release_ip(store, id, error);
}

gboolean
sl_store_image_insert(SlStore *store, const SlImage *image, GError **error)
{
  return store->ops->image_insert(store, image, error);
}

SlImage *
sl_store_image_get(SlStore *store, const char *identifier, GError **error)
{
  return store->ops->image_get(store, identifier, error);
}

GPtrArray *
sl_store_image_list(SlStore *store, GError **error)
{
  return store->ops->image_list(store, error);
}

gboolean
sl_store_image_delete(SlStore *store, const char *identifier, GError **error)
{
  return store->ops->image_delete(store, identifier, error);
}

SlStoreLease *
sl_store_lease_try(SlStore *store, const char *name, GError **error)
{
  gsize n = name ? strlen(name) : 0;
  gboolean ok = n > 0 && n <= 32;
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_islower(name[i]) || g_ascii_isdigit(name[i]) || name[i] == '-';
  if (!ok) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid lease name: %s", name ? name : "");
    return NULL;
  }
  SlStoreLease *lease = store->ops->lease_try(store, name, error);
  if (lease)
    lease->store = store;
  return lease;
}

gboolean
sl_store_lease_alive(SlStoreLease *lease)
{
  return lease && lease->store->ops->lease_alive(lease);
}

void
sl_store_lease_release(SlStoreLease *lease)
{
  if (lease)
    lease->store->ops->lease_release(lease);
}

void
sl_market_row_free(SlMarketRow *row)
{
  if (!row)
    return;
  g_free(row->identifier);
  g_free(row->email);
  g_free(row->created);
  g_free(row->valid);
  g_free(row->os);
  g_free(row->os_version);
  g_free(row->os_arch);
  g_free(row->kind);
  g_free(row->location);
  g_free(row->title);
  g_free(row->description);
  g_free(row->alternative);
  g_free(row->sha1);
  g_free(row->path);
  g_free(row);
}

gboolean
sl_store_market_insert(SlStore *store, const SlMarketRow *row, GError **error)
{
  return store->ops->market_insert(store, row, error);
}

SlMarketRow *
sl_store_market_get(SlStore *store, const char *identifier, const char *email, const char *created,
                    GError **error)
{
  return store->ops->market_get(store, identifier, email, created, error);
}

GPtrArray *
sl_store_market_search(SlStore *store, const SlMarketQuery *query, gint64 *total, gint64 *displayed,
                       GError **error)
{
  return store->ops->market_search(store, query, total, displayed, error);
}
