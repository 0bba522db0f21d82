/* test-web-template.c - the portal's templates (web/template.c): escaping by
 * default, raw values, sections, inverted sections, errors; every template
 * compiled into the program renders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gio/gio.h>
#include <string.h>

#include "web/template.h"

static char *
render(const char *tmpl, const char *json)
{
  json_t *ctx = json_loads(json, 0, NULL);
  assert_non_null(ctx);
  GString *out = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  gboolean ok = sl_web_template_render(tmpl, -1, ctx, out, &error);
  json_decref(ctx);
  if (!ok) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return g_string_free(out, FALSE);
}

#define R(expect, tmpl, json)                                                                      \
  do {                                                                                             \
    g_autofree char *got = render(tmpl, json);                                                     \
    assert_non_null(got);                                                                          \
    assert_string_equal(got, expect);                                                              \
  } while (0)

static void
test_values(void **state)
{
  (void)state;
  R("<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>", "<p>{{t}}</p>",
    "{\"t\": \"<script>alert('x')</script> & \\\"q\\\"\"}");
  R("<b>raw</b>", "{{{t}}}", "{\"t\": \"<b>raw</b>\"}");
  R("<b>raw</b>", "{{& t }}", "{\"t\": \"<b>raw</b>\"}");
  R("42 1.5 ", "{{n}} {{r}} {{missing}}{{f}}{{z}}",
    "{\"n\": 42, \"r\": 1.5, \"f\": false, \"z\": null}");
  R("in", "{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"in\"}}}");
  R("x", "{{! a comment }}x", "{}");
}

static void
test_sections(void **state)
{
  (void)state;
  R("[1:a][2:a]", "{{#l}}[{{n}}:{{o}}]{{/l}}", "{\"l\": [{\"n\": 1}, {\"n\": 2}], \"o\": \"a\"}");
  R("&lt;x&gt;,y,", "{{#l}}{{.}},{{/l}}", "{\"l\": [\"<x>\", \"y\"]}");
  R("yes", "{{#t}}yes{{/t}}{{#f}}no{{/f}}{{#e}}no{{/e}}{{#s}}no{{/s}}",
    "{\"t\": true, \"f\": false, \"e\": [], \"s\": \"\"}");
  R("none", "{{^l}}none{{/l}}{{^t}}no{{/t}}", "{\"l\": [], \"t\": \"x\"}");
  R("in-o", "{{#o}}{{v}}-{{w}}{{/o}}", "{\"o\": {\"v\": \"in\"}, \"w\": \"o\"}");
  R("(a(b))", "{{#x}}(a{{#x}}{{/x}}{{#y}}(b){{/y}}){{/x}}", "{\"x\": true, \"y\": 1}");
}

static void
test_errors(void **state)
{
  (void)state;
  const char *bad[] = {"{{x", "{{#x}}no end", "{{/x}}", "{{}}", "{{#x}}{{/y}}"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *got = render(bad[i], "{\"x\": true}");
    assert_null(got);
  }
}

/* Every template of the program renders with an empty and a full context. */
static void
test_all_templates(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = g_resources_enumerate_children("/eu/stratuslab/web/templates/",
                                                       G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  assert_non_null(names);
  assert_true(g_strv_length(names) >= 5);
  for (char **n = names; *n; n++) {
    g_autoptr(GBytes) t = sl_web_template_get(*n, &error);
    assert_non_null(t);
    gsize len;
    const char *text = g_bytes_get_data(t, &len);
    GString *out = g_string_new(NULL);
    json_t *ctx = json_object();
    gboolean ok = sl_web_template_render(text, (gssize)len, ctx, out, &error);
    json_decref(ctx);
    g_string_free(out, TRUE);
    if (!ok)
      fail_msg("%s: %s", *n, error->message);
  }
  assert_null(sl_web_template_get("no-such.html", NULL));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_sections),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_all_templates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
