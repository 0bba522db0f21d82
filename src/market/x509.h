/* x509.h - certificates as StratusLab writes them (x509.c): the identity of
 * a certificate (RFC 2253 names formatted like Java's X500Principal.getName(),
 * the first rfc822Name of subjectAltName), and PKCS#12 credentials.
 * Errors: SL_ERROR domain (SL_ERROR_INVALID for a bad certificate,
 * SL_ERROR_UNAUTHORIZED for a wrong PKCS#12 password, SL_ERROR_NOT_FOUND for a
 * missing file). */
#pragma once
#include <glib.h>
#include <openssl/types.h>

/* The identity of a certificate as StratusLab writes it in an endorsement. */
typedef struct {
  char *subject;    /* RFC 2253, as Java's X500Principal.getName() */
  char *issuer;     /* same */
  char *email;      /* first rfc822Name of subjectAltName, or NULL */
  char *not_before; /* yyyy-MM-ddTHH:mm:ssZ */
  char *not_after;
  char *serial; /* hexadecimal */
  char *pem;    /* the certificate, PEM */
} SlMarketSigner;
void sl_market_signer_free(SlMarketSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketSigner, sl_market_signer_free)

/* Describes a DER certificate (e.g. the one of a whitelist check). */
SlMarketSigner *sl_market_signer_from_der(const guint8 *der, gsize len, GError **error);

/* A private key and its certificate. */
typedef struct SlMarketCredentials SlMarketCredentials;
/* Loads a PKCS#12 file (legacy RC2-40 encryption included). A wrong password
 * fails with SL_ERROR_UNAUTHORIZED "cannot read PKCS#12 ...: wrong password?". */
SlMarketCredentials *sl_market_credentials_load_p12(const char *path, const char *password,
                                                    GError **error);
SlMarketCredentials *sl_market_credentials_load_p12_data(const guint8 *data, gsize len,
                                                         const char *password, GError **error);
/* Subject/issuer/e-mail of the certificate (owned by the credentials). */
const SlMarketSigner *sl_market_credentials_signer(const SlMarketCredentials *creds);
void sl_market_credentials_free(SlMarketCredentials *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketCredentials, sl_market_credentials_free)

/* OpenSSL-level access for sign.c: the identity of an X509, the key and the
 * certificate of credentials (borrowed). */
SlMarketSigner *sl_x509_signer(X509 *cert);
EVP_PKEY *sl_x509_credentials_key(const SlMarketCredentials *creds);
X509 *sl_x509_credentials_cert(const SlMarketCredentials *creds);
