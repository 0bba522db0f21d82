/* test-auth.c - auth: hashing, accepted forms, verification cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "helpers.h"
#include "util/error.h"

static int
setup(void **state)
{
  *state = th_tmpdir_new("test-auth-XXXXXX");
  return 0;
}

static char *
hash_with(const char *prefix, const char *password)
{
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof setting));
  struct crypt_data *data = g_new0(struct crypt_data, 1);
  char *r = g_strdup(crypt_r(password, setting, data));
  g_free(data);
  return r;
}

static void
test_hash_round_trip(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree char *h = sl_auth_hash_password("s3cret", &error);
  assert_non_null(h);
  assert_true(g_str_has_prefix(h, "$y$"));
  assert_null(strstr(h, "s3cret"));
  assert_true(sl_auth_hash_is_valid(h));
  assert_true(sl_auth_check_password("s3cret", h));
  assert_false(sl_auth_check_password("s3creT", h));
  assert_false(sl_auth_check_password("", h));
  assert_false(sl_auth_check_password(NULL, h));
  assert_false(sl_auth_check_password("s3cret", NULL));
  g_autofree char *h2 = sl_auth_hash_password("s3cret", &error);
  assert_string_not_equal(h, h2); /* salted */
  g_autofree char *empty = sl_auth_hash_password("", &error);
  assert_true(sl_auth_check_password("", empty));
  assert_null(sl_auth_hash_password(NULL, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
}

static void
test_hash_forms(void **state)
{
  (void)state;
  const char *prefixes[] = {"$6$", "$5$", "$2b$"};
  for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
    g_autofree char *h = hash_with(prefixes[i], "pw");
    assert_true(sl_auth_hash_is_valid(h));
    assert_true(sl_auth_check_password("pw", h));
    assert_false(sl_auth_check_password("pW", h));
  }
  g_autofree char *good = sl_auth_hash_password("pw", NULL);
  g_autofree char *truncated = g_strndup(good, strlen(good) - 3);
  g_autofree char *longer = g_strconcat(good, "AAAA", NULL);
  g_autofree char *md5 = hash_with("$1$", "pw");
  const char *bad[] = {"",     "plaintext", "$y$",          "$y$j9T$", truncated,
                       longer, "MD5:abcd",  "ab01FAcdEF12", md5,       "$6$salt$bad hash"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_false(sl_auth_hash_is_valid(bad[i]));
  assert_false(sl_auth_hash_is_valid(NULL));
  assert_false(sl_auth_check_password("pw", md5)); /* weak forms are refused at check too */
}

static void
test_verify_and_cache(void **state)
{
  g_autoptr(SlStore) store = sl_store_open(*state, NULL);
  assert_non_null(store);
  g_autofree char *h = sl_auth_hash_password("pw1", NULL);
  assert_true(sl_store_user_add(store, "alice", h, NULL));
  g_autoptr(SlAuth) auth = sl_auth_new(store, SL_AUTH_CACHE_SECONDS);

  gint64 t0 = g_get_monotonic_time();
  assert_true(sl_auth_verify(auth, "alice", "pw1"));
  gint64 first = g_get_monotonic_time() - t0;
  t0 = g_get_monotonic_time();
  assert_true(sl_auth_verify(auth, "alice", "pw1"));
  gint64 second = g_get_monotonic_time() - t0;
  assert_true(second * 10 < first || second < 200); /* cache hit: no crypt */

  assert_false(sl_auth_verify(auth, "alice", "pw2"));
  assert_false(sl_auth_verify(auth, "alice", ""));
  assert_false(sl_auth_verify(auth, "bob", "pw1"));
  assert_false(sl_auth_verify(auth, "", "pw1"));
  assert_false(sl_auth_verify(auth, NULL, "pw1"));
  assert_false(sl_auth_verify(auth, "alice", NULL));
  /* the user\0password framing: "alic"+"epw1" must not hit alice's entry */
  assert_false(sl_auth_verify(auth, "alic", "epw1"));
}

static void
test_cache_expiry(void **state)
{
  g_autoptr(SlStore) store = sl_store_open(*state, NULL);
  g_autofree char *h = sl_auth_hash_password("old", NULL);
  g_autofree char *h2 = sl_auth_hash_password("new", NULL); /* before: hashing is slow */
  assert_true(sl_store_user_add(store, "alice", h, NULL));
  g_autoptr(SlAuth) auth = sl_auth_new(store, 1);
  assert_true(sl_auth_verify(auth, "alice", "old"));
  assert_true(sl_store_user_set_hash(store, "alice", h2, NULL));
  assert_true(sl_auth_verify(auth, "alice", "old")); /* still cached */
  g_usleep(1100000);
  assert_false(sl_auth_verify(auth, "alice", "old"));
  assert_true(sl_auth_verify(auth, "alice", "new"));

  /* no cache at all */
  g_autoptr(SlAuth) nocache = sl_auth_new(store, 0);
  assert_true(sl_auth_verify(nocache, "alice", "new"));
  assert_true(sl_store_user_delete(store, "alice", NULL));
  assert_false(sl_auth_verify(nocache, "alice", "new"));
}

typedef struct {
  SlAuth *auth;
  int ok;
} ThreadArg;

static gpointer
verifier(gpointer data)
{
  ThreadArg *a = data;
  for (int i = 0; i < 20; i++)
    a->ok += sl_auth_verify(a->auth, "alice", "pw") && !sl_auth_verify(a->auth, "alice", "x");
  return NULL;
}

static void
test_threads(void **state)
{
  g_autoptr(SlStore) store = sl_store_open(*state, NULL);
  g_autofree char *h = hash_with("$5$", "pw"); /* fast form: keeps the test short */
  assert_true(sl_store_user_add(store, "alice", h, NULL));
  g_autoptr(SlAuth) auth = sl_auth_new(store, 60);
  ThreadArg args[4];
  GThread *t[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (ThreadArg){auth, 0};
    t[i] = g_thread_new("v", verifier, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    g_thread_join(t[i]);
    assert_int_equal(args[i].ok, 20);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hash_round_trip),
      cmocka_unit_test(test_hash_forms),
      cmocka_unit_test_setup_teardown(test_verify_and_cache, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_cache_expiry, setup, th_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, th_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
