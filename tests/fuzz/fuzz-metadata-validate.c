/* fuzz-metadata-validate.c - Marketplace metadata documents (RDF/XML):
 * parsing and every document rule (schema, constraints, RDF), with the
 * signature verified when there is one, as stratus-validate-metadata and the
 * Marketplace upload do; then the parsed entry is written back out. */
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
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) valid = sl_market_validate(
      doc, size, SL_MARKET_CHECK_DOCUMENT | SL_MARKET_CHECK_SIGNATURE_IF_PRESENT, &signer, &error);
  g_assert((valid != NULL) == (error == NULL));

  g_clear_error(&error);
  g_autoptr(SlMarketEntry) entry = sl_market_entry_parse(doc, size, &error);
  if (!entry)
    return 0;
  g_autofree char *xml = sl_market_entry_to_xml(entry);
  g_autofree char *key = sl_market_entry_key(entry);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(1700000000);
  sl_market_entry_status(entry, now);
  sl_market_entry_compare_created(entry, entry);
  if (entry->created) {
    g_autoptr(GDateTime) created = sl_market_parse_date(entry->created);
  }
  /* what we write, we read back */
  g_clear_error(&error);
  g_autoptr(SlMarketEntry) again = sl_market_entry_parse(xml, strlen(xml), &error);
  if (!again)
    g_error("entry_to_xml wrote a document that does not parse: %s\n%s", error->message, xml);
  return 0;
}
