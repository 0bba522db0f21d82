/* test-multipart.c - the streaming multipart/form-data parser (http/multipart.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/multipart.h"
#include "util/error.h"

/* ---- a recorder: "[name|filename|type]content{end}" per part ------------ */

typedef struct {
  GString *log;
  gsize bytes;      /* content bytes received */
  guint data_calls; /* data() calls */
  int stop_at;      /* begin() of this part index fails (-1: never) */
} Rec;

static gboolean
rec_begin(const SlHttpPart *part, gpointer data, GError **error)
{
  Rec *r = data;
  if ((int)part->index == r->stop_at) {
    g_set_error(error, SL_ERROR, SL_ERROR_TOO_LARGE, "the receiver wants no part %u", part->index);
    return FALSE;
  }
  g_string_append_printf(r->log, "[%s|%s|%s]", part->name, part->filename ? part->filename : "-",
                         part->content_type ? part->content_type : "-");
  return TRUE;
}

static gboolean
rec_data(const SlHttpPart *part, const char *bytes, gsize len, gpointer data, GError **error)
{
  (void)part;
  (void)error;
  Rec *r = data;
  assert_true(len > 0);
  g_string_append_len(r->log, bytes, (gssize)len);
  r->bytes += len;
  r->data_calls++;
  return TRUE;
}

static gboolean
rec_end(const SlHttpPart *part, gpointer data, GError **error)
{
  (void)part;
  (void)error;
  g_string_append(((Rec *)data)->log, "{end}");
  return TRUE;
}

static const SlHttpMultipartCallbacks rec_cb = {rec_begin, rec_data, rec_end};

/* Parses body fed in pieces of step bytes (0 = all at once). Returns the log,
 * or NULL with *code set to the error's code. */
static char *
parse(const char *ct, const char *body, gsize len, gsize step, int *code)
{
  Rec r = {.log = g_string_new(NULL), .stop_at = -1};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(ct, &rec_cb, &r, &error);
  gboolean ok = mp != NULL;
  for (gsize off = 0; ok && (off < len || off == 0); off += step ? step : len) {
    gsize n = step ? MIN(step, len - off) : len;
    ok = sl_http_multipart_feed(mp, body + off, n, &error);
    if (!len)
      break;
  }
  if (ok)
    ok = sl_http_multipart_finish(mp, &error);
  if (!ok) {
    assert_non_null(error);
    assert_true(g_str_has_prefix(error->message, "invalid multipart body: ") ||
                g_str_has_prefix(error->message, "content type") ||
                g_str_has_prefix(error->message, "multipart/form-data needs"));
    assert_null(strchr(error->message, '\n'));
    *code = error->code;
    g_string_free(r.log, TRUE);
    return NULL;
  }
  *code = 0;
  return g_string_free(r.log, FALSE);
}

#define CT "multipart/form-data; boundary=XyZ"

static const char form[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n"
    "\r\n"
    "hello\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"Metadata File\"; filename=\"e.xml\"\r\n"
    "Content-Type:  text/xml \r\n"
    "X-Other: ignored\r\n"
    "\r\n"
    "<a>--XyZ not yet\r\n-XyZ \r\n--Xy</a>\r\n"
    "--XyZ--\r\n";
static const char form_log[] = "[note|-|-]hello{end}[Metadata File|e.xml|text/xml]"
                               "<a>--XyZ not yet\r\n-XyZ \r\n--Xy</a>{end}";

static void
test_parts_any_slicing(void **state)
{
  (void)state;
  int code;
  for (gsize step = 0; step <= 40; step++) {
    g_autofree char *log = parse(CT, form, sizeof form - 1, step, &code);
    assert_int_equal(code, 0);
    assert_string_equal(log, form_log);
  }
}

static void
test_preamble_epilogue_padding_quotes(void **state)
{
  (void)state;
  static const char body[] =
      "This is a preamble --a-b\r\n"
      "\r\n--a-b \t \r\n"
      "Content-Disposition: form-data; name=\"x;y\"; filename=\"C:\\dir\\f.txt\"\r\n"
      "\r\n"
      "\r\n" /* content is one empty line */
      "\r\n--a-b\r\n"
      "Content-Disposition: FORM-DATA; name=empty\r\n"
      "\r\n"
      "\r\n--a-b--  epilogue\r\n--a-b\r\nignored";
  int code;
  g_autofree char *log = parse("Multipart/Form-Data ; charset=utf-8; boundary=\"a-b\"", body,
                               sizeof body - 1, 0, &code);
  assert_int_equal(code, 0);
  assert_string_equal(log, "[x;y|C:\\dir\\f.txt|-]\r\n{end}[empty|-|-]{end}");
}

static void
test_bad_content_types(void **state)
{
  (void)state;
  int code;
  assert_null(parse(NULL, "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_UNSUPPORTED);
  assert_null(parse("application/xml", "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_UNSUPPORTED);
  assert_null(parse("multipart/form-data", "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_INVALID);
  assert_null(parse("multipart/form-data; boundary=", "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_INVALID);
  assert_null(parse("multipart/form-data; boundary=\"open", "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_INVALID);
  g_autofree char *long_ct = g_strdup_printf("multipart/form-data; boundary=%071d", 7);
  assert_null(parse(long_ct, "", 0, 0, &code));
  assert_int_equal(code, SL_ERROR_INVALID);
  long_ct[strlen(long_ct) - 1] = '\0'; /* 70 characters: fine */
  g_autofree char *body =
      g_strdup_printf("--%s--", long_ct + strlen("multipart/form-data; boundary="));
  g_autofree char *log = parse(long_ct, body, strlen(body), 0, &code);
  assert_string_equal(log, "");
}

/* Each malformed body and the error code it gives. */
static void
test_malformed(void **state)
{
  (void)state;
  static const struct {
    const char *body;
    int code;
  } cases[] = {
      {"", SL_ERROR_INVALID}, /* nothing: no closing boundary */
      {"no boundary at all", SL_ERROR_INVALID},
      {"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\ncut", SL_ERROR_INVALID},
      {"--XyZ\r\nContent-Disposition: form-data; name=a\r\n", SL_ERROR_INVALID},
      {"--XyZx\r\n", SL_ERROR_INVALID}, /* no CRLF after a boundary */
      {"--XyZ-x", SL_ERROR_INVALID},
      {"--XyZ\r\n\r\nno headers\r\n--XyZ--", SL_ERROR_INVALID}, /* no Content-Disposition */
      {"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
      {"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
      {"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
      {"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
      {"--XyZ\r\n: no name\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
      {"--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n--XyZ--", SL_ERROR_INVALID},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    int code = -1;
    char *log = parse(CT, cases[i].body, strlen(cases[i].body), 0, &code);
    if (log)
      fail_msg("case %zu parsed: %s", i, log);
    assert_int_equal(code, cases[i].code);
  }
  /* a NUL in the headers */
  static const char nul[] =
      "--XyZ\r\nContent-Disposition: form-data; name=a\0b\r\n\r\nx\r\n--XyZ--";
  int code;
  assert_null(parse(CT, nul, sizeof nul - 1, 0, &code));
  assert_int_equal(code, SL_ERROR_INVALID);
  /* a NUL in the content is content */
  static const char nul_content[] =
      "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\0\r\n--XyZ--";
  g_autofree char *log = parse(CT, nul_content, sizeof nul_content - 1, 1, &code);
  assert_memory_equal(log, "[a|-|-]\0{end}", 13);
}

static void
test_limits(void **state)
{
  (void)state;
  GString *body = g_string_new(NULL);
  for (int i = 0; i < SL_HTTP_MULTIPART_MAX_PARTS + 1; i++)
    g_string_append_printf(body, "--XyZ\r\nContent-Disposition: form-data; name=p%d\r\n\r\n%d\r\n",
                           i, i);
  g_string_append(body, "--XyZ--");
  int code;
  assert_null(parse(CT, body->str, body->len, 0, &code));
  assert_int_equal(code, SL_ERROR_TOO_LARGE);
  g_string_free(body, TRUE);

  /* headers: one byte over the limit, in one piece and in small ones */
  GString *h = g_string_new("--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: ");
  while (h->len < SL_HTTP_MULTIPART_MAX_HEADER_BYTES + 10)
    g_string_append_c(h, 'y');
  g_string_append(h, "\r\n\r\nx\r\n--XyZ--");
  assert_null(parse(CT, h->str, h->len, 0, &code));
  assert_int_equal(code, SL_ERROR_TOO_LARGE);
  assert_null(parse(CT, h->str, h->len, 100, &code));
  assert_int_equal(code, SL_ERROR_TOO_LARGE);
  g_string_free(h, TRUE);

  /* set_limits: two parts allowed */
  g_autoptr(GError) error = NULL;
  Rec r = {.log = g_string_new(NULL), .stop_at = -1};
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(CT, &rec_cb, &r, &error);
  sl_http_multipart_set_limits(mp, 1, 1024);
  assert_false(sl_http_multipart_feed(mp, form, sizeof form - 1, &error));
  assert_int_equal(error->code, SL_ERROR_TOO_LARGE);
  assert_string_equal(r.log->str, "[note|-|-]hello{end}");
  g_clear_error(&error);
  /* no more input after an error */
  assert_false(sl_http_multipart_feed(mp, "x", 1, &error));
  g_clear_error(&error);
  assert_false(sl_http_multipart_finish(mp, &error));
  g_string_free(r.log, TRUE);
}

static void
test_receiver_stops(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  Rec r = {.log = g_string_new(NULL), .stop_at = 1};
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(CT, &rec_cb, &r, &error);
  assert_false(sl_http_multipart_feed(mp, form, sizeof form - 1, &error));
  assert_string_equal(error->message, "the receiver wants no part 1");
  assert_int_equal(sl_http_multipart_get_parts(mp), 2);
  g_string_free(r.log, TRUE);
}

/* A 4 MiB file fed in 1000-byte pieces reaches the receiver while it is fed. */
static void
test_streaming(void **state)
{
  (void)state;
  const gsize size = 4 * 1024 * 1024;
  g_autoptr(GError) error = NULL;
  Rec r = {.log = g_string_new(NULL), .stop_at = -1};
  g_autoptr(SlHttpMultipart) mp = sl_http_multipart_new(CT, &rec_cb, &r, &error);
  const char head[] = "--XyZ\r\nContent-Disposition: form-data; name=f; filename=big\r\n\r\n";
  assert_true(sl_http_multipart_feed(mp, head, sizeof head - 1, &error));
  char piece[1000];
  memset(piece, 'a', sizeof piece);
  piece[500] = '\r', piece[501] = '\n', piece[502] = '-', piece[503] = '-'; /* almost a boundary */
  gsize fed = 0;
  while (fed < size) {
    assert_true(sl_http_multipart_feed(mp, piece, sizeof piece, &error));
    fed += sizeof piece;
    /* all but at most a boundary's length has been handed on */
    assert_true(r.bytes + strlen("\r\n--XyZ") > fed);
  }
  assert_true(sl_http_multipart_feed(mp, "\r\n--XyZ--\r\n", 11, &error));
  assert_true(sl_http_multipart_finish(mp, &error));
  assert_int_equal(r.bytes, fed);
  assert_true(r.data_calls >= size / 1000);
  g_string_free(r.log, TRUE);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parts_any_slicing),
      cmocka_unit_test(test_preamble_epilogue_padding_quotes),
      cmocka_unit_test(test_bad_content_types),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_receiver_stops),
      cmocka_unit_test(test_streaming),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
