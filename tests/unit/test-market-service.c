/* test-market-service.c - the Marketplace service (src/market/service.c,
 * whitelist.c) over a real store: upload policy, latest flag, searches,
 * endorser whitelist with a test CA generated here (OpenSSL) and CRLs, all on
 * entries the test makes; the StratusLab 13.05 fixture entries and stores as
 * interoperability checks (skipped without ../shared/fixtures). */
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

#include "helpers.h"
#include "market-helpers.h"
#include "market/build.h"
#include "market/entry.h"
#include "market/service.h"
#include "market/sign.h"
#include "util/error.h"

#define NOW_2013 "2013-05-01T00:00:00Z"

static char *
fixture(const char *dir, const char *name, gsize *len)
{
  g_autofree char *rel = g_build_filename(dir, name, NULL);
  return th_read_fixture(rel, len);
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
  e->dir = th_tmpdir_new("mpsvc-XXXXXX");
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
  th_need_fixtures();
  Env *e = env_new(NULL);
  g_autofree char *m1 = NULL, *m2 = NULL;
  assert_int_equal(upload_fixture(e, "valid.xml", &m1), SL_ERROR_INVALID);
  assert_string_equal(m1, "invalid metadata: no signature");
  assert_int_equal(upload_fixture(e, "valid-indate-newer-signature.xml", NULL), 0);
  assert_int_equal(upload_fixture(e, "valid-indate-signature.xml", &m2), SL_ERROR_INVALID);
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

/* ---- core: entries made by the test ---------------------------------------- */

static TmPki *pki; /* made once for the program (RSA keys take time) */

static int
pki_setup(void **state)
{
  if (!pki)
    pki = tm_pki_new();
  *state = pki;
  return 0;
}

static int
pki_teardown_all(void **state)
{
  (void)state;
  tm_pki_free(pki);
  return 0;
}

static char *
signed_at(const char *doc, gsize len, const SlMarketCredentials *creds, GDateTime *at, gsize *n)
{
  g_autoptr(GError) error = NULL;
  char *s = sl_market_sign(doc, len, creds, NULL, at, n, &error);
  if (!s)
    fail_msg("%s", error->message);
  return s;
}

/* Upload rules, latest flag, idempotent re-upload, stored bytes, status of a
 * deprecating and an expired entry, history (the service's clock: NOW_2013). */
static void
test_own_rules(void **state)
{
  TmPki *p = *state;
  Env *e = env_new(NULL);
  g_autofree char *img = tm_image(e->dir, "a.img", 3000, 21);
  g_autofree char *img2 = tm_image(e->dir, "b.img", 3000, 22);
  g_autoptr(GDateTime) built = g_date_time_new_utc(2013, 1, 1, 0, 0, 0);
  gsize ulen, nlen, olen, dlen, xlen;
  g_autofree char *doc = tm_entry(img, built, NULL, &ulen);
  g_autoptr(SlMarketEntry) parsed = sl_market_entry_parse(doc, ulen, NULL);
  const char *id = parsed->identifier;
  g_autofree char *m1 = NULL, *m2 = NULL;
  assert_int_equal(upload(e, doc, ulen, NULL, &m1), SL_ERROR_INVALID);
  assert_string_equal(m1, "invalid metadata: no signature");

  g_autoptr(GDateTime) t_old = g_date_time_new_utc(2013, 3, 1, 10, 0, 0);
  g_autoptr(GDateTime) t_new = g_date_time_new_utc(2013, 3, 5, 19, 14, 58);
  g_autofree char *newer = signed_at(doc, ulen, p->ada_c, t_new, &nlen);
  g_autofree char *older = signed_at(doc, ulen, p->ada_c, t_old, &olen);
  assert_int_equal(upload(e, newer, nlen, NULL, NULL), 0);
  assert_int_equal(upload(e, older, olen, NULL, &m2), SL_ERROR_INVALID);
  assert_string_equal(m2, "invalid metadata: older than latest entry");
  assert_int_equal(count(e, id, "valid"), 1);
  /* identical re-upload: idempotent */
  gboolean is_new = TRUE;
  assert_int_equal(upload(e, newer, nlen, &is_new, NULL), 0);
  assert_false(is_new);
  /* the stored bytes are the uploaded ones */
  g_autoptr(SlMarketRow) row =
      sl_market_service_get(e->svc, id, TM_ADA_EMAIL, "2013-03-05T19:14:58Z", NULL);
  assert_non_null(row);
  assert_true(row->latest);
  g_autoptr(GBytes) stored = sl_market_service_read(e->svc, row, NULL);
  assert_int_equal(g_bytes_get_size(stored), nlen);
  assert_memory_equal(g_bytes_get_data(stored, NULL), newer, nlen);
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_service_get(e->svc, id, TM_ADA_EMAIL, "2000-01-01T00:00:00Z", &error));
  assert_string_equal(error->message, "metadata entry not found.");
  /* a newer deprecating entry hides the image from valid listings */
  g_autoptr(GDateTime) t_dep = g_date_time_new_utc(2013, 3, 6, 0, 0, 0);
  g_autofree char *dep =
      sl_market_deprecate(newer, nlen, NULL, p->ada_c, NULL, t_dep, &dlen, &error);
  assert_non_null(dep);
  assert_int_equal(upload(e, dep, dlen, NULL, NULL), 0);
  assert_int_equal(count(e, id, "valid"), 0);
  assert_int_equal(count(e, id, "deprecated"), 1);
  /* an entry past its validity */
  g_autoptr(GDateTime) t_exp = g_date_time_new_utc(2013, 1, 2, 0, 0, 0);
  g_autofree char *expired =
      tm_signed_entry(img2, built, "2013-03-01T00:00:00Z", p->ada_c, t_exp, &xlen);
  g_autoptr(SlMarketEntry) parsed2 = sl_market_entry_parse(expired, xlen, NULL);
  assert_int_equal(upload(e, expired, xlen, NULL, NULL), 0);
  assert_int_equal(count(e, parsed2->identifier, "valid"), 0);
  assert_int_equal(count(e, parsed2->identifier, "expired"), 1);
  /* history: with a created filter, non-latest rows are found */
  SlMarketQuery q = {.identifier = id, .created = "2013-03-05T19:14:58Z"};
  g_autoptr(GPtrArray) rows = sl_market_service_search(e->svc, &q, NULL, NULL, NULL);
  assert_int_equal(rows->len, 1);
  assert_false(((SlMarketRow *)rows->pdata[0])->latest);
  env_free(e);
}

static void
test_tamper_and_conflict(void **state)
{
  TmPki *p = *state;
  Env *e = env_new(NULL);
  g_autofree char *img = tm_image(e->dir, "t.img", 3000, 31);
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 1, 2, 3, 4, 5);
  gsize len, ulen;
  g_autofree char *unsigned_doc = tm_entry(img, now, NULL, &ulen);
  g_autofree char *d = signed_at(unsigned_doc, ulen, p->ada_c, now, &len);
  /* one byte of the entry changed */
  g_autofree char *t = g_memdup2(d, len);
  char *q = strstr(t, "ttylinux");
  assert_non_null(q);
  q[0] = 'T';
  g_autofree char *msg = NULL;
  assert_int_equal(upload(e, t, len, NULL, &msg), SL_ERROR_INVALID);
  assert_true(g_str_has_prefix(msg, "invalid metadata: signature validation"));
  /* endorsement not matching the certificate */
  g_autoptr(GString) edit = g_string_new(d);
  assert_true(g_string_replace(edit, "<subject>CN=Ada Endorser", "<subject>CN=Mallory", 1) == 1);
  gsize slen;
  g_autofree char *forged = sl_market_sign_as_is(edit->str, edit->len, p->ada_c, &slen, NULL);
  assert_non_null(forged);
  g_clear_pointer(&msg, g_free);
  assert_int_equal(upload(e, forged, slen, NULL, &msg), SL_ERROR_INVALID);
  assert_non_null(strstr(msg, "endorser inconsistency"));
  /* same key, different bytes: 409 */
  assert_int_equal(upload(e, d, len, NULL, NULL), 0);
  g_autofree char *other = g_strdup(unsigned_doc);
  char *title = strstr(other, "</dcterms:description>");
  assert_non_null(title);
  title[-1] = '!';
  gsize blen;
  g_autofree char *b = signed_at(other, ulen, p->ada_c, now, &blen);
  g_clear_pointer(&msg, g_free);
  assert_int_equal(upload(e, b, blen, NULL, &msg), SL_ERROR_CONFLICT);
  /* size cap */
  SlMarketServiceConfig small = {.max_bytes = 100};
  Env *e2 = env_new(&small);
  assert_int_equal(upload(e2, d, len, NULL, NULL), SL_ERROR_TOO_LARGE);
  env_free(e2);
  env_free(e);
}

/* ---- whitelist with a generated CA -------------------------------------- */

static char *
signed_entry(const char *image, SlMarketCredentials *creds, int second, gsize *len)
{
  g_autoptr(GDateTime) built = g_date_time_new_utc(2013, 1, 1, 0, 0, 0);
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 2, 3, 4, 5, second);
  return tm_signed_entry(image, built, NULL, creds, now, len);
}

static void
test_whitelist(void **state)
{
  (void)state;
  sl_market_init();
  g_autofree char *tmp = g_dir_make_tmp("mpwl-XXXXXX", NULL);
  g_autofree char *image = tm_image(tmp, "test.img", 5000, 5);
  EVP_PKEY *ca_key = tm_key(), *jim_key = tm_key(), *bob_key = tm_key();
  X509 *ca = tm_cert(ca_key, "Certificate Authority", NULL, NULL, 1, NULL);
  X509 *jim = tm_cert(jim_key, "Jim Tester", ca, ca_key, 2, "jim.tester@example.org");
  X509 *bob = tm_cert(bob_key, "Bob Tester", ca, ca_key, 3, "bob.tester@example.org");
  /* a self-signed Jim, listed but not issued by the CA */
  EVP_PKEY *fake_key = tm_key();
  X509 *fake = tm_cert(fake_key, "Jim Tester", NULL, NULL, 4, "jim.fake@example.org");
  g_autofree char *trust = tm_write_cert(tmp, "ca.pem", ca);
  g_autofree char *crl_empty = tm_write_crl(tmp, "crl-empty.pem", ca, ca_key, 0);
  g_autofree char *crl_dir = g_build_filename(tmp, "crls", NULL);
  g_mkdir(crl_dir, 0700);
  g_autofree char *crl_revoked = tm_write_crl(crl_dir, "revoked.pem", ca, ca_key, 2);
  g_autofree char *wl = g_build_filename(tmp, "whitelist", NULL);
  g_file_set_contents(wl, "# endorsers\nCN = Jim Tester, O=StratusLab Project,C=EU\n", -1, NULL);

  g_autoptr(SlMarketCredentials) jim_c = tm_creds(jim_key, jim);
  g_autoptr(SlMarketCredentials) bob_c = tm_creds(bob_key, bob);
  g_autoptr(SlMarketCredentials) fake_c = tm_creds(fake_key, fake);
  assert_non_null(jim_c);
  gsize jl, bl, fl;
  g_autofree char *jim_doc = signed_entry(image, jim_c, 1, &jl);
  g_autofree char *bob_doc = signed_entry(image, bob_c, 1, &bl);
  g_autofree char *fake_doc = signed_entry(image, fake_c, 1, &fl);
  assert_non_null(jim_doc);

  SlMarketServiceConfig c = {.whitelist = wl, .truststore = trust, .crl = crl_empty};
  Env *e = env_new(&c);
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL;
  assert_int_equal(upload(e, jim_doc, jl, NULL, NULL), 0);
  assert_int_equal(upload(e, bob_doc, bl, NULL, &m1), SL_ERROR_FORBIDDEN);
  assert_string_equal(m1, "invalid metadata: endorser not whitelisted");
  assert_int_equal(upload(e, fake_doc, fl, NULL, &m2), SL_ERROR_FORBIDDEN);
  assert_true(g_str_has_prefix(m2, "invalid metadata: certificate not trusted: "));
  env_free(e);

  c.crl = crl_dir; /* a directory of CRLs, revoking Jim */
  e = env_new(&c);
  assert_int_equal(upload(e, jim_doc, jl, NULL, &m3), SL_ERROR_FORBIDDEN);
  assert_string_equal(m3, "invalid metadata: certificate revoked");
  env_free(e);

  /* configuration errors */
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_whitelist_load(wl, NULL, NULL, &error));
  g_clear_error(&error);
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

/* Interoperability: the 13.05 Marketplace's Java key store is refused (PEM
 * wanted), its CRLs (signed by the fixture CA) load. */
static void
test_fixture_whitelist_files(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  sl_market_init();
  gsize jks_len;
  g_autofree char *jks = fixture("marketplace-test-resources", "test-ca.jks", &jks_len);
  g_autofree char *tmp = g_dir_make_tmp("mpwl-XXXXXX", NULL);
  EVP_PKEY *ca_key = tm_key();
  X509 *ca = tm_cert(ca_key, "Certificate Authority", NULL, NULL, 1, NULL);
  g_autofree char *trust = tm_write_cert(tmp, "ca.pem", ca);
  g_autofree char *wl = g_build_filename(tmp, "whitelist", NULL);
  g_file_set_contents(wl, "# endorsers\nCN = Jim Tester, O=StratusLab Project,C=EU\n", -1, NULL);
  g_autofree char *jks_path = g_build_filename(tmp, "test-ca.jks", NULL);
  g_file_set_contents(jks_path, jks, (gssize)jks_len, NULL);
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_whitelist_load(wl, jks_path, NULL, &error));
  assert_non_null(strstr(error->message, "PEM"));
  g_clear_error(&error);
  gsize crl_len;
  g_autofree char *fcrl = fixture("marketplace-test-resources", "test-crl-revoked.pem", &crl_len);
  g_autofree char *fcrl_path = g_build_filename(tmp, "fixture-crl.pem", NULL);
  g_file_set_contents(fcrl_path, fcrl, (gssize)crl_len, NULL);
  g_autoptr(SlMarketWhitelist) w = sl_market_whitelist_load(wl, trust, fcrl_path, &error);
  assert_non_null(w);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  assert_int_equal(th_rm_tree(tmp), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_own_rules, pki_setup, NULL),
      cmocka_unit_test_setup_teardown(test_tamper_and_conflict, pki_setup, NULL),
      cmocka_unit_test(test_whitelist),
      cmocka_unit_test(test_fixture_rules),
      cmocka_unit_test(test_fixture_whitelist_files),
  };
  return cmocka_run_group_tests(tests, NULL, pki_teardown_all);
}
