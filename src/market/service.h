/* service.h - the Marketplace service of stratusd (protocols.md §5.1, §5.5).
 *
 * Entries are stored twice: the exact signed bytes in a file
 * DIR/<identifier>/<email>/<created>.xml (written atomically, never
 * deleted), and the parsed fields in the store's market table (indexed, with
 * a `latest` flag per identifier and endorser) for searches.
 *
 * Upload policy: signature -> constraints -> RDF (no schema) -> optional
 * endorser whitelist -> "newer than latest". Entries are committed at once
 * (no e-mail confirmation: the signature is the credential). Errors are
 * SL_ERROR with the message the client sees: SL_ERROR_INVALID "invalid
 * metadata: <reason>", SL_ERROR_FORBIDDEN "invalid metadata: endorser not
 * whitelisted" / "invalid metadata: certificate revoked" / …,
 * SL_ERROR_TOO_LARGE, SL_ERROR_CONFLICT "metadata entry already exists"
 * (same key, different bytes).
 */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct SlMarketService SlMarketService;

typedef struct {
  const char *dir;        /* where the signed files go (DATA/metadata) */
  gsize max_bytes;        /* 0: SL_MARKET_MAX_BYTES */
  const char *whitelist;  /* file of DNs, one per line; NULL: no whitelist */
  const char *truststore; /* CA bundle (PEM); required with a whitelist */
  const char *crl;        /* PEM CRL file or directory of them; NULL: no CRL check */
  const char *now;        /* fixed "current time" yyyy-MM-ddTHH:mm:ssZ (tests); NULL: clock */
} SlMarketServiceConfig;

#define SL_MARKET_MAX_BYTES ((gsize)10240000)

SlMarketService *sl_market_service_new(SlStore *store, const SlMarketServiceConfig *config,
                                       GError **error);
void sl_market_service_free(SlMarketService *svc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketService, sl_market_service_free)

gsize sl_market_service_max_bytes(SlMarketService *svc);

/* Validates and stores one signed entry. Returns its row; *is_new is FALSE
 * when exactly the same document was already stored (idempotent
 * re-upload). */
SlMarketRow *sl_market_service_upload(SlMarketService *svc, const char *data, gsize len,
                                      gboolean *is_new, GError **error);

/* Searches the index (query->now is filled in when NULL). */
GPtrArray *sl_market_service_search(SlMarketService *svc, const SlMarketQuery *query, gint64 *total,
                                    gint64 *displayed, GError **error);

/* One entry by key: 404 "metadata entry not found.". */
SlMarketRow *sl_market_service_get(SlMarketService *svc, const char *identifier, const char *email,
                                   const char *created, GError **error);

/* The stored signed bytes of a row. */
GBytes *sl_market_service_read(SlMarketService *svc, const SlMarketRow *row, GError **error);

/* ---- endorser whitelist (whitelist.c) ------------------------------------ */

typedef struct SlMarketWhitelist SlMarketWhitelist;

/* Loads the DN list, the CA bundle and the CRLs (crl may be NULL). */
SlMarketWhitelist *sl_market_whitelist_load(const char *dn_file, const char *truststore,
                                            const char *crl, GError **error);
void sl_market_whitelist_free(SlMarketWhitelist *wl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketWhitelist, sl_market_whitelist_free)

/* Checks a signer certificate (PEM): its subject must be listed (DNs
 * compared after normalisation: spaces around ',' '=' '+' dropped, attribute
 * names case-insensitive) and its chain must verify against the CA bundle,
 * with CRL checks when CRLs were given. Errors (403): "endorser not
 * whitelisted", "certificate revoked", "certificate not trusted: <reason>". */
gboolean sl_market_whitelist_check(SlMarketWhitelist *wl, const char *subject, const char *pem,
                                   GError **error);

/* Normalised form of an RFC 2253 DN used for the comparison. */
char *sl_market_dn_normalize(const char *dn);
