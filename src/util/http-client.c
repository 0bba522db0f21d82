/* http-client.c - one transfer over libcurl with the house rules (http-client.h). */
#include "util/http-client.h"

#include <curl/curl.h>
#include <string.h>

#include "sl-config.h"
#include "util/error.h"

typedef struct {
  const SlHttpClientRequest *req;
  SlHttpClientAnswer *answer;
  GError *error; /* the sink's */
} Transfer;

static size_t
on_data(char *data, size_t size, size_t n, void *user)
{
  Transfer *t = user;
  const SlHttpClientRequest *r = t->req;
  gsize len = size * n;
  if (t->error)
    return 0;
  if (r->sink)
    return r->sink(data, len, r->sink_data, &t->error) ? len : 0;
  GString *body = t->answer->body;
  if (r->max_body && body->len + len > r->max_body) {
    if (!r->truncate_body)
      return 0; /* libcurl fails with CURLE_WRITE_ERROR */
    g_string_append_len(body, data, (gssize)(r->max_body - body->len));
    return len;
  }
  g_string_append_len(body, data, (gssize)len);
  return len;
}

static int
on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
  (void)dt, (void)dn, (void)ut, (void)un;
  Transfer *t = user;
  return g_cancellable_is_cancelled(t->req->cancellable) ? 1 : 0;
}

static void
init_once(void)
{
  static gsize ready = 0;
  if (g_once_init_enter(&ready)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&ready, 1);
  }
}

static curl_mime *
build_mime(CURL *curl, const SlHttpClientRequest *r)
{
  curl_mime *mime = curl_mime_init(curl);
  for (guint i = 0; i < r->n_parts; i++) {
    const SlHttpClientPart *p = &r->parts[i];
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_data(part, p->data, p->len);
    curl_mime_type(part, p->content_type ? p->content_type : "application/octet-stream");
    if (p->filename)
      curl_mime_filename(part, p->filename);
    if (p->encoder)
      curl_mime_encoder(part, p->encoder);
  }
  return mime;
}

gboolean
sl_http_client_perform(const SlHttpClientRequest *r, SlHttpClientAnswer *answer, GError **error)
{
  init_once();
  memset(answer, 0, sizeof *answer);
  if (!r->sink)
    answer->body = g_string_new(NULL);
  CURL *curl = curl_easy_init();
  if (!curl) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot initialise libcurl");
    return FALSE;
  }
  Transfer t = {.req = r, .answer = answer};
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *headers = NULL;
  for (const char *const *h = r->headers; h && *h; h++)
    headers = curl_slist_append(headers, *h);
  struct curl_slist *rcpt = NULL;
  for (const char *const *m = r->mail_rcpt; m && *m; m++)
    rcpt = curl_slist_append(rcpt, *m);
  curl_mime *mime = r->parts ? build_mime(curl, r) : NULL;

  curl_easy_setopt(curl, CURLOPT_URL, r->url);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, r->protocols ? r->protocols : "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, r->user_agent ? r->user_agent : "stratus/" SL_VERSION);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   r->connect_timeout_s > 0 ? r->connect_timeout_s : 10L);
  if (r->timeout_s > 0)
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, r->timeout_s);
  if (r->low_speed_time_s > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, r->low_speed_time_s);
  }
  if (r->max_redirects > 0) {
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, r->max_redirects);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
                     r->redirect_protocols ? r->redirect_protocols : "http,https");
  }
  if (r->fail_on_http_error)
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  if (r->buffer_size > 0)
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, r->buffer_size);
  if (r->cancellable) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  }
  if (r->ca_file) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, r->ca_file);
    if (r->ca_with_system && g_file_test("/etc/ssl/certs", G_FILE_TEST_IS_DIR))
      curl_easy_setopt(curl, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
  if (r->username) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, r->username);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r->password ? r->password : "");
  }
  if (r->client_cert) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, r->client_cert);
    if (r->client_key)
      curl_easy_setopt(curl, CURLOPT_SSLKEY, r->client_key);
  }
  if (headers)
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (r->mail_from)
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, r->mail_from);
  if (rcpt)
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  if (mime)
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  if (r->method && strcmp(r->method, "GET") != 0)
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r->method);
  if (r->body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
  }
  if (r->verbose)
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);

  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer->status);
  if (mime)
    curl_mime_free(mime);
  curl_slist_free_all(headers);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);

  if (rc == CURLE_OK)
    return TRUE;
  answer->reason = curl_easy_strerror(rc);
  g_strlcpy(answer->detail, errbuf, sizeof answer->detail);
  answer->interrupted =
      rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT;
  if (t.error) {
    g_propagate_error(error, g_steal_pointer(&t.error));
  } else if (rc == CURLE_ABORTED_BY_CALLBACK && g_cancellable_is_cancelled(r->cancellable)) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  } else if (rc == CURLE_HTTP_RETURNED_ERROR) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "HTTP %ld from %s", answer->status, r->url);
  } else {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_UNAVAILABLE, errbuf[0] ? errbuf : answer->reason);
  }
  return FALSE;
}

void
sl_http_client_answer_clear(SlHttpClientAnswer *answer)
{
  if (answer->body)
    g_string_free(answer->body, TRUE);
  answer->body = NULL;
}

char *
sl_http_client_form_encode(const char *const *pairs)
{
  GString *s = g_string_new(NULL);
  for (gsize i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
    if (s->len)
      g_string_append_c(s, '&');
    g_string_append_uri_escaped(s, pairs[i], NULL, FALSE);
    g_string_append_c(s, '=');
    g_string_append_uri_escaped(s, pairs[i + 1], NULL, FALSE);
  }
  return g_string_free(s, FALSE);
}
