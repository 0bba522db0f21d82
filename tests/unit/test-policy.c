/* test-policy.c - src/market/policy.c: a policy file in the 13.05 layout written by
 * the test (multi-line lists, trailing blanks, empty lists), every rule and message,
 * only non-empty lists applied, parse errors; the 13.05 client's own policy.cfg
 * when the fixtures are there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "helpers.h"
#include "market/policy.h"
#include "util/error.h"

/* Interoperability: the policy.cfg of the 13.05 client (skipped without the fixtures). */
static SlMarketPolicy *
fixture(void)
{
  g_autofree char *path = th_fixture("client/policy.cfg");
  g_autoptr(GError) error = NULL;
  SlMarketPolicy *p = sl_market_policy_load(path, &error);
  if (!p)
    fail_msg("%s", error->message);
  return p;
}

static SlMarketEntry *
entry(const char *id, const char *email, const char *sha1)
{
  SlMarketEntry *e = sl_market_entry_new();
  e->identifier = g_strdup(id);
  e->email = g_strdup(email);
  e->sha1 = g_strdup(sha1);
  return e;
}

static void
expect(const SlMarketPolicy *p, SlMarketEntry *e, const char *reason)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = sl_market_policy_check(p, e, &error);
  if (!reason) {
    if (!ok)
      fail_msg("refused: %s", error->message);
  } else {
    assert_false(ok);
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_FORBIDDEN));
    assert_string_equal(error->message, reason);
  }
  sl_market_entry_free(e);
}

static void
test_fixture_lists(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketPolicy) p = fixture();
  assert_int_equal(p->whitelist_endorsers->len, 6);
  assert_string_equal(p->whitelist_endorsers->pdata[0], "airaj@lal.in2p3.fr");
  assert_string_equal(p->whitelist_endorsers->pdata[3], "Konstantin.Skaburskas@cern.ch");
  assert_int_equal(p->blacklist_endorsers->len, 1);
  assert_string_equal(p->blacklist_endorsers->pdata[0], "hackers@example.org");
  assert_int_equal(p->whitelist_images->len, 3);
  assert_string_equal(p->whitelist_images->pdata[1], "MMZu9WvwKIro-rtBQfDk4PsKO7_");
  assert_int_equal(p->blacklist_images->len, 1);
  assert_int_equal(p->whitelist_checksums->len, 0); /* empty: not applied */
  assert_int_equal(p->blacklist_checksums->len, 1);
  assert_string_equal(p->blacklist_checksums->pdata[0], "639ac4915da045efa809bd02b2609d9d3f932e85");
  assert_false(sl_market_policy_is_empty(p));
}

static void
test_fixture_rules(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketPolicy) p = fixture();
  const char *good_id = "MMZu9WvwKIro-rtBQfDk4PsKO7_";
  const char *good_sum = "c319bbd5afc0a22ba3eaed0507c39383ec28eeff";
  expect(p, entry(good_id, "jane.tester@example.org", good_sum), NULL);
  expect(p, entry(good_id, "JANE.Tester@example.org", good_sum), NULL); /* e-mail case */
  expect(p, entry(good_id, "konstantin.skaburskas@cern.ch", good_sum), NULL);
  expect(p, entry(good_id, "someone@example.org", good_sum),
         "email endorser someone@example.org is not whitelisted, rejecting entry");
  expect(p, entry(good_id, NULL, good_sum),
         "email endorser (none) is not whitelisted, rejecting entry");
  expect(p, entry("BEE8-MMAw-Lk_IgsEExAy3d9R8h", "jane.tester@example.org", good_sum),
         "image BEE8-MMAw-Lk_IgsEExAy3d9R8h is not whitelisted, rejecting entry");
  expect(p, entry(good_id, "jane.tester@example.org", "639AC4915da045efa809bd02b2609d9d3f932e85"),
         "checksum 639AC4915da045efa809bd02b2609d9d3f932e85 is blacklisted, rejecting entry");
  /* numerically equal with a leading zero */
  expect(p, entry(good_id, "jane.tester@example.org", "0639ac4915da045efa809bd02b2609d9d3f932e85"),
         "checksum 0639ac4915da045efa809bd02b2609d9d3f932e85 is blacklisted, rejecting entry");
}

/* A policy file written by the test, in the 13.05 layout (continuation lines,
 * blank values, trailing blanks): lists and rules. */
static void
test_own_policy(void **state)
{
  (void)state;
  const char *text = "[endorsers]\n"
                     "whitelistendorsers=\n"
                     " ops@cloud.example.net\n"
                     " Alice.Signer@cloud.example.net \n"
                     "\n"
                     "blacklistendorsers=\n"
                     " mallory@cloud.example.net\n"
                     "\n"
                     "[images]\n"
                     "whitelistimages=\n"
                     " Ce3uQbAaxJMbTBaCXWO2FZPRFTT\n"
                     " JcqGhHxmTRAEpHMmRF-xhSTM3TO\n"
                     "blacklistimages=\n"
                     " F49uQGH1uwT4mG9Lqj2pYnWkApd\n"
                     "[checksums]\n"
                     "whitelistchecksums=\n"
                     "\n"
                     "blacklistchecksums=\n"
                     " 5e3db90187d6ec13e261bd2ea8f6a589d6900a5d\n";
  g_autofree char *dir = th_tmpdir_new("sl-policy-XXXXXX");
  g_autofree char *path = g_build_filename(dir, "policy.cfg", NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketPolicy) p = sl_market_policy_load(path, &error);
  assert_non_null(p);
  assert_int_equal(p->whitelist_endorsers->len, 2);
  assert_string_equal(p->whitelist_endorsers->pdata[1], "Alice.Signer@cloud.example.net");
  assert_int_equal(p->blacklist_endorsers->len, 1);
  assert_int_equal(p->whitelist_images->len, 2);
  assert_string_equal(p->whitelist_images->pdata[1], "JcqGhHxmTRAEpHMmRF-xhSTM3TO");
  assert_int_equal(p->blacklist_images->len, 1);
  assert_int_equal(p->whitelist_checksums->len, 0); /* empty: not applied */
  assert_int_equal(p->blacklist_checksums->len, 1);
  assert_false(sl_market_policy_is_empty(p));

  const char *id = "Ce3uQbAaxJMbTBaCXWO2FZPRFTT";
  const char *sum = "27b7b906c06b124c6d305a09758ed8564f4454d3";
  expect(p, entry(id, "ops@cloud.example.net", sum), NULL);
  expect(p, entry(id, "alice.signer@CLOUD.example.net", sum), NULL); /* e-mail case */
  expect(p, entry(id, "bob@cloud.example.net", sum),
         "email endorser bob@cloud.example.net is not whitelisted, rejecting entry");
  expect(p, entry(id, NULL, sum), "email endorser (none) is not whitelisted, rejecting entry");
  expect(p, entry("MMZu9WvwKIro-rtBQfDk4PsKO7_", "ops@cloud.example.net", sum),
         "image MMZu9WvwKIro-rtBQfDk4PsKO7_ is not whitelisted, rejecting entry");
  expect(p, entry(id, "ops@cloud.example.net", "5E3DB90187d6ec13e261bd2ea8f6a589d6900a5d"),
         "checksum 5E3DB90187d6ec13e261bd2ea8f6a589d6900a5d is blacklisted, rejecting entry");
  /* numerically equal with a leading zero */
  expect(p, entry(id, "ops@cloud.example.net", "05e3db90187d6ec13e261bd2ea8f6a589d6900a5d"),
         "checksum 05e3db90187d6ec13e261bd2ea8f6a589d6900a5d is blacklisted, rejecting entry");
  assert_int_equal(th_rm_tree(dir), 0);
}

static void
test_blacklists_alone(void **state)
{
  (void)state;
  const char *text = "# comment\n"
                     "[endorsers]\n"
                     "whitelistendorsers =\n"
                     "blacklistendorsers = bad@example.org, worse@example.org\n"
                     "  evil@example.org\n"
                     "\n"
                     "[images]\n"
                     "; other comment\n"
                     "blacklistimages=\n"
                     "\tGOaxJFdoEXvqAm9ArJgnZ0_ky6F\r\n"
                     "[checksums]\n"
                     "whitelistchecksums: 00aa\n"
                     "[other]\n"
                     "unknown = x\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketPolicy) p = sl_market_policy_parse(text, strlen(text), &error);
  assert_non_null(p);
  assert_int_equal(p->blacklist_endorsers->len, 3);
  expect(p, entry("MMZu9WvwKIro-rtBQfDk4PsKO7_", "anyone@example.org", "aa"), NULL);
  expect(p, entry("MMZu9WvwKIro-rtBQfDk4PsKO7_", "evil@example.org", "aa"),
         "email endorser evil@example.org is blacklisted, rejecting entry");
  expect(p, entry("GOaxJFdoEXvqAm9ArJgnZ0_ky6F", "anyone@example.org", "aa"),
         "image GOaxJFdoEXvqAm9ArJgnZ0_ky6F is blacklisted, rejecting entry");
  expect(p, entry("MMZu9WvwKIro-rtBQfDk4PsKO7_", "anyone@example.org", "ab"),
         "checksum ab is not whitelisted, rejecting entry");
  /* empty policy: everything passes */
  g_autoptr(SlMarketPolicy) empty = sl_market_policy_parse("", 0, &error);
  assert_true(sl_market_policy_is_empty(empty));
  expect(empty, entry("MMZu9WvwKIro-rtBQfDk4PsKO7_", NULL, NULL), NULL);
}

static void
test_errors(void **state)
{
  (void)state;
  const char *bad[] = {"  continuation first\n", "key = outside\n", "[endorsers\n",
                       "[endorsers]\nnot a pair\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_null(sl_market_policy_parse(bad[i], strlen(bad[i]), &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    assert_non_null(strstr(error->message, "line "));
  }
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_policy_load("/nonexistent/policy.cfg", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_own_policy),    cmocka_unit_test(test_fixture_lists),
      cmocka_unit_test(test_fixture_rules), cmocka_unit_test(test_blacklists_alone),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
