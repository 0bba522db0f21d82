/* decompress.c - streaming gz / bz2 / xz decompression (see fetch.h).
 *
 * Concatenated streams (pigz, pbzip2, xz multi-stream) are decoded one after
 * the other; input that ends inside a stream, or trailing garbage, is an
 * error. */
#include "image/fetch.h"

#include <bzlib.h>
#include <lzma.h>
#include <string.h>
#include <zlib.h>

#include "util/error.h"

#define OUT_SIZE (1024 * 1024)

typedef enum { FMT_NONE, FMT_GZ, FMT_BZ2, FMT_XZ } Format;

struct SlDecompressor {
  Format fmt;
  SlSinkFunc sink;
  gpointer user;
  guint8 *out;
  gboolean ended;   /* the last stream ended (and no byte followed yet) */
  gboolean started; /* a stream has begun */
  z_stream z;
  bz_stream bz;
  lzma_stream xz;
};

static const char *const names[] = {"none", "gz", "bz2", "xz"};

static gboolean
corrupt(GError **error, Format fmt, const char *detail)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "corrupt %s data: %s", names[fmt],
              detail ? detail : "decoder error");
  return FALSE;
}

SlDecompressor *
sl_decompressor_new(const char *compression, SlSinkFunc sink, gpointer user, GError **error)
{
  Format fmt;
  const char *c = compression ? compression : "";
  if (!*c || g_ascii_strcasecmp(c, "none") == 0)
    fmt = FMT_NONE;
  else if (!g_ascii_strcasecmp(c, "gz") || !g_ascii_strcasecmp(c, "gzip"))
    fmt = FMT_GZ;
  else if (!g_ascii_strcasecmp(c, "bz2") || !g_ascii_strcasecmp(c, "bzip2"))
    fmt = FMT_BZ2;
  else if (!g_ascii_strcasecmp(c, "xz") || !g_ascii_strcasecmp(c, "lzma"))
    fmt = FMT_XZ;
  else {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "unsupported compression: %s", c);
    return NULL;
  }
  SlDecompressor *d = g_new0(SlDecompressor, 1);
  d->fmt = fmt;
  d->sink = sink;
  d->user = user;
  if (fmt != FMT_NONE)
    d->out = g_malloc(OUT_SIZE);
  return d;
}

static gboolean
stream_begin(SlDecompressor *d, GError **error)
{
  int rc = 0;
  switch (d->fmt) {
  case FMT_GZ:
    memset(&d->z, 0, sizeof d->z);
    rc = inflateInit2(&d->z, 15 + 16) == Z_OK ? 0 : -1; /* gzip wrapper only */
    break;
  case FMT_BZ2:
    memset(&d->bz, 0, sizeof d->bz);
    rc = BZ2_bzDecompressInit(&d->bz, 0, 0) == BZ_OK ? 0 : -1;
    break;
  case FMT_XZ:
    d->xz = (lzma_stream)LZMA_STREAM_INIT;
    rc = lzma_stream_decoder(&d->xz, UINT64_MAX, 0) == LZMA_OK ? 0 : -1;
    break;
  case FMT_NONE:
    break;
  }
  if (rc != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot initialise the %s decoder",
                names[d->fmt]);
    return FALSE;
  }
  d->started = TRUE;
  d->ended = FALSE;
  return TRUE;
}

static void
stream_end(SlDecompressor *d)
{
  if (!d->started)
    return;
  switch (d->fmt) {
  case FMT_GZ:
    inflateEnd(&d->z);
    break;
  case FMT_BZ2:
    BZ2_bzDecompressEnd(&d->bz);
    break;
  case FMT_XZ:
    lzma_end(&d->xz);
    break;
  case FMT_NONE:
    break;
  }
  d->started = FALSE;
}

/* One decoder step over in/avail; returns output length, sets *done at the
 * end of a stream; -1 on error (error set). */
static gssize
step(SlDecompressor *d, const guint8 **in, gsize *avail, gboolean *done, GError **error)
{
  *done = FALSE;
  switch (d->fmt) {
  case FMT_GZ: {
    d->z.next_in = (Bytef *)*in;
    d->z.avail_in = (uInt)MIN(*avail, G_MAXUINT32);
    d->z.next_out = d->out;
    d->z.avail_out = OUT_SIZE;
    int rc = inflate(&d->z, Z_NO_FLUSH);
    gsize used = (gsize)(d->z.next_in - *in);
    *in += used;
    *avail -= used;
    if (rc == Z_STREAM_END)
      *done = TRUE;
    else if (rc != Z_OK && rc != Z_BUF_ERROR)
      return corrupt(error, d->fmt, d->z.msg), -1;
    return (gssize)(OUT_SIZE - d->z.avail_out);
  }
  case FMT_BZ2: {
    d->bz.next_in = (char *)*in;
    d->bz.avail_in = (unsigned)MIN(*avail, G_MAXUINT32);
    d->bz.next_out = (char *)d->out;
    d->bz.avail_out = OUT_SIZE;
    int rc = BZ2_bzDecompress(&d->bz);
    gsize used = (gsize)((const guint8 *)d->bz.next_in - *in);
    *in += used;
    *avail -= used;
    if (rc == BZ_STREAM_END)
      *done = TRUE;
    else if (rc != BZ_OK) {
      g_autofree char *msg = g_strdup_printf("bzip2 error %d", rc);
      return corrupt(error, d->fmt, msg), -1;
    }
    return (gssize)(OUT_SIZE - d->bz.avail_out);
  }
  case FMT_XZ: {
    d->xz.next_in = *in;
    d->xz.avail_in = *avail;
    d->xz.next_out = d->out;
    d->xz.avail_out = OUT_SIZE;
    lzma_ret rc = lzma_code(&d->xz, LZMA_RUN);
    gsize used = (gsize)(d->xz.next_in - *in);
    *in += used;
    *avail -= used;
    if (rc == LZMA_STREAM_END)
      *done = TRUE;
    else if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
      g_autofree char *msg = g_strdup_printf("lzma error %d", (int)rc);
      return corrupt(error, d->fmt, msg), -1;
    }
    return (gssize)(OUT_SIZE - d->xz.avail_out);
  }
  case FMT_NONE:
    break;
  }
  return 0;
}

gboolean
sl_decompressor_feed(SlDecompressor *d, const guint8 *data, gsize len, GError **error)
{
  if (d->fmt == FMT_NONE)
    return len == 0 || d->sink(data, len, d->user, error);
  const guint8 *in = data;
  gsize avail = len;
  while (avail > 0 || d->started) {
    if (!d->started) {
      /* bytes after a finished stream: the next stream of a concatenation */
      if (!stream_begin(d, error))
        return FALSE;
    }
    gboolean done = FALSE;
    gsize before = avail;
    gssize n = step(d, &in, &avail, &done, error);
    if (n < 0)
      return FALSE;
    if (n > 0 && !d->sink(d->out, (gsize)n, d->user, error))
      return FALSE;
    if (done) {
      stream_end(d);
      d->ended = TRUE;
      continue;
    }
    /* no progress without input and with room for output: need more input */
    if (n == 0 && (avail == 0 || avail == before))
      break;
    if (avail == 0 && n < OUT_SIZE)
      break;
  }
  return TRUE;
}

gboolean
sl_decompressor_finish(SlDecompressor *d, GError **error)
{
  if (d->fmt == FMT_NONE)
    return TRUE;
  if (d->started || !d->ended) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "truncated %s data (the stream does not end)",
                names[d->fmt]);
    return FALSE;
  }
  return TRUE;
}

void
sl_decompressor_free(SlDecompressor *d)
{
  if (!d)
    return;
  stream_end(d);
  g_free(d->out);
  g_free(d);
}
