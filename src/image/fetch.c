/* fetch.c - image download, verification and the in-flight table (fetch.h). */
#include "image/fetch.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl-config.h"
#include "image/digest.h"
#include "image/identifier.h"
#include "util/error.h"
#include "util/http-client.h"

#define HOLE_BLOCK 65536
#define PROGRESS_US (100 * 1000)
#define MAX_SUMS 8

/* ---- checksums ------------------------------------------------------------ */

typedef struct {
  char name[16]; /* as given */
  SlDigest alg;
  char *want; /* lower-case hex, leading zeros normalised */
} Sum;

/* Lower-case hex of exactly hex_len digits (extra leading zeros dropped,
 * missing ones added: values compare numerically, protocols.md §5.3). */
static char *
normalise_hex(const char *value, gsize hex_len)
{
  g_autofree char *v = g_ascii_strdown(value ? value : "", -1);
  g_strstrip(v);
  const char *p = v;
  while (strlen(p) > hex_len && *p == '0')
    p++;
  for (const char *q = p; *q; q++)
    if (!g_ascii_isxdigit(*q))
      return NULL;
  if (strlen(p) > hex_len || !*p)
    return NULL;
  g_autofree char *pad = g_strnfill(hex_len - strlen(p), '0');
  return g_strconcat(pad, p, NULL);
}

static void
sums_clear(Sum *sums, guint n)
{
  for (guint i = 0; i < n; i++)
    g_free(sums[i].want);
}

/* Parses the requested checksums; *mask gets the digests to compute. */
static gboolean
sums_init(Sum *sums, guint *n, guint *mask, const char *const *list, GError **error)
{
  *n = 0;
  *mask = 0;
  for (gsize i = 0; list && list[i] && list[i + 1]; i += 2) {
    SlDigest alg;
    if (!sl_digest_from_name(list[i], &alg)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "unsupported checksum algorithm: %s", list[i]);
      return FALSE;
    }
    if (*n == MAX_SUMS) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "too many checksums");
      return FALSE;
    }
    Sum *s = &sums[(*n)++];
    g_strlcpy(s->name, list[i], sizeof s->name);
    s->alg = alg;
    s->want = normalise_hex(list[i + 1], sl_digest_hex_len(alg));
    *mask |= SL_DIGEST_BIT(alg);
    if (!s->want) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid %s checksum value: %s", list[i],
                  list[i + 1]);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the sink: hashes, size, sparse file ---------------------------------- */

typedef struct {
  const SlFetchRequest *req;
  int fd;
  const char *what;
  Sum sums[MAX_SUMS];
  guint n_sums;
  SlMultiDigest *md; /* every requested digest + SHA-1 (the identifier), one pass */
  guint64 bytes;
  guint64 wire;
  const char *kind;
  gint64 last_progress;
  SlDecompressor *dec;
} Job;

static gboolean
write_sparse(int fd, const guint8 *buf, gsize n, const char *what, GError **error)
{
  for (gsize off = 0; off < n;) {
    gsize len = MIN(HOLE_BLOCK, n - off);
    if (buf[off] == 0 && memcmp(buf + off, buf + off + 1, len - 1) == 0) {
      if (lseek(fd, (off_t)len, SEEK_CUR) < 0)
        goto fail;
      off += len;
      continue;
    }
    ssize_t w = write(fd, buf + off, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      goto fail;
    off += (gsize)w;
  }
  return TRUE;
fail:
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot write %s: %s", what, g_strerror(errno));
  return FALSE;
}

static void
report(Job *j, gboolean force)
{
  if (!j->req->progress)
    return;
  gint64 now = g_get_monotonic_time();
  if (!force && now - j->last_progress < PROGRESS_US)
    return;
  j->last_progress = now;
  j->req->progress(j->bytes, j->req->check_bytes ? j->req->bytes : 0, j->req->progress_data);
}

static gboolean
sink(const guint8 *data, gsize len, gpointer user, GError **error)
{
  Job *j = user;
  if (j->req->check_bytes && j->bytes + len > j->req->bytes) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "size mismatch: expected %" G_GUINT64_FORMAT " bytes, got more", j->req->bytes);
    return FALSE;
  }
  if (j->bytes == 0 && len >= 4)
    j->kind = memcmp(data, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
  sl_multi_digest_update(j->md, data, len);
  if (j->fd >= 0 && !write_sparse(j->fd, data, len, j->what, error))
    return FALSE;
  j->bytes += len;
  report(j, FALSE);
  return TRUE;
}

static gboolean
on_data(const char *data, gsize len, gpointer user, GError **error)
{
  Job *j = user;
  j->wire += len;
  return sl_decompressor_feed(j->dec, (const guint8 *)data, len, error);
}

static gboolean
transfer(Job *j, GError **error)
{
  const SlFetchRequest *r = j->req;
  SlHttpClientRequest hr = {
      .url = r->url,
      .protocols = "http,https,file",
      .max_redirects = 5,
      .redirect_protocols = "http,https",
      .fail_on_http_error = TRUE,
      .ca_file = r->ca_file,
      .ca_with_system = TRUE,
      .user_agent = "stratusd/" SL_VERSION,
      .connect_timeout_s = r->connect_timeout_s > 0 ? r->connect_timeout_s : 10L,
      .low_speed_time_s = r->low_speed_time_s > 0 ? r->low_speed_time_s : 60L,
      .buffer_size = 512L * 1024,
      .cancellable = r->cancellable,
      .sink = on_data,
      .sink_data = j,
  };
  SlHttpClientAnswer a;
  g_autoptr(GError) e = NULL;
  if (sl_http_client_perform(&hr, &a, &e))
    return TRUE;
  if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "download of %s cancelled", r->url);
  else if (e->domain != SL_ERROR || e->code != SL_ERROR_UNAVAILABLE || a.status >= 400)
    g_propagate_error(error, g_steal_pointer(&e)); /* content, local I/O, "HTTP <n> from" */
  else if (a.interrupted)
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE,
                "download interrupted after %" G_GUINT64_FORMAT " bytes from %s: %s", j->wire,
                r->url, e->message);
  else
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "cannot download %s: %s", r->url,
                e->message);
  return FALSE;
}

/* The final checks once every byte went through. */
static gboolean
verify(Job *j, SlFetchResult *res, GError **error)
{
  if (!sl_decompressor_finish(j->dec, error))
    return FALSE;
  if (j->req->check_bytes && j->bytes != j->req->bytes) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "size mismatch: expected %" G_GUINT64_FORMAT " bytes, got %" G_GUINT64_FORMAT,
                j->req->bytes, j->bytes);
    return FALSE;
  }
  SlDigestResult d;
  sl_multi_digest_finish(j->md, &d);
  for (guint i = 0; i < j->n_sums; i++) {
    const char *got = d.hex[j->sums[i].alg];
    if (strcmp(got, j->sums[i].want) != 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s checksum mismatch: expected %s, got %s",
                  j->sums[i].name, j->sums[i].want, got);
      return FALSE;
    }
  }
  memcpy(res->sha1, d.sha1, SL_SHA1_LEN);
  res->bytes = j->bytes;
  res->wire_bytes = j->wire;
  res->kind = j->kind;
  report(j, TRUE);
  return TRUE;
}

gboolean
sl_fetch_to_fd(const SlFetchRequest *req, int fd, const char *what, SlFetchResult *result,
               GError **error)
{
  Job j = {.req = req, .fd = fd, .what = what, .kind = "raw"};
  gboolean ok = FALSE;
  guint mask = 0;
  if (!sums_init(j.sums, &j.n_sums, &mask, req->checksums, error))
    goto out;
  j.md = sl_multi_digest_new(mask);
  j.dec = sl_decompressor_new(req->compression, sink, &j, error);
  if (!j.dec)
    goto out;
  ok = transfer(&j, error) && verify(&j, result, error);
out:
  sl_decompressor_free(j.dec);
  sums_clear(j.sums, j.n_sums);
  sl_multi_digest_free(j.md);
  return ok;
}

/* One location into a temp file of the cache, committed when verified. */
static SlImage *
fetch_one(SlImageCache *cache, const SlFetchRequest *req, GError **error)
{
  g_autofree char *tmp = NULL;
  int fd = sl_image_cache_temp(cache, &tmp, error);
  if (fd < 0)
    return NULL;
  SlFetchResult res = {0};
  gboolean ok = sl_fetch_to_fd(req, fd, tmp, &res, error);
  if (ok && (ftruncate(fd, (off_t)res.bytes) != 0 || fchmod(fd, 0444) != 0 || fsync(fd) != 0)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot write %s: %s", tmp, g_strerror(errno));
    ok = FALSE;
  }
  close(fd);
  if (!ok) {
    g_unlink(tmp);
    return NULL;
  }
  return sl_image_cache_commit(cache, tmp, res.sha1, res.bytes, res.kind, error);
}

SlImage *
sl_fetch_image(SlImageCache *cache, const SlFetchRequest *req, GError **error)
{
  g_autoptr(GString) errors = g_string_new(NULL);
  int code = SL_ERROR_UNAVAILABLE;
  SlFetchRequest one = *req;
  for (gsize i = 0;; i++) {
    one.url = i == 0 ? req->url : (req->alternatives ? req->alternatives[i - 1] : NULL);
    if (!one.url)
      break;
    g_autoptr(GError) local = NULL;
    SlImage *im = fetch_one(cache, &one, &local);
    if (im)
      return im;
    if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    if (local->domain == SL_ERROR && local->code != SL_ERROR_UNAVAILABLE)
      code = local->code; /* content errors win over transport ones */
    g_string_append_printf(errors, "%s%s", errors->len ? "; " : "", local->message);
  }
  g_set_error(error, SL_ERROR, code, "%s", errors->len ? errors->str : "no image location");
  return NULL;
}
