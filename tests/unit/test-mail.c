/* test-mail.c - src/util/mail.c against an in-process SMTP sink on
 * 127.0.0.1: envelope, headers, text part (quoted-printable, UTF-8),
 * attachment (base64, name), refusals, unreachable server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "smtp-sink.h"
#include "util/error.h"
#include "util/mail.h"

static const char draft[] = "<?xml version=\"1.0\"?>\n<rdf:RDF>a draft with a long line "
                            "that goes on and on past seventy-six columns of text</rdf:RDF>\n";

static void
test_send(void **state)
{
  (void)state;
  SmtpSink *sink = smtp_sink_new();
  g_autofree char *server = g_strdup_printf("smtp://127.0.0.1:%u", smtp_sink_port(sink));
  const char *body = "Hello ünïcode.\nThe validity of this entry is only 48 hours!\n"
                     "A line that is longer than seventy-six characters, so quoted-printable "
                     "must wrap it softly.\n";
  SlMailAttachment att = {"manifest-not-signed.xml", "application/xml", draft, strlen(draft)};
  SlMail m = {.server = server,
              .from = "noreply@cloud.example.org",
              .to = "builder@example.org",
              .subject = "New image created AAAAAAAAAAAAAAAAAAAAAAAAAAA",
              .body = body,
              .attachments = &att,
              .n_attachments = 1};
  g_autoptr(GError) error = NULL;
  assert_true(sl_mail_send(&m, &error));
  assert_null(error);
  const char *from = NULL, *rcpt = NULL;
  const char *msg = smtp_sink_message(sink, 0, &from, &rcpt);
  assert_non_null(msg);
  assert_string_equal(from, "<noreply@cloud.example.org>");
  assert_string_equal(rcpt, "<builder@example.org>");
  g_autofree char *subject = mime_header(msg, "Subject");
  assert_string_equal(subject, "New image created AAAAAAAAAAAAAAAAAAAAAAAAAAA");
  g_autofree char *hfrom = mime_header(msg, "From");
  assert_string_equal(hfrom, "<noreply@cloud.example.org>");
  g_autofree char *hto = mime_header(msg, "To");
  assert_string_equal(hto, "<builder@example.org>");
  g_autofree char *date = mime_header(msg, "Date");
  assert_true(g_regex_match_simple("^[A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} "
                                   "\\d\\d:\\d\\d:\\d\\d \\+0000$",
                                   date, 0, 0));
  g_autofree char *id = mime_header(msg, "Message-ID");
  assert_true(g_str_has_suffix(id, "@cloud.example.org>"));
  g_autofree char *ctype = mime_header(msg, "Content-Type");
  assert_true(g_str_has_prefix(ctype, "multipart/mixed; boundary="));
  gsize len = 0;
  g_autofree char *text = mime_part_body(msg, "text/plain; charset=utf-8", &len);
  assert_non_null(text);
  assert_string_equal(text, body); /* CRLF on the wire, read back as LF */
  g_autofree char *att_data = mime_part_body(msg, "filename=\"manifest-not-signed.xml\"", &len);
  assert_non_null(att_data);
  assert_int_equal(len, strlen(draft));
  assert_memory_equal(att_data, draft, len);
  assert_non_null(strstr(msg, "Content-Type: application/xml"));
  /* golden-ish: the layout of the message, boundaries and dates aside */
  const char *order[] = {"Content-Type: multipart/mixed; boundary=",
                         "Mime-Version: 1.0",
                         "Date: ",
                         "From: <noreply@cloud.example.org>",
                         "To: <builder@example.org>",
                         "Subject: New image created",
                         "Message-ID: <",
                         "Content-Type: text/plain; charset=utf-8",
                         "Content-Transfer-Encoding: quoted-printable",
                         "Hello =C3=BCn=C3=AFcode.",
                         "Content-Disposition: attachment; filename=\"manifest-not-signed.xml\"",
                         "Content-Transfer-Encoding: base64",
                         NULL};
  const char *at = msg;
  for (const char **o = order; *o; o++) {
    const char *hit = strstr(at, *o);
    if (!hit)
      fail_msg("missing or out of order: %s\n%s", *o, msg);
    at = hit;
  }
  smtp_sink_free(sink);
}

static void
test_non_ascii_subject(void **state)
{
  (void)state;
  SmtpSink *sink = smtp_sink_new();
  g_autofree char *server = g_strdup_printf("smtp://127.0.0.1:%u", smtp_sink_port(sink));
  SlMail m = {.server = server, .from = "a@b.c", .to = "d@e.f", .subject = "Ré", .body = "x"};
  g_autoptr(GError) error = NULL;
  assert_true(sl_mail_send(&m, &error));
  const char *msg = smtp_sink_message(sink, 0, NULL, NULL);
  g_autofree char *subject = mime_header(msg, "Subject");
  assert_string_equal(subject, "=?UTF-8?B?UsOp?=");
  smtp_sink_free(sink);
}

static void
test_refusals(void **state)
{
  (void)state;
  struct {
    SlMail m;
    const char *want;
  } cases[] = {
      {{.server = "http://127.0.0.1:25", .from = "a@b", .to = "c@d", .subject = "s", .body = ""},
       "smtp://"},
      {{.server = "smtp://127.0.0.1:25", .from = "nobody", .to = "c@d", .subject = "s", .body = ""},
       "invalid sender"},
      {{.server = "smtp://127.0.0.1:25", .from = "a@b", .to = "c d@e", .subject = "s", .body = ""},
       "invalid recipient"},
      {{.server = "smtp://127.0.0.1:25", .from = "a@b", .to = "<c@d>", .subject = "s", .body = ""},
       "invalid recipient"},
      {{.server = "smtp://127.0.0.1:25",
        .from = "a@b",
        .to = "c@d",
        .subject = "s\r\nBcc: x@y",
        .body = ""},
       "invalid subject"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    assert_false(sl_mail_send(&cases[i].m, &error));
    assert_int_equal(error->code, SL_ERROR_INVALID);
    if (!strstr(error->message, cases[i].want))
      fail_msg("case %zu: %s", i, error->message);
  }
  assert_true(sl_mail_address_is_valid("jane.tester@example.org"));
  assert_false(sl_mail_address_is_valid("@example.org"));
  assert_false(sl_mail_address_is_valid("a@"));
  assert_false(sl_mail_address_is_valid("a@b@c"));
}

static void
test_unreachable(void **state)
{
  (void)state;
  SmtpSink *sink = smtp_sink_new(); /* a port that was free: take it, then release it */
  guint16 port = smtp_sink_port(sink);
  smtp_sink_free(sink);
  g_autofree char *server = g_strdup_printf("smtp://127.0.0.1:%u", port);
  SlMail m = {.server = server, .from = "a@b.c", .to = "d@e.f", .subject = "s", .body = "x"};
  g_autoptr(GError) error = NULL;
  assert_false(sl_mail_send(&m, &error));
  assert_int_equal(error->code, SL_ERROR_UNAVAILABLE);
  assert_non_null(strstr(error->message, "cannot send mail through smtp://127.0.0.1:"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send),
      cmocka_unit_test(test_non_ascii_subject),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_unreachable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
