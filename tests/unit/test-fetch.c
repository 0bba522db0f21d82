/* test-fetch.c - src/image/fetch.c, fetcher.c, decompress.c: gz / bz2 / xz
 * on the fly (file:// and http://), every checksum, checksum and size
 * mismatches, an interrupted download (the server closes mid-body), corrupt
 * and truncated gzip, no partial file left, one download for concurrent
 * requests of the same identifier (in-process HTTP server on 127.0.0.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <bzlib.h>
#include <glib/gstdio.h>
#include <lzma.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "helpers.h"
#include "image/fetch.h"
#include "image/identifier.h"
#include "util/error.h"

/* ---- a tiny HTTP/1.0 server ------------------------------------------------ */

typedef struct {
  int fd;
  guint16 port;
  GBytes *body;   /* what every GET answers */
  gsize cut;      /* close after this many body bytes (0 = send all) */
  guint delay_ms; /* before answering */
  gint requests;  /* atomic */
  GThread *thread;
  gboolean stop;
} Server;

static gpointer
serve(gpointer data)
{
  Server *s = data;
  for (;;) {
    int c = accept(s->fd, NULL, NULL);
    if (c < 0 || s->stop) {
      if (c >= 0)
        close(c);
      return NULL;
    }
    char buf[4096];
    gsize got = 0;
    while (got < sizeof buf - 1) { /* read the request head */
      ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
      if (n <= 0)
        break;
      got += (gsize)n;
      buf[got] = 0;
      if (strstr(buf, "\r\n\r\n"))
        break;
    }
    g_atomic_int_inc(&s->requests);
    if (s->delay_ms)
      g_usleep(s->delay_ms * 1000);
    gsize len = 0;
    const char *body = g_bytes_get_data(s->body, &len);
    g_autofree char *head =
        g_strdup_printf("HTTP/1.0 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
    gsize send_len = s->cut ? s->cut : len;
    if (write(c, head, strlen(head)) < 0 || write(c, body, send_len) < 0) {
      /* the client went away */
    }
    close(c);
  }
}

static Server *
server_start(GBytes *body)
{
  Server *s = g_new0(Server, 1);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &al);
  s->port = ntohs(a.sin_port);
  assert_int_equal(listen(s->fd, 16), 0);
  s->body = g_bytes_ref(body);
  s->thread = g_thread_new("http", serve, s);
  return s;
}

static void
server_stop(Server *s)
{
  s->stop = TRUE;
  int c = socket(AF_INET, SOCK_STREAM, 0); /* wake accept() */
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons(s->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
    /* accept ends anyway when the socket closes */
  }
  close(c);
  g_thread_join(s->thread);
  close(s->fd);
  g_bytes_unref(s->body);
  g_free(s);
}

static char *
server_url(Server *s)
{
  return g_strdup_printf("http://127.0.0.1:%u/image", s->port);
}

/* ---- data and compressors -------------------------------------------------- */

typedef struct {
  char *dir;
  SlStore *store;
  SlImageCache *cache;
  GBytes *image; /* 3 MiB: pseudo-random, zeros, text */
  char *sums[9]; /* MD5, v, SHA-1, v, SHA-256, v, SHA-512, v, NULL */
  char *id;
} Fx;

static char *
hex_digest(const EVP_MD *md, GBytes *b)
{
  guint8 out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  gsize n = 0;
  const void *p = g_bytes_get_data(b, &n);
  EVP_Digest(p, n, out, &len, md, NULL);
  GString *s = g_string_new(NULL);
  for (unsigned i = 0; i < len; i++)
    g_string_append_printf(s, "%02x", out[i]);
  return g_string_free(s, FALSE);
}

static GBytes *
gzip(GBytes *in)
{
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(in, &n);
  z_stream z = {0};
  assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  gsize cap = deflateBound(&z, n);
  guint8 *out = g_malloc(cap);
  z.next_in = (Bytef *)p;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  gsize len = z.total_out;
  deflateEnd(&z);
  return g_bytes_new_take(out, len);
}

static GBytes *
bzip2(GBytes *in)
{
  gsize n = 0;
  const char *p = g_bytes_get_data(in, &n);
  unsigned cap = (unsigned)(n + n / 100 + 600);
  char *out = g_malloc(cap);
  assert_int_equal(BZ2_bzBuffToBuffCompress(out, &cap, (char *)p, (unsigned)n, 9, 0, 0), BZ_OK);
  return g_bytes_new_take(out, cap);
}

static GBytes *
xz(GBytes *in)
{
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(in, &n);
  gsize cap = lzma_stream_buffer_bound(n), pos = 0;
  guint8 *out = g_malloc(cap);
  assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, p, n, out, &pos, cap),
                   LZMA_OK);
  return g_bytes_new_take(out, pos);
}

static GBytes *
concat(GBytes *a, GBytes *b)
{
  GByteArray *arr = g_byte_array_new();
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(a, &n);
  g_byte_array_append(arr, p, (guint)n);
  p = g_bytes_get_data(b, &n);
  g_byte_array_append(arr, p, (guint)n);
  return g_byte_array_free_to_bytes(arr);
}

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-fetch-XXXXXX");
  f->store = sl_store_open(f->dir, NULL);
  f->cache = sl_image_cache_new(f->store, f->dir, NULL);
  assert_non_null(f->cache);
  gsize n = 3 << 20;
  guint8 *b = g_malloc0(n);
  guint32 x = 12345;
  for (gsize i = 0; i < (1 << 20); i++) {
    x = x * 1103515245u + 12345u;
    b[i] = (guint8)(x >> 16);
  }
  for (gsize i = 2 << 20; i < n; i++)
    b[i] = "stratuslab image "[i % 17];
  f->image = g_bytes_new_take(b, n);
  const char *algs[] = {"MD5", "SHA-1", "SHA-256", "SHA-512"};
  const EVP_MD *mds[] = {EVP_md5(), EVP_sha1(), EVP_sha256(), EVP_sha512()};
  for (int i = 0; i < 4; i++) {
    f->sums[2 * i] = g_strdup(algs[i]);
    f->sums[2 * i + 1] = hex_digest(mds[i], f->image);
  }
  f->id = sl_identifier_from_hex(f->sums[3], NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fx *f = *state;
  sl_image_cache_free(f->cache);
  sl_store_close(f->store);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  for (int i = 0; i < 8; i++)
    g_free(f->sums[i]);
  g_free(f->id);
  g_bytes_unref(f->image);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* Files in the cache directory (images, temp files). */
static int
cache_files(Fx *f)
{
  g_autoptr(GDir) d = g_dir_open(sl_image_cache_dir(f->cache), 0, NULL);
  int n = 0;
  while (d && g_dir_read_name(d))
    n++;
  return n;
}

static char *
write_file(Fx *f, const char *name, GBytes *b)
{
  char *path = g_build_filename(f->dir, name, NULL);
  gsize n = 0;
  const char *p = g_bytes_get_data(b, &n);
  assert_true(g_file_set_contents(path, p, (gssize)n, NULL));
  return path;
}

static SlFetchRequest
request(Fx *f, const char *url, const char *compression)
{
  return (SlFetchRequest){.url = url,
                          .compression = compression,
                          .check_bytes = TRUE,
                          .bytes = g_bytes_get_size(f->image),
                          .checksums = (const char *const *)f->sums};
}

static void
progress_cb(guint64 done, guint64 total, gpointer data)
{
  guint64 *last = data;
  assert_true(done >= *last);
  assert_true(total == 3 << 20);
  *last = done;
}

static void
test_formats(void **state)
{
  Fx *f = *state;
  struct {
    const char *name;
    GBytes *(*compress)(GBytes *);
  } fmts[] = {{"", NULL}, {"gz", gzip}, {"bz2", bzip2}, {"xz", xz}};
  for (gsize i = 0; i < G_N_ELEMENTS(fmts); i++) {
    g_autoptr(GBytes) data = fmts[i].compress ? fmts[i].compress(f->image) : g_bytes_ref(f->image);
    g_autofree char *name = g_strdup_printf("image.%s", fmts[i].name);
    g_autofree char *path = write_file(f, name, data);
    g_autofree char *url = g_strconcat("file://", path, NULL);
    SlFetchRequest r = request(f, url, fmts[i].name);
    guint64 last = 0;
    r.progress = progress_cb;
    r.progress_data = &last;
    g_autoptr(GError) error = NULL;
    g_autoptr(SlImage) im = sl_fetch_image(f->cache, &r, &error);
    assert_null(error);
    assert_non_null(im);
    assert_string_equal(im->identifier, f->id);
    assert_int_equal(im->bytes, 3 << 20);
    assert_int_equal(last, 3 << 20);
    assert_int_equal(cache_files(f), 1);
    assert_true(sl_image_cache_remove(f->cache, f->id, NULL));
  }
  /* over HTTP, two concatenated gzip members */
  g_autoptr(GBytes) half1 = g_bytes_new_from_bytes(f->image, 0, 1 << 20);
  g_autoptr(GBytes) half2 = g_bytes_new_from_bytes(f->image, 1 << 20, 2 << 20);
  g_autoptr(GBytes) g1 = gzip(half1);
  g_autoptr(GBytes) g2 = gzip(half2);
  g_autoptr(GBytes) both = concat(g1, g2);
  Server *s = server_start(both);
  g_autofree char *url = server_url(s);
  SlFetchRequest r = request(f, url, "gz");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlImage) im = sl_fetch_image(f->cache, &r, &error);
  assert_null(error);
  assert_string_equal(im->identifier, f->id);
  server_stop(s);
}

static void
expect_refused(Fx *f, const SlFetchRequest *r, int code, const char *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlImage) im = sl_fetch_image(f->cache, r, &error);
  assert_null(im);
  assert_non_null(error);
  if (!g_error_matches(error, SL_ERROR, code) || !strstr(error->message, msg))
    fail_msg("want %d '%s', got %d '%s'", code, msg, error->code, error->message);
  assert_int_equal(cache_files(f), 0); /* no partial file, no temp file */
}

static void
test_mismatches(void **state)
{
  Fx *f = *state;
  g_autoptr(GBytes) gz = gzip(f->image);
  g_autofree char *path = write_file(f, "image.gz", gz);
  g_autofree char *url = g_strconcat("file://", path, NULL);
  /* each checksum is checked: break one at a time */
  for (int i = 0; i < 4; i++) {
    SlFetchRequest r = request(f, url, "gz");
    g_autofree char *saved = f->sums[2 * i + 1];
    f->sums[2 * i + 1] = g_strdup(saved);
    f->sums[2 * i + 1][5] = f->sums[2 * i + 1][5] == '0' ? '1' : '0';
    g_autofree char *msg = g_strdup_printf("%s checksum mismatch", f->sums[2 * i]);
    expect_refused(f, &r, SL_ERROR_INVALID, msg);
    g_free(f->sums[2 * i + 1]);
    f->sums[2 * i + 1] = g_steal_pointer(&saved);
  }
  SlFetchRequest r = request(f, url, "gz");
  r.bytes -= 1;
  expect_refused(f, &r, SL_ERROR_INVALID, "size mismatch");
  r.bytes += 2;
  expect_refused(f, &r, SL_ERROR_INVALID, "size mismatch");
  r = request(f, url, "zip");
  expect_refused(f, &r, SL_ERROR_INVALID, "unsupported compression");
  const char *bad_alg[] = {"CRC32", "00", NULL};
  r = request(f, url, "gz");
  r.checksums = bad_alg;
  expect_refused(f, &r, SL_ERROR_INVALID, "unsupported checksum algorithm");
  /* plain data announced as gzip */
  g_autofree char *raw = write_file(f, "image.raw", f->image);
  g_autofree char *raw_url = g_strconcat("file://", raw, NULL);
  r = request(f, raw_url, "gz");
  expect_refused(f, &r, SL_ERROR_INVALID, "corrupt gz data");
  /* the image bytes changed at the location (one byte) */
  g_autoptr(GBytes) copy = g_bytes_new(g_bytes_get_data(f->image, NULL), 3 << 20);
  ((guint8 *)g_bytes_get_data(copy, NULL))[1000] ^= 1;
  g_autofree char *evil = write_file(f, "evil.raw", copy);
  g_autofree char *evil_url = g_strconcat("file://", evil, NULL);
  r = request(f, evil_url, NULL);
  expect_refused(f, &r, SL_ERROR_INVALID, "checksum mismatch");
  /* missing file */
  r = request(f, "file:///nonexistent/image.gz", "gz");
  expect_refused(f, &r, SL_ERROR_UNAVAILABLE, "cannot download");
  /* a good alternative after a bad location */
  const char *alts[] = {url, NULL};
  r = request(f, "file:///nonexistent/image.gz", "gz");
  r.alternatives = alts;
  g_autoptr(SlImage) im = sl_fetch_image(f->cache, &r, NULL);
  assert_non_null(im);
}

static void
test_corrupt_gzip(void **state)
{
  Fx *f = *state;
  g_autoptr(GBytes) gz = gzip(f->image);
  gsize n = g_bytes_get_size(gz);
  /* flipped bits in the middle of the deflate data */
  g_autoptr(GBytes) bad = g_bytes_new(g_bytes_get_data(gz, NULL), n);
  guint8 *p = (guint8 *)g_bytes_get_data(bad, NULL);
  for (gsize i = n / 2; i < n / 2 + 64; i++)
    p[i] ^= 0x5a;
  g_autofree char *path = write_file(f, "bad.gz", bad);
  g_autofree char *url = g_strconcat("file://", path, NULL);
  SlFetchRequest r = request(f, url, "gz");
  expect_refused(f, &r, SL_ERROR_INVALID, "");
  /* truncated gzip (no size check: the decoder must notice) */
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes(gz, 0, n - 100);
  g_autofree char *cpath = write_file(f, "cut.gz", cut);
  g_autofree char *curl = g_strconcat("file://", cpath, NULL);
  r = request(f, curl, "gz");
  r.check_bytes = FALSE;
  r.checksums = NULL;
  expect_refused(f, &r, SL_ERROR_INVALID, "truncated gz data");
  /* bz2 and xz truncated too */
  g_autoptr(GBytes) bz = bzip2(f->image);
  g_autoptr(GBytes) bzcut = g_bytes_new_from_bytes(bz, 0, g_bytes_get_size(bz) / 2);
  g_autofree char *bpath = write_file(f, "cut.bz2", bzcut);
  g_autofree char *burl = g_strconcat("file://", bpath, NULL);
  r = request(f, burl, "bz2");
  r.check_bytes = FALSE;
  r.checksums = NULL;
  expect_refused(f, &r, SL_ERROR_INVALID, "truncated bz2 data");
  g_autoptr(GBytes) x = xz(f->image);
  g_autoptr(GBytes) xcut = g_bytes_new_from_bytes(x, 0, g_bytes_get_size(x) - 10);
  g_autofree char *xpath = write_file(f, "cut.xz", xcut);
  g_autofree char *xurl = g_strconcat("file://", xpath, NULL);
  r = request(f, xurl, "xz");
  r.check_bytes = FALSE;
  r.checksums = NULL;
  expect_refused(f, &r, SL_ERROR_INVALID, "");
}

static void
test_interrupted(void **state)
{
  Fx *f = *state;
  Server *s = server_start(f->image);
  s->cut = 1 << 20; /* Content-Length says 3 MiB, the server closes after 1 MiB */
  g_autofree char *url = server_url(s);
  SlFetchRequest r = request(f, url, NULL);
  expect_refused(f, &r, SL_ERROR_UNAVAILABLE, "download interrupted");
  assert_int_equal(g_atomic_int_get(&s->requests), 1);
  server_stop(s);
  /* compressed and interrupted */
  g_autoptr(GBytes) gz = gzip(f->image);
  s = server_start(gz);
  s->cut = g_bytes_get_size(gz) / 2;
  g_free(url);
  url = server_url(s);
  r = request(f, url, "gz");
  expect_refused(f, &r, SL_ERROR_UNAVAILABLE, "download interrupted");
  server_stop(s);
  /* nobody listens */
  r = request(f, "http://127.0.0.1:1/image", NULL);
  expect_refused(f, &r, SL_ERROR_UNAVAILABLE, "cannot download");
}

typedef struct {
  int calls, ok;
  char *id;
} Done;

static void
on_done(const SlImage *image, const GError *error, gpointer data)
{
  Done *d = data;
  d->calls++;
  if (image && !error && g_strcmp0(image->identifier, d->id) == 0)
    d->ok++;
}

static void
test_concurrent(void **state)
{
  Fx *f = *state;
  g_autoptr(GBytes) gz = gzip(f->image);
  Server *s = server_start(gz);
  s->delay_ms = 300;
  g_autofree char *url = server_url(s);
  SlFetchRequest r = request(f, url, "gz");
  g_autoptr(SlFetcher) fetcher = sl_fetcher_new(f->cache);
  Done d = {.id = f->id};
  int started = 0;
  for (int i = 0; i < 5; i++)
    started += sl_fetcher_fetch(fetcher, f->id, &r, on_done, &d);
  assert_int_equal(started, 1);
  assert_true(sl_fetcher_progress(fetcher, f->id) >= 0);
  gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  while (d.calls < 5 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE), g_usleep(1000);
  assert_int_equal(d.calls, 5);
  assert_int_equal(d.ok, 5);
  assert_int_equal(g_atomic_int_get(&s->requests), 1);
  assert_int_equal(sl_fetcher_progress(fetcher, f->id), -1);
  /* cached now: completes without a download */
  assert_false(sl_fetcher_fetch(fetcher, f->id, &r, on_done, &d));
  while (d.calls < 6 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE), g_usleep(1000);
  assert_int_equal(d.ok, 6);
  assert_int_equal(sl_fetcher_started(fetcher), 1);
  assert_int_equal(g_atomic_int_get(&s->requests), 1);
  /* a failing download: every waiter gets the error */
  assert_true(sl_image_cache_remove(f->cache, f->id, NULL));
  Done bad = {.id = f->id};
  r.bytes = 7;
  for (int i = 0; i < 3; i++)
    sl_fetcher_fetch(fetcher, f->id, &r, on_done, &bad);
  while (bad.calls < 3 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE), g_usleep(1000);
  assert_int_equal(bad.calls, 3);
  assert_int_equal(bad.ok, 0);
  assert_int_equal(cache_files(f), 0);
  server_stop(s);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mismatches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_interrupted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
