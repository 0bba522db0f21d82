/* test-negotiate.c - Accept parsing and the choice among offered types (http/negotiate.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/negotiate.h"

/* The Marketplace's list: XML (three names), JSON, HTML (two names). */
static const char *const market[] = {"application/xml", "application/rdf+xml",
                                     "text/xml",        "application/json",
                                     "text/html",       "application/xhtml+xml"};

/* The index chosen for accept among market[] (-1 = 406). */
static int
pick(const char *accept, gboolean *named, double *q)
{
  SlHttpNegotiation n = {.index = 99};
  gboolean ok = sl_http_negotiate(accept, market, G_N_ELEMENTS(market), &n);
  assert_int_equal(ok, n.index >= 0);
  if (named)
    *named = n.named;
  if (q)
    *q = n.q;
  return n.index;
}

static void
test_no_accept_is_first(void **state)
{
  (void)state;
  gboolean named = TRUE;
  double q = 0;
  assert_int_equal(pick(NULL, &named, &q), 0);
  assert_false(named);
  assert_true(q == 1.0);
  assert_int_equal(pick("", NULL, NULL), 0);
  assert_int_equal(pick("  , ,", NULL, NULL), 0);
  /* nothing well-formed: as if absent */
  assert_int_equal(pick("garbage", NULL, NULL), 0);
  assert_int_equal(pick("*/html, text, /json", NULL, NULL), 0);
}

static void
test_exact_names(void **state)
{
  (void)state;
  gboolean named = FALSE;
  assert_int_equal(pick("application/json", &named, NULL), 3);
  assert_true(named);
  assert_int_equal(pick("text/html", NULL, NULL), 4);
  assert_int_equal(pick("application/rdf+xml", &named, NULL), 1);
  assert_true(named);
  assert_int_equal(pick("TEXT/XML", NULL, NULL), 2); /* case does not matter */
  assert_int_equal(pick("Application/XHTML+xml", NULL, NULL), 5);
}

static void
test_wildcards(void **state)
{
  (void)state;
  gboolean named = TRUE;
  assert_int_equal(pick("*/*", &named, NULL), 0);
  assert_false(named);
  assert_int_equal(pick("text/*", &named, NULL), 2); /* text/xml comes before text/html */
  assert_false(named);
  assert_int_equal(pick("application/*", NULL, NULL), 0);
  /* a wildcard does not name the type: errors need not be XML */
  assert_int_equal(pick("application/*;q=0.9, application/json;q=0.5", &named, NULL), 0);
  assert_false(named);
}

static void
test_q_values(void **state)
{
  (void)state;
  double q = 0;
  assert_int_equal(pick("application/json;q=0.5, text/html;q=0.9, */*;q=0.1", NULL, &q), 4);
  assert_true(q > 0.89 && q < 0.91);
  /* a browser's Accept */
  assert_int_equal(
      pick("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", NULL, NULL), 4);
  assert_int_equal(pick("application/xml;q=0.001, application/json;q=0.002", NULL, NULL), 3);
  assert_int_equal(pick("text/html;q=1.000, application/json;Q=0.999", NULL, NULL), 4);
  assert_int_equal(pick("application/json ; q=0.7 ; level=1, text/html;q=0.6", NULL, NULL), 3);
  assert_int_equal(pick("application/json;q=0., text/html;q=0", NULL, NULL), -1);
}

static void
test_ties_go_to_server_order(void **state)
{
  (void)state;
  assert_int_equal(pick("application/json, application/xml", NULL, NULL), 0);
  assert_int_equal(pick("text/html, application/json", NULL, NULL), 3);
  assert_int_equal(pick("text/html;q=0.5, application/json;q=0.5", NULL, NULL), 3);
}

static void
test_most_specific_range_counts(void **state)
{
  (void)state;
  /* the exact range sets json's q even when a wildcard comes first */
  assert_int_equal(pick("*/*;q=0.9, application/json;q=0.1, text/*;q=0.2", NULL, NULL), 0);
  assert_int_equal(
      pick("*/*, application/xml;q=0, application/rdf+xml;q=0, text/xml;q=0", NULL, NULL), 3);
  /* type/<star> beats <star>/<star> */
  assert_int_equal(pick("*/*;q=0.1, text/*;q=0.8", NULL, NULL), 2);
  assert_int_equal(pick("text/*;q=0, */*", NULL, NULL), 0);
  assert_int_equal(pick("application/*;q=0, text/*;q=0, */*", NULL, NULL), -1);
}

static void
test_none_fits_is_406(void **state)
{
  (void)state;
  SlHttpNegotiation n;
  assert_false(sl_http_negotiate("image/png", market, G_N_ELEMENTS(market), &n));
  assert_int_equal(n.index, -1);
  assert_true(n.q == 0);
  assert_int_equal(pick("image/*, video/mp4;q=0.5", NULL, NULL), -1);
  assert_int_equal(pick("application/json;q=0", NULL, NULL), -1);
  assert_int_equal(pick("*/*;q=0", NULL, NULL), -1);
}

static void
test_malformed_ranges_are_skipped(void **state)
{
  (void)state;
  /* bad q values: the range is ignored, the next still counts */
  assert_int_equal(pick("application/json;q=2, text/html", NULL, NULL), 4);
  assert_int_equal(pick("application/json;q=0.1234, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("application/json;q=1.5, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("application/json;q=-1, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("application/json;q=, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("application/json;q, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("application/json junk, text/html;q=0.1", NULL, NULL), 4);
  assert_int_equal(pick("text/*html, application/json;q=0.1", NULL, NULL), 3);
  assert_int_equal(pick("*/json, application/json;q=0.1", NULL, NULL), 3);
  /* empty items (a fuzz regression of the old parser) */
  assert_int_equal(pick("application/json,", NULL, NULL), 3);
  assert_int_equal(pick(",,application/json,,", NULL, NULL), 3);
  /* a quoted parameter may hold ',' and ';' */
  assert_int_equal(pick("text/html;foo=\"a,b;q=0\";q=0.4, application/json;q=0.3", NULL, NULL), 4);
  assert_int_equal(pick("text/html;foo=\"a\\\"b,c\", application/json;q=0.3", NULL, NULL), 4);
  /* an unclosed quote eats the rest of the header */
  assert_int_equal(pick("application/json;q=0.2, text/html;x=\"open, application/xml", NULL, NULL),
                   3);
  /* a trailing ';' is allowed */
  assert_int_equal(pick("application/json;", NULL, NULL), 3);
}

static void
test_other_offers(void **state)
{
  (void)state;
  const char *const one[] = {"application/json"};
  SlHttpNegotiation n;
  assert_true(sl_http_negotiate("text/html, */*;q=0.1", one, 1, &n));
  assert_int_equal(n.index, 0);
  assert_false(n.named);
  assert_false(sl_http_negotiate("text/html", one, 1, &n));
  const char *const html_first[] = {"text/html", "application/json"};
  assert_true(sl_http_negotiate("*/*", html_first, 2, &n));
  assert_int_equal(n.index, 0);
  assert_true(sl_http_negotiate("application/json, text/html", html_first, 2, &n));
  assert_int_equal(n.index, 0);
  /* a long header of many ranges */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 5000; i++)
    g_string_append_printf(big, "x-%d/y;q=0.5, ", i);
  g_string_append(big, "application/json;q=0.2");
  assert_true(sl_http_negotiate(big->str, html_first, 2, &n));
  assert_int_equal(n.index, 1);
  g_string_free(big, TRUE);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_accept_is_first),
      cmocka_unit_test(test_exact_names),
      cmocka_unit_test(test_wildcards),
      cmocka_unit_test(test_q_values),
      cmocka_unit_test(test_ties_go_to_server_order),
      cmocka_unit_test(test_most_specific_range_counts),
      cmocka_unit_test(test_none_fits_is_406),
      cmocka_unit_test(test_malformed_ranges_are_skipped),
      cmocka_unit_test(test_other_offers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
