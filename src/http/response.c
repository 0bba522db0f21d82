/* response.c - response objects and the JSON error form. */
#include "http/http.h"

#include <stdarg.h>
#include <string.h>

#include "http/status.h"

struct SlHttpResponse {
  guint status;
  char *content_type;
  GBytes *body;
  GPtrArray *headers; /* name, value, …, NULL */
};

SlHttpResponse *
sl_http_response_new(guint status, const char *content_type, GBytes *body)
{
  SlHttpResponse *resp = g_new0(SlHttpResponse, 1);
  resp->status = status;
  resp->content_type = g_strdup(content_type);
  resp->body = body ? g_bytes_ref(body) : NULL;
  resp->headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(resp->headers, NULL);
  return resp;
}

SlHttpResponse *
sl_http_response_new_json(guint status, json_t *json)
{
  char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(json);
  if (!text)
    return sl_http_response_new_message(500, "cannot serialise the answer");
  gsize len = strlen(text);
  /* jansson allocates with malloc; hand the buffer over without copying */
  g_autoptr(GBytes) body = g_bytes_new_with_free_func(text, len, free, text);
  return sl_http_response_new(status, "application/json", body);
}

static SlHttpResponse *
error_response(guint status, const char *message)
{
  json_t *obj = json_object();
  json_object_set_new(obj, "message", json_string(message ? message : ""));
  json_object_set_new(obj, "code", json_integer(status));
  return sl_http_response_new_json(status, obj);
}

SlHttpResponse *
sl_http_response_new_error(const GError *error)
{
  guint status = sl_http_status_for_error(error);
  SlHttpResponse *resp = error_response(status, error ? error->message : "internal error");
  if (status == 401)
    sl_http_response_add_header(resp, "WWW-Authenticate", "Basic realm=\"StratusLab\"");
  return resp;
}

SlHttpResponse *
sl_http_response_new_message(guint status, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  SlHttpResponse *resp = error_response(status, message);
  if (status == 401)
    sl_http_response_add_header(resp, "WWW-Authenticate", "Basic realm=\"StratusLab\"");
  return resp;
}

void
sl_http_response_add_header(SlHttpResponse *resp, const char *name, const char *value)
{
  /* keep the array NULL-terminated */
  g_ptr_array_remove_index(resp->headers, resp->headers->len - 1);
  g_ptr_array_add(resp->headers, g_strdup(name));
  g_ptr_array_add(resp->headers, g_strdup(value));
  g_ptr_array_add(resp->headers, NULL);
}

void
sl_http_response_free(SlHttpResponse *resp)
{
  if (!resp)
    return;
  g_free(resp->content_type);
  if (resp->body)
    g_bytes_unref(resp->body);
  g_ptr_array_unref(resp->headers);
  g_free(resp);
}

guint
sl_http_response_get_status(const SlHttpResponse *resp)
{
  return resp->status;
}

const char *
sl_http_response_get_content_type(const SlHttpResponse *resp)
{
  return resp->content_type;
}

GBytes *
sl_http_response_get_body(const SlHttpResponse *resp)
{
  return resp->body;
}

const char *const *
sl_http_response_get_headers(const SlHttpResponse *resp, guint *n_pairs)
{
  if (n_pairs)
    *n_pairs = (resp->headers->len - 1) / 2;
  return (const char *const *)resp->headers->pdata;
}

const char *
sl_http_response_get_header(const SlHttpResponse *resp, const char *name)
{
  for (guint i = 0; i + 1 < resp->headers->len; i += 2)
    if (g_ascii_strcasecmp(resp->headers->pdata[i], name) == 0)
      return resp->headers->pdata[i + 1];
  return NULL;
}
