/* mail.c - one e-mail over SMTP with libcurl's MIME API (see mail.h). */
#include "util/mail.h"

#include <curl/curl.h>
#include <string.h>

#include "util/error.h"

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

  CURL *curl = curl_easy_init();
  if (!curl)
    return fail(error, SL_ERROR_INTERNAL, "cannot initialise libcurl");
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
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, h_date);
  headers = curl_slist_append(headers, h_from);
  headers = curl_slist_append(headers, h_to);
  headers = curl_slist_append(headers, h_subject);
  headers = curl_slist_append(headers, h_id);
  struct curl_slist *rcpt = curl_slist_append(NULL, env_to);

  /* CRLF line ends: the quoted-printable encoder keeps them as line breaks */
  g_autoptr(GString) text = g_string_new(NULL);
  for (const char *p = m->body; *p; p++) {
    if (*p == '\n' && (p == m->body || p[-1] != '\r'))
      g_string_append_c(text, '\r');
    g_string_append_c(text, *p);
  }
  curl_mime *mime = curl_mime_init(curl);
  curl_mimepart *part = curl_mime_addpart(mime);
  curl_mime_data(part, text->str, text->len);
  curl_mime_type(part, "text/plain; charset=utf-8");
  curl_mime_encoder(part, "quoted-printable");
  for (guint i = 0; i < m->n_attachments; i++) {
    const SlMailAttachment *a = &m->attachments[i];
    part = curl_mime_addpart(mime);
    curl_mime_data(part, a->data, a->len);
    curl_mime_type(part, a->content_type ? a->content_type : "application/octet-stream");
    curl_mime_filename(part, a->filename);
    curl_mime_encoder(part, "base64");
  }

  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, m->server);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, env_from);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)(m->timeout_s ? m->timeout_s : 30));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_mime_free(mime);
  curl_slist_free_all(headers);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return fail(error, SL_ERROR_UNAVAILABLE, "cannot send mail through %s: %s%s%s (SMTP %ld)",
                m->server, curl_easy_strerror(rc), *errbuf ? ": " : "", errbuf, code);
  return TRUE;
}
