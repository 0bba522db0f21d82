/* x509-private.h - OpenSSL-level helpers of src/market (not installed). */
#pragma once
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign.h"

char *sl_x509_name_rfc2253(const X509_NAME *name);
SlMarketSigner *sl_x509_signer(X509 *cert);
EVP_PKEY *sl_x509_credentials_key(const SlMarketCredentials *creds);
X509 *sl_x509_credentials_cert(const SlMarketCredentials *creds);
