/* cmd-prepare-context.c - stratus-prepare-context: ./cloud-init.txt from
 * mimetype,file pairs (protocols.md §6, guide §8.4.4, docs/context.md). */

#include "cli.h"
#include "context-args.h"
#include "context/cloudinit.h"

static const SlOption *const options[] = {sl_opts_base, NULL};

static int
run(SlCli *cli, char **args)
{
  (void)cli;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = sl_cli_cloud_init_file((const char *const *)args, &error);
  if (text == NULL)
    return sl_out_fail(error);
  if (!g_file_set_contents(SL_CLOUDINIT_FILE, text, -1, &error))
    return sl_out_fail(error);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_prepare_context = {
    .name = "prepare-context",
    .summary = "Prepare a CloudInit contextualization file",
    .synopsis = "[options] mimetype,file ...",
    .description =
        "Write ./cloud-init.txt, for `stratus-run-instance --context-file cloud-init.txt`, from "
        "mimetype,file pairs (one per argument). The pseudo type 'ssh' marks public key files "
        "(put into root's authorized_keys); 'none' marks a file used as the user data as it is "
        "(the last 'none' file wins and replaces every other part); any other type is a text/ "
        "subtype cloud-init understands (x-shellscript, cloud-config, cloud-boothook, "
        "x-include-url, upstart-job, part-handler, plain, ...) and the files become the parts "
        "of a MIME multipart. The user data is gzip'd and base64-encoded and may not exceed "
        "16384 bytes once gzip'd. No key is included by default: give 'ssh,FILE' pairs.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .min_args = 1,
    .max_args = -1,
    .output_doc =
        "Nothing on stdout. The file `cloud-init.txt` in the current directory (replaced if it "
        "exists):\n\n"
        "```\nCONTEXT_METHOD=cloud-init\nCLOUD_INIT_AUTHORIZED_KEYS=c3NoLWVkMjU1MTkg...\n"
        "CLOUD_INIT_USER_DATA=H4sIAAAAAAAC/...\n\n```\n\n"
        "A line is left out when there is no key or no user data.",
    .errors_doc =
        "`  [ERROR] <message>`, exit 1, nothing written: `Invalid cloud-init pair `<p>` "
        "(mimetype,file expected)`, `Unknown cloud-init mimetype `<t>` in `<p>` (...)`, "
        "`cloud-init file `<f>` does not exist`, `cloud-init file `<f>` is binary; user data "
        "must be text`, `multipart size (<n>) exceeds limit (16384)`.",
};
