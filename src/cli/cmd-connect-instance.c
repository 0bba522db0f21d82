/* cmd-connect-instance.c - stratus-connect-instance (not implemented yet). */
#include "cli.h"

static const SlOption opts[] = {
    {.name = "key",
     .short_name = 'k',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "SSH private key (the public key file name without .pub)",
     .key = "user_public_key_file",
     .def = "~/.ssh/id_rsa"},
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

const SlCommand sl_cmd_connect_instance = {
    .name = "connect-instance",
    .summary = "Connect with ssh to a virtual machine instance",
    .synopsis = "[options] vm-id",
    .description = "Run `ssh root@<address>` for the given machine, with the private key.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
    .errors_doc = "- `Couldn't find enough information to connect to VM '<id>'`",
};
