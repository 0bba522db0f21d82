/* cmd-update-volume.c - stratus-update-volume: PUT /disks/<uuid>. */
#include "client.h"

#define TAG_LENGTH_MAX 40

static const SlOption opts[] = {
    {.name = "tag",
     .short_name = 't',
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "New tag (name) of the volume, at most 40 characters"},
    {.name = "private",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Make the volume private",
     .dest = "visibility",
     .value = "private"},
    {.name = "public",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Make the volume public",
     .dest = "visibility",
     .value = "public"},
    {.name = "machine-image-origin",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: original machine image",
     .dest = "type",
     .value = "MACHINE_IMAGE_ORIGIN"},
    {.name = "machine-image-live",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: live machine image (copy on write)",
     .dest = "type",
     .value = "MACHINE_IMAGE_LIVE"},
    {.name = "data-image-origin",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: original data image",
     .dest = "type",
     .value = "DATA_IMAGE_ORIGIN"},
    {.name = "data-image-live",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: live data image",
     .dest = "type",
     .value = "DATA_IMAGE_LIVE"},
    {.name = "data-image-raw-readonly",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: raw read-only data image",
     .dest = "type",
     .value = "DATA_IMAGE_RAW_READONLY"},
    {.name = "data-image-raw-read-write",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Type: raw read-write data image (the type of new volumes)",
     .dest = "type",
     .value = "DATA_IMAGE_RAW_READ_WRITE"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base,     sl_opts_json,  sl_opts_config, sl_opts_auth,
    sl_opts_endpoint, sl_opts_pdisk, opts,           NULL};

static int
run(SlCli *cli, char **args)
{
  if (args[0] == NULL) {
    sl_out_error("A disk UUID must be supplied");
    return SL_EXIT_FAILED;
  }
  if (args[1] != NULL) {
    sl_out_error("Only one disk UUID can be specified");
    return SL_EXIT_FAILED;
  }
  if (!sl_is_disk_uuid(args[0])) {
    sl_out_error("Invalid UUID %s", args[0]);
    return SL_EXIT_FAILED;
  }
  const char *tag = sl_cli_get(cli, "tag");
  if (tag != NULL && g_utf8_strlen(tag, -1) > TAG_LENGTH_MAX) {
    sl_out_error("Tags must have less than %d characters", TAG_LENGTH_MAX);
    return SL_EXIT_FAILED;
  }
  const char *form[8] = {NULL};
  int n = 0;
  const char *fields[] = {"tag", "visibility", "type"};
  for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
    const char *v = sl_cli_get(cli, fields[i]);
    if (v != NULL) {
      form[n++] = fields[i];
      form[n++] = v;
    }
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_pdisk(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  g_autofree char *path = g_strdup_printf("/disks/%s", args[0]);
  json_t *answer = sl_client_call(client, "PUT", path, form, &error);
  if (answer == NULL)
    return sl_out_fail(error);
  if (sl_out_json(cli))
    sl_out_print_json(answer);
  json_decref(answer);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_update_volume = {
    .name = "update-volume",
    .summary = "Update the metadata of a persistent disk volume",
    .synopsis = "[options] volume-uuid",
    .description = "Change the tag, the visibility or the type of a persistent disk (volume). "
                   "Only the options given are changed. Disk types: MACHINE_IMAGE_ORIGIN, "
                   "MACHINE_IMAGE_LIVE, DATA_IMAGE_ORIGIN, DATA_IMAGE_LIVE, "
                   "DATA_IMAGE_RAW_READONLY, DATA_IMAGE_RAW_READ_WRITE.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "Nothing on success:\n\n"
                  "    $ stratus-update-volume --public 9c5a2c03-8243-4a1b-a248-0f0d22d948c2\n\n"
                  "`--json`: the updated volume object as the service returns it (as in "
                  "`stratus-describe-volumes --json`; see [JSON output](../json.md)).",
    .errors_doc = "Checked before contacting the service (exit 1):\n\n"
                  "- `  [ERROR] A disk UUID must be supplied`\n"
                  "- `  [ERROR] Only one disk UUID can be specified`\n"
                  "- `  [ERROR] Invalid UUID <u>`\n"
                  "- `  [ERROR] Tags must have less than 40 characters`\n\n"
                  "The request is `PUT /disks/<uuid>` with the form fields `tag`, `visibility` "
                  "(`private`/`public`) and `type`, each only when given; refusals print "
                  "`  [ERROR] Service error: <message>` (e.g. `Not enough rights to update "
                  "disk`). When several visibility or type options are given, the last wins.",
};
