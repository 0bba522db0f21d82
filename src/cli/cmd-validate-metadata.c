/* cmd-validate-metadata.c - stratus-validate-metadata: Java CheckMetadata
 * (protocols.md §5.4): signature, then schema rules, constraints, RDF. */
#include <string.h>

#include "cli.h"
#include "market/validate.h"

static const SlOption opts[] = {
    {.name = "unsigned",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Accept a document without signature (a Signature present is still verified)"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base, opts, NULL};

static int
run(SlCli *cli, char **args)
{
  SlMarketChecks checks = sl_cli_flag(cli, "unsigned")
                              ? SL_MARKET_CHECK_DOCUMENT | SL_MARKET_CHECK_SIGNATURE_IF_PRESENT
                              : SL_MARKET_CHECK_ALL;
  int invalid = 0;
  for (char **f = args; *f; f++) {
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(*f, &data, &len, NULL)) {
      fprintf(stderr, "Cannot read %s\n", *f);
      invalid++;
      continue;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(SlMarketSigner) signer = NULL;
    g_autoptr(SlMarketEntry) entry = sl_market_validate(data, len, checks, &signer, &error);
    if (entry == NULL) {
      fprintf(stderr, "Invalid: %s\n%s\n", *f, error->message);
      invalid++;
      continue;
    }
    printf("Valid: %s\n", *f);
    if (signer != NULL)
      sl_out_debug(cli, "signed by %s (issuer %s, valid %s to %s)", signer->subject, signer->issuer,
                   signer->not_before, signer->not_after);
  }
  fflush(stdout);
  return invalid > 255 ? 255 : invalid;
}

const SlCommand sl_cmd_validate_metadata = {
    .name = "validate-metadata",
    .summary = "Check that a Marketplace entry is well-formed and signed",
    .synopsis = "[options] metadata-file ...",
    .description =
        "Check each metadata file: its XML-DSig signature (core validation with the key of "
        "the embedded certificate, and endorser subject/issuer/e-mail equal to the "
        "certificate's; certificate dates and chain are not checked), the structure of the "
        "document (what the 13.05 XSD checked), the constraints (xml:base, one dcterms:type, "
        "one SHA-1 checksum matching the identifier, dates, at most one os/os-arch/os-version/"
        "version/serial-number/deprecated) and that it is valid RDF/XML.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .min_args = 1,
    .max_args = -1,
    .output_doc = "`Valid: <file>` on stdout for each valid file; `Invalid: <file>` and the "
                  "reason (one line) on stderr for the others.",
    .errors_doc = "The exit status is the number of invalid (or unreadable: `Cannot read "
                  "<file>`) files, 0 when all are valid. Reasons include `no signature`, "
                  "`invalid signature element: ...`, `signature validation: false ...`, "
                  "`endorser inconsistency (<key>): <cert> != <doc>` and one message per "
                  "document rule (see docs/metadata.md).",
};
