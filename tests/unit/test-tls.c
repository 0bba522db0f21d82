/* test-tls.c - CA + server certificate generation, reuse and re-issue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>

#include "http/tls.h"

static X509 *
load_cert(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  assert_non_null(c);
  return c;
}

static char *
read_text(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static int
file_mode(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  struct stat st;
  assert_int_equal(g_stat(path, &st), 0);
  return st.st_mode & 0777;
}

static void
assert_chain(X509 *ca, X509 *leaf)
{
  X509_STORE *store = X509_STORE_new();
  assert_int_equal(X509_STORE_add_cert(store, ca), 1);
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  int ok = X509_verify_cert(ctx);
  if (ok != 1)
    fprintf(stderr, "verify: %s\n", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  assert_int_equal(ok, 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
}

static void
rm_rf(const char *dir)
{
  const char *names[] = {"ca.key", "ca.crt", "server.key", "server.crt"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *p = g_build_filename(dir, names[i], NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

static void
test_generate_and_reissue(void **state)
{
  (void)state;
  g_autofree char *tmp = g_dir_make_tmp("sltls-XXXXXX", NULL);
  assert_non_null(tmp);
  g_autofree char *dir = g_build_filename(tmp, "tls", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;

  assert_true(sl_tls_ensure(dir, "127.0.0.5", &cert_pem, &key_pem, &error));
  assert_null(error);
  assert_non_null(strstr(cert_pem, "BEGIN CERTIFICATE"));
  assert_non_null(strstr(key_pem, "PRIVATE KEY"));
  assert_int_equal(file_mode(dir, "ca.key"), 0600);
  assert_int_equal(file_mode(dir, "server.key"), 0600);
  assert_int_equal(file_mode(tmp, "tls"), 0700);

  X509 *ca = load_cert(dir, "ca.crt");
  X509 *srv = load_cert(dir, "server.crt");
  assert_int_equal(X509_check_ca(ca), 1);
  assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
  assert_chain(ca, srv);
  assert_int_equal(X509_check_ip_asc(srv, "127.0.0.5", 0), 1);
  assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
  assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
  assert_int_equal(X509_check_ip_asc(srv, "10.9.9.9", 0), 0);
  assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(srv)), EVP_PKEY_EC);
  /* about 10 years */
  int days = 0, secs = 0;
  assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(srv), X509_get0_notAfter(srv)),
                   1);
  assert_true(days >= 3650 && days < 3660);
  X509_free(srv);

  /* same address: everything reused */
  g_autofree char *ca_before = read_text(dir, "ca.crt");
  g_autofree char *srv_before = read_text(dir, "server.crt");
  g_autofree char *c2 = NULL;
  g_autofree char *k2 = NULL;
  assert_true(sl_tls_ensure(dir, "127.0.0.5", &c2, &k2, &error));
  g_autofree char *srv_same = read_text(dir, "server.crt");
  assert_string_equal(srv_before, srv_same);
  assert_string_equal(c2, cert_pem);

  /* new address: new server certificate from the same CA */
  g_autofree char *c3 = NULL;
  g_autofree char *k3 = NULL;
  assert_true(sl_tls_ensure(dir, "10.1.2.3", &c3, &k3, &error));
  g_autofree char *ca_after = read_text(dir, "ca.crt");
  assert_string_equal(ca_before, ca_after);
  X509 *srv2 = load_cert(dir, "server.crt");
  assert_chain(ca, srv2);
  assert_int_equal(X509_check_ip_asc(srv2, "10.1.2.3", 0), 1);
  assert_int_equal(X509_check_ip_asc(srv2, "127.0.0.1", 0), 1);
  X509_free(srv2);

  /* host name */
  g_autofree char *c4 = NULL;
  g_autofree char *k4 = NULL;
  assert_true(sl_tls_ensure(dir, "cloud.example.org", &c4, &k4, &error));
  X509 *srv3 = load_cert(dir, "server.crt");
  assert_int_equal(X509_check_host(srv3, "cloud.example.org", 0, 0, NULL), 1);
  assert_chain(ca, srv3);
  X509_free(srv3);
  X509_free(ca);

  /* no temporary files left behind */
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  int n = 0;
  while ((name = g_dir_read_name(d)))
    n++;
  assert_int_equal(n, 4);
  rm_rf(dir);
  g_rmdir(tmp);
}

static void
test_broken_ca_refused(void **state)
{
  (void)state;
  g_autofree char *dir = g_dir_make_tmp("sltls-XXXXXX", NULL);
  g_autofree char *crt = g_build_filename(dir, "ca.crt", NULL);
  assert_true(g_file_set_contents(crt, "garbage", -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autofree char *c = NULL;
  g_autofree char *k = NULL;
  assert_false(sl_tls_ensure(dir, "127.0.0.1", &c, &k, &error));
  assert_non_null(error);
  assert_null(c);
  rm_rf(dir);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generate_and_reissue),
      cmocka_unit_test(test_broken_ca_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
