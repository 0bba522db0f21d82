/* fuzz-policy.c - the site image policy file (policy.cfg, ConfigParser
 * style): parse, then check a fixed entry against it. */
#include "fuzz.h"
#include "market/policy.h"

static SlMarketEntry *entry;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  entry = sl_market_entry_new();
  entry->identifier = g_strdup("KfOC1hQsLr0-Vb7h7BSLbmSTz-D");
  entry->sha1 = g_strdup("0a4d55a8d778e5022fab701977c5d840bbc486d0");
  entry->email = g_strdup("Jane.Doe@example.org");
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketPolicy) policy = sl_market_policy_parse((const char *)data, size, &error);
  if (!policy) {
    g_assert(error != NULL);
    return 0;
  }
  gboolean ok = sl_market_policy_check(policy, entry, &error);
  g_assert(ok == (error == NULL));
  if (sl_market_policy_is_empty(policy))
    g_assert(ok);
  return 0;
}
