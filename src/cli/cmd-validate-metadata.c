/* cmd-validate-metadata.c - stratus-validate-metadata (not implemented yet). */
#include "cli.h"

static const SlOption *const options[] = {sl_opts_base, NULL};

const SlCommand sl_cmd_validate_metadata = {
    .name = "validate-metadata",
    .summary = "Check that a Marketplace entry is well-formed and signed",
    .synopsis = "[options] metadata-file",
    .description = "Check the metadata file against the schema and the constraints, and "
                   "verify its signature.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "`Valid: <file>` on stdout, or `Invalid: <file>` and the reason on stderr.",
};
