/* cmd-upload-metadata.c - stratus-upload-metadata: POST a signed entry to
 * <marketplace>/metadata (protocols.md §5.1, no authentication). */
#include <string.h>

#include "cli.h"
#include "market-client.h"
#include "market/entry.h"

static const SlOption *const options[] = {sl_opts_base, sl_opts_config, sl_opts_auth,
                                          sl_opts_market, NULL};

int
sl_market_upload(SlCli *cli, const char *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = sl_market_base_url(cli, &error);
  if (!base)
    return sl_out_fail(error);
  g_autoptr(SlMarketEntry) entry = sl_market_entry_parse(data, len, &error);
  if (!entry) {
    sl_out_error("Failed to upload: %s", error->message);
    return SL_EXIT_FAILED;
  }
  g_autofree char *url = g_strconcat(base, "/metadata", NULL);
  GString *answer = NULL;
  long status = sl_market_request(cli, "POST", url, "application/xml", "application/xml", data, len,
                                  &answer, &error);
  if (status == 0) {
    g_string_free(answer, TRUE);
    sl_out_error("Failed to upload: %s", error->message);
    return SL_EXIT_FAILED;
  }
  if (status != 201 && status != 200) {
    g_autofree char *msg = sl_market_error_text(status, answer);
    g_string_free(answer, TRUE);
    sl_out_error("Failed to upload: %s", msg);
    return SL_EXIT_FAILED;
  }
  g_string_free(answer, TRUE);
  printf("%s/metadata/%s/%s/%s\n", base, entry->identifier ? entry->identifier : "",
         entry->email ? entry->email : "", entry->created ? entry->created : "");
  fflush(stdout);
  return SL_EXIT_OK;
}

static int
run(SlCli *cli, char **args)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(args[0], &data, &len, &error)) {
    sl_out_error("Failed to upload: %s", error->message);
    return SL_EXIT_FAILED;
  }
  return sl_market_upload(cli, data, len);
}

const SlCommand sl_cmd_upload_metadata = {
    .name = "upload-metadata",
    .summary = "Upload a Marketplace entry",
    .synopsis = "[options] metadata-file",
    .description = "Upload the signed metadata file to the Marketplace (POST "
                   "<marketplace>/metadata, Content-Type application/xml, no authentication: the "
                   "signature is the credential). The Marketplace checks the signature, the "
                   "constraints and that the entry is not older than the latest one of the same "
                   "image and endorser.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "The URL of the new entry: `<marketplace>/metadata/<id>/<email>/<created>`.",
    .errors_doc = "`  [ERROR] Failed to upload: <reason>` (the Marketplace's message, e.g. "
                  "`invalid metadata: no signature`, `invalid metadata: older than latest "
                  "entry`), exit 1.",
};
