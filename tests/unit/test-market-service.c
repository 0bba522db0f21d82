/* test-market-service.c - the Marketplace service (src/market/service.c,
 * whitelist.c) over a real store: upload policy, latest flag, searches,
 * endorser whitelist with a test CA generated here (OpenSSL) and CRLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "market/service.h"
#include "market/sign.h"
#include "util/error.h"

#define NOW_2013 "2013-05-01T00:00:00Z"

static char *
fixture(const char *dir, const char *name, gsize *len)
{
  const char *shared = g_getenv("SL_SHARED");
  g_autofree char *path =
      g_build_filename(shared ? shared : "../shared", "fixtures/stratuslab", dir, name, NULL);
  char *data = NULL;
  g_assert_true(g_file_get_contents(path, &data, len, NULL));
  return data;
}

typedef struct {
  char *dir;
  SlStore *store;
  SlMarketService *svc;
} Env;

static Env *
env_new(const SlMarketServiceConfig *extra)
{
  Env *e = g_new0(Env, 1);
  e->dir = g_dir_make_tmp("mpsvc-XXXXXX", NULL);
  e->store = sl_store_open(e->dir, NULL);
  assert_non_null(e->store);
  g_autofree char *md = g_build_filename(e->dir, "metadata", NULL);
  SlMarketServiceConfig c = extra ? *extra : (SlMarketServiceConfig){0};
  c.dir = md;
  if (!c.now)
    c.now = NOW_2013;
  g_autoptr(GError) error = NULL;
  e->svc = sl_market_service_new(e->store, &c, &error);
  if (!e->svc)
    fail_msg("%s", error->message);
  return e;
}

static void
env_free(Env *e)
{
  sl_market_service_free(e->svc);
  sl_store_close(e->store);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", e->dir);
  g_assert_true(system(cmd) == 0);
  g_free(e->dir);
  g_free(e);
}

/* Uploads data; returns the error code (0 = ok) and the message. */
static int
upload(Env *e, const char *data, gsize len, gboolean *is_new, char **msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketRow) row = sl_market_service_upload(e->svc, data, len, is_new, &error);
  if (msg)
    *msg = error ? g_strdup(error->message) : NULL;
  return row ? 0 : error->code;
}

static int
upload_fixture(Env *e, const char *name, char **msg)
{
  gsize len;
  g_autofree char *d = fixture("marketplace-test-resources", name, &len);
  return upload(e, d, len, NULL, msg);
}

static guint
count(Env *e, const char *id, const char *status)
{
  SlMarketQuery q = {.identifier = id, .status = status, .latest_only = TRUE};
  g_autoptr(GPtrArray) rows = sl_market_service_search(e->svc, &q, NULL, NULL, NULL);
  assert_non_null(rows);
  return rows->len;
}

static void
test_fixture_rules(void **state)
{
  (void)state;
  Env *e = env_new(NULL);
  g_autofree char *m1 = NULL, *m2 = NULL;
  assert_int_equal(upload_fixture(e, "valid.xml", &m1), 400);
  assert_string_equal(m1, "invalid metadata: no signature");
  assert_int_equal(upload_fixture(e, "valid-indate-newer-signature.xml", NULL), 0);
  assert_int_equal(upload_fixture(e, "valid-indate-signature.xml", &m2), 400);
  assert_string_equal(m2, "invalid metadata: older than latest entry");
  assert_int_equal(count(e, "BEE8-MMAw-Lk_IgsEExAy3d9R8h", "valid"), 1);
  /* identical re-upload: idempotent */
  gboolean is_new = TRUE;
  gsize len;
  g_autofree char *d =
      fixture("marketplace-test-resources", "valid-indate-newer-signature.xml", &len);
  assert_int_equal(upload(e, d, len, &is_new, NULL), 0);
  assert_false(is_new);
  /* the stored bytes are the uploaded ones */
  g_autoptr(SlMarketRow) row =
      sl_market_service_get(e->svc, "BEE8-MMAw-Lk_IgsEExAy3d9R8h", "jane.tester@example.org",
                            "2012-03-05T19:14:58Z", NULL);
  assert_non_null(row);
  assert_true(row->latest);
  g_autoptr(GBytes) stored = sl_market_service_read(e->svc, row, NULL);
  assert_int_equal(g_bytes_get_size(stored), len);
  assert_memory_equal(g_bytes_get_data(stored, NULL), d, len);
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_service_get(e->svc, "BEE8-MMAw-Lk_IgsEExAy3d9R8h",
                                    "jane.tester@example.org", "2000-01-01T00:00:00Z", &error));
  assert_string_equal(error->message, "metadata entry not found.");
  /* a newer deprecating entry hides the image from valid listings */
  assert_int_equal(upload_fixture(e, "valid-indate-deprecated-signature.xml", NULL), 0);
  assert_int_equal(count(e, "BEE8-MMAw-Lk_IgsEExAy3d9R8h", "valid"), 0);
  assert_int_equal(count(e, "BEE8-MMAw-Lk_IgsEExAy3d9R8h", "deprecated"), 1);
  assert_int_equal(upload_fixture(e, "valid-expired-signature.xml", NULL), 0);
  assert_int_equal(count(e, "Ce3uQbAaxJMbTBaCXWO2FZPRFTT", "valid"), 0);
  assert_int_equal(count(e, "Ce3uQbAaxJMbTBaCXWO2FZPRFTT", "expired"), 1);
  /* history: with a created filter, non-latest rows are found */
  SlMarketQuery q = {.identifier = "BEE8-MMAw-Lk_IgsEExAy3d9R8h",
                     .created = "2012-03-05T19:14:58Z"};
  g_autoptr(GPtrArray) rows = sl_market_service_search(e->svc, &q, NULL, NULL, NULL);
  assert_int_equal(rows->len, 1);
  assert_false(((SlMarketRow *)rows->pdata[0])->latest);
  env_free(e);
}

static void
test_tamper_and_conflict(void **state)
{
  (void)state;
  Env *e = env_new(NULL);
  gsize len;
  g_autofree char *d =
      fixture("marketplace-test-resources", "valid-indate-newer-signature.xml", &len);
  /* one byte of the entry changed */
  g_autofree char *t = g_memdup2(d, len);
  char *p = strstr(t, "ttylinux");
  assert_non_null(p);
  p[0] = 'T';
  g_autofree char *msg = NULL;
  assert_int_equal(upload(e, t, len, NULL, &msg), 400);
  assert_true(g_str_has_prefix(msg, "invalid metadata: signature validation"));
  /* endorsement not matching the certificate */
  gsize ulen;
  g_autofree char *unsigned_doc = fixture("metadata-test-resources", "valid-full.xml", &ulen);
  g_autofree char *p12 = NULL;
  gsize p12len;
  p12 = fixture("metadata-test-resources", "test.p12", &p12len);
  g_autoptr(SlMarketCredentials) creds =
      sl_market_credentials_load_p12_data((guint8 *)p12, p12len, "XYZXYZ", NULL);
  assert_non_null(creds);
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 1, 2, 3, 4, 5);
  gsize slen;
  g_autofree char *honest = sl_market_sign(unsigned_doc, ulen, creds, NULL, now, &slen, NULL);
  assert_non_null(honest);
  g_autoptr(GString) edit = g_string_new(honest);
  assert_true(g_string_replace(edit, "<subject>CN=Jane Tester", "<subject>CN=Mallory", 1) == 1);
  gsize flen = edit->len;
  const char *filled = edit->str;
  g_autofree char *forged = sl_market_sign_as_is(filled, flen, creds, &slen, NULL);
  assert_non_null(forged);
  g_clear_pointer(&msg, g_free);
  assert_int_equal(upload(e, forged, slen, NULL, &msg), 400);
  assert_non_null(strstr(msg, "endorser inconsistency"));
  /* same key, different bytes: 409 */
  g_autofree char *a = sl_market_sign(unsigned_doc, ulen, creds, NULL, now, &slen, NULL);
  assert_int_equal(upload(e, a, slen, NULL, NULL), 0);
  g_autofree char *other = g_strdup(unsigned_doc);
  char *title = strstr(other, "</dcterms:description>");
  assert_non_null(title);
  title[-1] = '!';
  gsize blen;
  g_autofree char *b = sl_market_sign(other, ulen, creds, NULL, now, &blen, NULL);
  assert_non_null(b);
  g_clear_pointer(&msg, g_free);
  assert_int_equal(upload(e, b, blen, NULL, &msg), 409);
  /* size cap */
  SlMarketServiceConfig small = {.max_bytes = 100};
  Env *e2 = env_new(&small);
  assert_int_equal(upload(e2, a, slen, NULL, NULL), 413);
  env_free(e2);
  env_free(e);
}

/* ---- whitelist with a generated CA -------------------------------------- */

static EVP_PKEY *
new_key(void)
{
  return EVP_RSA_gen(2048);
}

static X509 *
new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
         const char *email)
{
  X509 *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400);
  X509_set_pubkey(c, key);
  X509_NAME *n = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const guchar *)"EU", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const guchar *)"StratusLab Project", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const guchar *)cn, -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                                            issuer ? "CA:FALSE" : "critical,CA:TRUE");
  X509_add_ext(c, ext, -1);
  X509_EXTENSION_free(ext);
  if (!issuer) {
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (email) {
    g_autofree char *san = g_strdup_printf("email:%s", email);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256());
  return c;
}

static char *
write_pem_cert(const char *dir, const char *name, X509 *cert)
{
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "w");
  PEM_write_X509(f, cert);
  fclose(f);
  return path;
}

static char *
write_crl(const char *dir, const char *name, X509 *ca, EVP_PKEY *ca_key, long revoked)
{
  X509_CRL *crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
  ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_free(t);
  t = ASN1_TIME_adj(NULL, time(NULL), 1, 0);
  X509_CRL_set1_nextUpdate(crl, t);
  ASN1_TIME_free(t);
  if (revoked) {
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_INTEGER *s = ASN1_INTEGER_new();
    ASN1_INTEGER_set(s, revoked);
    X509_REVOKED_set_serialNumber(r, s);
    ASN1_INTEGER_free(s);
    t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
    X509_REVOKED_set_revocationDate(r, t);
    ASN1_TIME_free(t);
    X509_CRL_add0_revoked(crl, r);
  }
  X509_CRL_sign(crl, ca_key, EVP_sha256());
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "w");
  PEM_write_X509_CRL(f, crl);
  fclose(f);
  X509_CRL_free(crl);
  return path;
}

static SlMarketCredentials *
creds_of(EVP_PKEY *key, X509 *cert)
{
  PKCS12 *p12 = PKCS12_create("pw", NULL, key, cert, NULL, 0, 0, 0, 0, 0);
  guint8 *der = NULL;
  int n = i2d_PKCS12(p12, &der);
  SlMarketCredentials *c = sl_market_credentials_load_p12_data(der, (gsize)n, "pw", NULL);
  OPENSSL_free(der);
  PKCS12_free(p12);
  return c;
}

static char *
signed_entry(SlMarketCredentials *creds, int second, gsize *len)
{
  gsize ulen;
  g_autofree char *doc = fixture("metadata-test-resources", "valid-full.xml", &ulen);
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 2, 3, 4, 5, second);
  return sl_market_sign(doc, ulen, creds, NULL, now, len, NULL);
}

static void
test_whitelist(void **state)
{
  (void)state;
  sl_market_init();
  g_autofree char *tmp = g_dir_make_tmp("mpwl-XXXXXX", NULL);
  EVP_PKEY *ca_key = new_key(), *jim_key = new_key(), *bob_key = new_key();
  X509 *ca = new_cert(ca_key, "Certificate Authority", NULL, NULL, 1, NULL);
  X509 *jim = new_cert(jim_key, "Jim Tester", ca, ca_key, 2, "jim.tester@example.org");
  X509 *bob = new_cert(bob_key, "Bob Tester", ca, ca_key, 3, "bob.tester@example.org");
  /* a self-signed Jim, listed but not issued by the CA */
  EVP_PKEY *fake_key = new_key();
  X509 *fake = new_cert(fake_key, "Jim Tester", NULL, NULL, 4, "jim.fake@example.org");
  g_autofree char *trust = write_pem_cert(tmp, "ca.pem", ca);
  g_autofree char *crl_empty = write_crl(tmp, "crl-empty.pem", ca, ca_key, 0);
  g_autofree char *crl_dir = g_build_filename(tmp, "crls", NULL);
  g_mkdir(crl_dir, 0700);
  g_autofree char *crl_revoked = write_crl(crl_dir, "revoked.pem", ca, ca_key, 2);
  g_autofree char *wl = g_build_filename(tmp, "whitelist", NULL);
  g_file_set_contents(wl, "# endorsers\nCN = Jim Tester, O=StratusLab Project,C=EU\n", -1, NULL);

  g_autoptr(SlMarketCredentials) jim_c = creds_of(jim_key, jim);
  g_autoptr(SlMarketCredentials) bob_c = creds_of(bob_key, bob);
  g_autoptr(SlMarketCredentials) fake_c = creds_of(fake_key, fake);
  assert_non_null(jim_c);
  gsize jl, bl, fl;
  g_autofree char *jim_doc = signed_entry(jim_c, 1, &jl);
  g_autofree char *bob_doc = signed_entry(bob_c, 1, &bl);
  g_autofree char *fake_doc = signed_entry(fake_c, 1, &fl);
  assert_non_null(jim_doc);

  SlMarketServiceConfig c = {.whitelist = wl, .truststore = trust, .crl = crl_empty};
  Env *e = env_new(&c);
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL;
  assert_int_equal(upload(e, jim_doc, jl, NULL, NULL), 0);
  assert_int_equal(upload(e, bob_doc, bl, NULL, &m1), 403);
  assert_string_equal(m1, "invalid metadata: endorser not whitelisted");
  assert_int_equal(upload(e, fake_doc, fl, NULL, &m2), 403);
  assert_true(g_str_has_prefix(m2, "invalid metadata: certificate not trusted: "));
  env_free(e);

  c.crl = crl_dir; /* a directory of CRLs, revoking Jim */
  e = env_new(&c);
  assert_int_equal(upload(e, jim_doc, jl, NULL, &m3), 403);
  assert_string_equal(m3, "invalid metadata: certificate revoked");
  env_free(e);

  /* configuration errors */
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_whitelist_load(wl, NULL, NULL, &error));
  g_clear_error(&error);
  gsize jks_len;
  g_autofree char *jks = fixture("marketplace-test-resources", "test-ca.jks", &jks_len);
  g_autofree char *jks_path = g_build_filename(tmp, "test-ca.jks", NULL);
  g_file_set_contents(jks_path, jks, (gssize)jks_len, NULL);
  assert_null(sl_market_whitelist_load(wl, jks_path, NULL, &error));
  assert_non_null(strstr(error->message, "PEM"));
  g_clear_error(&error);
  /* the fixture CRLs are signed by the fixture CA: loadable, not ours */
  gsize crl_len;
  g_autofree char *fcrl = fixture("marketplace-test-resources", "test-crl-revoked.pem", &crl_len);
  g_autofree char *fcrl_path = g_build_filename(tmp, "fixture-crl.pem", NULL);
  g_file_set_contents(fcrl_path, fcrl, (gssize)crl_len, NULL);
  g_autoptr(SlMarketWhitelist) w = sl_market_whitelist_load(wl, trust, fcrl_path, &error);
  assert_non_null(w);

  g_autofree char *n = sl_market_dn_normalize(" cn = Jim Tester ,O=StratusLab Project, C=EU ");
  assert_string_equal(n, "CN=Jim Tester,O=StratusLab Project,C=EU");

  X509_free(ca);
  X509_free(jim);
  X509_free(bob);
  X509_free(fake);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(jim_key);
  EVP_PKEY_free(bob_key);
  EVP_PKEY_free(fake_key);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
  g_assert_true(system(cmd) == 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixture_rules),
      cmocka_unit_test(test_tamper_and_conflict),
      cmocka_unit_test(test_whitelist),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
