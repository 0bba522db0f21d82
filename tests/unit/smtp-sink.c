/* smtp-sink.c - see smtp-sink.h. */
#include "smtp-sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  char *from, *rcpt, *data;
} Msg;

struct SmtpSink {
  int fd;
  guint16 port;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GPtrArray *msgs; /* Msg* */
  gboolean stop;
};

static gboolean
send_line(int fd, const char *s)
{
  size_t n = strlen(s);
  return write(fd, s, n) == (ssize_t)n;
}

/* Reads one CRLF line into buf (without CRLF); FALSE at EOF. */
static gboolean
read_line(int fd, GString *buf)
{
  g_string_truncate(buf, 0);
  char c;
  while (read(fd, &c, 1) == 1) {
    if (c == '\n') {
      if (buf->len && buf->str[buf->len - 1] == '\r')
        g_string_truncate(buf, buf->len - 1);
      return TRUE;
    }
    g_string_append_c(buf, c);
  }
  return FALSE;
}

static void
serve(SmtpSink *s, int c)
{
  g_autoptr(GString) line = g_string_new(NULL);
  Msg *m = g_new0(Msg, 1);
  send_line(c, "220 sink ESMTP\r\n");
  while (read_line(c, line)) {
    if (g_ascii_strncasecmp(line->str, "EHLO", 4) == 0) {
      send_line(c, "250-sink\r\n250 8BITMIME\r\n");
    } else if (g_ascii_strncasecmp(line->str, "HELO", 4) == 0) {
      send_line(c, "250 sink\r\n");
    } else if (g_ascii_strncasecmp(line->str, "MAIL FROM:", 10) == 0) {
      m->from = g_strdup(line->str + 10);
      send_line(c, "250 ok\r\n");
    } else if (g_ascii_strncasecmp(line->str, "RCPT TO:", 8) == 0) {
      m->rcpt = g_strdup(line->str + 8);
      send_line(c, "250 ok\r\n");
    } else if (g_ascii_strcasecmp(line->str, "DATA") == 0) {
      send_line(c, "354 go\r\n");
      GString *data = g_string_new(NULL);
      while (read_line(c, line) && strcmp(line->str, ".") != 0)
        g_string_append_printf(data, "%s\r\n", line->str[0] == '.' ? line->str + 1 : line->str);
      m->data = g_string_free(data, FALSE);
      send_line(c, "250 queued\r\n");
      g_mutex_lock(&s->lock);
      g_ptr_array_add(s->msgs, m);
      g_cond_broadcast(&s->cond);
      g_mutex_unlock(&s->lock);
      m = g_new0(Msg, 1);
    } else if (g_ascii_strcasecmp(line->str, "QUIT") == 0) {
      send_line(c, "221 bye\r\n");
      break;
    } else {
      send_line(c, "250 ok\r\n");
    }
  }
  g_free(m->from);
  g_free(m->rcpt);
  g_free(m);
}

static gpointer
loop(gpointer data)
{
  SmtpSink *s = data;
  for (;;) {
    int c = accept(s->fd, NULL, NULL);
    if (c < 0 || s->stop) {
      if (c >= 0)
        close(c);
      break;
    }
    serve(s, c);
    close(c);
  }
  return NULL;
}

static void
msg_free(gpointer p)
{
  Msg *m = p;
  g_free(m->from);
  g_free(m->rcpt);
  g_free(m->data);
  g_free(m);
}

SmtpSink *
smtp_sink_new(void)
{
  SmtpSink *s = g_new0(SmtpSink, 1);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 4) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&a, &len) != 0)
    g_error("smtp sink: %s", g_strerror(errno));
  s->port = ntohs(a.sin_port);
  g_mutex_init(&s->lock);
  g_cond_init(&s->cond);
  s->msgs = g_ptr_array_new_with_free_func(msg_free);
  s->thread = g_thread_new("smtp-sink", loop, s);
  return s;
}

void
smtp_sink_free(SmtpSink *s)
{
  s->stop = TRUE;
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* wake accept() */
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons(s->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(c, (struct sockaddr *)&a, sizeof a) != 0)
    g_warning("smtp sink: wake: %s", g_strerror(errno));
  close(c);
  g_thread_join(s->thread);
  close(s->fd);
  g_ptr_array_unref(s->msgs);
  g_mutex_clear(&s->lock);
  g_cond_clear(&s->cond);
  g_free(s);
}

guint16
smtp_sink_port(SmtpSink *s)
{
  return s->port;
}

guint
smtp_sink_count(SmtpSink *s)
{
  g_mutex_lock(&s->lock);
  guint n = s->msgs->len;
  g_mutex_unlock(&s->lock);
  return n;
}

const char *
smtp_sink_message(SmtpSink *s, guint n, const char **from, const char **rcpt)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  g_mutex_lock(&s->lock);
  while (s->msgs->len <= n && g_cond_wait_until(&s->cond, &s->lock, end))
    ;
  Msg *m = s->msgs->len > n ? s->msgs->pdata[n] : NULL;
  g_mutex_unlock(&s->lock);
  if (m && from)
    *from = m->from;
  if (m && rcpt)
    *rcpt = m->rcpt;
  return m ? m->data : NULL;
}

char *
mime_header(const char *message, const char *name)
{
  g_autofree char *key = g_strdup_printf("%s: ", name);
  g_auto(GStrv) lines = g_strsplit(message, "\r\n", -1);
  for (char **l = lines; *l && **l; l++)
    if (g_ascii_strncasecmp(*l, key, strlen(key)) == 0)
      return g_strdup(*l + strlen(key));
  return NULL;
}

static int
hexval(char c)
{
  return g_ascii_xdigit_value(c);
}

char *
mime_part_body(const char *message, const char *marker, gsize *len)
{
  const char *p = strstr(message, marker);
  if (!p)
    return NULL;
  const char *headers_start = p;
  while (headers_start > message && !g_str_has_prefix(headers_start, "\r\n--"))
    headers_start--; /* the part's header block starts at its boundary line */
  const char *body = strstr(p, "\r\n\r\n");
  if (!body)
    return NULL;
  body += 4;
  g_autofree char *headers = g_strndup(headers_start, (gsize)(body - headers_start));
  const char *end = strstr(body, "\r\n--");
  g_autofree char *raw = end ? g_strndup(body, (gsize)(end - body)) : g_strdup(body);
  if (strstr(headers, "base64")) {
    g_autofree char *flat = g_strdup(raw);
    char *w = flat;
    for (char *r = flat; *r; r++)
      if (*r != '\r' && *r != '\n')
        *w++ = *r;
    *w = '\0';
    return (char *)g_base64_decode(flat, len);
  }
  GString *out = g_string_new(NULL); /* quoted-printable (or plain) */
  for (const char *r = raw; *r; r++) {
    if (*r == '=' && r[1] == '\r' && r[2] == '\n') {
      r += 2;
    } else if (*r == '=' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
      g_string_append_c(out, (char)(hexval(r[1]) * 16 + hexval(r[2])));
      r += 2;
    } else if (*r != '\r') {
      g_string_append_c(out, *r);
    }
  }
  *len = out->len;
  return g_string_free(out, FALSE);
}
