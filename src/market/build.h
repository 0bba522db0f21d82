/* build.h - new metadata entries (stratus-build-metadata) and deprecation
 * (stratus-deprecate-metadata), protocols.md §5.2, §5.5, §7.1. */
#pragma once
#include <glib.h>

#include "market/entry.h"
#include "market/sign.h"

/* Default validity of a new entry: (356/2)×24 h = 178 days (the 13.05
 * client's arithmetic, sic). */
#define SL_MARKET_DEFAULT_VALIDITY_HOURS (356 / 2 * 24)

/* Compression of an image file: "gz", "bz2", "xz" or "" (none). */
const char *sl_market_compression_from_name(const char *path);

/* Streams the image through MD5, SHA-1, SHA-256 and SHA-512, decompressing
 * it first when compression is "gz", "bz2" or "xz" (the checksums, size and
 * identifier are those of the UNCOMPRESSED image). Adds the checksums (in
 * that order, lower-case hex) to entry, and sets bytes, sha1 and identifier.
 * Errors: SL_ERROR_NOT_FOUND (no file), SL_ERROR_INVALID (bad compressed
 * data, unknown compression). */
gboolean sl_market_hash_image(const char *path, const char *compression, SlMarketEntry *entry,
                              GError **error);

/* Fields of a new entry; NULL fields take the defaults shown. */
typedef struct {
  const char *type;                                /* "base" */
  const char *kind;                                /* "machine" */
  const char *os, *os_version, *os_arch, *version; /* "" */
  const char *compression;                         /* from the file name */
  const char *const *locations;
  const char *format;              /* "raw" */
  const char *creator;             /* left out */
  const char *title, *alternative; /* left out */
  const char *description;         /* "" */
  const char *hypervisor;          /* "kvm" */
  const char *disks_bus;           /* "ide" */
  const char *publisher;           /* "StratusLab" */
  const char *valid;               /* end of validity; NULL: now + validity_hours */
  gint64 validity_hours;           /* 0: SL_MARKET_DEFAULT_VALIDITY_HOURS */
  GDateTime *now;                  /* build time; NULL: now */
} SlMarketBuildInfo;

/* Hashes the image and fills an unsigned entry (serialise it with
 * sl_market_entry_to_xml). Fails on an invalid `valid` date. */
SlMarketEntry *sl_market_build(const char *image_path, const SlMarketBuildInfo *info,
                               GError **error);

/* "<os>-<os-version>-<os-arch>-<type>-<version>.xml" (§1.1). */
char *sl_market_build_filename(const SlMarketEntry *entry);

/* A deprecating copy of a (signed) entry: slterms:deprecated (reason, default
 * "This image has been deprecated") replaces any existing one, appended as the
 * last property of rdf:Description, then the document is re-signed
 * (sl_market_sign: new endorsement, created = now). */
char *sl_market_deprecate(const char *data, gsize len, const char *reason,
                          const SlMarketCredentials *creds, const char *email, GDateTime *now,
                          gsize *out_len, GError **error);
