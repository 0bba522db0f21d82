/* test-http-client.c - src/util/http-client.c against an in-process HTTP/1.0
 * server on 127.0.0.1: what is sent (method, headers, user agent, Basic
 * authentication, body), statuses with and without fail_on_http_error,
 * collected and capped answers, sinks and their errors, cancellation,
 * refused schemes, unreachable servers, form encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl-config.h"
#include "util/error.h"
#include "util/http-client.h"

typedef struct {
  int fd;
  guint16 port;
  guint status;
  const char *body;
  GString *request; /* the last request as received */
  GThread *thread;
  GMutex lock;
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
    GString *req = g_string_new(NULL);
    char buf[4096];
    for (;;) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len(req, buf, n);
      const char *end = strstr(req->str, "\r\n\r\n");
      if (!end)
        continue;
      const char *cl = strcasestr(req->str, "\r\nContent-Length: ");
      gsize want = cl && cl < end ? (gsize)g_ascii_strtoull(cl + 18, NULL, 10) : 0;
      if (req->len >= (gsize)(end + 4 - req->str) + want)
        break;
    }
    g_mutex_lock(&s->lock);
    g_string_assign(s->request, req->str);
    g_mutex_unlock(&s->lock);
    g_string_free(req, TRUE);
    g_autofree char *head =
        g_strdup_printf("HTTP/1.0 %u X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                        s->status, strlen(s->body));
    if (write(c, head, strlen(head)) < 0 || write(c, s->body, strlen(s->body)) < 0) {
      /* the client went away */
    }
    close(c);
  }
}

static Server *
server_start(guint status, const char *body)
{
  Server *s = g_new0(Server, 1);
  s->status = status;
  s->body = body;
  s->request = g_string_new(NULL);
  g_mutex_init(&s->lock);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &al);
  s->port = ntohs(a.sin_port);
  assert_int_equal(listen(s->fd, 16), 0);
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
  g_string_free(s->request, TRUE);
  g_mutex_clear(&s->lock);
  g_free(s);
}

static char *
server_url(Server *s, const char *path)
{
  return g_strdup_printf("http://127.0.0.1:%u%s", s->port, path);
}

static gboolean
has_line(Server *s, const char *line)
{
  g_autofree char *want = g_strdup_printf("\r\n%s\r\n", line);
  return strstr(s->request->str, want) != NULL;
}

static void
test_get(void **state)
{
  (void)state;
  Server *s = server_start(200, "{\"ok\":1}");
  g_autofree char *url = server_url(s, "/vms/1");
  const char *headers[] = {"Accept: application/json", NULL};
  SlHttpClientRequest r = {.url = url, .headers = headers, .username = "ann", .password = "pw"};
  SlHttpClientAnswer a;
  g_autoptr(GError) error = NULL;
  assert_true(sl_http_client_perform(&r, &a, &error));
  assert_null(error);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.body->str, "{\"ok\":1}");
  assert_null(a.reason);
  assert_true(g_str_has_prefix(s->request->str, "GET /vms/1 HTTP/1.1\r\n"));
  assert_true(has_line(s, "Accept: application/json"));
  assert_true(has_line(s, "User-Agent: stratus/" SL_VERSION));
  assert_true(has_line(s, "Authorization: Basic YW5uOnB3")); /* ann:pw */
  sl_http_client_answer_clear(&a);
  server_stop(s);
}

static void
test_post_body(void **state)
{
  (void)state;
  Server *s = server_start(201, "");
  g_autofree char *url = server_url(s, "/metadata");
  const char *headers[] = {"Content-Type: application/xml", "Expect:", NULL};
  const char xml[] = "<rdf:RDF/>";
  SlHttpClientRequest r = {.url = url,
                           .headers = headers,
                           .body = xml,
                           .body_len = strlen(xml),
                           .user_agent = "stratusd/" SL_VERSION};
  SlHttpClientAnswer a;
  assert_true(sl_http_client_perform(&r, &a, NULL));
  assert_int_equal(a.status, 201);
  assert_string_equal(a.body->str, "");
  assert_true(g_str_has_prefix(s->request->str, "POST /metadata HTTP/1.1\r\n"));
  assert_true(has_line(s, "Content-Type: application/xml"));
  assert_true(has_line(s, "Content-Length: 10"));
  assert_true(has_line(s, "User-Agent: stratusd/" SL_VERSION));
  assert_true(g_str_has_suffix(s->request->str, "\r\n\r\n<rdf:RDF/>"));
  sl_http_client_answer_clear(&a);

  /* another method, an empty body */
  SlHttpClientRequest d = {.url = url, .method = "PUT", .body = "", .body_len = 0};
  assert_true(sl_http_client_perform(&d, &a, NULL));
  assert_true(g_str_has_prefix(s->request->str, "PUT /metadata HTTP/1.1\r\n"));
  assert_true(has_line(s, "Content-Length: 0"));
  sl_http_client_answer_clear(&a);
  server_stop(s);
}

static void
test_http_errors(void **state)
{
  (void)state;
  Server *s = server_start(404, "{\"message\":\"no such vm\"}");
  g_autofree char *url = server_url(s, "/vms/9");
  SlHttpClientRequest r = {.url = url};
  SlHttpClientAnswer a;
  g_autoptr(GError) error = NULL;
  assert_true(sl_http_client_perform(&r, &a, &error)); /* an answer, not a failure */
  assert_int_equal(a.status, 404);
  assert_string_equal(a.body->str, "{\"message\":\"no such vm\"}");
  sl_http_client_answer_clear(&a);
  r.fail_on_http_error = TRUE;
  assert_false(sl_http_client_perform(&r, &a, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  g_autofree char *want = g_strdup_printf("HTTP 404 from %s", url);
  assert_string_equal(error->message, want);
  assert_int_equal(a.status, 404);
  assert_string_equal(a.body->str, ""); /* nothing of the error page */
  sl_http_client_answer_clear(&a);
  server_stop(s);
}

static void
test_max_body(void **state)
{
  (void)state;
  Server *s = server_start(200, "0123456789abcdef");
  g_autofree char *url = server_url(s, "/x");
  SlHttpClientRequest r = {.url = url, .max_body = 4, .truncate_body = TRUE};
  SlHttpClientAnswer a;
  g_autoptr(GError) error = NULL;
  assert_true(sl_http_client_perform(&r, &a, &error));
  assert_string_equal(a.body->str, "0123");
  sl_http_client_answer_clear(&a);
  r.truncate_body = FALSE;
  assert_false(sl_http_client_perform(&r, &a, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  assert_non_null(a.reason);
  assert_false(a.interrupted);
  sl_http_client_answer_clear(&a);
  server_stop(s);
}

static gboolean
sink_collect(const char *data, gsize len, gpointer user, GError **error)
{
  (void)error;
  g_string_append_len(user, data, (gssize)len);
  return TRUE;
}

static gboolean
sink_refuse(const char *data, gsize len, gpointer user, GError **error)
{
  (void)data, (void)len, (void)user;
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
  return FALSE;
}

static void
test_sink(void **state)
{
  (void)state;
  Server *s = server_start(200, "streamed bytes");
  g_autofree char *url = server_url(s, "/image");
  g_autoptr(GString) got = g_string_new(NULL);
  SlHttpClientRequest r = {.url = url, .sink = sink_collect, .sink_data = got};
  SlHttpClientAnswer a;
  g_autoptr(GError) error = NULL;
  assert_true(sl_http_client_perform(&r, &a, &error));
  assert_null(a.body);
  assert_string_equal(got->str, "streamed bytes");
  r.sink = sink_refuse;
  assert_false(sl_http_client_perform(&r, &a, &error));
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)); /* as the sink said */
  assert_string_equal(error->message, "disk full");
  g_clear_error(&error);
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_cancellable_cancel(cancel);
  r.sink = sink_collect;
  r.cancellable = cancel;
  assert_false(sl_http_client_perform(&r, &a, &error));
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  server_stop(s);
}

static void
test_unreachable_and_schemes(void **state)
{
  (void)state;
  Server *s = server_start(200, "");
  g_autofree char *url = server_url(s, "/");
  server_stop(s); /* nobody listens there now */
  SlHttpClientRequest r = {.url = url};
  SlHttpClientAnswer a;
  g_autoptr(GError) error = NULL;
  assert_false(sl_http_client_perform(&r, &a, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  assert_int_equal(a.status, 0);
  assert_non_null(a.reason);
  sl_http_client_answer_clear(&a);
  g_clear_error(&error);

  g_autofree char *path = g_build_filename(g_get_tmp_dir(), "test-http-client-file", NULL);
  assert_true(g_file_set_contents(path, "local", -1, NULL));
  g_autofree char *file_url = g_strconcat("file://", path, NULL);
  SlHttpClientRequest f = {.url = file_url}; /* http,https only by default */
  assert_false(sl_http_client_perform(&f, &a, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_UNAVAILABLE));
  sl_http_client_answer_clear(&a);
  g_clear_error(&error);
  f.protocols = "file";
  assert_true(sl_http_client_perform(&f, &a, &error));
  assert_string_equal(a.body->str, "local");
  sl_http_client_answer_clear(&a);
  g_unlink(path);
}

static void
test_form_encode(void **state)
{
  (void)state;
  const char *pairs[] = {"tag", "my disk", "size", "1", "x&y", "a=b/c~d_e.f-g", NULL};
  g_autofree char *s = sl_http_client_form_encode(pairs);
  assert_string_equal(s, "tag=my%20disk&size=1&x%26y=a%3Db%2Fc~d_e.f-g");
  const char *none[] = {NULL};
  g_autofree char *e = sl_http_client_form_encode(none);
  assert_string_equal(e, "");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get),         cmocka_unit_test(test_post_body),
      cmocka_unit_test(test_http_errors), cmocka_unit_test(test_max_body),
      cmocka_unit_test(test_sink),        cmocka_unit_test(test_unreachable_and_schemes),
      cmocka_unit_test(test_form_encode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
