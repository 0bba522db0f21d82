/* cmd-prepare-context.c - stratus-prepare-context (not implemented yet). */
#include "cli.h"

static const SlOption *const options[] = {sl_opts_base, NULL};

const SlCommand sl_cmd_prepare_context = {
    .name = "prepare-context",
    .summary = "Prepare a CloudInit contextualization file",
    .synopsis = "[options] mimetype,file ...",
    .description = "Write ./cloud-init.txt for --context-file from mimetype,file pairs; the "
                   "pseudo type 'ssh' marks public key files and 'none' a raw user-data file.",
    .options = options,
    .min_args = 1,
    .max_args = -1,
    .output_doc = "The file `cloud-init.txt` in the current directory.",
};
