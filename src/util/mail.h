/* mail.h - sending one e-mail over SMTP with libcurl (docs/save.md).
 *
 * The message is MIME multipart/mixed: a text/plain part (UTF-8,
 * quoted-printable) and zero or more attachments (base64), built with
 * libcurl's curl_mime API, with the headers Date, From, To, Subject and
 * Message-ID. Only smtp:// and smtps:// servers; no authentication (a local
 * relay). Blocking: call it from a worker thread, never from the main context.
 * Errors: SL_ERROR_INVALID (bad arguments), SL_ERROR_UNAVAILABLE (the server
 * could not be reached or refused the message; the text says why).
 */
#pragma once
#include <glib.h>

typedef struct {
  const char *filename;     /* as the recipient sees it, e.g. "manifest-not-signed.xml" */
  const char *content_type; /* e.g. "application/xml" */
  const char *data;
  gsize len;
} SlMailAttachment;

typedef struct {
  const char *server; /* "smtp://127.0.0.1:25" */
  const char *from;   /* envelope and header sender, a bare address */
  const char *to;     /* one recipient, a bare address */
  const char *subject;
  const char *body; /* UTF-8 text */
  const SlMailAttachment *attachments;
  guint n_attachments;
  guint timeout_s; /* whole transfer; 0 = 30 */
} SlMail;

/* A bare address: local@domain, printable ASCII, no spaces, < > or quotes. */
gboolean sl_mail_address_is_valid(const char *address);

/* Sends the message; TRUE once the server accepted it. */
gboolean sl_mail_send(const SlMail *mail, GError **error);
