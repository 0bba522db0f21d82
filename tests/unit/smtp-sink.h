/* smtp-sink.h - a minimal SMTP server on 127.0.0.1 for unit tests: accepts
 * one message per connection and keeps the envelope and the DATA text. */
#pragma once
#include <glib.h>

typedef struct SmtpSink SmtpSink;

/* Listens on a free loopback port; serves in a thread until freed. */
SmtpSink *smtp_sink_new(void);
void smtp_sink_free(SmtpSink *sink);
guint16 smtp_sink_port(SmtpSink *sink);
/* Waits (up to 10 s) for message n (0-based); NULL if none. The strings stay
 * owned by the sink. */
const char *smtp_sink_message(SmtpSink *sink, guint n, const char **from, const char **rcpt);
guint smtp_sink_count(SmtpSink *sink);

/* Helpers to read what came: the decoded body of the MIME part whose headers
 * contain `marker` (quoted-printable or base64), newly allocated. */
char *mime_part_body(const char *message, const char *marker, gsize *len);
/* The value of header `name` (first occurrence, top-level headers). */
char *mime_header(const char *message, const char *name);
