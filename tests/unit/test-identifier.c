/* test-identifier.c - image identifier = f(SHA-1), protocols.md §5.3. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "helpers.h"
#include "image/identifier.h"
#include "util/error.h"

typedef struct {
  const char *hex;
  const char *id;
} Vector;

/* All eight rows of the table in protocols.md §5.3. */
static const Vector vectors[] = {
    {"c319bbd5afc0a22ba3eaed0507c39383ec28eeff", "MMZu9WvwKIro-rtBQfDk4PsKO7_"},
    {"1104f3e30c030f8b93f220b04131032dddf51f21", "BEE8-MMAw-Lk_IgsEExAy3d9R8h"},
    {"972a1a11f19934401291cc99117ec614933374ce", "JcqGhHxmTRAEpHMmRF-xhSTM3TO"},
    {"dcaec27afc48e5d68a500e5a159310ba72b50292", "Nyuwnr8SOXWilAOWhWTELpytQKS"},
    {"5e3db90187d6ec13e261bd2ea8f6a589d6900a5d", "F49uQGH1uwT4mG9Lqj2pYnWkApd"},
    {"27b7b906c06b124c6d305a09758ed8564f4454d3", "Ce3uQbAaxJMbTBaCXWO2FZPRFTT"},
    {"da39a3ee5e6b4b0d3255bfef95601890afd80709", "No5o-5ea0sNMlW_75VgGJCv2AcJ"},
    {"0c319bbd5afc0a22ba3eaed0507c39383ec28eeff", "MMZu9WvwKIro-rtBQfDk4PsKO7_"},
};

static void
test_vectors(void **state)
{
  (void)state;
  for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *id = sl_identifier_from_hex(vectors[i].hex, &error);
    assert_null(error);
    assert_string_equal(id, vectors[i].id);
    assert_true(sl_identifier_is_valid(id));

    /* And back: identifier -> bytes -> canonical 40-digit hex. */
    guint8 sha1[SL_SHA1_LEN];
    char hex[SL_SHA1_HEX_LEN + 1];
    assert_true(sl_identifier_to_sha1(vectors[i].id, sha1, &error));
    sl_sha1_to_hex(sha1, hex);
    const char *want = vectors[i].hex + strlen(vectors[i].hex) - SL_SHA1_HEX_LEN;
    assert_string_equal(hex, want);

    char again[SL_IDENTIFIER_LEN + 1];
    sl_identifier_from_sha1(sha1, again);
    assert_string_equal(again, vectors[i].id);
  }
}

static void
test_hex_rules(void **state)
{
  (void)state;
  g_autofree gchar *upper =
      sl_identifier_from_hex("C319BBD5AFC0A22BA3EAED0507C39383EC28EEFF", NULL);
  assert_string_equal(upper, "MMZu9WvwKIro-rtBQfDk4PsKO7_");
  g_autofree gchar *zeros =
      sl_identifier_from_hex("000000c319bbd5afc0a22ba3eaed0507c39383ec28eeff", NULL);
  assert_string_equal(zeros, "MMZu9WvwKIro-rtBQfDk4PsKO7_");
  /* Short values are numbers too: 0x1 is the identifier ...AAB. */
  g_autofree gchar *one = sl_identifier_from_hex("1", NULL);
  assert_string_equal(one, "AAAAAAAAAAAAAAAAAAAAAAAAAAB");
  g_autofree gchar *max = sl_identifier_from_hex("ffffffffffffffffffffffffffffffffffffffff", NULL);
  assert_string_equal(max, "P__________________________");

  const char *bad[] = {"",
                       "c319bbd5afc0a22ba3eaed0507c39383ec28eefg",
                       "1c319bbd5afc0a22ba3eaed0507c39383ec28eeff",
                       "-1",
                       " 1",
                       "0x1"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_null(sl_identifier_from_hex(bad[i], &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    assert_string_equal(error->message, "invalid SHA-1 checksum");
  }
  g_autoptr(GError) error = NULL;
  assert_null(sl_identifier_from_hex(NULL, &error));
  assert_string_equal(error->message, "invalid SHA-1 checksum");
}

static void
test_invalid_identifiers(void **state)
{
  (void)state;
  const char *bad_id[] = {"",
                          "MMZu9WvwKIro-rtBQfDk4PsKO7",   /* 26 */
                          "MMZu9WvwKIro-rtBQfDk4PsKO7__", /* 28 */
                          "MMZu9WvwKIro+rtBQfDk4PsKO7_",  /* standard base64 '+' */
                          "MMZu9WvwKIro/rtBQfDk4PsKO7_",
                          "MMZu9WvwKIro-rtBQfDk4PsKO7=",
                          "MMZu9WvwKIro-rtBQfDk4PsKO7\xc3"};
  guint8 sha1[SL_SHA1_LEN];
  for (gsize i = 0; i < G_N_ELEMENTS(bad_id); i++) {
    g_autoptr(GError) error = NULL;
    assert_false(sl_identifier_to_sha1(bad_id[i], sha1, &error));
    assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
    assert_string_equal(error->message, "invalid identifier");
    assert_false(sl_identifier_is_valid(bad_id[i]));
  }
  g_autoptr(GError) error = NULL;
  assert_false(sl_identifier_to_sha1(NULL, sha1, &error));
  assert_string_equal(error->message, "invalid identifier");
  g_clear_error(&error);

  /* 27 valid characters but more than 160 bits. */
  assert_true(sl_identifier_is_valid("P__________________________"));
  assert_false(sl_identifier_to_sha1("Q__________________________", sha1, &error));
  assert_string_equal(error->message, "invalid SHA-1 checksum");
  assert_false(sl_identifier_is_valid("QAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  assert_false(sl_identifier_is_valid("_AAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

/* A file the test makes: checksum, identifier and size read from the file. */
static void
test_small_file(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = th_tmpdir_new("sl-id-XXXXXX");
  g_autofree gchar *path = g_build_filename(dir, "test.img", NULL);
  const char data[] = "StratusLab in C test image\n";
  assert_true(g_file_set_contents(path, data, sizeof data - 1, &error));
  g_autofree gchar *hex = NULL, *id = NULL;
  guint64 size = 0;
  assert_true(sl_sha1_file(path, &hex, &id, &size, &error));
  assert_null(error);
  assert_string_equal(hex, "c16f9fd99fa991f2d61987fa127d84d40174b435"); /* sha1sum */
  g_autofree gchar *want = sl_identifier_from_hex(hex, NULL);
  assert_string_equal(id, want);
  assert_int_equal(size, sizeof data - 1);
  assert_int_equal(th_rm_tree(dir), 0);
}

/* Interoperability: the test image of StratusLab 13.05 (skipped without the fixtures). */
static void
test_fixture_file(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autofree gchar *path = th_fixture("storage/test.img");
  g_autofree gchar *hex = NULL, *id = NULL;
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  assert_true(sl_sha1_file(path, &hex, &id, &size, &error));
  assert_null(error);
  assert_string_equal(hex, "dcaec27afc48e5d68a500e5a159310ba72b50292");
  assert_string_equal(id, "Nyuwnr8SOXWilAOWhWTELpytQKS");
  assert_int_equal(size, 20);
}

static void
test_streaming(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp("sl-id-XXXXXX", &error);
  assert_non_null(dir);
  g_autofree gchar *empty = g_build_filename(dir, "empty", NULL);
  g_autofree gchar *big = g_build_filename(dir, "big", NULL);

  assert_true(g_file_set_contents(empty, "", 0, &error));
  g_autofree gchar *hex = NULL, *id = NULL;
  assert_true(sl_sha1_file(empty, &hex, &id, NULL, &error));
  assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert_string_equal(id, "No5o-5ea0sNMlW_75VgGJCv2AcJ");

  /* 3.5 MiB: crosses the 1 MiB read buffer; compare with GLib's SHA-1. */
  gsize n = 3 * 1024 * 1024 + 512 * 1024 + 7;
  g_autofree guint8 *data = g_malloc(n);
  for (gsize i = 0; i < n; i++)
    data[i] = (guint8)(i * 2654435761u >> 13);
  assert_true(g_file_set_contents(big, (const char *)data, (gssize)n, &error));
  g_autofree gchar *want = g_compute_checksum_for_data(G_CHECKSUM_SHA1, data, n);
  g_autofree gchar *hex2 = NULL, *id2 = NULL;
  guint64 size = 0;
  assert_true(sl_sha1_file(big, &hex2, &id2, &size, &error));
  assert_string_equal(hex2, want);
  assert_int_equal(size, n);
  g_autofree gchar *want_id = sl_identifier_from_hex(want, NULL);
  assert_string_equal(id2, want_id);

  /* Incremental API in odd-sized pieces gives the same digest. */
  g_autoptr(SlSha1) ctx = sl_sha1_new();
  for (gsize off = 0; off < n; off += 4093)
    sl_sha1_update(ctx, data + off, MIN(4093, n - off));
  guint8 sha1[SL_SHA1_LEN];
  char hex3[SL_SHA1_HEX_LEN + 1];
  sl_sha1_finish(ctx, sha1);
  sl_sha1_to_hex(sha1, hex3);
  assert_string_equal(hex3, want);

  g_unlink(empty);
  g_unlink(big);
  g_rmdir(dir);
}

static void
test_missing_file(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *hex = NULL;
  assert_false(sl_sha1_file("/nonexistent/sl-image", &hex, NULL, NULL, &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND));
  assert_null(hex);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_hex_rules),
      cmocka_unit_test(test_invalid_identifiers),
      cmocka_unit_test(test_small_file),
      cmocka_unit_test(test_fixture_file),
      cmocka_unit_test(test_streaming),
      cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
