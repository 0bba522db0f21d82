/* manifest.h - stratus-run-instance's image check (protocols.md §1.2).
 *
 * GET <marketplace>/metadata/<id> with Accept: application/xml; the newest
 * entry that is still valid (not expired, not deprecated) is the manifest.
 * No answer, a 404, or no valid entry: SL_CLI_ERROR/SL_EXIT_FAILED
 * "Failed to get manifest for resource uri: <id>" (the detail goes to the
 * debug output, -v). With check_location, an entry without slterms:location
 * fails with "Image location(s) are not set in manifest for the image with
 * ID <id>". The cloud checks everything again (signature, policy), so this
 * is only the early, client-side refusal. */
#pragma once
#include "cli.h"
#include "market/entry.h"

SlMarketEntry *sl_cli_manifest(SlCli *cli, const char *id, gboolean check_location, GError **error);
