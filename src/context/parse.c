/* parse.c - client-side splitting of --context and --context-file (protocols.md §1.2, §3.2). */
#include "context/context.h"

#include <string.h>

#include "util/error.h"

void
sl_context_pair_free(SlContextPair *pair)
{
  if (pair == NULL)
    return;
  g_free(pair->key);
  g_free(pair->value);
  g_free(pair);
}

/* Splits item at the first '='; NULL if there is none. */
static SlContextPair *
split_item(const char *item)
{
  const char *eq = strchr(item, '=');
  SlContextPair *pair;

  if (eq == NULL)
    return NULL;
  pair = g_new0(SlContextPair, 1);
  pair->key = g_strstrip(g_strndup(item, (gsize)(eq - item)));
  pair->value = g_strdup(eq + 1);
  return pair;
}

GPtrArray *
sl_context_parse_arg(const char *arg, GError **error)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func((GDestroyNotify)sl_context_pair_free);
  g_auto(GStrv) items = g_strsplit(arg != NULL ? arg : "", "#", -1);

  for (guint i = 0; items[i] != NULL; i++) {
    SlContextPair *pair;

    if (items[i][0] == '\0')
      continue;
    pair = split_item(items[i]);
    if (pair == NULL) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Syntax error in line `%s`", items[i]);
      return NULL;
    }
    g_ptr_array_add(pairs, pair);
  }
  return g_steal_pointer(&pairs);
}

GPtrArray *
sl_context_parse_text(const char *text, gsize len, GError **error)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func((GDestroyNotify)sl_context_pair_free);
  const char *p = text, *end = text + len;
  guint lineno = 0;

  if (len > 0 && memchr(text, '\0', len) != NULL) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "context file contains a NUL byte");
    return NULL;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *stop = nl != NULL ? nl : end;
    g_autofree gchar *line = NULL;
    SlContextPair *pair;

    lineno++;
    if (stop > p && stop[-1] == '\r')
      line = g_strndup(p, (gsize)(stop - 1 - p));
    else
      line = g_strndup(p, (gsize)(stop - p));
    p = nl != NULL ? nl + 1 : end;

    if (line[strspn(line, " \t")] == '\0')
      continue;
    pair = split_item(line);
    if (pair == NULL) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "Syntax error in line `%s` (line %u)", line,
                  lineno);
      return NULL;
    }
    g_ptr_array_add(pairs, pair);
  }
  return g_steal_pointer(&pairs);
}

GPtrArray *
sl_context_parse_file(const char *path, GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr(GError) local = NULL;
  gsize len = 0;

  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_NOT_FOUND, "Extra context file does not exist");
    return NULL;
  }
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot read context file %s: %s", path,
                local->message);
    return NULL;
  }
  return sl_context_parse_text(text, len, error);
}

gboolean
sl_context_set_pairs(SlContext *ctx, GPtrArray *pairs, GError **error)
{
  for (guint i = 0; i < pairs->len; i++) {
    SlContextPair *pair = g_ptr_array_index(pairs, i);
    if (!sl_context_set(ctx, pair->key, pair->value, error))
      return FALSE;
  }
  return TRUE;
}
