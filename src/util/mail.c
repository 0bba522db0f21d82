/* mail.c - one e-mail over SMTP through util/http-client's MIME parts (see mail.h). */
#include "util/mail.h"

#include <string.h>

#include "util/error.h"
#include "util/http-client.h"

gboolean
sl_mail_address_is_valid(const char *a)
{
  if (!a || !*a || strlen(a) > 254)
    return FALSE;
  const char *at = strchr(a, '@');
  if (!at || at == a || !at[1] || strchr(at + 1, '@'))
    return FALSE;
  for (const char *p = a; *p; p++)
    if (*p <= ' ' || *p >= 127 || strchr("<>\"(),;:\\[]", *p))
      return FALSE;
  return TRUE;
}

/* RFC 5322 date, English names whatever the locale. */
static char *
rfc5322_date(void)
{
  static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return g_strdup_printf("%s, %02d %s %d %02d:%02d:%02d +0000",
                         days[g_date_time_get_day_of_week(now) - 1],
                         g_date_time_get_day_of_month(now), months[g_date_time_get_month(now) - 1],
                         g_date_time_get_year(now), g_date_time_get_hour(now),
                         g_date_time_get_minute(now), g_date_time_get_second(now));
}

/* The Subject value: as is when printable ASCII, else RFC 2047 (UTF-8, base64). */
static char *
encode_subject(const char *s)
{
  gboolean plain = TRUE;
  for (const char *p = s; *p; p++)
    plain = plain && *p >= ' ' && *p < 127;
  if (plain)
    return g_strdup(s);
  g_autofree char *b64 = g_base64_encode((const guchar *)s, strlen(s));
  return g_strdup_printf("=?UTF-8?B?%s?=", b64);
}

static gboolean fail(GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean
fail(GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, SL_ERROR, code, msg);
  return FALSE;
}

gboolean
sl_mail_send(const SlMail *m, GError **error)
{
  if (!m->server ||
      (!g_str_has_prefix(m->server, "smtp://") && !g_str_has_prefix(m->server, "smtps://")))
    return fail(error, SL_ERROR_INVALID, "mail server must be an smtp:// or smtps:// URL: %s",
                m->server ? m->server : "(none)");
  if (!sl_mail_address_is_valid(m->from))
    return fail(error, SL_ERROR_INVALID, "invalid sender address: %s", m->from ? m->from : "");
  if (!sl_mail_address_is_valid(m->to))
    return fail(error, SL_ERROR_INVALID, "invalid recipient address: %s", m->to ? m->to : "");
  if (!m->subject || strpbrk(m->subject, "\r\n") || !g_utf8_validate(m->subject, -1, NULL))
    return fail(error, SL_ERROR_INVALID, "invalid subject");
  if (!m->body || !g_utf8_validate(m->body, -1, NULL))
    return fail(error, SL_ERROR_INVALID, "the body must be UTF-8 text");
  for (guint i = 0; i < m->n_attachments; i++)
    if (!m->attachments[i].filename || strpbrk(m->attachments[i].filename, "\r\n\"/"))
      return fail(error, SL_ERROR_INVALID, "invalid attachment name");

  g_autofree char *date = rfc5322_date();
  g_autofree char *subject = encode_subject(m->subject);
  g_autofree char *uuid = g_uuid_string_random();
  const char *at = strchr(m->from, '@');
  g_autofree char *h_date = g_strdup_printf("Date: %s", date);
  g_autofree char *h_from = g_strdup_printf("From: <%s>", m->from);
  g_autofree char *h_to = g_strdup_printf("To: <%s>", m->to);
  g_autofree char *h_subject = g_strdup_printf("Subject: %s", subject);
  g_autofree char *h_id = g_strdup_printf("Message-ID: <%s%s>", uuid, at);
  g_autofree char *env_from = g_strdup_printf("<%s>", m->from);
  g_autofree char *env_to = g_strdup_printf("<%s>", m->to);
  const char *headers[] = {h_date, h_from, h_to, h_subject, h_id, NULL};
  const char *rcpt[] = {env_to, NULL};

  /* CRLF line ends: the quoted-printable encoder keeps them as line breaks */
  g_autoptr(GString) text = g_string_new(NULL);
  for (const char *p = m->body; *p; p++) {
    if (*p == '\n' && (p == m->body || p[-1] != '\r'))
      g_string_append_c(text, '\r');
    g_string_append_c(text, *p);
  }
  g_autofree SlHttpClientPart *parts = g_new0(SlHttpClientPart, m->n_attachments + 1);
  parts[0] = (SlHttpClientPart){.data = text->str,
                                .len = text->len,
                                .content_type = "text/plain; charset=utf-8",
                                .encoder = "quoted-printable"};
  for (guint i = 0; i < m->n_attachments; i++) {
    const SlMailAttachment *a = &m->attachments[i];
    parts[i + 1] = (SlHttpClientPart){.data = a->data,
                                      .len = a->len,
                                      .content_type = a->content_type,
                                      .filename = a->filename,
                                      .encoder = "base64"};
  }
  SlHttpClientRequest r = {
      .url = m->server,
      .protocols = "smtp,smtps",
      .headers = headers,
      .mail_from = env_from,
      .mail_rcpt = rcpt,
      .parts = parts,
      .n_parts = m->n_attachments + 1,
      .connect_timeout_s = 10,
      .timeout_s = (long)(m->timeout_s ? m->timeout_s : 30),
  };
  SlHttpClientAnswer a;
  g_autoptr(GError) net_error = NULL;
  gboolean sent = sl_http_client_perform(&r, &a, &net_error);
  sl_http_client_answer_clear(&a);
  if (!sent && !a.reason) { /* libcurl could not even start */
    g_propagate_error(error, g_steal_pointer(&net_error));
    return FALSE;
  }
  if (!sent)
    return fail(error, SL_ERROR_UNAVAILABLE, "cannot send mail through %s: %s%s%s (SMTP %ld)",
                m->server, a.reason, *a.detail ? ": " : "", a.detail, a.status);
  return TRUE;
}
