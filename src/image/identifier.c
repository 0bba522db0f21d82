/* identifier.c - StratusLab image identifier = f(SHA-1) (protocols.md §5.3). */
#include "image/identifier.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/error.h"

#define SHA1_READ_BUFFER (1024 * 1024)

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
digit_value(char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

void
sl_identifier_from_sha1(const guint8 sha1[SL_SHA1_LEN], char out[SL_IDENTIFIER_LEN + 1])
{
  /* base64url(0x00 || sha1): 21 bytes = 7 groups of 3 bytes = 28 digits; the
   * first digit is always 'A' and is dropped. */
  guint8 buf[SL_SHA1_LEN + 1] = {0};
  char digits[SL_IDENTIFIER_LEN + 1];

  memcpy(buf + 1, sha1, SL_SHA1_LEN);
  for (int g = 0; g < 7; g++) {
    guint32 v = ((guint32)buf[3 * g] << 16) | ((guint32)buf[3 * g + 1] << 8) | buf[3 * g + 2];
    for (int k = 0; k < 4; k++)
      digits[4 * g + k] = alphabet[(v >> (18 - 6 * k)) & 0x3f];
  }
  memcpy(out, digits + 1, SL_IDENTIFIER_LEN);
  out[SL_IDENTIFIER_LEN] = '\0';
}

gboolean
sl_identifier_to_sha1(const char *id, guint8 sha1[SL_SHA1_LEN], GError **error)
{
  int values[SL_IDENTIFIER_LEN + 1];
  guint8 buf[SL_SHA1_LEN + 1];

  if (id == NULL || strlen(id) != SL_IDENTIFIER_LEN) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid identifier");
    return FALSE;
  }
  values[0] = 0;
  for (int i = 0; i < SL_IDENTIFIER_LEN; i++) {
    values[i + 1] = digit_value(id[i]);
    if (values[i + 1] < 0) {
      g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid identifier");
      return FALSE;
    }
  }
  /* 27 digits carry 162 bits; a SHA-1 has 160, so the first digit is < 16. */
  if (values[1] >= 16) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid SHA-1 checksum");
    return FALSE;
  }
  for (int g = 0; g < 7; g++) {
    guint32 v = 0;
    for (int k = 0; k < 4; k++)
      v = (v << 6) | (guint32)values[4 * g + k];
    buf[3 * g] = (guint8)(v >> 16);
    buf[3 * g + 1] = (guint8)(v >> 8);
    buf[3 * g + 2] = (guint8)v;
  }
  g_assert(buf[0] == 0);
  memcpy(sha1, buf + 1, SL_SHA1_LEN);
  return TRUE;
}

gboolean
sl_identifier_is_valid(const char *id)
{
  guint8 sha1[SL_SHA1_LEN];

  return sl_identifier_to_sha1(id, sha1, NULL);
}

gboolean
sl_sha1_from_hex(const char *hex, guint8 sha1[SL_SHA1_LEN], GError **error)
{
  gsize len, start = 0;

  if (hex == NULL || hex[0] == '\0')
    goto invalid;
  len = strlen(hex);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit(hex[i]))
      goto invalid;
  /* Numeric comparison: leading zeros do not count towards the 160 bits. */
  while (start < len && hex[start] == '0')
    start++;
  if (len - start > SL_SHA1_HEX_LEN)
    goto invalid;

  memset(sha1, 0, SL_SHA1_LEN);
  /* Fill from the least significant digit (the end of the string). */
  for (gsize i = 0; i < len - start; i++) {
    int v = g_ascii_xdigit_value(hex[len - 1 - i]);
    gsize byte = SL_SHA1_LEN - 1 - i / 2;
    sha1[byte] |= (guint8)(i % 2 == 0 ? v : v << 4);
  }
  return TRUE;

invalid:
  g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid SHA-1 checksum");
  return FALSE;
}

gchar *
sl_identifier_from_hex(const char *hex, GError **error)
{
  guint8 sha1[SL_SHA1_LEN];
  char id[SL_IDENTIFIER_LEN + 1];

  if (!sl_sha1_from_hex(hex, sha1, error))
    return NULL;
  sl_identifier_from_sha1(sha1, id);
  return g_strdup(id);
}

void
sl_sha1_to_hex(const guint8 sha1[SL_SHA1_LEN], char out[SL_SHA1_HEX_LEN + 1])
{
  static const char hexdigits[] = "0123456789abcdef";

  for (int i = 0; i < SL_SHA1_LEN; i++) {
    out[2 * i] = hexdigits[sha1[i] >> 4];
    out[2 * i + 1] = hexdigits[sha1[i] & 0xf];
  }
  out[SL_SHA1_HEX_LEN] = '\0';
}

struct SlSha1 {
  EVP_MD_CTX *md;
};

SlSha1 *
sl_sha1_new(void)
{
  SlSha1 *ctx = g_new0(SlSha1, 1);

  ctx->md = EVP_MD_CTX_new();
  if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha1(), NULL) != 1)
    g_error("sl_sha1_new: OpenSSL cannot initialise SHA-1");
  return ctx;
}

void
sl_sha1_update(SlSha1 *ctx, const void *data, gsize len)
{
  if (len > 0 && EVP_DigestUpdate(ctx->md, data, len) != 1)
    g_error("sl_sha1_update: OpenSSL SHA-1 update failed");
}

void
sl_sha1_finish(SlSha1 *ctx, guint8 sha1[SL_SHA1_LEN])
{
  unsigned int n = 0;

  if (EVP_DigestFinal_ex(ctx->md, sha1, &n) != 1 || n != SL_SHA1_LEN)
    g_error("sl_sha1_finish: OpenSSL SHA-1 final failed");
}

void
sl_sha1_free(SlSha1 *ctx)
{
  if (ctx == NULL)
    return;
  EVP_MD_CTX_free(ctx->md);
  g_free(ctx);
}

static gboolean
io_error(GError **error, int err, const char *what, const char *path)
{
  g_set_error(error, SL_ERROR, err == ENOENT ? SL_ERROR_NOT_FOUND : SL_ERROR_INTERNAL,
              "cannot %s %s: %s", what, path, g_strerror(err));
  return FALSE;
}

gboolean
sl_sha1_file(const char *path, gchar **hex_out, gchar **id_out, guint64 *size_out, GError **error)
{
  g_autoptr(SlSha1) ctx = NULL;
  g_autofree guint8 *buf = NULL;
  guint8 sha1[SL_SHA1_LEN];
  guint64 total = 0;
  int fd;

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_error(error, errno, "open", path);
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  ctx = sl_sha1_new();
  buf = g_malloc(SHA1_READ_BUFFER);
  for (;;) {
    ssize_t n = read(fd, buf, SHA1_READ_BUFFER);
    if (n < 0) {
      int err = errno;
      if (err == EINTR)
        continue;
      close(fd);
      return io_error(error, err, "read", path);
    }
    if (n == 0)
      break;
    sl_sha1_update(ctx, buf, (gsize)n);
    total += (guint64)n;
  }
  close(fd);
  sl_sha1_finish(ctx, sha1);

  if (hex_out != NULL) {
    char hex[SL_SHA1_HEX_LEN + 1];
    sl_sha1_to_hex(sha1, hex);
    *hex_out = g_strdup(hex);
  }
  if (id_out != NULL) {
    char id[SL_IDENTIFIER_LEN + 1];
    sl_identifier_from_sha1(sha1, id);
    *id_out = g_strdup(id);
  }
  if (size_out != NULL)
    *size_out = total;
  return TRUE;
}
