/* cmd-sign-metadata.c - stratus-sign-metadata: Java SignMetadata
 * (protocols.md §5.4). */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "market/sign.h"

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
     .short_name = 'o',
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

static int
run(SlCli *cli, char **args)
{
  const char *file = args[0];
  g_autofree char *p12 = sl_expand_home(sl_cli_get(cli, "p12-cert"));
  if (p12 == NULL || !g_file_test(p12, G_FILE_TEST_IS_REGULAR)) {
    sl_out_error("PKCS12 certificate %s not found (use --p12-cert)", p12 ? p12 : "(none)");
    return SL_EXIT_FAILED;
  }
  g_autofree char *password = g_strdup(sl_cli_get(cli, "p12-password"));
  if (password == NULL && isatty(STDIN_FILENO)) {
    g_autofree char *prompt = g_strdup_printf("PKCS12 (P12) cert '%s' password: ", p12);
    password = sl_prompt(prompt, FALSE);
  }
  if (password == NULL) {
    sl_out_error("No PKCS12 password given (use --p12-password)");
    return SL_EXIT_FAILED;
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketCredentials) creds = sl_market_credentials_load_p12(p12, password, &error);
  memset(password, 0, strlen(password));
  if (creds == NULL)
    return sl_out_fail(error);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(file, &data, &len, &error))
    return sl_out_fail(error);
  gsize out_len = 0;
  g_autofree char *doc =
      sl_market_sign(data, len, creds, sl_cli_get(cli, "email"), NULL, &out_len, &error);
  if (doc == NULL)
    return sl_out_fail(error);

  const char *output = sl_cli_get(cli, "output");
  if (output != NULL) {
    if (!g_file_set_contents(output, doc, (gssize)out_len, &error))
      return sl_out_fail(error);
    return SL_EXIT_OK;
  }
  g_autofree char *tmp = g_strconcat(file, ".new", NULL);
  g_autofree char *orig = g_strconcat(file, ".orig", NULL);
  if (!g_file_set_contents(tmp, doc, (gssize)out_len, &error))
    return sl_out_fail(error);
  const char *from = file;
  if (g_rename(file, orig) != 0 || (from = tmp, g_rename(tmp, file) != 0)) {
    sl_out_error("Cannot rename %s: %s", from, g_strerror(errno));
    return SL_EXIT_FAILED;
  }
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_sign_metadata = {
    .name = "sign-metadata",
    .summary = "Cryptographically sign a Marketplace entry",
    .synopsis = "[options] metadata-file",
    .description =
        "Sign the metadata file with the key and certificate of a PKCS#12 file (legacy "
        "RC2-40 files included): every existing Signature is removed, only the last "
        "slreq:endorsement is kept and refilled (dcterms:created = now, UTC; endorser e-mail "
        "from the certificate's subjectAltName, else --email; subject and issuer in RFC 2253 "
        "form), then an enveloped XML-DSig signature (RSA-SHA1, C14N with comments, "
        "certificate in KeyInfo) is appended. The signed document replaces the file, the "
        "original being kept as <file>.orig (or goes to --output). The password is asked "
        "for on a terminal when not given.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "Nothing; the signed document in the file (see above).",
    .errors_doc = "`cannot read PKCS#12: wrong password?`, `document must contain exactly 1 "
                  "slreq:endorsement element`, `cannot generate slreq:endorsement; email "
                  "address not in cert or not provided`, `invalid email address: <x>` "
                  "(exit 1).",
};
