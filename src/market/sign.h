/* sign.h - XML-DSig signing and verification of metadata entries
 * (protocols.md §5.4), with xmlsec1 (OpenSSL back end).
 *
 * Profile: enveloped signature appended as the last child of rdf:RDF,
 * Reference URI="", C14N 1.0 with comments, RSA-SHA1 and SHA-1 digest (what
 * StratusLab 13.05 writes and reads); RSA-SHA256 / SHA-256 are accepted on
 * verification. KeyInfo/X509Data/X509Certificate holds the signer
 * certificate only. Verification uses the key of the embedded certificate;
 * certificate validity dates and chain are NOT checked (the Marketplace's
 * whitelist does that). Errors: SL_ERROR domain (SL_ERROR_INVALID for bad
 * documents and signatures, SL_ERROR_UNAUTHORIZED for a wrong PKCS#12
 * password, SL_ERROR_NOT_FOUND for a missing file).
 */
#pragma once
#include <glib.h>

#include "market/entry.h"
#include "market/init.h"
#include "market/x509.h"

/* Signs a metadata document as StratusLab's SignMetadata does: removes every
 * Signature, keeps only the last slreq:endorsement and empties it, fills it
 * with dcterms:created = now (UTC; NULL = current time) and slreq:endorser
 * {email, subject, issuer} of the certificate (e-mail from the certificate's
 * subjectAltName, else `email`), then appends the enveloped signature.
 * Errors: "document must contain exactly 1 slreq:endorsement element",
 * "cannot generate slreq:endorsement; email address not in cert or not
 * provided", "invalid email address: <x>". The document is not validated
 * here (do it before or after). Returns the signed document (*out_len set). */
char *sl_market_sign(const char *data, gsize len, const SlMarketCredentials *creds,
                     const char *email, GDateTime *now, gsize *out_len, GError **error);

/* The lower-level step of signing alone: fills the single slreq:endorsement
 * only when it is empty (a filled one is kept); same errors as above. */
char *sl_market_fill_endorsement(const char *data, gsize len, const SlMarketSigner *who,
                                 const char *email, GDateTime *now, gsize *out_len, GError **error);

/* Removes every Signature and appends a new one, leaving the endorsement as
 * it is (for documents prepared by the caller, and tests). */
char *sl_market_sign_as_is(const char *data, gsize len, const SlMarketCredentials *creds,
                           gsize *out_len, GError **error);

/* Verifies the first Signature of the document (ValidateXMLSignature):
 * "no signature", "invalid signature element: <detail>", "signature
 * validation: false ...", "endorser inconsistency (<key>): <cert> != <doc>"
 * (key = subject, issuer or email; email only when the certificate has one).
 * Returns the signer's certificate description. */
SlMarketSigner *sl_market_verify(const char *data, gsize len, GError **error);
