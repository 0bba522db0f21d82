/* identifier.h - StratusLab image identifier = f(SHA-1) (protocols.md §5.3).
 *
 * The identifier is the 160-bit SHA-1 of the uncompressed image, read as a
 * big-endian unsigned integer and written as 27 digits of the URL-safe base64
 * alphabet (A-Z a-z 0-9 - _), most significant first, left-padded with 'A'.
 * 2^160 = 16 × 64^26, so the first character is always 'A'..'P' (value < 16;
 * protocols.md says A-D, but its own vectors start with M and N).
 *
 * Errors are in the SL_ERROR domain: SL_ERROR_INVALID with the messages of the
 * original ("invalid identifier", "invalid SHA-1 checksum"), SL_ERROR_NOT_FOUND
 * or SL_ERROR_INTERNAL for file I/O.
 */
#pragma once
#include <glib.h>

#define SL_SHA1_LEN 20       /* bytes of a SHA-1 digest */
#define SL_SHA1_HEX_LEN 40   /* lower-case hex digits of a SHA-1 digest */
#define SL_IDENTIFIER_LEN 27 /* characters of an identifier (no NUL) */

/* Writes the 27-character identifier of sha1 plus a NUL into out. */
void sl_identifier_from_sha1(const guint8 sha1[SL_SHA1_LEN], char out[SL_IDENTIFIER_LEN + 1]);

/* Decodes an identifier into the 20 SHA-1 bytes. Fails with
 * "invalid identifier" unless id is exactly 27 alphabet characters, and with
 * "invalid SHA-1 checksum" when the value does not fit 160 bits. */
gboolean sl_identifier_to_sha1(const char *id, guint8 sha1[SL_SHA1_LEN], GError **error);

/* TRUE when id decodes (27 alphabet characters, first one 'A'..'P'). */
gboolean sl_identifier_is_valid(const char *id);

/* Identifier of a hex SHA-1 string. Any length and case, leading zeros
 * allowed: the value is compared numerically (protocols.md §5.3, last row).
 * Empty, non-hex or > 160-bit input fails with "invalid SHA-1 checksum".
 * Returns a newly allocated string. */
gchar *sl_identifier_from_hex(const char *hex, GError **error);

/* Parses a hex SHA-1 (same rules as sl_identifier_from_hex) into bytes. */
gboolean sl_sha1_from_hex(const char *hex, guint8 sha1[SL_SHA1_LEN], GError **error);

/* Lower-case 40-digit hex of sha1 plus a NUL into out. */
void sl_sha1_to_hex(const guint8 sha1[SL_SHA1_LEN], char out[SL_SHA1_HEX_LEN + 1]);

/* Incremental SHA-1 for data that arrives in pieces (download, decompression). */
typedef struct SlSha1 SlSha1;
SlSha1 *sl_sha1_new(void);
void sl_sha1_update(SlSha1 *ctx, const void *data, gsize len);
/* Writes the digest; the context must not be updated afterwards. */
void sl_sha1_finish(SlSha1 *ctx, guint8 sha1[SL_SHA1_LEN]);
void sl_sha1_free(SlSha1 *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlSha1, sl_sha1_free)

/* Streams the file at path through SHA-1 (1 MiB reads). On success stores a
 * newly allocated hex digest in *hex_out and identifier in *id_out (either may
 * be NULL) and, if size_out is not NULL, the number of bytes read. */
gboolean sl_sha1_file(const char *path, gchar **hex_out, gchar **id_out, guint64 *size_out,
                      GError **error);
