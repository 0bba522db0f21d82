/* negotiate.c - Accept header parsing and the choice among offered types. */
#include "http/negotiate.h"

#include <string.h>

/* One media range of an Accept header, pointing into the header. */
typedef struct {
  const char *type;
  gsize type_len;
  const char *subtype;
  gsize subtype_len;
  double q;
} Range;

static gboolean
is_tchar(char c)
{
  return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static gboolean
is_ows(char c)
{
  return c == ' ' || c == '\t';
}

static const char *
skip_ows(const char *p, const char *end)
{
  while (p < end && is_ows(*p))
    p++;
  return p;
}

static const char *
token_end(const char *p, const char *end)
{
  while (p < end && is_tchar(*p))
    p++;
  return p;
}

/* End of the item starting at p: the next ',' outside a quoted string. */
static const char *
item_end(const char *p)
{
  gboolean quoted = FALSE;
  for (; *p; p++) {
    if (quoted && *p == '\\' && p[1])
      p++;
    else if (*p == '"')
      quoted = !quoted;
    else if (!quoted && *p == ',')
      break;
  }
  return p;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static gboolean
parse_qvalue(const char *p, gsize n, double *q)
{
  if (n == 0 || (p[0] != '0' && p[0] != '1'))
    return FALSE;
  if (n > 1 && (p[1] != '.' || n > 5))
    return FALSE;
  double v = p[0] - '0', scale = 0.1;
  for (gsize i = 2; i < n; i++, scale /= 10) {
    if (!g_ascii_isdigit(p[i]) || (p[0] == '1' && p[i] != '0'))
      return FALSE;
    v += (p[i] - '0') * scale;
  }
  *q = v;
  return TRUE;
}

/* Parses one item [p, end); FALSE when it is not a well-formed media range. */
static gboolean
parse_range(const char *p, const char *end, Range *r)
{
  p = skip_ows(p, end);
  r->type = p;
  p = token_end(p, end);
  r->type_len = (gsize)(p - r->type);
  if (!r->type_len || p >= end || *p != '/')
    return FALSE;
  r->subtype = ++p;
  p = token_end(p, end);
  r->subtype_len = (gsize)(p - r->subtype);
  if (!r->subtype_len)
    return FALSE;
  gboolean type_star = r->type_len == 1 && r->type[0] == '*';
  gboolean sub_star = r->subtype_len == 1 && r->subtype[0] == '*';
  if ((type_star && !sub_star) || (!type_star && memchr(r->type, '*', r->type_len)) ||
      (!sub_star && memchr(r->subtype, '*', r->subtype_len)))
    return FALSE;
  r->q = 1.0;
  gboolean seen_q = FALSE;
  for (;;) {
    p = skip_ows(p, end);
    if (p == end)
      return TRUE;
    if (*p != ';')
      return FALSE;
    p = skip_ows(p + 1, end);
    if (p == end) /* a trailing ';' */
      return TRUE;
    const char *name = p;
    p = token_end(p, end);
    gsize name_len = (gsize)(p - name);
    if (!name_len || p >= end || *p != '=')
      return FALSE;
    const char *value = ++p;
    if (p < end && *p == '"') {
      for (p++; p < end && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end)
          p++;
      if (p >= end)
        return FALSE;
      p++;
    } else {
      p = token_end(p, end);
      if (p == value)
        return FALSE;
    }
    if (!seen_q && name_len == 1 && g_ascii_tolower(name[0]) == 'q') {
      if (!parse_qvalue(value, (gsize)(p - value), &r->q))
        return FALSE;
      seen_q = TRUE; /* later parameters are accept-ext: ignored */
    }
  }
}

static gboolean
same(const char *a, gsize a_len, const char *b, gsize b_len)
{
  return a_len == b_len && !g_ascii_strncasecmp(a, b, a_len);
}

/* 2 = type/subtype, 1 = type wildcard, 0 = full wildcard, -1 = no match. */
static int
specificity(const Range *r, const char *offered)
{
  const char *slash = strchr(offered, '/');
  gsize type_len = (gsize)(slash - offered);
  if (r->type_len == 1 && r->type[0] == '*')
    return 0;
  if (!same(r->type, r->type_len, offered, type_len))
    return -1;
  if (r->subtype_len == 1 && r->subtype[0] == '*')
    return 1;
  return same(r->subtype, r->subtype_len, slash + 1, strlen(slash + 1)) ? 2 : -1;
}

gboolean
sl_http_negotiate(const char *accept, const char *const *offered, gsize n_offered,
                  SlHttpNegotiation *out)
{
  g_return_val_if_fail(out != NULL, FALSE);
  g_return_val_if_fail(n_offered > 0 && n_offered <= SL_HTTP_NEGOTIATE_MAX_OFFERED, FALSE);
  for (gsize i = 0; i < n_offered; i++)
    g_return_val_if_fail(offered[i] && strchr(offered[i], '/'), FALSE);

  int spec[SL_HTTP_NEGOTIATE_MAX_OFFERED];
  double q[SL_HTTP_NEGOTIATE_MAX_OFFERED];
  for (gsize i = 0; i < n_offered; i++)
    spec[i] = -1, q[i] = 0;
  gboolean any_range = FALSE;
  for (const char *p = accept ? accept : ""; *p;) {
    const char *end = item_end(p);
    Range r;
    if (parse_range(p, end, &r)) {
      any_range = TRUE;
      for (gsize i = 0; i < n_offered; i++) {
        int s = specificity(&r, offered[i]);
        if (s > spec[i])
          spec[i] = s, q[i] = r.q;
      }
    }
    p = *end ? end + 1 : end;
  }
  if (!any_range) {
    *out = (SlHttpNegotiation){.index = 0, .q = 1.0, .named = FALSE};
    return TRUE;
  }
  *out = (SlHttpNegotiation){.index = -1, .q = 0, .named = FALSE};
  for (gsize i = 0; i < n_offered; i++)
    if (q[i] > out->q)
      *out = (SlHttpNegotiation){.index = (int)i, .q = q[i], .named = spec[i] == 2};
  return out->index >= 0;
}
