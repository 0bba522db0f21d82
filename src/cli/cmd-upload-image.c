/* cmd-upload-image.c - stratus-upload-image (deprecated; not implemented yet). */
#include "cli.h"

static const SlOption *const options[] = {
    sl_opts_base,  sl_opts_config, sl_opts_auth, sl_opts_endpoint,
    sl_opts_pdisk, sl_opts_market, sl_opts_p12,  NULL};

const SlCommand sl_cmd_upload_image = {
    .name = "upload-image",
    .summary = "(deprecated) Upload an image to the persistent disk service",
    .synopsis = "[options] image-file",
    .description = "Compress the image file, upload it as a new read-only persistent disk and "
                   "update its metadata.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
};
