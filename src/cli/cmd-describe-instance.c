/* cmd-describe-instance.c - stratus-describe-instance (not implemented yet). */
#include "cli.h"

static const SlOption opts[] = {
    {.name = "numeric",
     .short_name = 'n',
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Print IP addresses (no reverse DNS lookup)"},
    {.name = "multi-site",
     .short_name = 'm',
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Show the machines of every site listed in the 'endpoints' configuration key"},
    {.name = "pat-enable",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Use port address translation"},
    {.name = "pat-service-host",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "HOST",
     .help = "Port address translation service host"},
    {.name = "pat-gateway-host",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "HOST",
     .help = "Port address translation gateway host"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base,     sl_opts_config, sl_opts_auth,
                                          sl_opts_endpoint, opts,           NULL};

const SlCommand sl_cmd_describe_instance = {
    .name = "describe-instance",
    .summary = "List virtual machine instances",
    .synopsis = "[options] [vm-id ...]",
    .description = "Show a table of your virtual machines (all of them, or the given ids): id, "
                   "state, CPUs, memory, CPU use, host name or address, name.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "    id  state     vcpu memory    cpu% host/ip                 name\n"
                  "    165 Running   1    131072    1    vm-201.lal.stratuslab.eu one-165",
};
