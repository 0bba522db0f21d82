/* template.c - the Mustache subset of template.h: one recursive pass over the
 * template text, a stack of jansson contexts, escaping by default. */
#include "web/template.h"

#include <gio/gio.h>
#include <string.h>

#include "util/error.h"

#define MAX_DEPTH 32

typedef struct {
  json_t *stack[MAX_DEPTH];
  guint depth;
} Stack;

static json_t *
lookup1(Stack *st, const char *name, gsize len)
{
  if (len == 1 && name[0] == '.')
    return st->depth ? st->stack[st->depth - 1] : NULL;
  g_autofree char *key = g_strndup(name, len);
  for (guint i = st->depth; i > 0; i--) {
    json_t *c = st->stack[i - 1];
    if (json_is_object(c)) {
      json_t *v = json_object_get(c, key);
      if (v)
        return v;
    }
  }
  return NULL;
}

static json_t *
lookup(Stack *st, const char *name, gsize len)
{
  const char *dot = len > 1 ? memchr(name, '.', len) : NULL;
  if (!dot)
    return lookup1(st, name, len);
  json_t *v = lookup1(st, name, dot - name);
  const char *p = dot + 1, *end = name + len;
  while (v && p < end) {
    const char *q = memchr(p, '.', end - p);
    gsize n = q ? (gsize)(q - p) : (gsize)(end - p);
    g_autofree char *key = g_strndup(p, n);
    v = json_is_object(v) ? json_object_get(v, key) : NULL;
    p = q ? q + 1 : end;
  }
  return v;
}

static gboolean
truthy(json_t *v)
{
  if (!v || json_is_null(v) || json_is_false(v))
    return FALSE;
  if (json_is_array(v))
    return json_array_size(v) > 0;
  if (json_is_string(v))
    return json_string_length(v) > 0;
  if (json_is_integer(v))
    return json_integer_value(v) != 0;
  if (json_is_real(v))
    return json_real_value(v) != 0;
  return TRUE;
}

static void
append_value(GString *out, json_t *v, gboolean escape)
{
  if (!v)
    return;
  g_autofree char *text = NULL;
  const char *s = NULL;
  gsize n = 0;
  if (json_is_string(v)) {
    s = json_string_value(v);
    n = json_string_length(v);
  } else if (json_is_integer(v)) {
    text = g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
  } else if (json_is_real(v)) {
    text = g_strdup_printf("%g", json_real_value(v));
  }
  if (text) {
    s = text;
    n = strlen(text);
  }
  if (!s)
    return;
  if (!escape) {
    g_string_append_len(out, s, (gssize)n);
    return;
  }
  for (gsize i = 0; i < n; i++) {
    switch (s[i]) {
    case '&':
      g_string_append(out, "&amp;");
      break;
    case '<':
      g_string_append(out, "&lt;");
      break;
    case '>':
      g_string_append(out, "&gt;");
      break;
    case '"':
      g_string_append(out, "&quot;");
      break;
    case '\'':
      g_string_append(out, "&#39;");
      break;
    default:
      g_string_append_c(out, s[i]);
    }
  }
}

static gboolean
fail(GError **error, const char *what, const char *at, gsize n)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "template: %s near \"%.*s\"", what,
              (int)MIN(n, (gsize)40), at);
  return FALSE;
}

/* Trims spaces around a tag name. */
static void
trim(const char **s, gsize *n)
{
  while (*n && g_ascii_isspace(**s))
    (*s)++, (*n)--;
  while (*n && g_ascii_isspace((*s)[*n - 1]))
    (*n)--;
}

/* Finds the {{/name}} that closes a section whose body starts at p; sets
 * *body_end (start of the close tag) and *after (just past it). */
static gboolean
find_close(const char *p, const char *end, const char *name, gsize nlen, const char **body_end,
           const char **after)
{
  int level = 1;
  while (p < end) {
    const char *o = g_strstr_len(p, end - p, "{{");
    if (!o)
      return FALSE;
    const char *c = g_strstr_len(o + 2, end - o - 2, "}}");
    if (!c)
      return FALSE;
    char kind = o[2];
    const char *tn = o + 3;
    gsize tl = c - tn;
    trim(&tn, &tl);
    if ((kind == '#' || kind == '^') && tl == nlen && !memcmp(tn, name, nlen))
      level++;
    else if (kind == '/' && tl == nlen && !memcmp(tn, name, nlen) && --level == 0) {
      *body_end = o;
      *after = c + 2;
      return TRUE;
    }
    p = c + 2;
  }
  return FALSE;
}

static gboolean
render(const char *p, const char *end, Stack *st, GString *out, GError **error)
{
  while (p < end) {
    const char *o = g_strstr_len(p, end - p, "{{");
    if (!o) {
      g_string_append_len(out, p, end - p);
      return TRUE;
    }
    g_string_append_len(out, p, o - p);
    gboolean triple = o + 2 < end && o[2] == '{';
    const char *close = g_strstr_len(o + 2, end - o - 2, triple ? "}}}" : "}}");
    if (!close)
      return fail(error, "unclosed tag", o, end - o);
    const char *after = close + (triple ? 3 : 2);
    char kind = triple ? '{' : o[2];
    const char *name = o + 3;
    gsize nlen = close - name;
    if (!triple && !strchr("#^/!&", kind)) {
      kind = 0;
      name = o + 2;
      nlen = close - name;
    }
    trim(&name, &nlen);
    if (kind != '!' && nlen == 0)
      return fail(error, "empty tag", o, end - o);
    switch (kind) {
    case '!':
      break;
    case '/':
      return fail(error, "close without open", o, end - o);
    case '{':
    case '&':
      append_value(out, lookup(st, name, nlen), FALSE);
      break;
    case 0:
      append_value(out, lookup(st, name, nlen), TRUE);
      break;
    case '#':
    case '^': {
      const char *body_end, *next;
      if (!find_close(after, end, name, nlen, &body_end, &next))
        return fail(error, "unclosed section", o, end - o);
      json_t *v = lookup(st, name, nlen);
      gboolean on = truthy(v);
      if (kind == '^') {
        if (!on && !render(after, body_end, st, out, error))
          return FALSE;
      } else if (on) {
        if (st->depth + 1 >= MAX_DEPTH)
          return fail(error, "sections nested too deep", o, end - o);
        if (json_is_array(v)) {
          gsize i;
          json_t *el;
          json_array_foreach(v, i, el)
          {
            st->stack[st->depth++] = el;
            gboolean ok = render(after, body_end, st, out, error);
            st->depth--;
            if (!ok)
              return FALSE;
          }
        } else if (json_is_object(v)) {
          st->stack[st->depth++] = v;
          gboolean ok = render(after, body_end, st, out, error);
          st->depth--;
          if (!ok)
            return FALSE;
        } else if (!render(after, body_end, st, out, error)) {
          return FALSE;
        }
      }
      after = next;
      break;
    }
    }
    p = after;
  }
  return TRUE;
}

gboolean
sl_web_template_render(const char *tmpl, gssize len, json_t *ctx, GString *out, GError **error)
{
  gsize n = len < 0 ? strlen(tmpl) : (gsize)len;
  Stack st = {.depth = 0};
  if (ctx)
    st.stack[st.depth++] = ctx;
  return render(tmpl, tmpl + n, &st, out, error);
}

GBytes *
sl_web_template_get(const char *name, GError **error)
{
  g_autofree char *path = g_strconcat("/eu/stratuslab/web/templates/", name, NULL);
  GBytes *b = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!b)
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "no template %s", name);
  return b;
}
