/* vfat.h - small FAT12 file systems written in-process (the _CLOUD_INIT disk).
 *
 * The image is laid out as mkfs.vfat lays out a 1,024,000-byte disk: 512-byte
 * sectors, 1 reserved sector, 2 FATs, 512 root directory entries, FAT12 with
 * the smallest power-of-two cluster that keeps under 4085 clusters (4 sectors
 * for 1,024,000 bytes: 490 clusters). Names that are not plain 8.3 in one
 * case get VFAT long-name entries (".ssh", "authorized_keys"); plain lower
 * case 8.3 names ("meta.js", "root") use the NT lower-case flags instead,
 * as Linux and mtools do. Output is deterministic: every timestamp is
 * SL_ISO_TIMESTAMP (2013-05-01 00:00:00), the volume serial is 2013-0501 and
 * the contents are laid out in entry order. The file is written to a
 * temporary file and renamed over path (mode 0640).
 *
 * Errors: SL_ERROR_INVALID for bad sizes, labels, paths, duplicates or data
 * that does not fit; SL_ERROR_INTERNAL for I/O.
 */
#pragma once
#include <glib.h>

typedef struct {
  const char *path; /* relative, '/'-separated; parent directories are created */
  GBytes *data;     /* borrowed */
} SlVfatEntry;

/* size: 64 KiB .. 32 MiB, a multiple of 512. label: 1..11 characters of
 * A-Z 0-9 _ - (upper case). */
gboolean sl_vfat_write(const char *path, const char *label, gsize size, const SlVfatEntry *entries,
                       gsize n, GError **error);
/* The same into memory. */
GBytes *sl_vfat_build(const char *label, gsize size, const SlVfatEntry *entries, gsize n,
                      GError **error);
