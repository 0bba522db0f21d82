/* validate.h - validation of metadata entries (protocols.md §5.2, §5.4, §5.5).
 *
 * Four groups of rules, reported with a message naming the broken rule
 * (SL_ERROR_INVALID):
 *  - SCHEMA: what the XSD of StratusLab/metadata checks, written out in C
 *    (structure, order and cardinality of the required elements, parseType,
 *    identifier/e-mail/hex patterns, typed optional elements);
 *  - CONSTRAINTS: ValidateMetadataConstraints (xml:base value, one
 *    dcterms:type, one SHA-1 checksum, at-most-one fields, identifier vs
 *    rdf:about vs SHA-1, dates);
 *  - RDF: the document (signatures removed) is valid RDF/XML;
 *  - SIGNATURE: sl_market_verify() (sign.h).
 */
#pragma once
#include <glib.h>

#include "market/entry.h"
#include "market/sign.h"

typedef enum {
  SL_MARKET_CHECK_SCHEMA = 1 << 0,
  SL_MARKET_CHECK_CONSTRAINTS = 1 << 1,
  SL_MARKET_CHECK_RDF = 1 << 2,
  SL_MARKET_CHECK_SIGNATURE = 1 << 3,            /* required and verified */
  SL_MARKET_CHECK_SIGNATURE_IF_PRESENT = 1 << 4, /* verified when there is one */
} SlMarketChecks;

/* Document rules only (an unsigned draft passes). */
#define SL_MARKET_CHECK_DOCUMENT                                                                   \
  (SL_MARKET_CHECK_SCHEMA | SL_MARKET_CHECK_CONSTRAINTS | SL_MARKET_CHECK_RDF)
/* stratus-validate-metadata / Java CheckMetadata: signature first, then all. */
#define SL_MARKET_CHECK_ALL (SL_MARKET_CHECK_DOCUMENT | SL_MARKET_CHECK_SIGNATURE)
/* Marketplace upload (§5.5): signature, constraints, RDF; no schema. */
#define SL_MARKET_CHECK_UPLOAD                                                                     \
  (SL_MARKET_CHECK_SIGNATURE | SL_MARKET_CHECK_CONSTRAINTS | SL_MARKET_CHECK_RDF)

/* Parses and checks a document. Signature checks run first (as in Java),
 * then schema, constraints, RDF. On success returns the entry and, when
 * signer is not NULL and a signature was verified, the signer (else *signer
 * is set to NULL). */
SlMarketEntry *sl_market_validate(const char *data, gsize len, SlMarketChecks checks,
                                  SlMarketSigner **signer, GError **error);
