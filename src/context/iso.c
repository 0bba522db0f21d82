/* iso.c - ISO9660 images with libisofs (machine-facts.md §3). */
#include <stdint.h> /* before libisofs.h, which uses uint32_t without including it */
#define LIBISOFS_WITHOUT_LIBBURN yes
#include <libisofs/libisofs.h>

#include "context/iso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "util/error.h"

#define ISO_BLOCK 2048
#define WRITE_CHUNK (32 * ISO_BLOCK)

/* Returns the iso_init result (1, or < 0 on error) as a pointer for g_once. */
static gpointer
init_once(gpointer unused)
{
  (void)unused;
  /* bit0: do not take the charset from LC_*; names are UTF-8 on our side. */
  int rc = iso_init_with_flag(1);
  if (rc < 0)
    return GINT_TO_POINTER(rc);
  iso_set_local_charset("UTF-8", 0);
  iso_set_msgs_severities("NEVER", "FATAL", "libisofs: ");
  return GINT_TO_POINTER(1);
}

static gboolean
ensure_init(GError **error)
{
  static GOnce once = G_ONCE_INIT;
  int rc = GPOINTER_TO_INT(g_once(&once, init_once, NULL));

  if (rc < 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "libisofs initialisation failed: %s",
                iso_error_to_msg(rc));
    return FALSE;
  }
  return TRUE;
}

static gboolean
iso_fail(GError **error, int rc, const char *what)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "%s: %s", what, iso_error_to_msg(rc));
  return FALSE;
}

static gboolean
valid_volume_id(const char *id)
{
  gsize len = id != NULL ? strlen(id) : 0;

  if (len == 0 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!(g_ascii_isupper(id[i]) || g_ascii_isdigit(id[i]) || id[i] == '_'))
      return FALSE;
  return TRUE;
}

/* Finds or creates the directory `name` in parent. */
static IsoDir *
get_dir(IsoImage *image, IsoDir *parent, const char *name, const char *path, GError **error)
{
  IsoNode *node = NULL;
  IsoDir *dir = NULL;
  int rc;

  if (iso_dir_get_node(parent, name, &node) == 1) {
    if (iso_node_get_type(node) != LIBISO_DIR) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "ISO entry %s: %s is a file", path, name);
      return NULL;
    }
    return (IsoDir *)node;
  }
  rc = iso_image_add_new_dir(image, parent, name, &dir);
  if (rc < 0) {
    iso_fail(error, rc, path);
    return NULL;
  }
  iso_node_set_permissions((IsoNode *)dir, 0755);
  return dir;
}

static gboolean
add_entry(IsoImage *image, const SlIsoEntry *entry, GError **error)
{
  g_auto(GStrv) parts = NULL;
  IsoDir *dir = iso_image_get_root(image);
  IsoStream *stream = NULL;
  IsoFile *file = NULL;
  IsoNode *existing = NULL;
  guint n;
  gsize size = 0;
  const guint8 *bytes;
  unsigned char *copy;
  int rc;

  if (entry->path == NULL || entry->data == NULL) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "ISO entry without path or data");
    return FALSE;
  }
  parts = g_strsplit(entry->path, "/", -1);
  n = g_strv_length(parts);
  for (guint i = 0; i < n; i++) {
    if (parts[i][0] == '\0' || g_str_equal(parts[i], ".") || g_str_equal(parts[i], "..") ||
        strlen(parts[i]) > 255) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid ISO entry path: %s", entry->path);
      return FALSE;
    }
  }
  if (n == 0 || !g_utf8_validate(entry->path, -1, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid ISO entry path: %s", entry->path);
    return FALSE;
  }
  for (guint i = 0; i + 1 < n; i++) {
    dir = get_dir(image, dir, parts[i], entry->path, error);
    if (dir == NULL)
      return FALSE;
  }
  if (iso_dir_get_node(dir, parts[n - 1], &existing) == 1) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "duplicate ISO entry: %s", entry->path);
    return FALSE;
  }

  /* iso_memory_stream_new takes ownership and releases the buffer with free(). */
  bytes = g_bytes_get_data(entry->data, &size);
  copy = malloc(size > 0 ? size : 1);
  if (copy == NULL)
    g_error("out of memory");
  if (size > 0)
    memcpy(copy, bytes, size);
  rc = iso_memory_stream_new(copy, size, &stream);
  if (rc < 0) {
    free(copy);
    return iso_fail(error, rc, entry->path);
  }
  /* On success the new file node takes over our reference to the stream. */
  rc = iso_image_add_new_file(image, dir, parts[n - 1], stream, &file);
  if (rc < 0) {
    iso_stream_unref(stream);
    return iso_fail(error, rc, entry->path);
  }
  iso_node_set_permissions((IsoNode *)file, entry->mode & 07777);
  return TRUE;
}

static IsoWriteOpts *
make_opts(GError **error)
{
  IsoWriteOpts *opts = NULL;
  char uuid[17];
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(SL_ISO_TIMESTAMP);
  g_autofree gchar *stamp = g_date_time_format(t, "%Y%m%d%H%M%S00");
  int rc;

  rc = iso_write_opts_new(&opts, 1); /* BACKUP profile: Rock Ridge, ISO level 3 */
  if (rc < 0) {
    iso_fail(error, rc, "iso_write_opts_new");
    return NULL;
  }
  g_strlcpy(uuid, stamp, sizeof uuid);
  iso_write_opts_set_joliet(opts, 1);
  iso_write_opts_set_always_gmt(opts, 1);
  iso_write_opts_set_replace_mode(opts, 0, 0, 2, 2);
  iso_write_opts_set_default_uid(opts, 0);
  iso_write_opts_set_default_gid(opts, 0);
  iso_write_opts_set_replace_timestamps(opts, 2);
  iso_write_opts_set_default_timestamp(opts, (time_t)SL_ISO_TIMESTAMP);
  iso_write_opts_set_dir_rec_mtime(opts, 7);
  iso_write_opts_set_pvd_times(opts, (time_t)SL_ISO_TIMESTAMP, (time_t)SL_ISO_TIMESTAMP, 0, 0,
                               uuid);
  return opts;
}

static gboolean
write_all(int fd, const guint8 *buf, gsize len, const char *path, GError **error)
{
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot write %s: %s", path, g_strerror(err));
      return FALSE;
    }
    buf += w;
    len -= (gsize)w;
  }
  return TRUE;
}

/* Pulls the image out of the burn source into fd. */
static gboolean
stream_image(struct burn_source *src, int fd, const char *path, GError **error)
{
  g_autofree guint8 *buf = g_malloc(WRITE_CHUNK);
  gsize fill = 0;

  for (;;) {
    int got = src->read_xt(src, buf + fill, ISO_BLOCK);
    if (got < 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "libisofs failed writing %s", path);
      return FALSE;
    }
    fill += (gsize)got;
    if (got == 0 || fill == WRITE_CHUNK) {
      if (!write_all(fd, buf, fill, path, error))
        return FALSE;
      fill = 0;
    }
    if (got == 0)
      return TRUE;
  }
}

gboolean
sl_iso_write(const char *path, const char *volume_id, const SlIsoEntry *entries, gsize n,
             GError **error)
{
  IsoImage *image = NULL;
  IsoWriteOpts *opts = NULL;
  struct burn_source *src = NULL;
  g_autofree gchar *tmp = NULL;
  gboolean ok = FALSE;
  int fd = -1, rc;

  if (!ensure_init(error))
    return FALSE;
  if (!valid_volume_id(volume_id)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid ISO volume label: %s",
                volume_id != NULL ? volume_id : "(null)");
    return FALSE;
  }
  rc = iso_image_new(volume_id, &image);
  if (rc < 0)
    return iso_fail(error, rc, "iso_image_new");
  iso_image_set_volume_id(image, volume_id);
  iso_image_set_application_id(image, "STRATUSLAB");
  iso_image_set_data_preparer_id(image, "STRATUSLAB");
  iso_node_set_permissions((IsoNode *)iso_image_get_root(image), 0755);
  for (gsize i = 0; i < n; i++)
    if (!add_entry(image, &entries[i], error))
      goto out;

  opts = make_opts(error);
  if (opts == NULL)
    goto out;
  rc = iso_image_create_burn_source(image, opts, &src);
  if (rc < 0) {
    iso_fail(error, rc, "iso_image_create_burn_source");
    goto out;
  }

  tmp = g_strconcat(path, ".XXXXXX", NULL);
  fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0640);
  if (fd < 0) {
    int err = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", tmp, g_strerror(err));
    g_clear_pointer(&tmp, g_free);
    goto out;
  }
  if (!stream_image(src, fd, tmp, error))
    goto out;
  if (close(fd) != 0) {
    int err = errno;
    fd = -1;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot write %s: %s", tmp, g_strerror(err));
    goto out;
  }
  fd = -1;
  if (g_rename(tmp, path) != 0) {
    int err = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot rename %s to %s: %s", tmp, path,
                g_strerror(err));
    goto out;
  }
  g_clear_pointer(&tmp, g_free);
  ok = TRUE;

out:
  if (fd >= 0)
    close(fd);
  if (tmp != NULL)
    g_unlink(tmp);
  if (src != NULL) {
    if (!ok && src->cancel != NULL)
      src->cancel(src);
    src->free_data(src);
    free(src);
  }
  if (opts != NULL)
    iso_write_opts_free(opts);
  iso_image_unref(image);
  return ok;
}

struct SlIsoImage {
  IsoImage *image;
  IsoReadImageFeatures *features;
  gchar *volume_id;
};

SlIsoImage *
sl_iso_open(const char *path, GError **error)
{
  g_autoptr(SlIsoImage) self = g_new0(SlIsoImage, 1);
  IsoDataSource *ds = NULL;
  IsoReadOpts *ropts = NULL;
  int rc;

  if (!ensure_init(error))
    return NULL;
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no ISO image at %s", path);
    return NULL;
  }
  rc = iso_image_new("import", &self->image);
  if (rc < 0) {
    iso_fail(error, rc, "iso_image_new");
    return NULL;
  }
  rc = iso_data_source_new_from_file(path, &ds);
  if (rc < 0) {
    iso_fail(error, rc, path);
    return NULL;
  }
  rc = iso_read_opts_new(&ropts, 0);
  if (rc >= 0)
    rc = iso_image_import(self->image, ds, ropts, &self->features);
  if (ropts != NULL)
    iso_read_opts_free(ropts);
  iso_data_source_unref(ds);
  if (rc < 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "cannot read ISO image %s: %s", path,
                iso_error_to_msg(rc));
    return NULL;
  }
  self->volume_id = g_strdup(iso_image_get_volume_id(self->image));
  return g_steal_pointer(&self);
}

void
sl_iso_close(SlIsoImage *self)
{
  if (self == NULL)
    return;
  if (self->features != NULL)
    iso_read_image_features_destroy(self->features);
  if (self->image != NULL)
    iso_image_unref(self->image);
  g_free(self->volume_id);
  g_free(self);
}

const char *
sl_iso_volume_id(SlIsoImage *self)
{
  return self->volume_id;
}

gboolean
sl_iso_has_rock_ridge(SlIsoImage *self)
{
  return iso_read_image_features_has_rockridge(self->features) != 0;
}

gboolean
sl_iso_has_joliet(SlIsoImage *self)
{
  return iso_read_image_features_has_joliet(self->features) != 0;
}

GBytes *
sl_iso_read(SlIsoImage *self, const char *path, guint *mode, GError **error)
{
  g_autofree gchar *abs = g_strconcat("/", path, NULL);
  IsoNode *node = NULL;
  IsoStream *stream;
  GByteArray *out;
  guint8 buf[16384];
  int rc;

  rc = iso_tree_path_to_node(self->image, abs, &node);
  if (rc != 1 || iso_node_get_type(node) != LIBISO_FILE) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no file %s in the ISO image", path);
    return NULL;
  }
  stream = iso_file_get_stream((IsoFile *)node);
  rc = iso_stream_open(stream);
  if (rc < 0) {
    iso_fail(error, rc, path);
    return NULL;
  }
  out = g_byte_array_new();
  while ((rc = iso_stream_read(stream, buf, sizeof buf)) > 0)
    g_byte_array_append(out, buf, (guint)rc);
  iso_stream_close(stream);
  if (rc < 0) {
    g_byte_array_unref(out);
    iso_fail(error, rc, path);
    return NULL;
  }
  if (mode != NULL)
    *mode = iso_node_get_permissions(node) & 07777;
  return g_byte_array_free_to_bytes(out);
}
