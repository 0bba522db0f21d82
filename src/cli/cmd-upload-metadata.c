/* cmd-upload-metadata.c - stratus-upload-metadata (not implemented yet). */
#include "cli.h"

static const SlOption *const options[] = {sl_opts_base, sl_opts_config, sl_opts_auth,
                                          sl_opts_market, NULL};

const SlCommand sl_cmd_upload_metadata = {
    .name = "upload-metadata",
    .summary = "Upload a Marketplace entry",
    .synopsis = "[options] metadata-file",
    .description = "Upload the signed metadata file to the Marketplace.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "The URL of the new entry: `<marketplace>/metadata/<id>/<email>/<created>`.",
};
