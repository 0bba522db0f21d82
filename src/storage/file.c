/* file.c - the file storage driver: one sparse raw file DIR/<uuid>.img per volume.
 *
 * create: a temporary ".<uuid>.img.XXXXXX" (O_EXCL) is ftruncate'd to the
 * size (O(1), sparse), fsync'd, then renamed without replacing to the final
 * name and the directory fsync'd, so a final name always holds a complete
 * volume. The creator holds flock(LOCK_EX) on its temporary; when the driver
 * starts it removes every temporary nobody holds (left by a crash).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "storage/driver.h"
#include "util/error.h"

#define SUFFIX ".img"

typedef struct {
  SlStorage base;
  char *dir;
} FileStorage;

#define FS(s) ((FileStorage *)(s))

/* A volume name must stay inside dir: no separators, no dot files. */
static gboolean
name_ok(const char *uuid)
{
  return uuid && uuid[0] && uuid[0] != '.' && !strchr(uuid, '/') && strlen(uuid) < 200;
}

static gboolean
check_name(const char *uuid, GError **error)
{
  if (name_ok(uuid))
    return TRUE;
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid volume name '%s'", uuid ? uuid : "");
  return FALSE;
}

static char *
file_path(SlStorage *self, const char *uuid)
{
  g_autofree char *name = g_strconcat(uuid, SUFFIX, NULL);
  return g_build_filename(FS(self)->dir, name, NULL);
}

static gboolean
fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  gboolean ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

static void
set_errno_error(GError **error, int e, const char *what, const char *path)
{
  /* a full file system (or quota) is the operator's to fix, not our bug */
  int code = e == ENOSPC || e == EDQUOT ? SL_ERROR_NO_SPACE : SL_ERROR_INTERNAL;
  g_set_error(error, SL_ERROR, code, "%s %s: %s", what, path, g_strerror(e));
}

/* rename(2) that never replaces an existing target. */
static int
rename_noreplace(const char *from, const char *to)
{
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
  /* file systems without RENAME_NOREPLACE: link() never replaces either */
  if (link(from, to) != 0)
    return -1;
  unlink(from);
  return 0;
}

static gboolean
file_create(SlStorage *self, const char *uuid, guint64 bytes, GError **error)
{
  if (!check_name(uuid, error))
    return FALSE;
  g_autofree char *path = file_path(self, uuid);
  if (g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "volume %s already exists", uuid);
    return FALSE;
  }
  g_autofree char *tmpl_name = g_strconcat(".", uuid, SUFFIX, ".XXXXXX", NULL);
  g_autofree char *tmp = g_build_filename(FS(self)->dir, tmpl_name, NULL);
  int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_error(error, errno, "cannot create", tmp);
    return FALSE;
  }
  int e = 0;
  const char *what = NULL;
  if (flock(fd, LOCK_EX) != 0) {
    e = errno;
    what = "cannot lock";
  } else if (bytes > (guint64)G_MAXINT64) {
    e = EFBIG;
    what = "size too large for";
  } else if (ftruncate(fd, (off_t)bytes) != 0) {
    e = errno;
    what = "cannot size";
  } else if (fsync(fd) != 0) {
    e = errno;
    what = "cannot sync";
  }
  if (what) {
    unlink(tmp);
    close(fd);
    set_errno_error(error, e, what, tmp);
    return FALSE;
  }
  /* rename while still holding the lock, so no cleaner removes the temporary */
  if (rename_noreplace(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    close(fd);
    if (e == EEXIST)
      g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "volume %s already exists", uuid);
    else
      set_errno_error(error, e, "cannot rename to", path);
    return FALSE;
  }
  close(fd);
  fsync_dir(FS(self)->dir);
  return TRUE;
}

static gboolean
file_remove(SlStorage *self, const char *uuid, GError **error)
{
  if (!check_name(uuid, error))
    return FALSE;
  g_autofree char *path = file_path(self, uuid);
  if (unlink(path) != 0) {
    int e = errno;
    if (e == ENOENT)
      return TRUE;
    set_errno_error(error, e, "cannot remove", path);
    return FALSE;
  }
  fsync_dir(FS(self)->dir);
  return TRUE;
}

static gboolean
file_exists(SlStorage *self, const char *uuid)
{
  if (!name_ok(uuid))
    return FALSE;
  g_autofree char *path = file_path(self, uuid);
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
file_path_op(SlStorage *self, const char *uuid)
{
  if (!name_ok(uuid))
    return NULL;
  return file_path(self, uuid);
}

static GPtrArray *
file_list(SlStorage *self, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open(FS(self)->dir, 0, error);
  if (!dir) {
    if (error && *error) {
      (*error)->domain = SL_ERROR;
      (*error)->code = SL_ERROR_INTERNAL;
    }
    return NULL;
  }
  GPtrArray *uuids = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    if (name[0] == '.' || !g_str_has_suffix(name, SUFFIX))
      continue;
    gsize len = strlen(name) - strlen(SUFFIX);
    if (len == 0)
      continue;
    g_ptr_array_add(uuids, g_strndup(name, len));
  }
  return uuids;
}

static void
file_free(SlStorage *self)
{
  g_free(FS(self)->dir);
  g_free(self);
}

static const SlStorageOps file_ops = {
    .name = "file",
    .create = file_create,
    .remove = file_remove,
    .exists = file_exists,
    .path = file_path_op,
    .list = file_list,
    .free = file_free,
};

/* Removes ".<uuid>.img.XXXXXX" temporaries that no live creator holds locked
 * (a crash mid-create). */
static void
remove_stale_temporaries(const char *dirpath)
{
  g_autoptr(GDir) dir = g_dir_open(dirpath, 0, NULL);
  if (!dir)
    return;
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    if (name[0] != '.' || !strstr(name, SUFFIX "."))
      continue;
    g_autofree char *path = g_build_filename(dirpath, name, NULL);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
      continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0) {
      g_message("storage: removing stale temporary %s", path);
      unlink(path);
    }
    close(fd);
  }
}

SlStorage *
sl_storage_file_new(const char *dir, GError **error)
{
  g_return_val_if_fail(dir != NULL, NULL);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    set_errno_error(error, errno, "cannot create volume directory", dir);
    return NULL;
  }
  remove_stale_temporaries(dir);
  FileStorage *fs = g_new0(FileStorage, 1);
  fs->base.ops = &file_ops;
  fs->dir = g_strdup(dir);
  return &fs->base;
}
