/* digest.c - one pass, one worker thread per digest (digest.h). */
#include "image/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

static const char *const names[SL_DIGEST_N] = {"MD5", "SHA-1", "SHA-256", "SHA-512"};

static const EVP_MD *
evp_of(SlDigest d)
{
  switch (d) {
  case SL_DIGEST_MD5:
    return EVP_md5();
  case SL_DIGEST_SHA1:
    return EVP_sha1();
  case SL_DIGEST_SHA256:
    return EVP_sha256();
  default:
    return EVP_sha512();
  }
}

const char *
sl_digest_name(SlDigest d)
{
  return d < SL_DIGEST_N ? names[d] : "?";
}

gboolean
sl_digest_from_name(const char *name, SlDigest *out)
{
  static const char *const bare[SL_DIGEST_N] = {"MD5", "SHA1", "SHA256", "SHA512"};
  char n[16];
  gsize k = 0;
  for (const char *p = name ? name : ""; *p; p++) {
    if (*p == '-' || *p == '_' || *p == ' ')
      continue;
    if (k + 1 >= sizeof n)
      return FALSE;
    n[k++] = g_ascii_toupper(*p);
  }
  n[k] = '\0';
  for (int d = 0; d < SL_DIGEST_N; d++)
    if (strcmp(n, bare[d]) == 0) {
      *out = (SlDigest)d;
      return TRUE;
    }
  return FALSE;
}

gsize
sl_digest_hex_len(SlDigest d)
{
  static const gsize len[SL_DIGEST_N] = {32, 40, 64, 128};
  return d < SL_DIGEST_N ? len[d] : 0;
}

/* ---- the multi-digest ------------------------------------------------------ */

typedef struct {
  SlDigest alg;
  EVP_MD_CTX *ctx;
  GAsyncQueue *queue; /* GBytes chunks, then the stop marker */
  GThread *thread;
} Worker;

struct SlMultiDigest {
  guint mask;
  Worker w[SL_DIGEST_N];
  guint n;
  guint8 *buf; /* the chunk being filled */
  gsize fill;
  guint64 bytes;
  gboolean threaded;
  GMutex lock;
  GCond cond;
  guint in_flight; /* chunks not yet released by every worker */
};

static guint8 stop_marker;

static gpointer
worker_main(gpointer data)
{
  Worker *w = data;
  for (;;) {
    gpointer item = g_async_queue_pop(w->queue);
    if (item == &stop_marker)
      return NULL;
    gsize len = 0;
    const guint8 *p = g_bytes_get_data(item, &len);
    if (EVP_DigestUpdate(w->ctx, p, len) != 1)
      g_error("multi-digest: OpenSSL %s update failed", names[w->alg]);
    g_bytes_unref(item);
  }
}

typedef struct {
  SlMultiDigest *md;
  guint8 *buf;
} Chunk;

static void
chunk_release(gpointer data)
{
  Chunk *c = data;
  SlMultiDigest *md = c->md;
  g_free(c->buf);
  g_free(c);
  g_mutex_lock(&md->lock);
  md->in_flight--;
  g_cond_signal(&md->cond);
  g_mutex_unlock(&md->lock);
}

SlMultiDigest *
sl_multi_digest_new(guint mask)
{
  SlMultiDigest *md = g_new0(SlMultiDigest, 1);
  md->mask = (mask & SL_DIGEST_ALL) | SL_DIGEST_BIT(SL_DIGEST_SHA1);
  g_mutex_init(&md->lock);
  g_cond_init(&md->cond);
  for (int d = 0; d < SL_DIGEST_N; d++) {
    if (!(md->mask & SL_DIGEST_BIT(d)))
      continue;
    Worker *w = &md->w[md->n++];
    w->alg = (SlDigest)d;
    w->ctx = EVP_MD_CTX_new();
    if (!w->ctx || EVP_DigestInit_ex(w->ctx, evp_of(w->alg), NULL) != 1)
      g_error("multi-digest: OpenSSL cannot initialise %s", names[d]);
  }
  md->buf = g_malloc(SL_DIGEST_CHUNK);
  return md;
}

static void
start_workers(SlMultiDigest *md)
{
  for (guint i = 0; i < md->n; i++) {
    Worker *w = &md->w[i];
    w->queue = g_async_queue_new();
    w->thread = g_thread_new(names[w->alg], worker_main, w);
  }
  md->threaded = TRUE;
}

/* Hands the filled chunk to every worker (waits while the window is full). */
static void
dispatch(SlMultiDigest *md)
{
  if (md->fill == 0)
    return;
  if (!md->threaded)
    start_workers(md);
  g_mutex_lock(&md->lock);
  while (md->in_flight >= SL_DIGEST_WINDOW)
    g_cond_wait(&md->cond, &md->lock);
  md->in_flight++;
  g_mutex_unlock(&md->lock);
  Chunk *c = g_new(Chunk, 1);
  c->md = md;
  c->buf = g_steal_pointer(&md->buf);
  GBytes *b = g_bytes_new_with_free_func(c->buf, md->fill, chunk_release, c);
  for (guint i = 0; i < md->n; i++)
    g_async_queue_push(md->w[i].queue, g_bytes_ref(b));
  g_bytes_unref(b);
  md->buf = g_malloc(SL_DIGEST_CHUNK);
  md->fill = 0;
}

void
sl_multi_digest_update(SlMultiDigest *md, const void *data, gsize len)
{
  const guint8 *p = data;
  md->bytes += len;
  while (len > 0) {
    gsize n = MIN(len, SL_DIGEST_CHUNK - md->fill);
    memcpy(md->buf + md->fill, p, n);
    md->fill += n;
    p += n;
    len -= n;
    if (md->fill == SL_DIGEST_CHUNK)
      dispatch(md);
  }
}

static void
stop_workers(SlMultiDigest *md)
{
  if (!md->threaded)
    return;
  for (guint i = 0; i < md->n; i++) {
    g_async_queue_push(md->w[i].queue, &stop_marker);
    g_thread_join(md->w[i].thread);
    g_async_queue_unref(md->w[i].queue);
    md->w[i].thread = NULL;
    md->w[i].queue = NULL;
  }
  md->threaded = FALSE;
}

void
sl_multi_digest_finish(SlMultiDigest *md, SlDigestResult *res)
{
  if (md->threaded) {
    dispatch(md);
    stop_workers(md);
  } else if (md->fill > 0) { /* small input: no thread at all */
    for (guint i = 0; i < md->n; i++)
      if (EVP_DigestUpdate(md->w[i].ctx, md->buf, md->fill) != 1)
        g_error("multi-digest: OpenSSL %s update failed", names[md->w[i].alg]);
  }
  md->fill = 0;
  memset(res, 0, sizeof *res);
  res->mask = md->mask;
  res->bytes = md->bytes;
  for (guint i = 0; i < md->n; i++) {
    guint8 out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(md->w[i].ctx, out, &len) != 1)
      g_error("multi-digest: OpenSSL %s final failed", names[md->w[i].alg]);
    char *hex = res->hex[md->w[i].alg];
    for (unsigned k = 0; k < len; k++)
      g_snprintf(hex + 2 * k, 3, "%02x", out[k]);
    if (md->w[i].alg == SL_DIGEST_SHA1)
      memcpy(res->sha1, out, SL_SHA1_LEN);
  }
  sl_identifier_from_sha1(res->sha1, res->identifier);
}

void
sl_multi_digest_free(SlMultiDigest *md)
{
  if (!md)
    return;
  stop_workers(md);
  for (guint i = 0; i < md->n; i++)
    EVP_MD_CTX_free(md->w[i].ctx);
  g_free(md->buf);
  g_mutex_clear(&md->lock);
  g_cond_clear(&md->cond);
  g_free(md);
}

gboolean
sl_digest_file(const char *path, guint mask, SlDigestResult *res, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, e == ENOENT ? SL_ERROR_NOT_FOUND : SL_ERROR_INTERNAL,
                "cannot read %s: %s", path, g_strerror(e));
    return FALSE;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  g_autoptr(SlMultiDigest) md = sl_multi_digest_new(mask);
  g_autofree guint8 *buf = g_malloc(SL_DIGEST_CHUNK);
  for (;;) {
    ssize_t n = read(fd, buf, SL_DIGEST_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot read %s: %s", path, g_strerror(e));
      return FALSE;
    }
    if (n == 0)
      break;
    sl_multi_digest_update(md, buf, (gsize)n);
  }
  close(fd);
  sl_multi_digest_finish(md, res);
  return TRUE;
}
