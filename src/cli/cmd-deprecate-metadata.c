/* cmd-deprecate-metadata.c - stratus-deprecate-metadata (not implemented yet). */
#include "cli.h"

static const SlOption opts[] = {
    {.name = "email",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "EMAIL",
     .help = "E-mail address of the endorser of the entry"},
    {.name = "created",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "DATE",
     .help = "Creation date of the entry to deprecate (default: the latest)"},
    {.name = "reason",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "TEXT",
     .help = "Reason for the deprecation",
     .def = "This image has been deprecated"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base, sl_opts_config, sl_opts_auth, sl_opts_market, sl_opts_p12, opts, NULL};

const SlCommand sl_cmd_deprecate_metadata = {
    .name = "deprecate-metadata",
    .summary = "Deprecate a Marketplace entry",
    .synopsis = "[options] image-id",
    .description = "Download the entry of the image, mark it deprecated with the reason, sign "
                   "it again and upload it.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
};
