/* server.c - libmicrohttpd glue: HTTPS, thread pool, body accumulation, request log. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.h"

struct SlHttpServer {
  struct MHD_Daemon *mhd;
  SlHttpRouter *router;
  int listen_fd;
  guint16 port;
  char *cert_pem;
  char *key_pem;
  gint in_flight; /* requests between URI log and completion (atomic) */
};

typedef struct {
  SlHttpServer *server;
  gint64 start; /* monotonic, µs */
  char *method;
  char *path;
  char *user;
  GByteArray *body;
  guint status;
  gboolean too_large;
  gboolean answered;
  gsize max_body;
} Ctx;

static void *
uri_log_cb(void *cls, const char *uri, struct MHD_Connection *connection)
{
  (void)uri;
  (void)connection;
  SlHttpServer *server = cls;
  Ctx *ctx = g_new0(Ctx, 1);
  ctx->server = server;
  ctx->start = g_get_monotonic_time();
  g_atomic_int_inc(&server->in_flight);
  return ctx;
}

static void
completed_cb(void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)connection;
  Ctx *ctx = *con_cls;
  if (!ctx)
    return;
  gint64 usec = g_get_monotonic_time() - ctx->start;
  if (ctx->method)
    g_message("%s %s %s %u %" G_GINT64_FORMAT "us%s", ctx->method, ctx->path,
              ctx->user ? ctx->user : "-", ctx->status, usec,
              toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
  g_atomic_int_dec_and_test(&ctx->server->in_flight);
  g_free(ctx->method);
  g_free(ctx->path);
  g_free(ctx->user);
  if (ctx->body)
    g_byte_array_unref(ctx->body);
  g_free(ctx);
  *con_cls = NULL;
}

static void
unref_bytes(void *cls)
{
  g_bytes_unref(cls);
}

static enum MHD_Result
queue(struct MHD_Connection *connection, Ctx *ctx, SlHttpResponse *resp)
{
  GBytes *body = sl_http_response_get_body(resp);
  struct MHD_Response *r;
  if (body && g_bytes_get_size(body) > 0) {
    gsize size;
    const void *data = g_bytes_get_data(body, &size);
    r = MHD_create_response_from_buffer_with_free_callback_cls(size, (void *)data, unref_bytes,
                                                               g_bytes_ref(body));
  } else {
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  }
  if (!r)
    return MHD_NO;
  const char *ctype = sl_http_response_get_content_type(resp);
  if (ctype)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  guint n;
  const char *const *headers = sl_http_response_get_headers(resp, &n);
  for (guint i = 0; i < n; i++)
    MHD_add_response_header(r, headers[2 * i], headers[2 * i + 1]);
  ctx->status = sl_http_response_get_status(resp);
  ctx->answered = TRUE;
  enum MHD_Result ret = MHD_queue_response(connection, ctx->status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  if (key)
    g_hash_table_insert(cls, g_strdup(key), g_strdup(value ? value : ""));
  return MHD_YES;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
  (void)version;
  SlHttpServer *server = cls;
  Ctx *ctx = *con_cls;
  if (!ctx) /* no URI log callback ran (should not happen) */
    return MHD_NO;
  if (ctx->answered) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (!ctx->method) {
    ctx->method = g_strdup(method);
    ctx->path = g_strdup(url);
    const char *cl =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    guint64 length = 0;
    ctx->max_body = sl_http_router_body_limit(server->router, method, url);
    if (cl && (!g_ascii_string_to_unsigned(cl, 10, 0, G_MAXUINT64, &length, NULL) ||
               length > ctx->max_body)) {
      g_autoptr(SlHttpResponse) resp = sl_http_response_new_message(
          413, "request body larger than %" G_GSIZE_FORMAT " bytes", ctx->max_body);
      return queue(connection, ctx, resp);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!ctx->body)
      ctx->body = g_byte_array_new();
    if (ctx->too_large || ctx->body->len + *upload_data_size > ctx->max_body)
      ctx->too_large = TRUE;
    else
      g_byte_array_append(ctx->body, (const guint8 *)upload_data, (guint)*upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->too_large) {
    g_autoptr(SlHttpResponse) resp = sl_http_response_new_message(
        413, "request body larger than %" G_GSIZE_FORMAT " bytes", ctx->max_body);
    return queue(connection, ctx, resp);
  }
  g_autoptr(GHashTable) query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_arg, query);
  SlHttpInput in = {
      .method = method,
      .path = url,
      .query = query,
      .authorization =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
      .content_type =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
      .accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
      .host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
      .cookie = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
      .body = ctx->body ? (const char *)ctx->body->data : NULL,
      .body_len = ctx->body ? ctx->body->len : 0,
  };
  g_autoptr(SlHttpResponse) resp = sl_http_router_process(server->router, &in, &ctx->user);
  return queue(connection, ctx, resp);
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  g_strchomp(msg);
  g_debug("microhttpd: %s", msg);
}

/* Binds and listens ourselves so that failures have a precise message. */
static int
open_listener(const char *host, guint16 port, gboolean *ipv6, guint16 *bound, GError **error)
{
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  char port_text[8];
  g_snprintf(port_text, sizeof port_text, "%u", port);
  int rc = getaddrinfo(host, port_text, &hints, &res);
  if (rc != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "cannot listen on %s:%u: %s", host, port,
                gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  int saved = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      *ipv6 = ai->ai_family == AF_INET6;
      break;
    }
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "cannot listen on %s:%u: %s", host, port,
                g_strerror(saved));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  *bound = port;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET)
      *bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
      *bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  return fd;
}

SlHttpServer *
sl_http_server_start(SlHttpRouter *router, const char *host, guint16 port, const char *cert_pem,
                     const char *key_pem, GError **error)
{
  gboolean ipv6 = FALSE;
  guint16 bound = 0;
  int fd = open_listener(host, port, &ipv6, &bound, error);
  if (fd < 0)
    return NULL;
  SlHttpServer *server = g_new0(SlHttpServer, 1);
  server->router = router;
  server->listen_fd = fd;
  server->port = bound;
  server->cert_pem = g_strdup(cert_pem);
  server->key_pem = g_strdup(key_pem);
  /* One thread per core, but at least 4: some handlers wait on another request to this
   * same daemon (the cloud asking its own Marketplace), which must not starve. */
  guint threads = MAX(4, g_get_num_processors());
  unsigned int flags =
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (ipv6)
    flags |= MHD_USE_IPv6;
  server->mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, access_cb, server, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb,
      server, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, server, MHD_OPTION_HTTPS_MEM_KEY,
      server->key_pem, MHD_OPTION_HTTPS_MEM_CERT, server->cert_pem, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned int)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
      MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_END);
  if (!server->mhd) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL,
                "cannot start the HTTPS server on %s:%u (bad TLS material?)", host, bound);
    close(fd);
    g_free(server->cert_pem);
    g_free(server->key_pem);
    g_free(server);
    return NULL;
  }
  return server;
}

guint16
sl_http_server_get_port(SlHttpServer *server)
{
  return server->port;
}

void
sl_http_server_stop(SlHttpServer *server, guint timeout_ms)
{
  if (!server)
    return;
  MHD_socket fd = MHD_quiesce_daemon(server->mhd);
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  while (g_atomic_int_get(&server->in_flight) > 0 && g_get_monotonic_time() < deadline)
    g_usleep(10 * 1000);
  MHD_stop_daemon(server->mhd);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
  else
    close(server->listen_fd);
  g_free(server->cert_pem);
  if (server->key_pem)
    memset(server->key_pem, 0, strlen(server->key_pem));
  g_free(server->key_pem);
  g_free(server);
}
