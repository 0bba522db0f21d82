/* market-helpers.h - Marketplace data the unit tests make themselves: a test
 * CA, endorsers, images and metadata entries (OpenSSL, market/build.h), so that
 * the core checks need none of the StratusLab fixtures. Include after
 * <cmocka.h>; every function asserts. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "market/sign.h"

/* A new RSA-2048 key. */
EVP_PKEY *tm_key(void);

/* A certificate for key, subject C=EU, O=StratusLab Project, CN=cn, valid from
 * an hour ago for a day; self-signed (a CA) when issuer is NULL; email, when
 * not NULL, as the subjectAltName rfc822Name. */
X509 *tm_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
              const char *email);

/* dir/name as PEM (a certificate; a CRL of ca revoking serial `revoked`
 * unless 0; a PKCS#12 of key+cert). Return the path. */
char *tm_write_cert(const char *dir, const char *name, X509 *cert);
char *tm_write_crl(const char *dir, const char *name, X509 *ca, EVP_PKEY *ca_key, long revoked);
char *tm_write_p12(const char *dir, const char *name, EVP_PKEY *key, X509 *cert,
                   const char *password);

/* The credentials of key+cert (through a PKCS#12 in memory). */
SlMarketCredentials *tm_creds(EVP_PKEY *key, X509 *cert);

#define TM_P12_PASSWORD "secret"
#define TM_ADA_EMAIL "ada.endorser@example.org"
#define TM_ADA_SUBJECT "CN=Ada Endorser,O=StratusLab Project,C=EU"
#define TM_CA_SUBJECT "CN=Test Certificate Authority,O=StratusLab Project,C=EU"
#define TM_CARL_SUBJECT "CN=Carl Endorser,O=StratusLab Project,C=EU"

/* The test PKI in a temporary directory: a CA; Ada, self-signed with her
 * e-mail in subjectAltName; Carl, issued by the CA, no e-mail. */
typedef struct {
  char *dir;
  EVP_PKEY *ca_key, *ada_key, *carl_key;
  X509 *ca, *ada, *carl;
  char *ca_pem, *ada_p12, *carl_p12; /* files in dir, password TM_P12_PASSWORD */
  SlMarketCredentials *ada_c, *carl_c;
} TmPki;

TmPki *tm_pki_new(void);
void tm_pki_free(TmPki *pki);

/* dir/name: size bytes of deterministic content (seed); returns the path. */
char *tm_image(const char *dir, const char *name, gsize size, guint seed);

/* The unsigned metadata of image (os ttylinux 9.7 i486, version 1.0, title
 * "test", description "test image", location http://example.org/<name>),
 * built at now (NULL: now) and valid until valid (NULL: the default). */
char *tm_entry(const char *image, GDateTime *now, const char *valid, gsize *len);

/* tm_entry signed with creds at time `signed_at` (NULL: now). */
char *tm_signed_entry(const char *image, GDateTime *now, const char *valid,
                      const SlMarketCredentials *creds, GDateTime *signed_at, gsize *len);
