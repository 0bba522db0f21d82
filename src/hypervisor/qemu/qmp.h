/* qmp.h - asynchronous QMP client on the GLib main loop.
 *
 * One line of JSON per message. Commands are queued until the greeting and
 * qmp_capabilities are done, then written in order, each with an "id"; replies
 * are matched by id. Events go to the event callback. When the peer closes the
 * socket (or I/O fails) the closed callback fires once and every pending
 * command completes with an error.
 */
#pragma once
#include <glib.h>
#include <jansson.h>

typedef struct SlQmp SlQmp;

/* reply: the "return" value (borrowed) or NULL with error set from QMP's "error". */
typedef void (*SlQmpReplyFunc)(SlQmp *qmp, json_t *reply, const GError *error, gpointer data);
typedef void (*SlQmpEventFunc)(SlQmp *qmp, const char *event, json_t *data, gpointer user);
typedef void (*SlQmpClosedFunc)(SlQmp *qmp, const GError *error, gpointer user);
typedef void (*SlQmpReadyFunc)(SlQmp *qmp, const GError *error, gpointer user);

SlQmp *sl_qmp_new(SlQmpEventFunc on_event, SlQmpClosedFunc on_closed, gpointer user);
/* Connect to the unix socket; ready fires after capabilities negotiation (or on failure). */
void sl_qmp_connect(SlQmp *qmp, const char *socket_path, SlQmpReadyFunc ready, gpointer data);
/* Queue a command; args (may be NULL) is stolen. cb may be NULL. */
void sl_qmp_execute(SlQmp *qmp, const char *command, json_t *args, SlQmpReplyFunc cb,
                    gpointer data);
gboolean sl_qmp_is_ready(SlQmp *qmp);
/* Process one received line (used by the reader, and by tests to replay recordings).
 * Returns FALSE if the line is not a QMP message. */
gboolean sl_qmp_feed_line(SlQmp *qmp, const char *line);
/* Disconnect and free; no callback fires afterwards. */
void sl_qmp_free(SlQmp *qmp);
