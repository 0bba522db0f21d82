/* pdisk.c - the persistent disk service (see pdisk.h and docs/rest-pdisk.md).
 *
 * Store rows are written before the storage side effect (CREATING/DELETING),
 * so sl_pdisk_recover() can finish or undo half-done work after a crash.
 * Check-then-act sequences on mounts and deletes run under one mutex so two
 * requests cannot both pass a check (e.g. two VMs attaching the same
 * read-write disk, or a mount racing a delete).
 */
#include "pdisk/pdisk.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

#define GIB ((guint64)1 << 30)

struct SlPdisk {
  SlStore *store;     /* borrowed */
  SlStorage *storage; /* borrowed */
  GMutex lock;
};

SlPdisk *
sl_pdisk_new(SlStore *store, SlStorage *storage)
{
  g_return_val_if_fail(store && storage, NULL);
  SlPdisk *p = g_new0(SlPdisk, 1);
  p->store = store;
  p->storage = storage;
  g_mutex_init(&p->lock);
  return p;
}

void
sl_pdisk_free(SlPdisk *pdisk)
{
  if (!pdisk)
    return;
  g_mutex_clear(&pdisk->lock);
  g_free(pdisk);
}

guint64
sl_pdisk_generation(SlPdisk *pdisk)
{
  return sl_store_generation(pdisk->store);
}

char *
sl_pdisk_volume_path(SlPdisk *pdisk, const char *uuid)
{
  if (!sl_pdisk_uuid_is_valid(uuid))
    return NULL;
  return pdisk->storage->ops->path(pdisk->storage, uuid);
}

gboolean
sl_pdisk_uuid_is_valid(const char *s)
{
  if (!s || strlen(s) != 36)
    return FALSE;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return FALSE;
    } else if (!g_ascii_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- validation ------------------------------------------------------- */

static gboolean
parse_size(const char *text, gint64 *out, GError **error)
{
  gsize n = text ? strlen(text) : 0;
  gboolean ok = n > 0 && n <= 10;
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_isdigit(text[i]);
  gint64 v = ok ? g_ascii_strtoll(text, NULL, 10) : 0;
  if (!ok || v < SL_PDISK_MIN_SIZE || v > SL_PDISK_MAX_SIZE) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Size must be an integer between %d and %d",
                SL_PDISK_MIN_SIZE, SL_PDISK_MAX_SIZE);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
check_text(const char *name, const char *value, GError **error)
{
  if (value && !g_utf8_validate(value, -1, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "Invalid value for form element %s: not valid UTF-8", name);
    return FALSE;
  }
  return TRUE;
}

/* Applies the given fields onto disk (size only when with_size). */
static gboolean
apply_fields(SlDisk *disk, const SlDiskFields *f, gboolean with_size, GError **error)
{
  if (!f)
    return TRUE;
  if (with_size && !parse_size(f->size, &disk->size, error))
    return FALSE;
  if (!check_text("tag", f->tag, error) || !check_text("identifier", f->identifier, error) ||
      !check_text("quarantine", f->quarantine, error) || !check_text("group", f->group, error))
    return FALSE;
  if (f->tag) {
    if (g_utf8_strlen(f->tag, -1) > SL_PDISK_MAX_TAG) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Tags must have less than %d characters",
                  SL_PDISK_MAX_TAG);
      return FALSE;
    }
  }
  SlVisibility vis = disk->visibility;
  if (f->visibility && !sl_visibility_from_string(f->visibility, &vis)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Invalid value for form element visibility: %s",
                f->visibility);
    return FALSE;
  }
  SlDiskType type = disk->type;
  if (f->type && !sl_disk_type_from_string(f->type, &type)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Invalid value for form element type: %s",
                f->type);
    return FALSE;
  }
  /* everything valid: now change the record */
  disk->visibility = vis;
  disk->type = type;
  if (f->tag) {
    g_free(disk->tag);
    disk->tag = g_strdup(f->tag);
  }
  /* "" clears an optional text field */
  if (f->identifier) {
    g_free(disk->identifier);
    disk->identifier = f->identifier[0] ? g_strdup(f->identifier) : NULL;
  }
  if (f->quarantine) {
    g_free(disk->quarantine);
    disk->quarantine = f->quarantine[0] ? g_strdup(f->quarantine) : NULL;
  }
  if (f->group) {
    g_free(disk->group);
    disk->group = f->group[0] ? g_strdup(f->group) : NULL;
  }
  return TRUE;
}

/* ---- lookups with rights ---------------------------------------------- */

static void
set_not_found(GError **error, const char *uuid)
{
  g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", uuid);
}

/* The READY disk if user may see it (owner or public); 400/404 otherwise. */
static SlDisk *
get_visible(SlPdisk *pdisk, const char *user, const char *uuid, GError **error)
{
  if (!sl_pdisk_uuid_is_valid(uuid)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Invalid UUID %s", uuid ? uuid : "");
    return NULL;
  }
  GError *err = NULL;
  SlDisk *disk = sl_store_disk_get(pdisk->store, uuid, &err);
  if (!disk) {
    if (g_error_matches(err, SL_ERROR, SL_ERROR_NOT_FOUND)) {
      g_clear_error(&err);
      set_not_found(error, uuid);
    } else {
      g_propagate_error(error, err);
    }
    return NULL;
  }
  gboolean owner = user && g_strcmp0(disk->owner, user) == 0;
  if (disk->state != SL_DISK_STATE_READY || (!owner && disk->visibility != SL_VISIBILITY_PUBLIC)) {
    sl_disk_free(disk);
    set_not_found(error, uuid);
    return NULL;
  }
  return disk;
}

/* Visible and owned by user; `action` names the 403 message. */
static SlDisk *
get_owned(SlPdisk *pdisk, const char *user, const char *uuid, const char *action, GError **error)
{
  SlDisk *disk = get_visible(pdisk, user, uuid, error);
  if (disk && g_strcmp0(disk->owner, user) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN, "Not enough rights to %s disk", action);
    g_clear_pointer(&disk, sl_disk_free);
  }
  return disk;
}

/* ---- disks ------------------------------------------------------------ */

SlDisk *
sl_pdisk_create(SlPdisk *pdisk, const char *user, const SlDiskFields *fields, GError **error)
{
  g_return_val_if_fail(user != NULL, NULL);
  static const SlDiskFields none = {0};
  g_autoptr(SlDisk) disk = sl_disk_new();
  if (!apply_fields(disk, fields ? fields : &none, TRUE, error))
    return NULL;
  disk->uuid = g_uuid_string_random();
  disk->owner = g_strdup(user);
  disk->created = g_get_real_time() / G_USEC_PER_SEC;
  disk->state = SL_DISK_STATE_CREATING;
  if (!sl_store_disk_insert(pdisk->store, disk, error))
    return NULL;

  GError *err = NULL;
  if (!pdisk->storage->ops->create(pdisk->storage, disk->uuid, (guint64)disk->size * GIB, &err)) {
    g_warning("pdisk: cannot create volume %s: %s", disk->uuid, err->message);
    g_autoptr(GError) undo = NULL;
    if (!sl_store_disk_delete(pdisk->store, disk->uuid, &undo))
      g_warning("pdisk: cannot drop row of failed disk %s: %s", disk->uuid, undo->message);
    if (err->code != SL_ERROR_INTERNAL) {
      err->domain = SL_ERROR;
      err->code = SL_ERROR_INTERNAL;
    }
    g_propagate_error(error, err);
    return NULL;
  }
  if (!sl_store_disk_set_state(pdisk->store, disk->uuid, SL_DISK_STATE_READY, error)) {
    /* the row stays CREATING: recovery removes both at the next start */
    return NULL;
  }
  disk->state = SL_DISK_STATE_READY;
  disk->users = 0;
  g_debug("pdisk: %s created %s (%" G_GINT64_FORMAT " GiB)", user, disk->uuid, disk->size);
  return g_steal_pointer(&disk);
}

/* Copies src to dst (another file system), then removes src. */
static gboolean
copy_bytes(const char *src, const char *dst, GError **error)
{
  int in = open(src, O_RDONLY | O_CLOEXEC);
  int out = in >= 0 ? open(dst, O_WRONLY | O_TRUNC | O_CLOEXEC) : -1;
  gboolean ok = in >= 0 && out >= 0;
  char buf[1 << 16];
  ssize_t n = 0;
  while (ok && (n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t off = 0; ok && off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      ok = w > 0;
      off += w > 0 ? w : 0;
    }
  ok = ok && n == 0;
  int e = errno;
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  if (!ok)
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot copy %s to %s: %s", src, dst,
                g_strerror(e));
  else
    g_unlink(src);
  return ok;
}

/* Moves (same file system) or copies src over the fresh volume file, fsync'd. */
static gboolean
import_bytes(const char *src, const char *dst, GError **error)
{
  if (g_rename(src, dst) != 0) {
    int e = errno;
    if (e != EXDEV) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot move %s to %s: %s", src, dst,
                  g_strerror(e));
      return FALSE;
    }
    if (!copy_bytes(src, dst, error))
      return FALSE;
  }
  int fd = open(dst, O_RDONLY | O_CLOEXEC);
  gboolean ok = fd >= 0 && fsync(fd) == 0;
  if (fd >= 0)
    close(fd);
  g_autofree char *dir = g_path_get_dirname(dst);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ok = fsync(dfd) == 0 && ok;
    close(dfd);
  }
  if (!ok)
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot sync %s: %s", dst, g_strerror(errno));
  return ok;
}

SlDisk *
sl_pdisk_import(SlPdisk *pdisk, const char *user, const char *uuid, const SlDiskFields *fields,
                const char *src, GError **error)
{
  g_return_val_if_fail(user != NULL && src != NULL, NULL);
  GStatBuf st;
  if (g_stat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "cannot import %s: %s", src,
                g_strerror(errno));
    return NULL;
  }
  if (uuid && !sl_pdisk_uuid_is_valid(uuid)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Invalid UUID %s", uuid);
    return NULL;
  }
  g_autoptr(SlDisk) disk = sl_disk_new();
  SlDiskFields f = fields ? *fields : (SlDiskFields){0};
  f.size = NULL;
  if (!apply_fields(disk, &f, FALSE, error))
    return NULL;
  disk->size = MAX((gint64)(((guint64)st.st_size + GIB - 1) / GIB), SL_PDISK_MIN_SIZE);
  disk->uuid = uuid ? g_strdup(uuid) : g_uuid_string_random();
  disk->owner = g_strdup(user);
  disk->created = g_get_real_time() / G_USEC_PER_SEC;
  disk->state = SL_DISK_STATE_CREATING;
  if (!sl_store_disk_insert(pdisk->store, disk, error))
    return NULL;
  GError *err = NULL;
  g_autofree char *dst = pdisk->storage->ops->path(pdisk->storage, disk->uuid);
  if (!pdisk->storage->ops->create(pdisk->storage, disk->uuid, (guint64)st.st_size, &err) ||
      !import_bytes(src, dst, &err)) {
    g_warning("pdisk: cannot import volume %s: %s", disk->uuid, err->message);
    g_autoptr(GError) undo = NULL;
    if (!pdisk->storage->ops->remove(pdisk->storage, disk->uuid, &undo) ||
        !sl_store_disk_delete(pdisk->store, disk->uuid, &undo))
      g_warning("pdisk: cannot undo failed import %s: %s", disk->uuid, undo->message);
    g_propagate_error(error, err);
    return NULL;
  }
  if (!sl_store_disk_set_state(pdisk->store, disk->uuid, SL_DISK_STATE_READY, error))
    return NULL; /* CREATING: recovery removes row and file */
  disk->state = SL_DISK_STATE_READY;
  disk->users = 0;
  g_debug("pdisk: %s imported %s as %s", user, src, disk->uuid);
  return g_steal_pointer(&disk);
}

GPtrArray *
sl_pdisk_list(SlPdisk *pdisk, const char *user, GError **error)
{
  g_return_val_if_fail(user != NULL, NULL);
  return sl_store_disk_list_visible(pdisk->store, user, error);
}

SlDisk *
sl_pdisk_get(SlPdisk *pdisk, const char *user, const char *uuid, GError **error)
{
  return get_visible(pdisk, user, uuid, error);
}

SlDisk *
sl_pdisk_update(SlPdisk *pdisk, const char *user, const char *uuid, const SlDiskFields *fields,
                GError **error)
{
  g_mutex_lock(&pdisk->lock);
  SlDisk *disk = get_owned(pdisk, user, uuid, "update", error);
  /* size is fixed at creation: an update ignores it */
  if (disk && (!apply_fields(disk, fields, FALSE, error) ||
               !sl_store_disk_update(pdisk->store, disk, error)))
    g_clear_pointer(&disk, sl_disk_free);
  g_mutex_unlock(&pdisk->lock);
  return disk;
}

gboolean
sl_pdisk_delete(SlPdisk *pdisk, const char *user, const char *uuid, GError **error)
{
  g_mutex_lock(&pdisk->lock);
  g_autoptr(SlDisk) disk = get_owned(pdisk, user, uuid, "delete", error);
  gboolean ok = disk != NULL;
  if (ok && disk->users > 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) is in use and can't be deleted",
                uuid);
    ok = FALSE;
  }
  if (ok)
    ok = sl_store_disk_set_state(pdisk->store, uuid, SL_DISK_STATE_DELETING, error);
  g_mutex_unlock(&pdisk->lock);
  if (!ok)
    return FALSE;
  /* The row is DELETING (invisible): if anything below fails, recovery finishes. */
  if (!pdisk->storage->ops->remove(pdisk->storage, uuid, error))
    return FALSE;
  if (!sl_store_disk_delete(pdisk->store, uuid, error))
    return FALSE;
  g_debug("pdisk: %s deleted %s", user, uuid);
  return TRUE;
}

/* ---- recovery --------------------------------------------------------- */

static gboolean
drop_disk(SlPdisk *pdisk, const SlDisk *disk, const char *why)
{
  g_autoptr(GError) err = NULL;
  if (!pdisk->storage->ops->remove(pdisk->storage, disk->uuid, &err) ||
      !sl_store_disk_delete(pdisk->store, disk->uuid, &err)) {
    g_warning("pdisk: recovery: cannot drop %s disk %s: %s", why, disk->uuid, err->message);
    return FALSE;
  }
  g_message("pdisk: recovery: dropped %s disk %s", why, disk->uuid);
  return TRUE;
}

gboolean
sl_pdisk_recover(SlPdisk *pdisk, GError **error)
{
  g_autoptr(GPtrArray) disks = sl_store_disk_list_all(pdisk->store, error);
  if (!disks)
    return FALSE;
  g_autoptr(GHashTable) known = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < disks->len; i++) {
    SlDisk *d = disks->pdata[i];
    if (d->state == SL_DISK_STATE_CREATING) {
      if (!drop_disk(pdisk, d, "half-created"))
        g_hash_table_add(known, d->uuid);
    } else if (d->state == SL_DISK_STATE_DELETING) {
      if (!drop_disk(pdisk, d, "half-deleted"))
        g_hash_table_add(known, d->uuid);
    } else {
      g_hash_table_add(known, d->uuid);
      if (!pdisk->storage->ops->exists(pdisk->storage, d->uuid))
        g_warning("pdisk: recovery: volume of disk %s is missing", d->uuid);
    }
  }
  g_autoptr(GPtrArray) files = pdisk->storage->ops->list(pdisk->storage, error);
  if (!files)
    return FALSE;
  for (guint i = 0; i < files->len; i++) {
    const char *uuid = files->pdata[i];
    if (g_hash_table_contains(known, uuid))
      continue;
    g_autoptr(GError) err = NULL;
    if (pdisk->storage->ops->remove(pdisk->storage, uuid, &err))
      g_message("pdisk: recovery: removed orphan volume %s", uuid);
    else
      g_warning("pdisk: recovery: cannot remove orphan volume %s: %s", uuid, err->message);
  }
  return TRUE;
}

/* ---- mounts ----------------------------------------------------------- */

GPtrArray *
sl_pdisk_mounts(SlPdisk *pdisk, const char *user, const char *uuid, GError **error)
{
  g_autoptr(SlDisk) disk = get_visible(pdisk, user, uuid, error);
  if (!disk)
    return NULL;
  return sl_store_mount_list_for_disk(pdisk->store, uuid, error);
}

static gboolean
parse_vm_id(const char *text, gint64 *out, GError **error)
{
  guint64 v = 0;
  if (!text || !text[0]) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "missing vm_id attribute");
    return FALSE;
  }
  gsize n = strlen(text);
  gboolean ok = n <= 18;
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_isdigit(text[i]);
  if (ok)
    v = g_ascii_strtoull(text, NULL, 10);
  if (!ok || v > (guint64)G_MAXINT64) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Invalid value for form element vm_id: %s",
                text);
    return FALSE;
  }
  *out = (gint64)v;
  return TRUE;
}

/* First of vda..vdz not used by the VM's mounts; NULL when all are taken. */
static char *
free_device(GPtrArray *vm_mounts)
{
  for (char c = 'a'; c <= 'z'; c++) {
    char name[4] = {'v', 'd', c, '\0'};
    gboolean used = FALSE;
    for (guint i = 0; i < vm_mounts->len && !used; i++)
      used = g_strcmp0(((SlMount *)vm_mounts->pdata[i])->target, name) == 0;
    if (!used)
      return g_strdup(name);
  }
  return NULL;
}

/* The mount rules, inside the store's write transaction (sl_store_mount_insert_checked):
 * what they see is what every front-end on the store has committed. */
static gboolean
mount_rules(SlMount *m, GPtrArray *disk_mounts, GPtrArray *vm_mounts, gpointer data, GError **error)
{
  const SlDisk *disk = data;
  for (guint i = 0; i < disk_mounts->len; i++) {
    if (((SlMount *)disk_mounts->pdata[i])->vm_id == m->vm_id) {
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                  "Mount already exists for: %" G_GINT64_FORMAT " and %s", m->vm_id, disk->uuid);
      return FALSE;
    }
  }
  if (disk->type == SL_DISK_DATA_IMAGE_RAW_READ_WRITE && disk_mounts->len > 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT,
                "disk (%s) is already attached to VM %" G_GINT64_FORMAT, disk->uuid,
                ((SlMount *)disk_mounts->pdata[0])->vm_id);
    return FALSE;
  }
  g_autofree char *target = NULL;
  if (disk_mounts->len >= SL_PDISK_MAX_MOUNTS || vm_mounts->len >= SL_PDISK_MAX_MOUNTS ||
      !(target = free_device(vm_mounts))) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "no free devices available");
    return FALSE;
  }
  g_free(m->target);
  m->target = g_steal_pointer(&target);
  return TRUE;
}

static SlMount *
mount_locked(SlPdisk *pdisk, const SlDisk *disk, const char *node, gint64 vm, GError **error)
{
  g_autoptr(SlMount) m = sl_mount_new();
  m->id = g_strdup_printf("%s_%" G_GINT64_FORMAT, disk->uuid, vm);
  m->disk_uuid = g_strdup(disk->uuid);
  m->node = g_strdup(node);
  m->vm_id = vm;
  m->created = g_get_real_time() / G_USEC_PER_SEC;
  if (!sl_store_mount_insert_checked(pdisk->store, m, mount_rules, (gpointer)disk, error))
    return NULL;
  return g_steal_pointer(&m);
}

SlMount *
sl_pdisk_mount(SlPdisk *pdisk, const char *user, const char *uuid, const char *node,
               const char *vm_id, GError **error)
{
  g_autoptr(SlDisk) disk = get_owned(pdisk, user, uuid, "attach", error);
  if (!disk)
    return NULL;
  if (!node || !node[0]) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "missing node attribute");
    return NULL;
  }
  if (!check_text("node", node, error))
    return NULL;
  gint64 vm = 0;
  if (!parse_vm_id(vm_id, &vm, error))
    return NULL;

  g_mutex_lock(&pdisk->lock);
  /* re-read under the lock: the disk may be being deleted */
  g_autoptr(SlDisk) fresh = get_owned(pdisk, user, uuid, "attach", error);
  SlMount *m = fresh ? mount_locked(pdisk, fresh, node, vm, error) : NULL;
  g_mutex_unlock(&pdisk->lock);
  if (m)
    g_debug("pdisk: %s attached %s to VM %" G_GINT64_FORMAT " as %s", user, uuid, vm, m->target);
  return m;
}

gboolean
sl_pdisk_run_locked(SlPdisk *pdisk, SlPdiskLockedFunc fn, gpointer data, GError **error)
{
  g_mutex_lock(&pdisk->lock);
  gboolean ok = fn(data, error);
  g_mutex_unlock(&pdisk->lock);
  return ok;
}

/* The mount mount_id of a disk visible to user; 404 "not attached" otherwise. */
static SlMount *
find_mount(SlPdisk *pdisk, const char *uuid, const char *mount_id, GError **error)
{
  GError *err = NULL;
  SlMount *m = mount_id ? sl_store_mount_get(pdisk->store, mount_id, &err) : NULL;
  if (m && g_strcmp0(m->disk_uuid, uuid) == 0)
    return m;
  sl_mount_free(m);
  if (err && !g_error_matches(err, SL_ERROR, SL_ERROR_NOT_FOUND)) {
    g_propagate_error(error, err);
    return NULL;
  }
  g_clear_error(&err);
  const char *sep = mount_id ? strrchr(mount_id, '_') : NULL;
  const char *vm = sep ? sep + 1 : (mount_id ? mount_id : "");
  g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) is not attached to VM %s", uuid, vm);
  return NULL;
}

SlMount *
sl_pdisk_mount_get(SlPdisk *pdisk, const char *user, const char *uuid, const char *mount_id,
                   GError **error)
{
  g_autoptr(SlDisk) disk = get_visible(pdisk, user, uuid, error);
  if (!disk)
    return NULL;
  return find_mount(pdisk, uuid, mount_id, error);
}

SlMount *
sl_pdisk_unmount(SlPdisk *pdisk, const char *user, const char *uuid, const char *mount_id,
                 GError **error)
{
  g_autoptr(SlDisk) disk = get_owned(pdisk, user, uuid, "detach", error);
  if (!disk)
    return NULL;
  g_mutex_lock(&pdisk->lock);
  SlMount *m = find_mount(pdisk, uuid, mount_id, error);
  if (m && !sl_store_mount_delete(pdisk->store, m->id, error))
    g_clear_pointer(&m, sl_mount_free);
  g_mutex_unlock(&pdisk->lock);
  if (m)
    g_debug("pdisk: %s detached %s from VM %" G_GINT64_FORMAT, user, uuid, m->vm_id);
  return m;
}
