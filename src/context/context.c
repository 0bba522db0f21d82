/* context.c - context variables, context.sh and the _STRATUSLAB CD. */
#include "context/context.h"

#include <string.h>

#include "context/iso.h"
#include "util/error.h"

typedef struct {
  gchar *path;
  GBytes *data;
  guint mode;
} ExtraFile;

struct SlContext {
  GTree *vars;      /* normalised key -> value, both owned */
  GPtrArray *files; /* ExtraFile, in insertion order */
};

static void
extra_file_free(gpointer p)
{
  ExtraFile *f = p;

  g_free(f->path);
  g_bytes_unref(f->data);
  g_free(f);
}

static gint
key_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
  (void)unused;
  return strcmp(a, b);
}

SlContext *
sl_context_new(void)
{
  SlContext *ctx = g_new0(SlContext, 1);

  ctx->vars = g_tree_new_full(key_cmp, NULL, g_free, g_free);
  ctx->files = g_ptr_array_new_with_free_func(extra_file_free);
  return ctx;
}

void
sl_context_free(SlContext *ctx)
{
  if (ctx == NULL)
    return;
  g_tree_unref(ctx->vars);
  g_ptr_array_unref(ctx->files);
  g_free(ctx);
}

gchar *
sl_context_normalize_key(const char *key, GError **error)
{
  g_autofree gchar *up = NULL;

  if (key == NULL || key[0] == '\0') {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid context key ``: empty key");
    return NULL;
  }
  up = g_ascii_strup(key, -1);
  for (const char *c = up; *c != '\0'; c++) {
    gboolean ok = g_ascii_isupper(*c) || *c == '_' || (c != up && g_ascii_isdigit(*c));
    if (!ok) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "invalid context key `%s`: keys must match [A-Z_][A-Z0-9_]* (case ignored)", key);
      return NULL;
    }
  }
  return g_steal_pointer(&up);
}

gboolean
sl_context_set(SlContext *ctx, const char *key, const char *value, GError **error)
{
  gchar *norm = sl_context_normalize_key(key, error);

  if (norm == NULL)
    return FALSE;
  if (value == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "context key `%s` has no value", key);
    g_free(norm);
    return FALSE;
  }
  g_tree_replace(ctx->vars, norm, g_strdup(value));
  return TRUE;
}

const char *
sl_context_get(const SlContext *ctx, const char *key)
{
  g_autofree gchar *norm = sl_context_normalize_key(key, NULL);

  return norm != NULL ? g_tree_lookup(ctx->vars, norm) : NULL;
}

gboolean
sl_context_remove(SlContext *ctx, const char *key)
{
  g_autofree gchar *norm = sl_context_normalize_key(key, NULL);

  return norm != NULL && g_tree_remove(ctx->vars, norm);
}

guint
sl_context_size(const SlContext *ctx)
{
  return (guint)g_tree_nnodes(ctx->vars);
}

typedef struct {
  GHFunc func;
  gpointer data;
} ForeachData;

static gboolean
foreach_cb(gpointer key, gpointer value, gpointer data)
{
  ForeachData *fd = data;

  fd->func(key, value, fd->data);
  return FALSE;
}

void
sl_context_foreach(const SlContext *ctx, GHFunc func, gpointer user_data)
{
  ForeachData fd = {func, user_data};

  g_tree_foreach(ctx->vars, foreach_cb, &fd);
}

gboolean
sl_context_add_file(SlContext *ctx, const char *path, GBytes *data, guint mode, GError **error)
{
  g_auto(GStrv) parts = NULL;
  ExtraFile *f;

  if (path == NULL || path[0] == '\0' || path[0] == '/' || g_str_equal(path, SL_CONTEXT_FILE) ||
      data == NULL || !g_utf8_validate(path, -1, NULL))
    goto invalid;
  parts = g_strsplit(path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || g_str_equal(parts[i], ".") || g_str_equal(parts[i], ".."))
      goto invalid;
  for (guint i = 0; i < ctx->files->len; i++) {
    ExtraFile *other = g_ptr_array_index(ctx->files, i);
    if (g_str_equal(other->path, path)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "duplicate context file: %s", path);
      return FALSE;
    }
  }
  f = g_new0(ExtraFile, 1);
  f->path = g_strdup(path);
  f->data = g_bytes_ref(data);
  f->mode = mode & 07777;
  g_ptr_array_add(ctx->files, f);
  return TRUE;

invalid:
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid context file path: %s",
              path != NULL ? path : "(null)");
  return FALSE;
}

/* Appends 'value' in POSIX single quotes: every byte is literal inside
 * '...', and a ' is written as '\'' (close, escaped quote, reopen). */
static void
append_quoted(GString *out, const char *value)
{
  g_string_append_c(out, '\'');
  for (const char *c = value; *c != '\0'; c++) {
    if (*c == '\'')
      g_string_append(out, "'\\''");
    else
      g_string_append_c(out, *c);
  }
  g_string_append_c(out, '\'');
}

static gboolean
render_cb(gpointer key, gpointer value, gpointer data)
{
  GString *out = data;

  g_string_append(out, key);
  g_string_append_c(out, '=');
  append_quoted(out, value);
  g_string_append_c(out, '\n');
  return FALSE;
}

gchar *
sl_context_render(const SlContext *ctx)
{
  GString *out = g_string_new(SL_CONTEXT_HEADER);

  g_tree_foreach(ctx->vars, render_cb, out);
  return g_string_free(out, FALSE);
}

gboolean
sl_context_write_iso(const SlContext *ctx, const char *path, GError **error)
{
  return sl_context_write_iso_label(ctx, path, NULL, error);
}

gboolean
sl_context_write_iso_label(const SlContext *ctx, const char *path, const char *label,
                           GError **error)
{
  gchar *text = sl_context_render(ctx);
  gsize len = strlen(text);
  g_autoptr(GBytes) script = g_bytes_new_take(text, len);
  g_autofree SlIsoEntry *entries = g_new0(SlIsoEntry, ctx->files->len + 1);

  entries[0] = (SlIsoEntry){SL_CONTEXT_FILE, script, 0644};
  for (guint i = 0; i < ctx->files->len; i++) {
    ExtraFile *f = g_ptr_array_index(ctx->files, i);
    entries[i + 1] = (SlIsoEntry){f->path, f->data, f->mode};
  }
  return sl_iso_write(path, label ? label : SL_CONTEXT_VOLUME_ID, entries, ctx->files->len + 1,
                      error);
}
