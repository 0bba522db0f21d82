/* multipart.c - the multipart/form-data state machine over a small look-ahead buffer. */
#include "http/multipart.h"

#include <string.h>

#include "util/error.h"

#define MAX_BOUNDARY 70
#define MAX_PADDING 256 /* spaces/tabs allowed after a boundary */
#define BAD "invalid multipart body: "
#define FEED_SLICE (64 * 1024)

typedef enum { ST_PREAMBLE, ST_AFTER_DELIM, ST_HEADERS, ST_CONTENT, ST_DONE, ST_FAILED } State;

struct SlHttpMultipart {
  SlHttpMultipartCallbacks cb;
  gpointer data;
  char *delim; /* "\r\n--" boundary */
  gsize dlen;
  GByteArray *buf; /* unprocessed input from pos on */
  gsize pos;
  State state;
  gsize padding;
  guint parts;
  guint max_parts;
  gsize max_header_bytes;
  SlHttpPart part;
  char *name, *filename, *content_type;
};

static gboolean
is_tchar(char c)
{
  return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "value; a=b; c="d"": the value (lower case) and the parameters (names
 * lower case, first of each name kept). FALSE when a parameter is broken. */
static gboolean
parse_params(const char *s, char **value, GHashTable **params)
{
  const char *p = s;
  while (*p == ' ' || *p == '\t')
    p++;
  const char *v = p;
  while (*p && *p != ';')
    p++;
  g_autofree char *raw = g_strndup(v, (gsize)(p - v));
  *value = g_ascii_strdown(g_strchomp(raw), -1);
  *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  while (*p == ';') {
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    const char *n = p;
    while (is_tchar(*p))
      p++;
    if (p == n || *p != '=')
      return FALSE;
    g_autofree char *name = g_ascii_strdown(n, (gssize)(p - n));
    p++;
    char *val;
    if (*p == '"') {
      const char *q = strchr(p + 1, '"');
      if (!q)
        return FALSE;
      val = g_strndup(p + 1, (gsize)(q - p - 1));
      p = q + 1;
    } else {
      const char *t = p;
      while (is_tchar(*p))
        p++;
      if (p == t)
        return FALSE;
      val = g_strndup(t, (gsize)(p - t));
    }
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p && *p != ';') {
      g_free(val);
      return FALSE;
    }
    if (g_hash_table_contains(*params, name))
      g_free(val);
    else
      g_hash_table_insert(*params, g_steal_pointer(&name), val);
  }
  return TRUE;
}

SlHttpMultipart *
sl_http_multipart_new(const char *content_type, const SlHttpMultipartCallbacks *callbacks,
                      gpointer data, GError **error)
{
  g_autofree char *type = NULL;
  g_autoptr(GHashTable) params = NULL;
  gboolean ok = parse_params(content_type ? content_type : "", &type, &params);
  if (strcmp(type, "multipart/form-data") != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNSUPPORTED, "content type %s is not multipart/form-data",
                *type ? type : "(none)");
    return NULL;
  }
  const char *boundary = ok ? g_hash_table_lookup(params, "boundary") : NULL;
  if (!boundary || !*boundary || strlen(boundary) > MAX_BOUNDARY) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "multipart/form-data needs a boundary of 1 to %d characters", MAX_BOUNDARY);
    return NULL;
  }
  SlHttpMultipart *mp = g_new0(SlHttpMultipart, 1);
  if (callbacks)
    mp->cb = *callbacks;
  mp->data = data;
  mp->delim = g_strconcat("\r\n--", boundary, NULL);
  mp->dlen = strlen(mp->delim);
  mp->buf = g_byte_array_new();
  /* the first boundary may start the body: look for it after a CRLF */
  g_byte_array_append(mp->buf, (const guint8 *)"\r\n", 2);
  mp->max_parts = SL_HTTP_MULTIPART_MAX_PARTS;
  mp->max_header_bytes = SL_HTTP_MULTIPART_MAX_HEADER_BYTES;
  return mp;
}

void
sl_http_multipart_set_limits(SlHttpMultipart *mp, guint max_parts, gsize max_header_bytes)
{
  g_return_if_fail(mp != NULL);
  mp->max_parts = max_parts;
  mp->max_header_bytes = max_header_bytes;
}

guint
sl_http_multipart_get_parts(const SlHttpMultipart *mp)
{
  return mp ? mp->parts : 0;
}

static void
clear_part(SlHttpMultipart *mp)
{
  g_clear_pointer(&mp->name, g_free);
  g_clear_pointer(&mp->filename, g_free);
  g_clear_pointer(&mp->content_type, g_free);
  memset(&mp->part, 0, sizeof mp->part);
}

void
sl_http_multipart_free(SlHttpMultipart *mp)
{
  if (!mp)
    return;
  clear_part(mp);
  g_free(mp->delim);
  g_byte_array_unref(mp->buf);
  g_free(mp);
}

static gboolean
fail(SlHttpMultipart *mp, GError **error, int code, const char *message)
{
  mp->state = ST_FAILED;
  g_set_error_literal(error, SL_ERROR, code, message);
  return FALSE;
}

/* A callback's verdict: a FALSE without an error still stops. */
static gboolean
callback_result(SlHttpMultipart *mp, gboolean ok, GError *local, GError **error)
{
  if (ok) {
    g_clear_error(&local);
    return TRUE;
  }
  mp->state = ST_FAILED;
  if (local)
    g_propagate_error(error, local);
  else
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID,
                        "multipart body stopped by the receiver");
  return FALSE;
}

static gboolean
parse_headers(SlHttpMultipart *mp, const char *block, gsize len, GError **error)
{
  if (memchr(block, '\0', len))
    return fail(mp, error, SL_ERROR_INVALID, BAD "NUL in part headers");
  g_autofree char *text = g_strndup(block, len);
  g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
  gboolean disposition = FALSE;
  for (char **l = lines; *l; l++) {
    if (!**l)
      continue;
    if (**l == ' ' || **l == '\t')
      return fail(mp, error, SL_ERROR_INVALID, BAD "folded part header");
    char *colon = strchr(*l, ':');
    gsize n = colon ? (gsize)(colon - *l) : 0;
    for (gsize i = 0; i < n; i++)
      if (!is_tchar((*l)[i]))
        n = 0;
    if (!n)
      return fail(mp, error, SL_ERROR_INVALID, BAD "part header line without a name and ':'");
    *colon = '\0';
    const char *value = colon + 1;
    if (!g_ascii_strcasecmp(*l, "content-disposition") && !disposition) {
      g_autofree char *kind = NULL;
      g_autoptr(GHashTable) params = NULL;
      if (!parse_params(value, &kind, &params) || strcmp(kind, "form-data") != 0)
        return fail(mp, error, SL_ERROR_INVALID,
                    BAD "Content-Disposition of a part is not form-data; name=...");
      const char *name = g_hash_table_lookup(params, "name");
      if (!name)
        return fail(mp, error, SL_ERROR_INVALID, BAD "a part without a name");
      mp->name = g_strdup(name);
      mp->filename = g_strdup(g_hash_table_lookup(params, "filename"));
      disposition = TRUE;
    } else if (!g_ascii_strcasecmp(*l, "content-type") && !mp->content_type) {
      mp->content_type = g_strstrip(g_strdup(value));
    }
  }
  if (!disposition)
    return fail(mp, error, SL_ERROR_INVALID, BAD "a part without Content-Disposition");
  mp->part = (SlHttpPart){.name = mp->name,
                          .filename = mp->filename,
                          .content_type = mp->content_type,
                          .index = mp->parts - 1};
  return TRUE;
}

static gboolean
emit(SlHttpMultipart *mp, const char *bytes, gsize len, GError **error)
{
  if (!len || !mp->cb.data)
    return TRUE;
  GError *local = NULL;
  gboolean ok = mp->cb.data(&mp->part, bytes, len, mp->data, &local);
  return callback_result(mp, ok, local, error);
}

/* Consumes as much of buf as the state machine can; TRUE when it needs more input. */
static gboolean
process(SlHttpMultipart *mp, GError **error)
{
  for (;;) {
    const char *p = (const char *)mp->buf->data + mp->pos;
    gsize avail = mp->buf->len - mp->pos;
    const char *found;
    switch (mp->state) {
    case ST_PREAMBLE:
      found = memmem(p, avail, mp->delim, mp->dlen);
      if (!found) {
        if (avail >= mp->dlen)
          mp->pos += avail - (mp->dlen - 1);
        return TRUE;
      }
      mp->pos += (gsize)(found - p) + mp->dlen;
      mp->state = ST_AFTER_DELIM;
      mp->padding = 0;
      continue;
    case ST_AFTER_DELIM:
      if (!avail)
        return TRUE;
      if (mp->padding == 0 && p[0] == '-') {
        if (avail < 2)
          return TRUE;
        if (p[1] != '-')
          return fail(mp, error, SL_ERROR_INVALID, BAD "no CRLF after a boundary");
        mp->state = ST_DONE;
        continue;
      }
      if (p[0] == ' ' || p[0] == '\t') {
        if (++mp->padding > MAX_PADDING)
          return fail(mp, error, SL_ERROR_INVALID, BAD "no CRLF after a boundary");
        mp->pos++;
        continue;
      }
      if (avail < 2)
        return TRUE;
      if (p[0] != '\r' || p[1] != '\n')
        return fail(mp, error, SL_ERROR_INVALID, BAD "no CRLF after a boundary");
      mp->pos += 2;
      if (mp->parts >= mp->max_parts)
        return fail(mp, error, SL_ERROR_TOO_LARGE, BAD "too many parts");
      mp->parts++;
      mp->state = ST_HEADERS;
      continue;
    case ST_HEADERS: {
      gsize block, skip;
      if (avail < 2)
        return TRUE;
      if (p[0] == '\r' && p[1] == '\n') {
        block = 0, skip = 2; /* no headers at all */
      } else {
        found = memmem(p, avail, "\r\n\r\n", 4);
        if (!found) {
          if (avail > mp->max_header_bytes)
            return fail(mp, error, SL_ERROR_TOO_LARGE, BAD "part headers too large");
          return TRUE;
        }
        block = (gsize)(found - p), skip = block + 4;
      }
      if (block > mp->max_header_bytes)
        return fail(mp, error, SL_ERROR_TOO_LARGE, BAD "part headers too large");
      if (!parse_headers(mp, p, block, error))
        return FALSE;
      mp->pos += skip;
      mp->state = ST_CONTENT;
      if (mp->cb.begin) {
        GError *local = NULL;
        gboolean ok = mp->cb.begin(&mp->part, mp->data, &local);
        if (!callback_result(mp, ok, local, error))
          return FALSE;
      }
      continue;
    }
    case ST_CONTENT:
      found = memmem(p, avail, mp->delim, mp->dlen);
      if (!found) {
        if (avail >= mp->dlen) {
          gsize n = avail - (mp->dlen - 1);
          mp->pos += n;
          if (!emit(mp, p, n, error))
            return FALSE;
        }
        return TRUE;
      }
      mp->pos += (gsize)(found - p) + mp->dlen;
      if (!emit(mp, p, (gsize)(found - p), error))
        return FALSE;
      if (mp->cb.end) {
        GError *local = NULL;
        gboolean ok = mp->cb.end(&mp->part, mp->data, &local);
        if (!callback_result(mp, ok, local, error))
          return FALSE;
      }
      clear_part(mp);
      mp->state = ST_AFTER_DELIM;
      mp->padding = 0;
      continue;
    case ST_DONE:
      mp->pos = mp->buf->len; /* the epilogue */
      return TRUE;
    case ST_FAILED:
    default:
      return fail(mp, error, SL_ERROR_INVALID, BAD "input after an error");
    }
  }
}

gboolean
sl_http_multipart_feed(SlHttpMultipart *mp, const char *bytes, gsize len, GError **error)
{
  g_return_val_if_fail(mp != NULL && (bytes || !len), FALSE);
  if (mp->state == ST_FAILED)
    return fail(mp, error, SL_ERROR_INVALID, BAD "input after an error");
  /* in slices, so that the look-ahead buffer stays small whatever len is */
  do {
    gsize n = MIN(len, FEED_SLICE);
    if (n && mp->state != ST_DONE)
      g_byte_array_append(mp->buf, (const guint8 *)bytes, (guint)n);
    gboolean ok = process(mp, error);
    g_byte_array_remove_range(mp->buf, 0, (guint)mp->pos);
    mp->pos = 0;
    if (!ok)
      return FALSE;
    if (n)
      bytes += n, len -= n;
  } while (len);
  return TRUE;
}

gboolean
sl_http_multipart_finish(SlHttpMultipart *mp, GError **error)
{
  g_return_val_if_fail(mp != NULL, FALSE);
  if (mp->state == ST_DONE)
    return TRUE;
  if (mp->state == ST_FAILED)
    return fail(mp, error, SL_ERROR_INVALID, BAD "input after an error");
  return fail(mp, error, SL_ERROR_INVALID, BAD "no closing boundary (cut short?)");
}
