/* cmd-deprecate-metadata.c - stratus-deprecate-metadata: download the
 * latest entry of an image, add slterms:deprecated, sign it again and upload
 * it (protocols.md §5.5). */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "market-client.h"
#include "market/build.h"

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

static gboolean
fail_with(GError **error, const char *fmt, const char *arg)
{
  g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, fmt, arg);
  return FALSE;
}

/* Finds the key (email, created) of the entry to deprecate: the JSON listing
 * of the image (any status; latest entries unless --created). */
static gboolean
find_entry(SlCli *cli, const char *base, const char *id, char **email, char **created,
           GError **error)
{
  const char *want_email = sl_cli_get(cli, "email");
  const char *want_created = sl_cli_get(cli, "created");
  if (want_email && want_created) {
    *email = g_strdup(want_email);
    *created = g_strdup(want_created);
    return TRUE;
  }
  g_autofree char *id_e = g_uri_escape_string(id, NULL, TRUE);
  g_autofree char *url = g_strdup_printf("%s/metadata/%s%s%s%s%s?status=all", base, id_e,
                                         want_email ? "/" : "", want_email ? want_email : "",
                                         want_created ? "/" : "", want_created ? want_created : "");
  GString *answer = NULL;
  long status =
      sl_market_request(cli, "GET", url, "application/json", NULL, NULL, 0, &answer, error);
  if (status == 0) {
    g_string_free(answer, TRUE);
    return FALSE;
  }
  json_t *root = status == 200 ? json_loadb(answer->str, answer->len, 0, NULL) : NULL;
  json_t *rows = json_object_get(root, "aaData");
  gboolean ok = FALSE;
  if (!json_is_array(rows) || json_array_size(rows) == 0) {
    g_autofree char *msg = status == 200 ? g_strdup("no metadata matching query found")
                                         : sl_market_error_text(status, answer);
    fail_with(error, "Cannot find the entry to deprecate: %s", msg);
  } else {
    /* several endorsers: the most recent endorsement */
    json_t *best = NULL;
    for (size_t i = 0; i < json_array_size(rows); i++) {
      json_t *r = json_array_get(rows, i);
      if (!best || g_strcmp0(json_string_value(json_array_get(r, 6)),
                             json_string_value(json_array_get(best, 6))) > 0)
        best = r;
    }
    *email = g_strdup(json_string_value(json_array_get(best, 4)));
    *created = g_strdup(json_string_value(json_array_get(best, 6)));
    ok = *email && *created;
    if (!ok)
      fail_with(error, "Cannot find the entry to deprecate: %s", "bad listing");
  }
  json_decref(root);
  g_string_free(answer, TRUE);
  return ok;
}

static SlMarketCredentials *
load_credentials(SlCli *cli, GError **error)
{
  g_autofree char *p12 = sl_expand_home(sl_cli_get(cli, "p12-cert"));
  if (p12 == NULL || !g_file_test(p12, G_FILE_TEST_IS_REGULAR)) {
    fail_with(error, "PKCS12 certificate %s not found (use --p12-cert)", p12 ? p12 : "(none)");
    return NULL;
  }
  g_autofree char *password = g_strdup(sl_cli_get(cli, "p12-password"));
  if (password == NULL && isatty(STDIN_FILENO)) {
    g_autofree char *prompt = g_strdup_printf("PKCS12 (P12) cert '%s' password: ", p12);
    password = sl_prompt(prompt, FALSE);
  }
  if (password == NULL) {
    fail_with(error, "%s", "No PKCS12 password given (use --p12-password)");
    return NULL;
  }
  SlMarketCredentials *creds = sl_market_credentials_load_p12(p12, password, error);
  memset(password, 0, strlen(password));
  return creds;
}

static int
run(SlCli *cli, char **args)
{
  const char *id = args[0];
  g_autoptr(GError) error = NULL;
  g_autofree char *base = sl_market_base_url(cli, &error);
  if (!base)
    return sl_out_fail(error);
  g_autoptr(SlMarketCredentials) creds = load_credentials(cli, &error);
  if (!creds)
    return sl_out_fail(error);
  g_autofree char *email = NULL;
  g_autofree char *created = NULL;
  if (!find_entry(cli, base, id, &email, &created, &error))
    return sl_out_fail(error);

  g_autofree char *id_e = g_uri_escape_string(id, NULL, TRUE);
  g_autofree char *url = g_strdup_printf("%s/metadata/%s/%s/%s", base, id_e, email, created);
  GString *answer = NULL;
  long status =
      sl_market_request(cli, "GET", url, "application/xml", NULL, NULL, 0, &answer, &error);
  if (status == 0) {
    g_string_free(answer, TRUE);
    return sl_out_fail(error);
  }
  if (status != 200) {
    g_autofree char *msg = sl_market_error_text(status, answer);
    g_string_free(answer, TRUE);
    sl_out_error("Cannot download %s: %s", url, msg);
    return SL_EXIT_FAILED;
  }
  sl_out_debug(cli, "deprecating %s", url);
  /* the new endorsement must be newer than the old one: entries are keyed
   * by their creation second */
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) old = sl_market_parse_date(created);
  if (old && g_date_time_compare(now, old) <= 0) {
    g_date_time_unref(now);
    now = g_date_time_add_seconds(old, 1);
  }
  gsize out_len = 0;
  g_autofree char *doc =
      sl_market_deprecate(answer->str, answer->len, sl_cli_get(cli, "reason"), creds,
                          sl_cli_get(cli, "email"), now, &out_len, &error);
  g_string_free(answer, TRUE);
  if (!doc)
    return sl_out_fail(error);
  return sl_market_upload(cli, doc, out_len);
}

const SlCommand sl_cmd_deprecate_metadata = {
    .name = "deprecate-metadata",
    .summary = "Deprecate a Marketplace entry",
    .synopsis = "[options] image-id",
    .description = "Download the entry of the image (the latest one, or the one of --email and "
                   "--created), mark it deprecated with the reason (slterms:deprecated), sign it "
                   "again with the PKCS#12 certificate (new endorsement dated now) and upload it. "
                   "The image is then no longer listed as valid by the Marketplace.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "The URL of the new (deprecating) entry: "
                  "`<marketplace>/metadata/<id>/<email>/<created>`.",
    .errors_doc = "`  [ERROR] Cannot find the entry to deprecate: <reason>`, `  [ERROR] Failed "
                  "to upload: <reason>`, PKCS#12 errors as for sign-metadata; exit 1.",
};
