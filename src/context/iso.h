/* iso.h - ISO9660 images (Rock Ridge + Joliet) written in-process with libisofs.
 *
 * Used for the contextualization CD (label _STRATUSLAB) and read-only data
 * CDs. Output is deterministic: every file, directory and volume timestamp is
 * SL_ISO_TIMESTAMP (recorded in GMT), owners are root:root, so the same entries
 * give the same bytes. The file is written to "<path>.XXXXXX" in the same
 * directory and renamed over <path>, mode 0640 (the original used 0660).
 * Thread-safe: libisofs is initialised once, each call has its own image.
 *
 * Errors: SL_ERROR_INVALID for bad entries (path, duplicate, label),
 * SL_ERROR_INTERNAL for libisofs or I/O failures, SL_ERROR_NOT_FOUND when an
 * image or a file inside it is missing.
 */
#pragma once
#include <glib.h>

/* 2013-05-01 00:00:00 UTC (StratusLab 13.05). */
#define SL_ISO_TIMESTAMP G_GINT64_CONSTANT(1367366400)

typedef struct {
  const char *path; /* relative, '/'-separated; parent directories are created (0755) */
  GBytes *data;     /* file content (borrowed; copied into the image) */
  guint mode;       /* permission bits, e.g. 0644 */
} SlIsoEntry;

/* Writes an image with volume label volume_id (1..32 characters of A-Z 0-9 _,
 * the ISO9660 d-characters) holding the n entries. */
gboolean sl_iso_write(const char *path, const char *volume_id, const SlIsoEntry *entries, gsize n,
                      GError **error);

/* Reading back (tests, recovery checks). */
typedef struct SlIsoImage SlIsoImage;
SlIsoImage *sl_iso_open(const char *path, GError **error);
void sl_iso_close(SlIsoImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlIsoImage, sl_iso_close)
const char *sl_iso_volume_id(SlIsoImage *image);
gboolean sl_iso_has_rock_ridge(SlIsoImage *image);
gboolean sl_iso_has_joliet(SlIsoImage *image);
/* Content of the file at path ("context.sh", "a/b"); its permission bits in
 * *mode if mode is not NULL. */
GBytes *sl_iso_read(SlIsoImage *image, const char *path, guint *mode, GError **error);
