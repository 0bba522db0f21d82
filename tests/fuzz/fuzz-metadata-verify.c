/* fuzz-metadata-verify.c - XML-DSig verification of signed Marketplace
 * entries (sl_market_verify: signature element, digest, key of the embedded
 * certificate, endorser consistency), then the Marketplace's upload checks. */
#include "fuzz.h"
#include "market/entry.h"
#include "market/validate.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  sl_market_init();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *doc = (const char *)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = sl_market_verify(doc, size, &error);
  g_assert((signer != NULL) == (error == NULL));
  if (signer)
    g_assert(signer->subject && signer->pem);

  g_clear_error(&error);
  g_autoptr(SlMarketSigner) who = NULL;
  g_autoptr(SlMarketEntry) entry =
      sl_market_validate(doc, size, SL_MARKET_CHECK_UPLOAD, &who, &error);
  g_assert((entry != NULL) == (error == NULL));
  if (entry)
    g_assert(who != NULL && signer != NULL);
  return 0;
}
