/* cache.h - the image cache: DATA/images/<identifier>.img, one row per image.
 *
 * An image is known by its StratusLab identifier (identifier.h). A cached
 * file is written once (temp file in the cache dir, SHA-1 computed while
 * copying, fsync, rename), made 0444 and never written again: VMs boot from
 * qcow2 overlays whose absolute backing path is the cached file.
 *
 * Crash safety: the file is renamed into place before its row is inserted,
 * and a row is deleted before its file is unlinked. sl_image_cache_recover()
 * (daemon start-up) removes temp files of dead processes, files without a
 * row and rows without a file.
 *
 * Functions are thread-safe (the store is; the file system does the rest).
 * Errors: SL_ERROR codes (NOT_FOUND, CONFLICT, INVALID, INTERNAL).
 */
#pragma once
#include <gio/gio.h>

#include "conf/vm.h"
#include "store/store.h"

typedef struct SlImageCache SlImageCache;

/* Creates DATA/images if needed. The store must outlive the cache. */
SlImageCache *sl_image_cache_new(SlStore *store, const char *data_dir, GError **error);
void sl_image_cache_free(SlImageCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlImageCache, sl_image_cache_free)

/* The cache directory (absolute). */
const char *sl_image_cache_dir(SlImageCache *cache);

/* Start-up clean-up (see above). *removed (may be NULL) counts what went. */
gboolean sl_image_cache_recover(SlImageCache *cache, guint *removed, GError **error);

/* Copies the bytes of `in` into the cache. expected_sha1 (hex, may be NULL) is
 * checked before anything becomes visible (SL_ERROR_INVALID "checksum
 * mismatch …"). An image already cached returns its existing record. This is
 * the one entry point for every source: local files and, later, Marketplace
 * downloads (after decompression). */
SlImage *sl_image_cache_add_stream(SlImageCache *cache, GInputStream *in, const char *expected_sha1,
                                   GCancellable *cancellable, GError **error);
/* Registers a local image file (read, never moved or modified). */
SlImage *sl_image_cache_add_file(SlImageCache *cache, const char *path, GError **error);

/* Registers a local file whose SHA-1 (hex) is already known, e.g. just
 * computed by the caller in the same pass as its other checksums: the file is
 * checked by size only (SL_ERROR_INVALID "size mismatch"), its data extents
 * copied in the kernel (holes kept, no second hash), chmod 0444, fsync,
 * rename. The source is read, never moved or modified (it may be a writable
 * pdisk volume, so no hard link). An image already cached returns its record. */
SlImage *sl_image_cache_add_known(SlImageCache *cache, const char *path, const char *sha1_hex,
                                  guint64 bytes, GError **error);

/* For writers that produce the bytes themselves (fetch.h: Marketplace
 * downloads): a new temp file in the cache directory (removed by recovery if
 * the process dies), then commit = rename to <identifier>.img (identifier of
 * sha1) and insert the row; an image already cached is returned instead and
 * the temp file removed. The caller verified, chmod-ed and fsync-ed the file. */
int sl_image_cache_temp(SlImageCache *cache, char **path, GError **error);
SlImage *sl_image_cache_commit(SlImageCache *cache, const char *tmp_path, const guint8 sha1[20],
                               guint64 bytes, const char *kind, GError **error);
/* DATA/images/<identifier>.xml: the signed Marketplace entry an image was
 * fetched with (docs/images.md), removed with the image. */
char *sl_image_cache_entry_path(SlImageCache *cache, const char *identifier);

/* The record of a cached image (SL_ERROR_NOT_FOUND "image <id> is not in the
 * image cache"). */
SlImage *sl_image_cache_get(SlImageCache *cache, const char *identifier, GError **error);
/* Absolute path of the cached file of a ready image. */
char *sl_image_cache_lookup(SlImageCache *cache, const char *identifier, GError **error);
GPtrArray *sl_image_cache_list(SlImageCache *cache, GError **error); /* SlImage* */
/* Refuses (SL_ERROR_CONFLICT) while a VM that is not Done/Failed uses it. */
gboolean sl_image_cache_remove(SlImageCache *cache, const char *identifier, GError **error);
