/* qmp.c - asynchronous QMP client (see qmp.h). */
#include "hypervisor/qemu/qmp.h"
#include "util/error.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

typedef enum { QMP_IDLE, QMP_GREETING, QMP_NEGOTIATING, QMP_READY, QMP_CLOSED } QmpState;

typedef struct {
  SlQmpReplyFunc cb;
  gpointer data;
} Pending;

struct SlQmp {
  int refs;
  gboolean dead; /* freed by its owner: no more callbacks */
  QmpState state;
  SlQmpEventFunc on_event;
  SlQmpClosedFunc on_closed;
  gpointer user;
  SlQmpReadyFunc ready;
  gpointer ready_data;
  char *path;
  GCancellable *cancel;
  GSocketConnection *conn;
  GDataInputStream *in;
  GOutputStream *out;
  GQueue unsent;       /* char* lines queued before negotiation finished */
  GQueue outq;         /* char* lines to write */
  char *wbuf;          /* line being written */
  GHashTable *pending; /* id -> Pending* */
  gint64 next_id;
  gint64 caps_id;
  guint ready_timer;
};

/* A QMP server serves one client at a time: a second client is accepted by the kernel
 * but never greeted. Give up on a connection that is not ready after this long. */
#define QMP_READY_TIMEOUT_S 15

static SlQmp *
qmp_ref(SlQmp *q)
{
  q->refs++;
  return q;
}

static void
qmp_unref(SlQmp *q)
{
  if (--q->refs > 0)
    return;
  g_free(q->path);
  g_clear_object(&q->cancel);
  g_clear_object(&q->in);
  g_clear_object(&q->conn);
  g_queue_clear_full(&q->unsent, g_free);
  g_queue_clear_full(&q->outq, g_free);
  g_free(q->wbuf);
  g_hash_table_unref(q->pending);
  g_free(q);
}

SlQmp *
sl_qmp_new(SlQmpEventFunc on_event, SlQmpClosedFunc on_closed, gpointer user)
{
  SlQmp *q = g_new0(SlQmp, 1);
  q->refs = 1;
  q->on_event = on_event;
  q->on_closed = on_closed;
  q->user = user;
  q->cancel = g_cancellable_new();
  g_queue_init(&q->unsent);
  g_queue_init(&q->outq);
  q->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  q->next_id = 1;
  q->caps_id = -1;
  return q;
}

gboolean
sl_qmp_is_ready(SlQmp *q)
{
  return q->state == QMP_READY;
}

static void write_next(SlQmp *q);

static void
write_done(GObject *src, GAsyncResult *res, gpointer data)
{
  SlQmp *q = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error);
  g_clear_pointer(&q->wbuf, g_free);
  if (!q->dead && q->state != QMP_CLOSED) {
    if (ok)
      write_next(q);
    else /* the reader sees the EOF and closes; just log */
      g_debug("qmp %s: write failed: %s", q->path, error->message);
  }
  qmp_unref(q);
}

static void
write_next(SlQmp *q)
{
  if (q->wbuf || !q->out || g_queue_is_empty(&q->outq))
    return;
  q->wbuf = g_queue_pop_head(&q->outq);
  g_output_stream_write_all_async(q->out, q->wbuf, strlen(q->wbuf), G_PRIORITY_DEFAULT, q->cancel,
                                  write_done, qmp_ref(q));
}

static gint64
queue_command(SlQmp *q, const char *command, json_t *args, SlQmpReplyFunc cb, gpointer data,
              gboolean now)
{
  gint64 id = q->next_id++;
  json_t *msg = json_pack("{s:s, s:I}", "execute", command, "id", (json_int_t)id);
  if (args)
    json_object_set_new(msg, "arguments", args);
  char *text = json_dumps(msg, JSON_COMPACT);
  json_decref(msg);
  char *line = g_strconcat(text, "\n", NULL);
  free(text);
  Pending *p = g_new0(Pending, 1);
  p->cb = cb;
  p->data = data;
  g_hash_table_insert(q->pending, g_memdup2(&id, sizeof id), p);
  g_queue_push_tail(now ? &q->outq : &q->unsent, line);
  if (now)
    write_next(q);
  return id;
}

/* Complete every pending command with `error` (connection gone). */
static void
fail_pending(SlQmp *q, const GError *error)
{
  GHashTable *old = q->pending;
  q->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, old);
  while (g_hash_table_iter_next(&it, &key, &val)) {
    Pending *p = val;
    if (p->cb && !q->dead)
      p->cb(q, NULL, error, p->data);
  }
  g_hash_table_unref(old);
}

static void
finish_ready(SlQmp *q, const GError *error)
{
  SlQmpReadyFunc ready = q->ready;
  q->ready = NULL;
  g_clear_handle_id(&q->ready_timer, g_source_remove);
  if (ready && !q->dead)
    ready(q, error, q->ready_data);
}

static void
close_connection(SlQmp *q, const GError *error)
{
  if (q->state == QMP_CLOSED)
    return;
  gboolean was_ready = q->state == QMP_READY;
  q->state = QMP_CLOSED;
  g_cancellable_cancel(q->cancel);
  if (q->conn)
    g_io_stream_close(G_IO_STREAM(q->conn), NULL, NULL);
  q->out = NULL;
  qmp_ref(q);
  g_autoptr(GError) eof =
      g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE, "QMP connection to %s closed%s%s",
                  q->path ? q->path : "(none)", error ? ": " : "", error ? error->message : "");
  fail_pending(q, eof);
  if (!was_ready)
    finish_ready(q, eof);
  else if (q->on_closed && !q->dead)
    q->on_closed(q, error, q->user);
  qmp_unref(q);
}

static void
caps_done(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)reply;
  (void)data;
  if (error) {
    close_connection(q, error);
    return;
  }
  q->state = QMP_READY;
  while (!g_queue_is_empty(&q->unsent))
    g_queue_push_tail(&q->outq, g_queue_pop_head(&q->unsent));
  write_next(q);
  finish_ready(q, NULL);
}

static GError *
qmp_error(json_t *err)
{
  const char *cls = json_string_value(json_object_get(err, "class"));
  const char *desc = json_string_value(json_object_get(err, "desc"));
  int code = g_strcmp0(cls, "DeviceNotFound") == 0 ? SL_ERROR_NOT_FOUND : SL_ERROR_INTERNAL;
  return g_error_new(SL_ERROR, code, "QMP %s: %s", cls ? cls : "error", desc ? desc : "?");
}

gboolean
sl_qmp_feed_line(SlQmp *q, const char *line)
{
  json_error_t jerr;
  json_t *msg = json_loads(line, 0, &jerr);
  if (!json_is_object(msg)) {
    g_warning("qmp %s: unparsable line: %s", q->path ? q->path : "", line);
    json_decref(msg);
    return FALSE;
  }
  gboolean known = TRUE;
  qmp_ref(q);
  json_t *ev = json_object_get(msg, "event");
  json_t *id = json_object_get(msg, "id");
  if (json_object_get(msg, "QMP")) {
    if (q->state == QMP_GREETING || q->state == QMP_IDLE) {
      q->state = QMP_NEGOTIATING;
      q->caps_id = queue_command(q, "qmp_capabilities", NULL, caps_done, NULL, TRUE);
    }
  } else if (json_is_string(ev)) {
    if (q->on_event && !q->dead)
      q->on_event(q, json_string_value(ev), json_object_get(msg, "data"), q->user);
  } else if (json_is_integer(id)) {
    gint64 key = json_integer_value(id);
    Pending *p = NULL;
    gpointer orig = NULL;
    if (g_hash_table_steal_extended(q->pending, &key, &orig, (gpointer *)&p)) {
      g_free(orig);
      json_t *err = json_object_get(msg, "error");
      g_autoptr(GError) error = err ? qmp_error(err) : NULL;
      if (p->cb && !q->dead)
        p->cb(q, err ? NULL : json_object_get(msg, "return"), error, p->data);
      g_free(p);
    }
  } else {
    known = FALSE;
  }
  json_decref(msg);
  qmp_unref(q);
  return known;
}

static void
read_done(GObject *src, GAsyncResult *res, gpointer data)
{
  SlQmp *q = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line =
      g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, NULL, &error);
  if (q->dead || q->state == QMP_CLOSED) {
    qmp_unref(q);
    return;
  }
  if (!line) {
    close_connection(q, error);
    qmp_unref(q);
    return;
  }
  sl_qmp_feed_line(q, line);
  if (!q->dead && q->state != QMP_CLOSED)
    g_data_input_stream_read_line_async(q->in, G_PRIORITY_DEFAULT, q->cancel, read_done,
                                        qmp_ref(q));
  qmp_unref(q);
}

static void
connected(GObject *src, GAsyncResult *res, gpointer data)
{
  SlQmp *q = data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &error);
  if (q->dead || q->state == QMP_CLOSED) { /* freed, or timed out */
    g_clear_object(&conn);
    qmp_unref(q);
    return;
  }
  if (!conn) {
    q->state = QMP_CLOSED;
    g_autoptr(GError) e = g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE,
                                      "cannot connect to QMP %s: %s", q->path, error->message);
    fail_pending(q, e);
    finish_ready(q, e);
    qmp_unref(q);
    return;
  }
  q->conn = conn;
  q->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
  g_data_input_stream_set_newline_type(q->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  q->out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  q->state = QMP_GREETING;
  g_data_input_stream_read_line_async(q->in, G_PRIORITY_DEFAULT, q->cancel, read_done, q);
}

static gboolean
ready_timeout(gpointer data)
{
  SlQmp *q = data;
  q->ready_timer = 0;
  g_autoptr(GError) e =
      g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE,
                  "no QMP greeting within %d s (another client connected?)", QMP_READY_TIMEOUT_S);
  if (q->state == QMP_IDLE) /* still connecting: the connect callback sees the cancel */
    q->state = QMP_GREETING;
  close_connection(q, e);
  return G_SOURCE_REMOVE;
}

void
sl_qmp_connect(SlQmp *q, const char *socket_path, SlQmpReadyFunc ready, gpointer data)
{
  g_return_if_fail(q->state == QMP_IDLE && !q->ready);
  q->path = g_strdup(socket_path);
  q->ready = ready;
  q->ready_data = data;
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket_path);
  g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), q->cancel, connected,
                                qmp_ref(q));
  q->ready_timer = g_timeout_add_seconds(QMP_READY_TIMEOUT_S, ready_timeout, q);
}

typedef struct {
  SlQmp *q;
  SlQmpReplyFunc cb;
  gpointer data;
} LateFail;

static gboolean
late_fail(gpointer p)
{
  LateFail *f = p;
  if (!f->q->dead) {
    g_autoptr(GError) e = g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE, "QMP connection is closed");
    f->cb(f->q, NULL, e, f->data);
  }
  qmp_unref(f->q);
  g_free(f);
  return G_SOURCE_REMOVE;
}

void
sl_qmp_execute(SlQmp *q, const char *command, json_t *args, SlQmpReplyFunc cb, gpointer data)
{
  if (q->state == QMP_CLOSED) {
    json_decref(args);
    if (cb) {
      LateFail *f = g_new0(LateFail, 1);
      f->q = qmp_ref(q);
      f->cb = cb;
      f->data = data;
      g_idle_add(late_fail, f);
    }
    return;
  }
  queue_command(q, command, args, cb, data, q->state == QMP_READY);
}

void
sl_qmp_free(SlQmp *q)
{
  if (!q)
    return;
  q->dead = TRUE;
  g_clear_handle_id(&q->ready_timer, g_source_remove);
  g_cancellable_cancel(q->cancel);
  if (q->conn)
    g_io_stream_close(G_IO_STREAM(q->conn), NULL, NULL);
  q->out = NULL;
  q->state = QMP_CLOSED;
  qmp_unref(q);
}
