/* digest.h - every checksum of an image in ONE pass over its bytes.
 *
 * The Marketplace lists MD5, SHA-1, SHA-256 and SHA-512 of an image
 * (protocols.md §5.2); the identifier is derived from the SHA-1
 * (identifier.h). A multi-digest takes the bytes once, in pieces of any size,
 * and hands them in 1 MiB refcounted chunks (GBytes) to one worker thread per
 * digest (GAsyncQueue each, at most SL_DIGEST_WINDOW chunks in flight), so the
 * digests run in parallel with each other and with the caller (download,
 * decompression, writes). Inputs smaller than one chunk are hashed inline.
 *
 * SHA-1 is always computed. Not thread-safe: one feeding thread. OpenSSL
 * failures abort (g_error), as in identifier.c.
 */
#pragma once
#include <glib.h>

#include "image/identifier.h"

typedef enum {
  SL_DIGEST_MD5,
  SL_DIGEST_SHA1,
  SL_DIGEST_SHA256,
  SL_DIGEST_SHA512,
  SL_DIGEST_N
} SlDigest;

#define SL_DIGEST_BIT(d) (1u << (d))
#define SL_DIGEST_ALL ((1u << SL_DIGEST_N) - 1)
#define SL_DIGEST_MAX_HEX 128 /* SHA-512 */
#define SL_DIGEST_CHUNK (1u << 20)
#define SL_DIGEST_WINDOW 8

/* "MD5", "SHA-1", "SHA-256", "SHA-512" (the Marketplace spelling). */
const char *sl_digest_name(SlDigest d);
/* Any spelling: case, '-', '_' and ' ' ignored ("sha256", "SHA-256"). */
gboolean sl_digest_from_name(const char *name, SlDigest *out);
/* Hex digits of the digest (32, 40, 64, 128). */
gsize sl_digest_hex_len(SlDigest d);

typedef struct {
  guint mask;                                   /* digests computed (SHA-1 always) */
  char hex[SL_DIGEST_N][SL_DIGEST_MAX_HEX + 1]; /* lower case; "" when not computed */
  guint8 sha1[SL_SHA1_LEN];
  char identifier[SL_IDENTIFIER_LEN + 1];
  guint64 bytes;
} SlDigestResult;

typedef struct SlMultiDigest SlMultiDigest;
/* mask: SL_DIGEST_BIT()s; SHA-1 is added. */
SlMultiDigest *sl_multi_digest_new(guint mask);
void sl_multi_digest_update(SlMultiDigest *md, const void *data, gsize len);
/* Waits for the workers and writes every digest; no update afterwards. */
void sl_multi_digest_finish(SlMultiDigest *md, SlDigestResult *res);
/* Stops the workers if still running (error paths need not finish). */
void sl_multi_digest_free(SlMultiDigest *md);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMultiDigest, sl_multi_digest_free)

/* Reads the file at path once through a multi-digest (SL_ERROR_NOT_FOUND or
 * SL_ERROR_INTERNAL "cannot read <path>: ..."). */
gboolean sl_digest_file(const char *path, guint mask, SlDigestResult *res, GError **error);
