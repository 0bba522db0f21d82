/* parse.c - socket-free parsing: paths, bodies, Basic credentials, listen addresses. */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define PSWD_PREFIX "/pswd"

char *
sl_http_normalize_path(const char *path)
{
  if (!path || !*path)
    return g_strdup("/");
  gsize plen = strlen(PSWD_PREFIX);
  if (strncmp(path, PSWD_PREFIX, plen) == 0 && (path[plen] == '\0' || path[plen] == '/'))
    path += plen;
  gsize len = strlen(path);
  while (len > 0 && path[len - 1] == '/')
    len--;
  if (len == 0)
    return g_strdup("/");
  /* "//" collapsed to "/" (protocols.md §5.1) */
  GString *out = g_string_sized_new(len + 1);
  if (path[0] != '/')
    g_string_append_c(out, '/');
  for (gsize i = 0; i < len; i++)
    if (path[i] != '/' || out->len == 0 || out->str[out->len - 1] != '/')
      g_string_append_c(out, path[i]);
  return g_string_free(out, FALSE);
}

const char *
sl_http_effective_method(const char *method, GHashTable *query)
{
  if (!query || g_strcmp0(method, "POST") != 0)
    return method;
  const char *m = g_hash_table_lookup(query, "method");
  if (!m)
    return method;
  if (g_ascii_strcasecmp(m, "put") == 0)
    return "PUT";
  if (g_ascii_strcasecmp(m, "delete") == 0)
    return "DELETE";
  return method;
}

static gboolean
media_type_is(const char *content_type, const char *type)
{
  gsize n = strlen(type);
  if (g_ascii_strncasecmp(content_type, type, n) != 0)
    return FALSE;
  char next = content_type[n];
  return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

static gboolean
json_fields(const char *data, gsize len, GHashTable *out, GError **error)
{
  json_error_t jerr;
  json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid JSON body: %s", jerr.text);
    return FALSE;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "JSON body must be an object");
    return FALSE;
  }
  const char *key;
  json_t *value;
  json_object_foreach(root, key, value)
  {
    char *text = NULL;
    switch (json_typeof(value)) {
    case JSON_STRING:
      text = g_strndup(json_string_value(value), json_string_length(value));
      break;
    case JSON_INTEGER:
      text = g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
      break;
    case JSON_REAL: {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      text = g_strdup(g_ascii_dtostr(buf, sizeof buf, json_real_value(value)));
      break;
    }
    case JSON_TRUE:
      text = g_strdup("true");
      break;
    case JSON_FALSE:
      text = g_strdup("false");
      break;
    case JSON_NULL:
      continue;
    default: /* objects and arrays travel as their compact JSON text */
      text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
      if (text) {
        char *copy = g_strdup(text);
        free(text);
        text = copy;
      }
      break;
    }
    g_hash_table_insert(out, g_strdup(key), text);
  }
  json_decref(root);
  return TRUE;
}

GHashTable *
sl_http_parse_body(const char *content_type, const char *data, gsize len, GError **error)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  if (!data || len == 0)
    return g_steal_pointer(&fields);
  if (content_type && media_type_is(content_type, "application/json")) {
    if (!json_fields(data, len, fields, error))
      return NULL;
    return g_steal_pointer(&fields);
  }
  if (content_type && !media_type_is(content_type, "application/x-www-form-urlencoded") &&
      !media_type_is(content_type, "text/plain")) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNSUPPORTED, "unsupported content type: %s",
                content_type);
    return NULL;
  }
  if (memchr(data, '\0', len)) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid form body");
    return NULL;
  }
  g_autoptr(GError) local = NULL;
  GHashTable *parsed = g_uri_parse_params(data, (gssize)len, "&", G_URI_PARAMS_WWW_FORM, &local);
  if (!parsed) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid form body: %s", local->message);
    return NULL;
  }
  /* g_uri_parse_params owns its strings; copy into our table for uniform ownership */
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, parsed);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_hash_table_insert(fields, g_strdup(k), g_strdup(v));
  g_hash_table_unref(parsed);
  return g_steal_pointer(&fields);
}

gboolean
sl_http_parse_basic_auth(const char *header, char **user, char **password)
{
  *user = NULL;
  *password = NULL;
  if (!header)
    return FALSE;
  while (*header == ' ')
    header++;
  if (g_ascii_strncasecmp(header, "Basic", 5) != 0 || (header[5] != ' ' && header[5] != '\t'))
    return FALSE;
  header += 6;
  while (*header == ' ' || *header == '\t')
    header++;
  g_autofree char *b64 = g_strdup(header);
  g_strchomp(b64);
  gsize blen = strlen(b64);
  if (blen == 0 || blen > 4096 || blen % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < blen; i++)
    if (!g_ascii_isalnum(b64[i]) && b64[i] != '+' && b64[i] != '/' && b64[i] != '=')
      return FALSE;
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode(b64, &len);
  if (!raw || len == 0 || memchr(raw, '\0', len))
    return FALSE;
  const char *colon = memchr(raw, ':', len);
  if (!colon || colon == (const char *)raw)
    return FALSE;
  gsize ulen = (gsize)(colon - (const char *)raw);
  if (!g_utf8_validate((const char *)raw, (gssize)len, NULL))
    return FALSE;
  *user = g_strndup((const char *)raw, ulen);
  *password = g_strndup(colon + 1, len - ulen - 1);
  return TRUE;
}

gboolean
sl_http_parse_listen(const char *listen, guint16 default_port, char **host, guint16 *port,
                     GError **error)
{
  g_autofree char *h = NULL;
  const char *port_text = NULL;
  if (!listen || !*listen)
    goto bad;
  if (listen[0] == '[') {
    const char *end = strchr(listen, ']');
    if (!end || end == listen + 1)
      goto bad;
    h = g_strndup(listen + 1, (gsize)(end - listen - 1));
    if (end[1] == ':')
      port_text = end + 2;
    else if (end[1] != '\0')
      goto bad;
  } else {
    const char *colon = strrchr(listen, ':');
    if (colon && strchr(listen, ':') != colon) {
      /* bare IPv6 address without brackets */
      h = g_strdup(listen);
    } else if (colon) {
      if (colon == listen)
        goto bad;
      h = g_strndup(listen, (gsize)(colon - listen));
      port_text = colon + 1;
    } else {
      h = g_strdup(listen);
    }
  }
  guint64 p = default_port;
  if (port_text && !g_ascii_string_to_unsigned(port_text, 10, 0, 65535, &p, NULL))
    goto bad;
  *host = g_steal_pointer(&h);
  *port = (guint16)p;
  return TRUE;
bad:
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid listen address: %s (want ADDR:PORT)",
              listen ? listen : "");
  return FALSE;
}
