/* cmd-sign-metadata.c - stratus-sign-metadata (not implemented yet). */
#include "cli.h"

const SlOption sl_opts_p12[] = {
    {.name = "p12-cert",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "PKCS#12 certificate used to sign metadata",
     .key = "p12_certificate",
     .def = "~/.globus/usercert.p12"},
    {.name = "p12-password",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "PASSWORD",
     .help = "Password of the PKCS#12 certificate (prompted for when not given)",
     .key = "p12_password"},
    {.name = NULL},
};

static const SlOption opts[] = {
    {.name = "output",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "Signed file (default: the input file, the original kept as <file>.orig)"},
    {.name = "email",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "EMAIL",
     .help = "E-mail address when the certificate has none"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base, sl_opts_config, sl_opts_p12, opts, NULL};

const SlCommand sl_cmd_sign_metadata = {
    .name = "sign-metadata",
    .summary = "Cryptographically sign a Marketplace entry",
    .synopsis = "[options] metadata-file",
    .description = "Sign the metadata file (enveloped XML signature) with the PKCS#12 "
                   "certificate, filling in the endorsement.",
    .options = options,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
};
