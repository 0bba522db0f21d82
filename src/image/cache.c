/* cache.c - the image cache (see cache.h). */
#include "image/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/identifier.h"
#include "util/error.h"

#define CACHE_SUBDIR "images"
#define SUFFIX ".img"
#define TMP_PREFIX ".tmp-"
#define COPY_BUFFER (1024 * 1024)
#define HOLE_BLOCK 65536 /* all-zero blocks of this size are left as holes */

struct SlImageCache {
  SlStore *store;
  char *dir;
};

static gboolean
io_error(GError **error, int err, const char *what, const char *path)
{
  g_set_error(error, SL_ERROR, err == ENOENT ? SL_ERROR_NOT_FOUND : SL_ERROR_INTERNAL,
              "cannot %s %s: %s", what, path, g_strerror(err));
  return FALSE;
}

SlImageCache *
sl_image_cache_new(SlStore *store, const char *data_dir, GError **error)
{
  g_autofree char *dir = g_build_filename(data_dir, CACHE_SUBDIR, NULL);
  if (!g_path_is_absolute(dir)) {
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *abs = g_build_filename(cwd, dir, NULL);
    g_free(dir);
    dir = g_canonicalize_filename(abs, NULL);
  }
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    io_error(error, errno, "create", dir);
    return NULL;
  }
  SlImageCache *c = g_new0(SlImageCache, 1);
  c->store = store;
  c->dir = g_steal_pointer(&dir);
  return c;
}

void
sl_image_cache_free(SlImageCache *cache)
{
  if (!cache)
    return;
  g_free(cache->dir);
  g_free(cache);
}

const char *
sl_image_cache_dir(SlImageCache *cache)
{
  return cache->dir;
}

static char *
image_path(SlImageCache *c, const char *identifier)
{
  g_autofree char *base = g_strconcat(identifier, SUFFIX, NULL);
  return g_build_filename(c->dir, base, NULL);
}

/* ---- add ---------------------------------------------------------------- */

static gboolean
all_zero(const guint8 *p, gsize n)
{
  return n > 0 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Writes n bytes at the current offset, leaving all-zero blocks as holes. */
static gboolean
write_sparse(int fd, const guint8 *buf, gsize n, const char *path, GError **error)
{
  for (gsize off = 0; off < n;) {
    gsize len = MIN(HOLE_BLOCK, n - off);
    if (all_zero(buf + off, len)) {
      if (lseek(fd, (off_t)len, SEEK_CUR) < 0)
        return io_error(error, errno, "seek in", path);
      off += len;
      continue;
    }
    ssize_t w = write(fd, buf + off, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return io_error(error, errno, "write", path);
    off += (gsize)w;
  }
  return TRUE;
}

static const char *
detect_kind(const guint8 *head, gsize n)
{
  return n >= 4 && memcmp(head, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

/* Streams `in` into fd; returns the digest, size and kind. */
static gboolean
copy_stream(GInputStream *in, int fd, const char *tmp, guint8 sha1[SL_SHA1_LEN], guint64 *total,
            const char **kind, GCancellable *cancellable, GError **error)
{
  g_autoptr(SlMultiDigest) md = sl_multi_digest_new(SL_DIGEST_BIT(SL_DIGEST_SHA1));
  g_autofree guint8 *buf = g_malloc(COPY_BUFFER);
  *total = 0;
  *kind = "raw";
  for (;;) {
    gsize got = 0;
    if (!g_input_stream_read_all(in, buf, COPY_BUFFER, &got, cancellable, error)) {
      g_prefix_error(error, "cannot read the image: ");
      if ((*error)->domain != SL_ERROR) {
        g_autofree char *msg = g_strdup((*error)->message);
        g_clear_error(error);
        g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, msg);
      }
      return FALSE;
    }
    if (got == 0)
      break;
    if (*total == 0)
      *kind = detect_kind(buf, got);
    sl_multi_digest_update(md, buf, got);
    if (!write_sparse(fd, buf, got, tmp, error))
      return FALSE;
    *total += got;
  }
  SlDigestResult d;
  sl_multi_digest_finish(md, &d);
  memcpy(sha1, d.sha1, SL_SHA1_LEN);
  if (ftruncate(fd, (off_t)*total) != 0)
    return io_error(error, errno, "truncate", tmp);
  if (fchmod(fd, 0444) != 0)
    return io_error(error, errno, "chmod", tmp);
  if (fsync(fd) != 0)
    return io_error(error, errno, "fsync", tmp);
  return TRUE;
}

static void
fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

int
sl_image_cache_temp(SlImageCache *c, char **path, GError **error)
{
  char *tmpl = g_strdup_printf("%s/" TMP_PREFIX "%d-XXXXXX", c->dir, (int)getpid());
  int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    io_error(error, errno, "create a file in", c->dir);
    g_free(tmpl);
    return -1;
  }
  *path = tmpl;
  return fd;
}

char *
sl_image_cache_entry_path(SlImageCache *c, const char *identifier)
{
  g_autofree char *base = g_strconcat(identifier, ".xml", NULL);
  return g_build_filename(c->dir, base, NULL);
}

SlImage *
sl_image_cache_commit(SlImageCache *c, const char *tmpl, const guint8 sha1[SL_SHA1_LEN],
                      guint64 total, const char *kind, GError **error)
{
  char id[SL_IDENTIFIER_LEN + 1], hex[SL_SHA1_HEX_LEN + 1];
  sl_identifier_from_sha1(sha1, id);
  sl_sha1_to_hex(sha1, hex);

  SlImage *existing = sl_store_image_get(c->store, id, NULL);
  g_autofree char *final = image_path(c, id);
  if (existing && g_file_test(final, G_FILE_TEST_IS_REGULAR)) {
    g_unlink(tmpl);
    return existing;
  }
  sl_image_free(existing);
  if (g_rename(tmpl, final) != 0) {
    io_error(error, errno, "rename into", final);
    g_unlink(tmpl);
    return NULL;
  }
  fsync_dir(c->dir);

  g_autoptr(SlImage) im = sl_image_new();
  im->identifier = g_strdup(id);
  im->sha1 = g_strdup(hex);
  im->bytes = (gint64)total;
  im->path = g_strdup(final);
  im->kind = g_strdup(kind);
  im->created = g_get_real_time() / G_USEC_PER_SEC;
  im->state = g_strdup("ready");
  g_autoptr(GError) local = NULL;
  if (!sl_store_image_insert(c->store, im, &local)) {
    if (g_error_matches(local, SL_ERROR, SL_ERROR_CONFLICT)) /* a concurrent add of the same */
      return sl_store_image_get(c->store, id, error);
    /* leave the file: recovery removes files without a row */
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  return g_steal_pointer(&im);
}

SlImage *
sl_image_cache_add_stream(SlImageCache *c, GInputStream *in, const char *expected_sha1,
                          GCancellable *cancellable, GError **error)
{
  guint8 want[SL_SHA1_LEN];
  if (expected_sha1 && !sl_sha1_from_hex(expected_sha1, want, error))
    return NULL;
  g_autofree char *tmpl = NULL;
  int fd = sl_image_cache_temp(c, &tmpl, error);
  if (fd < 0)
    return NULL;
  guint8 sha1[SL_SHA1_LEN];
  guint64 total = 0;
  const char *kind = "raw";
  gboolean ok = copy_stream(in, fd, tmpl, sha1, &total, &kind, cancellable, error);
  close(fd);
  if (ok && expected_sha1 && memcmp(want, sha1, SL_SHA1_LEN) != 0) {
    char hex[SL_SHA1_HEX_LEN + 1];
    sl_sha1_to_hex(sha1, hex);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "checksum mismatch: expected %s, got %s",
                expected_sha1, hex);
    ok = FALSE;
  }
  if (!ok) {
    g_unlink(tmpl);
    return NULL;
  }
  return sl_image_cache_commit(c, tmpl, sha1, total, kind, error);
}

SlImage *
sl_image_cache_add_file(SlImageCache *c, const char *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read(file, NULL, &local);
  if (!in) {
    int code = g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)      ? SL_ERROR_NOT_FOUND
               : g_error_matches(local, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY) ? SL_ERROR_INVALID
                                                                             : SL_ERROR_INTERNAL;
    g_set_error(error, SL_ERROR, code, "cannot read %s: %s", path, local->message);
    return NULL;
  }
  return sl_image_cache_add_stream(c, G_INPUT_STREAM(in), NULL, NULL, error);
}

/* Copies the data extents of in (size bytes) into out: holes stay holes, the
 * bytes move in the kernel (copy_file_range; reflink where the file system
 * can), nothing is hashed. */
static gboolean
copy_extents(int in, int out, guint64 size, const char *src, const char *tmp, GError **error)
{
  off_t pos = 0;
  while ((guint64)pos < size) {
    off_t data = lseek(in, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO)
      break; /* a hole up to the end */
    if (data < 0)
      return io_error(error, errno, "read", src);
    off_t hole = lseek(in, data, SEEK_HOLE);
    if (hole < 0)
      return io_error(error, errno, "read", src);
    off_t off_in = data, off_out = data;
    while (off_in < hole) {
      ssize_t n = copy_file_range(in, &off_in, out, &off_out, (size_t)(hole - off_in), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return io_error(error, errno, "write", tmp);
      if (n == 0) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s changed while being copied", src);
        return FALSE;
      }
    }
    pos = hole;
  }
  return TRUE;
}

SlImage *
sl_image_cache_add_known(SlImageCache *c, const char *path, const char *sha1_hex, guint64 bytes,
                         GError **error)
{
  guint8 sha1[SL_SHA1_LEN];
  if (!sl_sha1_from_hex(sha1_hex, sha1, error))
    return NULL;
  char id[SL_IDENTIFIER_LEN + 1];
  sl_identifier_from_sha1(sha1, id);
  SlImage *existing = sl_store_image_get(c->store, id, NULL);
  if (existing && existing->path && g_file_test(existing->path, G_FILE_TEST_IS_REGULAR))
    return existing;
  sl_image_free(existing);
  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    io_error(error, errno, "read", path);
    return NULL;
  }
  struct stat st;
  guint8 head[4] = {0};
  if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size != bytes) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "%s: size mismatch: expected %" G_GUINT64_FORMAT " bytes, got %" G_GINT64_FORMAT,
                path, bytes, (gint64)st.st_size);
    close(in);
    return NULL;
  }
  ssize_t h = pread(in, head, sizeof head, 0);
  g_autofree char *tmpl = NULL;
  int fd = sl_image_cache_temp(c, &tmpl, error);
  if (fd < 0) {
    close(in);
    return NULL;
  }
  gboolean ok = copy_extents(in, fd, bytes, path, tmpl, error);
  close(in);
  if (ok && (ftruncate(fd, (off_t)bytes) != 0 || fchmod(fd, 0444) != 0 || fsync(fd) != 0))
    ok = io_error(error, errno, "write", tmpl);
  close(fd);
  if (!ok) {
    g_unlink(tmpl);
    return NULL;
  }
  return sl_image_cache_commit(c, tmpl, sha1, bytes, detect_kind(head, h > 0 ? (gsize)h : 0),
                               error);
}

/* ---- lookup / list / remove ---------------------------------------------- */

SlImage *
sl_image_cache_get(SlImageCache *c, const char *identifier, GError **error)
{
  if (!sl_identifier_is_valid(identifier)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid image identifier %s", identifier);
    return NULL;
  }
  return sl_store_image_get(c->store, identifier, error);
}

char *
sl_image_cache_lookup(SlImageCache *c, const char *identifier, GError **error)
{
  g_autoptr(SlImage) im = sl_image_cache_get(c, identifier, error);
  if (!im)
    return NULL;
  if (g_strcmp0(im->state, "ready") != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "image %s is not ready (%s)", identifier,
                im->state);
    return NULL;
  }
  return g_steal_pointer(&im->path);
}

GPtrArray *
sl_image_cache_list(SlImageCache *c, GError **error)
{
  return sl_store_image_list(c->store, error);
}

gboolean
sl_image_cache_remove(SlImageCache *c, const char *identifier, GError **error)
{
  g_autoptr(SlImage) im = sl_image_cache_get(c, identifier, error);
  if (!im || !sl_store_image_delete(c->store, identifier, error))
    return FALSE;
  g_autofree char *path = image_path(c, identifier);
  if (g_unlink(path) != 0 && errno != ENOENT)
    g_warning("image cache: cannot remove %s: %s (recovery will retry)", path, g_strerror(errno));
  g_autofree char *entry = sl_image_cache_entry_path(c, identifier);
  g_unlink(entry);
  return TRUE;
}

/* ---- recovery ------------------------------------------------------------ */

/* ".tmp-<pid>-XXXXXX" of a process that no longer runs? */
static gboolean
stale_temp(const char *name)
{
  gint64 pid = g_ascii_strtoll(name + strlen(TMP_PREFIX), NULL, 10);
  if (pid <= 0 || pid > G_MAXINT)
    return TRUE;
  return pid != getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

gboolean
sl_image_cache_recover(SlImageCache *c, guint *removed, GError **error)
{
  guint n = 0;
  g_autoptr(GPtrArray) rows = sl_store_image_list(c->store, error);
  if (!rows)
    return FALSE;
  g_autoptr(GHashTable) known = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < rows->len; i++) {
    SlImage *im = rows->pdata[i];
    g_autofree char *path = image_path(c, im->identifier);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      g_hash_table_add(known, im->identifier);
      continue;
    }
    g_warning("image cache: %s has no file; dropping its row", im->identifier);
    g_autoptr(GError) local = NULL;
    if (sl_store_image_delete(c->store, im->identifier, &local))
      n++;
    else
      g_warning("image cache: %s: %s", im->identifier, local->message);
  }
  g_autoptr(GDir) dir = g_dir_open(c->dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *path = g_build_filename(c->dir, name, NULL);
    gboolean drop = FALSE;
    if (g_str_has_prefix(name, TMP_PREFIX)) {
      drop = stale_temp(name);
    } else if (g_str_has_suffix(name, SUFFIX)) {
      g_autofree char *id = g_strndup(name, strlen(name) - strlen(SUFFIX));
      drop = !g_hash_table_contains(known, id);
    }
    if (drop) {
      g_message("image cache: removing leftover %s", path);
      if (g_unlink(path) == 0)
        n++;
    }
  }
  if (removed)
    *removed = n;
  return TRUE;
}
