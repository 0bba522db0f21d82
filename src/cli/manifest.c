/* manifest.c - stratus-run-instance's image check (manifest.h). */
#include "manifest.h"

#include "market-client.h"
#include "market/wrapper.h"

static SlMarketEntry *
failed(SlCli *cli, const char *id, const char *detail, GError **error)
{
  sl_out_debug(cli, "manifest of %s: %s", id, detail);
  g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Failed to get manifest for resource uri: %s",
              id);
  return NULL;
}

SlMarketEntry *
sl_cli_manifest(SlCli *cli, const char *id, gboolean check_location, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *base = sl_market_base_url(cli, &local);
  if (!base)
    return failed(cli, id, local->message, error);
  g_autofree char *url = g_strdup_printf("%s/metadata/%s", base, id);
  GString *answer = NULL;
  long status =
      sl_market_request(cli, "GET", url, "application/xml", NULL, NULL, 0, &answer, &local);
  g_autoptr(GString) body = answer;
  if (status != 200) {
    g_autofree char *why =
        status ? g_strdup_printf("HTTP %ld from %s", status, url) : g_strdup(local->message);
    return failed(cli, id, why, error);
  }
  g_autoptr(GPtrArray) docs = sl_market_split_entries(body->str, body->len);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(SlMarketEntry) best = NULL;
  for (guint i = 0; i < docs->len; i++) {
    gsize len = 0;
    const char *xml = g_bytes_get_data(docs->pdata[i], &len);
    g_autoptr(GError) e = NULL;
    SlMarketEntry *entry = sl_market_entry_parse(xml, len, &e);
    if (!entry) {
      sl_out_debug(cli, "manifest of %s: entry %u: %s", id, i + 1, e->message);
      continue;
    }
    if (g_strcmp0(entry->identifier, id) != 0 ||
        sl_market_entry_status(entry, now) != SL_MARKET_STATUS_VALID ||
        (best && !sl_market_entry_is_newer(entry, best))) {
      sl_market_entry_free(entry);
      continue;
    }
    sl_market_entry_free(best);
    best = entry;
  }
  if (!best)
    return failed(cli, id, "no valid entry in the answer", error);
  if (check_location && best->locations->len == 0) {
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED,
                "Image location(s) are not set in manifest for the image with ID %s", id);
    return NULL;
  }
  return g_steal_pointer(&best);
}
