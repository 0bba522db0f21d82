/* cmd-kill-instance.c - stratus-kill-instance (not implemented yet). */
#include "cli.h"

static const SlOption opts[] = {
    {.name = "input",
     .short_name = 'i',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "File with the machine ids, one per line"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base,     sl_opts_config, sl_opts_auth,
                                          sl_opts_endpoint, opts,           NULL};

const SlCommand sl_cmd_kill_instance = {
    .name = "kill-instance",
    .summary = "Destroy virtual machine instances and release their resources",
    .synopsis = "[options] vm-id ...",
    .description =
        "Stop the given machines at once and release their resources (the disks are not saved).",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "Nothing on success.",
    .errors_doc = "- `  [ERROR] Missing vm-id or input file (-i/--input)`",
};
