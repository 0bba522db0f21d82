/* market-helpers.c - see market-helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "market-helpers.h"
#include "market/build.h"
#include "market/entry.h"

EVP_PKEY *
tm_key(void)
{
  EVP_PKEY *k = EVP_RSA_gen(2048);
  assert_non_null(k);
  return k;
}

static void
add_ext(X509 *c, X509V3_CTX *ctx, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
  assert_non_null(ext);
  X509_add_ext(c, ext, -1);
  X509_EXTENSION_free(ext);
}

X509 *
tm_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
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
  add_ext(c, &ctx, NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE");
  if (!issuer)
    add_ext(c, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  if (email) {
    g_autofree char *san = g_strdup_printf("email:%s", email);
    add_ext(c, &ctx, NID_subject_alt_name, san);
  }
  assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return c;
}

char *
tm_write_cert(const char *dir, const char *name, X509 *cert)
{
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_true(PEM_write_X509(f, cert));
  assert_int_equal(fclose(f), 0);
  return path;
}

char *
tm_write_crl(const char *dir, const char *name, X509 *ca, EVP_PKEY *ca_key, long revoked)
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
  assert_true(X509_CRL_sign(crl, ca_key, EVP_sha256()) > 0);
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_true(PEM_write_X509_CRL(f, crl));
  assert_int_equal(fclose(f), 0);
  X509_CRL_free(crl);
  return path;
}

static GBytes *
p12_der(EVP_PKEY *key, X509 *cert, const char *password)
{
  PKCS12 *p12 = PKCS12_create(password, NULL, key, cert, NULL, 0, 0, 0, 0, 0);
  assert_non_null(p12);
  guint8 *der = NULL;
  int n = i2d_PKCS12(p12, &der);
  assert_true(n > 0);
  GBytes *b = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  PKCS12_free(p12);
  return b;
}

char *
tm_write_p12(const char *dir, const char *name, EVP_PKEY *key, X509 *cert, const char *password)
{
  g_autoptr(GBytes) der = p12_der(key, cert, password);
  char *path = g_build_filename(dir, name, NULL);
  assert_true(
      g_file_set_contents(path, g_bytes_get_data(der, NULL), (gssize)g_bytes_get_size(der), NULL));
  return path;
}

SlMarketCredentials *
tm_creds(EVP_PKEY *key, X509 *cert)
{
  g_autoptr(GBytes) der = p12_der(key, cert, "pw");
  g_autoptr(GError) error = NULL;
  SlMarketCredentials *c = sl_market_credentials_load_p12_data(g_bytes_get_data(der, NULL),
                                                               g_bytes_get_size(der), "pw", &error);
  if (!c)
    fail_msg("%s", error->message);
  return c;
}

TmPki *
tm_pki_new(void)
{
  sl_market_init();
  TmPki *p = g_new0(TmPki, 1);
  p->dir = th_tmpdir_new("sl-pki-XXXXXX");
  p->ca_key = tm_key();
  p->ada_key = tm_key();
  p->carl_key = tm_key();
  p->ca = tm_cert(p->ca_key, "Test Certificate Authority", NULL, NULL, 1, NULL);
  p->ada = tm_cert(p->ada_key, "Ada Endorser", NULL, NULL, 2, TM_ADA_EMAIL);
  p->carl = tm_cert(p->carl_key, "Carl Endorser", p->ca, p->ca_key, 3, NULL);
  p->ca_pem = tm_write_cert(p->dir, "ca.pem", p->ca);
  p->ada_p12 = tm_write_p12(p->dir, "ada.p12", p->ada_key, p->ada, TM_P12_PASSWORD);
  p->carl_p12 = tm_write_p12(p->dir, "carl.p12", p->carl_key, p->carl, TM_P12_PASSWORD);
  p->ada_c = tm_creds(p->ada_key, p->ada);
  p->carl_c = tm_creds(p->carl_key, p->carl);
  return p;
}

void
tm_pki_free(TmPki *p)
{
  if (!p)
    return;
  sl_market_credentials_free(p->ada_c);
  sl_market_credentials_free(p->carl_c);
  X509_free(p->ca);
  X509_free(p->ada);
  X509_free(p->carl);
  EVP_PKEY_free(p->ca_key);
  EVP_PKEY_free(p->ada_key);
  EVP_PKEY_free(p->carl_key);
  assert_int_equal(th_rm_tree(p->dir), 0);
  g_free(p->dir);
  g_free(p->ca_pem);
  g_free(p->ada_p12);
  g_free(p->carl_p12);
  g_free(p);
}

char *
tm_image(const char *dir, const char *name, gsize size, guint seed)
{
  g_autofree guint8 *data = g_malloc(size ? size : 1);
  guint32 x = seed * 2654435761u + 1;
  for (gsize i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = (guint8)x;
  }
  char *path = g_build_filename(dir, name, NULL);
  assert_true(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));
  return path;
}

char *
tm_entry(const char *image, GDateTime *now, const char *valid, gsize *len)
{
  g_autofree char *base = g_path_get_basename(image);
  g_autofree char *loc = g_strdup_printf("http://example.org/%s", base);
  const char *locations[] = {loc, NULL};
  SlMarketBuildInfo info = {.os = "ttylinux",
                            .os_version = "9.7",
                            .os_arch = "i486",
                            .version = "1.0",
                            .locations = locations,
                            .title = "test",
                            .description = "test image",
                            .valid = valid,
                            .now = now};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_build(image, &info, &error);
  if (!e)
    fail_msg("build %s: %s", image, error->message);
  char *xml = sl_market_entry_to_xml(e);
  *len = strlen(xml);
  return xml;
}

char *
tm_signed_entry(const char *image, GDateTime *now, const char *valid,
                const SlMarketCredentials *creds, GDateTime *signed_at, gsize *len)
{
  gsize ulen = 0;
  g_autofree char *doc = tm_entry(image, now, valid, &ulen);
  g_autoptr(GError) error = NULL;
  char *s = sl_market_sign(doc, ulen, creds, NULL, signed_at, len, &error);
  if (!s)
    fail_msg("sign %s: %s", image, error->message);
  return s;
}
