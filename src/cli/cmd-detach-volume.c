/* cmd-detach-volume.c - stratus-detach-volume (not implemented yet: needs machines). */
#include "cli.h"

static const SlOption opts[] = {
    {.name = "instance",
     .short_name = 'i',
     .type = SL_OPT_INT,
     .arg = "VM_ID",
     .help = "Id of the running machine",
     .def = "0"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base, sl_opts_config, sl_opts_auth, sl_opts_endpoint, sl_opts_pdisk, opts, NULL};

const SlCommand sl_cmd_detach_volume = {
    .name = "detach-volume",
    .summary = "Detach persistent disk volumes from a running instance",
    .synopsis = "[options] volume-uuid ...",
    .description = "Hot-plug: the machine must be running and its guest must support PCI "
                   "hot-plug (acpiphp). Devices are named vda, vdb, ... in attach order.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "One line per volume: `DETACHED <uuid> from VM <id> on /dev/<target>`",
    .errors_doc = "- `  [ERROR] VM <id> is not in running state`\n"
                  "- per volume `DISK <uuid>: <error>` (the command goes on with the next)",
};
