/* fetch.h - image download into the image cache (docs/images.md).
 *
 * sl_fetch_image() downloads a Marketplace image from its location (libcurl:
 * http, https, file), decompresses it on the fly (gz, bz2, xz: zlib, libbz2,
 * liblzma streaming; concatenated streams accepted), counts the uncompressed
 * bytes and computes every listed checksum (MD5, SHA-1, SHA-256, SHA-512)
 * while the data streams into a temp file of the cache directory, and makes
 * the image visible in the cache only when the size and every checksum match
 * (temp file + rename, sl_image_cache_commit()). Whatever fails, no partial
 * file is left behind.
 *
 * SlFetcher adds the per-identifier in-flight table: concurrent requests for
 * the same identifier share one download; their callbacks all run (in the
 * thread-default main context of each caller) when it ends.
 *
 * Errors (SL_ERROR domain): SL_ERROR_UNAVAILABLE for transport failures
 * ("cannot download <url>: <curl message>", "HTTP 404 from <url>",
 * "download interrupted: ..."), SL_ERROR_INVALID for content that does not
 * match the metadata ("size mismatch: expected N bytes, got M", "<ALG>
 * checksum mismatch: expected X, got Y", "corrupt gz data: ..."),
 * SL_ERROR_INTERNAL for local I/O.
 */
#pragma once
#include <gio/gio.h>

#include "image/cache.h"

/* Progress of a download: uncompressed bytes so far and the expected total
 * (0 = unknown). Called from the downloading thread, at most ~10 times/s. */
typedef void (*SlFetchProgressFunc)(guint64 done, guint64 total, gpointer data);

typedef struct {
  const char *url;                 /* http://, https://, file:// */
  const char *const *alternatives; /* NULL-terminated URLs tried in order when url fails */
  const char *compression;         /* "gz", "bz2", "xz"; NULL, "" or "none" = not compressed */
  gboolean check_bytes;            /* compare the uncompressed size with `bytes` */
  guint64 bytes;
  /* NULL-terminated list of pairs: algorithm ("MD5", "SHA-1", "SHA-256",
   * "SHA-512", case and dash insensitive), hex value. Unknown algorithms are
   * refused (SL_ERROR_INVALID "unsupported checksum algorithm"). */
  const char *const *checksums;
  const char *ca_file;    /* CA bundle trusted in addition to the system store, or NULL */
  long connect_timeout_s; /* 0 = 10 */
  long low_speed_time_s;  /* abort when < 1 byte/s for this long; 0 = 60 */
  SlFetchProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;
} SlFetchRequest;

/* What a download produced (the image is already verified). */
typedef struct {
  guint8 sha1[20];
  guint64 bytes;      /* uncompressed */
  guint64 wire_bytes; /* as transferred */
  const char *kind;   /* "raw" or "qcow2" (static string) */
} SlFetchResult;

/* Downloads, decompresses and verifies into fd (written from its current
 * offset, all-zero 64 KiB blocks left as holes). `what` names fd in errors. */
gboolean sl_fetch_to_fd(const SlFetchRequest *req, int fd, const char *what, SlFetchResult *result,
                        GError **error);

/* Downloads into the cache (see above). An image already cached is returned
 * as it is, without a download. */
SlImage *sl_fetch_image(SlImageCache *cache, const SlFetchRequest *req, GError **error);

/* ---- in-flight table -------------------------------------------------------- */

typedef struct SlFetcher SlFetcher;
/* image is borrowed (NULL on error). */
typedef void (*SlFetchDoneFunc)(const SlImage *image, const GError *error, gpointer data);

SlFetcher *sl_fetcher_new(SlImageCache *cache);
/* Waits for the downloads in flight (their callbacks are dropped). */
void sl_fetcher_free(SlFetcher *fetcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlFetcher, sl_fetcher_free)

/* Starts (or joins) the download of `identifier` in a thread; req is copied.
 * done runs once, in the caller's thread-default main context. A cached
 * image completes at once (from an idle source). Returns TRUE when this call
 * started a new download. */
gboolean sl_fetcher_fetch(SlFetcher *fetcher, const char *identifier, const SlFetchRequest *req,
                          SlFetchDoneFunc done, gpointer data);
/* Percentage (0..100) of the download of identifier in flight, or -1. */
int sl_fetcher_progress(SlFetcher *fetcher, const char *identifier);
/* Number of downloads started since creation (tests). */
guint sl_fetcher_started(SlFetcher *fetcher);

/* ---- streaming decompression (decompress.c) ------------------------------- */

typedef gboolean (*SlSinkFunc)(const guint8 *data, gsize len, gpointer user, GError **error);
typedef struct SlDecompressor SlDecompressor;

/* compression as in SlFetchRequest; unknown values fail with
 * SL_ERROR_INVALID "unsupported compression: <x>". */
SlDecompressor *sl_decompressor_new(const char *compression, SlSinkFunc sink, gpointer user,
                                    GError **error);
/* Feeds compressed bytes; output goes to sink. Corrupt input fails with
 * SL_ERROR_INVALID "corrupt <gz|bz2|xz> data: <detail>". */
gboolean sl_decompressor_feed(SlDecompressor *d, const guint8 *data, gsize len, GError **error);
/* End of input: fails with "truncated <fmt> data" unless a stream ended. */
gboolean sl_decompressor_finish(SlDecompressor *d, GError **error);
void sl_decompressor_free(SlDecompressor *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlDecompressor, sl_decompressor_free)
