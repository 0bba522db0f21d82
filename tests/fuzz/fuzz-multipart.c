/* fuzz-multipart.c - multipart/form-data bodies (src/http/multipart.c).
 * Input: the Content-Type on the first line, then the body. The body is
 * parsed twice, in one piece and in small pieces: both give the same parts,
 * content and verdict (the parser's result does not depend on how the body
 * arrives), and the content handed on never exceeds the body. */
#include "fuzz.h"
#include "http/multipart.h"

typedef struct {
  GString *log;
} Rec;

static gboolean
on_begin(const SlHttpPart *part, gpointer data, GError **error)
{
  (void)error;
  Rec *r = data;
  g_assert(part->name != NULL);
  g_string_append_printf(r->log, "[%u|%s|%s|%s]", part->index, part->name,
                         part->filename ? part->filename : "-",
                         part->content_type ? part->content_type : "-");
  return TRUE;
}

static gboolean
on_data(const SlHttpPart *part, const char *bytes, gsize len, gpointer data, GError **error)
{
  (void)part;
  (void)error;
  g_assert(len > 0);
  g_string_append_len(((Rec *)data)->log, bytes, (gssize)len);
  return TRUE;
}

static gboolean
on_end(const SlHttpPart *part, gpointer data, GError **error)
{
  (void)error;
  g_string_append_printf(((Rec *)data)->log, "{%u}", part->index);
  return TRUE;
}

static const SlHttpMultipartCallbacks cb = {on_begin, on_data, on_end};

/* The log of one parse, then "OK" or the error's code and message. */
static char *
run(const char *type, const uint8_t *data, size_t size, size_t step)
{
  Rec r = {g_string_new(NULL)};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(type, &cb, &r, &error);
  gboolean ok = mp != NULL;
  for (size_t off = 0; ok && off < size; off += step)
    ok = sl_http_multipart_feed(mp, (const char *)data + off, MIN(step, size - off), &error);
  if (ok)
    ok = sl_http_multipart_finish(mp, &error);
  g_assert(ok == (error == NULL));
  if (ok)
    g_string_append(r.log, "\nOK");
  else
    g_string_append_printf(r.log, "\nERR %d %s", error->code, error->message);
  return g_string_free(r.log, FALSE);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *type = fuzz_take_line(&data, &size);
  g_autofree char *whole = run(type, data, size, size ? size : 1);
  g_autofree char *pieces = run(type, data, size, 1 + size % 7);
  if (strcmp(whole, pieces) != 0) {
    /* an error can be found at a different point: only its verdict must agree */
    g_assert(g_str_has_prefix(strrchr(whole, '\n'), "\nERR") &&
             g_str_has_prefix(strrchr(pieces, '\n'), "\nERR"));
  }
  return 0;
}
