/* client.h - the cloud's Marketplace client: which source an image of a VM
 * comes from, and its download (protocols.md §5.5, §1.2; docs/images.md).
 *
 * At request time (POST /vms/, a REST worker thread, synchronous):
 *  - image cached with its signed entry (DATA/images/<id>.xml) whose
 *    signature still verifies, that is still valid (not expired, not
 *    deprecated) and that the site policy accepts: used, no network;
 *  - image cached without an entry (registered by the operator with
 *    `stratus-admin image add`): used as it is;
 *  - otherwise GET <marketplace>/metadata/<id> (Accept: application/xml):
 *    every returned entry is checked here (signature verified locally,
 *    constraints, identifier, validity, deprecation, a usable location, site
 *    policy); the newest passing entry wins. A cached image gets the new
 *    entry; an uncached one is downloaded in Prolog (spec "fetch").
 *    Refusals: SL_ERROR_FORBIDDEN "<per-entry reasons>; Image isn't valid
 *    according to site policy", SL_ERROR_NOT_FOUND (404 of the Marketplace) or
 *    SL_ERROR_INVALID "no valid Marketplace entry
 *    for image <id>: ..." (every entry bad),
 *    SL_ERROR_UNAVAILABLE "Marketplace unreachable: <detail>".
 * In Prolog (main context): the download through the per-identifier
 * in-flight table (image/fetch.h); the VM fails with "image download failed:
 * <reason>" (tampered bytes, size, network).
 */
#pragma once
#include "conf/vm-def.h"
#include "image/cache.h"
#include "image/fetch.h"

typedef struct SlMarketClient SlMarketClient;

typedef struct {
  const char *endpoint;     /* Marketplace base URL, e.g. https://127.0.0.1:2634 */
  const char *ca_file;      /* CA trusted (besides the system store) for the Marketplace and
                               image locations; NULL = system store only */
  const char *policy;       /* site policy file; NULL = none */
  gboolean policy_required; /* a missing policy file is an error (configured explicitly) */
  long timeout_s;           /* Marketplace request timeout; 0 = 30 */
} SlMarketClientConfig;

SlMarketClient *sl_market_client_new(SlImageCache *cache, const SlMarketClientConfig *cfg);
/* Cancels and waits for downloads in flight. */
void sl_market_client_free(SlMarketClient *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketClient, sl_market_client_free)

/* Request time (see above). Returns the image's source: cached (path,
 * format) or to be fetched in Prolog (fetch). *kind (when kind is not NULL)
 * gets the entry's slterms:kind, NULL for an image registered by the
 * operator without an entry. */
SlVmDefImage *sl_market_client_resolve(SlMarketClient *m, const char *identifier, char **kind,
                                       GError **error);

/* Prolog: downloads (or joins the download of) identifier as described by
 * fetch; done runs in the main context. */
void sl_market_client_fetch(SlMarketClient *m, const char *identifier, const SlVmDefFetch *fetch,
                            SlFetchDoneFunc done, gpointer data);

/* Download progress of identifier in percent, or -1 when none is in flight. */
int sl_market_client_progress(SlMarketClient *m, const char *identifier);
