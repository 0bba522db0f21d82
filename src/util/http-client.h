/* http-client.h - the one libcurl set-up of the project (HTTP(S), file://, SMTP).
 *
 * sl_http_client_perform() runs one blocking transfer (call it from a worker
 * thread or a command-line tool, never from a daemon's main context) with the
 * house rules: the peer's certificate and host name are always verified
 * (ca_file is trusted instead of, or with ca_with_system in addition to, the
 * system store), no signals, a user agent, a connect timeout, the allowed
 * schemes listed. The answer is collected into a GString or streamed to a
 * sink. libcurl is initialised once, on first use.
 *
 * Errors:
 * - the sink's own GError, as it is;
 * - G_IO_ERROR_CANCELLED "cancelled" when req->cancellable was cancelled;
 * - SL_ERROR_UNAVAILABLE "HTTP <n> from <url>" when fail_on_http_error and the
 *   server answered >= 400 (answer->status is set, nothing reached the sink);
 * - SL_ERROR_UNAVAILABLE "<detail>" for transport failures (no connection,
 *   TLS refusal, timeout, broken transfer, a full collected body): libcurl's
 *   error buffer, else its error text; answer->interrupted tells a transfer
 *   that broke off midway (partial file, receive error, timeout);
 * - SL_ERROR_INTERNAL "cannot initialise libcurl".
 * A status >= 400 without fail_on_http_error is not an error: see answer->status.
 */
#pragma once
#include <gio/gio.h>

/* Streamed answer bytes; FALSE (with error set) aborts the transfer. */
typedef gboolean (*SlHttpClientSinkFunc)(const char *data, gsize len, gpointer user,
                                         GError **error);

/* One part of a MIME (multipart/mixed) message body, e.g. for SMTP. */
typedef struct {
  const char *data;
  gsize len;
  const char *content_type; /* NULL: application/octet-stream */
  const char *filename;     /* NULL: inline */
  const char *encoder;      /* "base64", "quoted-printable", or NULL (as is) */
} SlHttpClientPart;

typedef struct {
  const char *url;
  const char *method;         /* NULL: GET, or POST when there is a body */
  const char *protocols;      /* schemes allowed, e.g. "http,https,file"; NULL: "http,https" */
  const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
  const char *body;           /* NULL: none; "" with body_len 0: an empty body */
  gsize body_len;
  /* trust and identity */
  const char *ca_file;     /* CA bundle; NULL: the system store */
  gboolean ca_with_system; /* with ca_file: the system store (/etc/ssl/certs) as well */
  const char *user_agent;  /* NULL: "stratus/<version>" */
  const char *username;    /* Basic authentication when not NULL */
  const char *password;    /* NULL: "" */
  const char *client_cert; /* PEM client certificate and key, or NULL */
  const char *client_key;
  /* limits */
  long connect_timeout_s;         /* 0: 10 */
  long timeout_s;                 /* whole transfer; 0: none */
  long low_speed_time_s;          /* abort when < 1 byte/s for this long; 0: never */
  long max_redirects;             /* redirects followed; 0: none */
  const char *redirect_protocols; /* NULL: "http,https" */
  gboolean fail_on_http_error;    /* see the errors above */
  long buffer_size;               /* receive buffer; 0: libcurl's */
  GCancellable *cancellable;
  gboolean verbose; /* libcurl's trace on stderr */
  /* the answer: streamed to sink, else collected into answer->body, where
   * max_body (0: no limit) caps it: truncate_body keeps the first max_body
   * bytes, otherwise a larger answer fails the transfer */
  SlHttpClientSinkFunc sink;
  gpointer sink_data;
  gsize max_body;
  gboolean truncate_body;
  /* SMTP (smtp:// or smtps:// url): envelope and a MIME body */
  const char *mail_from;         /* "<a@b>" */
  const char *const *mail_rcpt;  /* "<c@d>", NULL-terminated */
  const SlHttpClientPart *parts; /* the body as MIME parts (any protocol), or NULL */
  guint n_parts;
} SlHttpClientRequest;

typedef struct {
  long status;          /* HTTP status or SMTP reply code; 0: no answer */
  GString *body;        /* the collected answer (never NULL after a call, unless a sink) */
  gboolean interrupted; /* the transfer broke off midway */
  const char *reason;   /* libcurl's error text (static), NULL on success */
  char detail[256];     /* libcurl's error buffer ("" when it had nothing to add) */
} SlHttpClientAnswer;

/* TRUE when the transfer completed (whatever the status, unless
 * fail_on_http_error). Clear the answer after. */
gboolean sl_http_client_perform(const SlHttpClientRequest *req, SlHttpClientAnswer *answer,
                                GError **error);
void sl_http_client_answer_clear(SlHttpClientAnswer *answer);

/* name=value&… of a NULL-terminated list of name, value pairs, each
 * percent-encoded (application/x-www-form-urlencoded, RFC 3986 unreserved
 * characters kept). */
char *sl_http_client_form_encode(const char *const *pairs);
