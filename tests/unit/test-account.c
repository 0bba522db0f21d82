/* test-account.c - account: registration rules, single-use tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "account/account.h"
#include "util/error.h"

/* The call is made before error is read (argument order is unspecified). */
#define expect_invalid(call, error, message)                                                       \
  do {                                                                                             \
    gboolean ok_ = (call);                                                                         \
    check_invalid(ok_, (error), (message));                                                        \
  } while (0)

static void
check_invalid(gboolean ok, GError *error, const char *message)
{
  assert_false(ok);
  assert_non_null(error);
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
  assert_string_equal(error->message, message);
}

static void
test_uid(void **state)
{
  (void)state;
  const char *good[] = {"abc", "user_01", "ABCDEFGHIJKLMNOPQRST"};
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
    assert_true(sl_account_check_uid(good[i], NULL));
  const char *bad[] = {NULL,    "",     "ab",  "ABCDEFGHIJKLMNOPQRSTU", "a b c", "bob-x",
                       "bob\n", "../x", "é_ab"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    expect_invalid(sl_account_check_uid(bad[i], &error), error,
                   "username must be 3 to 20 characters: letters, digits or '_'");
  }
}

static void
test_password(void **state)
{
  (void)state;
  assert_true(sl_account_check_password("12345678", "12345678", NULL));
  assert_true(sl_account_check_password("p@ss!w0rd-€€€", "p@ss!w0rd-€€€", NULL));
  assert_true(sl_account_check_password("abcdefghijklmnopqrst", "abcdefghijklmnopqrst", NULL));
  const char *bad[] = {NULL,        "",           "1234567",   "abcdefghijklmnopqrstu",
                       "pass word", "password\t", "12345678\n"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    expect_invalid(sl_account_check_password(bad[i], bad[i], &error), error,
                   "password must be 8 to 20 characters without spaces");
  }
  g_autoptr(GError) error = NULL;
  expect_invalid(sl_account_check_password("12345678", "12345679", &error), error,
                 "passwords do not match");
  g_clear_error(&error);
  expect_invalid(sl_account_check_password("12345678", NULL, &error), error,
                 "passwords do not match");
}

static void
test_registration(void **state)
{
  (void)state;
  SlRegistration ok = {.uid = "alice",
                       .email = "alice@example.org",
                       .given_name = "Alice",
                       .family_name = "Liddell",
                       .password = "wonderland",
                       .password_check = "wonderland",
                       .agreement = TRUE};
  assert_true(sl_account_check_registration(&ok, NULL));

  SlRegistration r;
  g_autoptr(GError) error = NULL;

  r = ok, r.email = "alice";
  expect_invalid(sl_account_check_registration(&r, &error), error, "e-mail address is not valid");
  g_clear_error(&error);
  r = ok, r.email = "a lice@example.org";
  expect_invalid(sl_account_check_registration(&r, &error), error, "e-mail address is not valid");
  g_clear_error(&error);
  r = ok, r.email = "alice@example.org\n";
  expect_invalid(sl_account_check_registration(&r, &error), error, "e-mail address is not valid");
  g_clear_error(&error);
  r = ok, r.given_name = "  ";
  expect_invalid(sl_account_check_registration(&r, &error), error, "given name is required");
  g_clear_error(&error);
  r = ok, r.family_name = NULL;
  expect_invalid(sl_account_check_registration(&r, &error), error, "family name is required");
  g_clear_error(&error);
  r = ok, r.password_check = "wonderlant";
  expect_invalid(sl_account_check_registration(&r, &error), error, "passwords do not match");
  g_clear_error(&error);
  r = ok, r.agreement = FALSE;
  expect_invalid(sl_account_check_registration(&r, &error), error,
                 "you must agree to the policies");
  g_clear_error(&error);
  r = ok, r.uid = "al";
  expect_invalid(sl_account_check_registration(&r, &error), error,
                 "username must be 3 to 20 characters: letters, digits or '_'");
}

static void
test_token(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *token = sl_account_token_new(&hash, &error);
  assert_non_null(token);
  assert_int_equal(strlen(token), SL_ACCOUNT_TOKEN_CHARS);
  assert_non_null(hash);
  assert_int_equal(strlen(hash), 64);
  assert_string_not_equal(token, hash); /* only the hash is stored */
  g_autofree char *again = sl_account_token_hash(token);
  assert_string_equal(again, hash);
  g_autofree char *other = sl_account_token_new(NULL, &error);
  assert_string_not_equal(token, other);
  /* Known answer: SHA-256 of 64 '0' characters. */
  g_autofree char *zeros =
      sl_account_token_hash("0000000000000000000000000000000000000000000000000000000000000000");
  assert_string_equal(zeros, "60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55");
  assert_null(sl_account_token_hash(NULL));
  assert_null(sl_account_token_hash(""));
  assert_null(sl_account_token_hash("0000"));
  g_autofree char *nl = g_strconcat(token, "\n", NULL);
  assert_null(sl_account_token_hash(nl));
  g_autofree char *upper = g_ascii_strup(token, -1);
  if (strcmp(upper, token) != 0)
    assert_null(sl_account_token_hash(upper));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_uid),
      cmocka_unit_test(test_password),
      cmocka_unit_test(test_registration),
      cmocka_unit_test(test_token),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
