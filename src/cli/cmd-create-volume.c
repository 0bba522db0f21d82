/* cmd-create-volume.c - stratus-create-volume: POST /disks/. */
#include <string.h>

#include "client.h"

#define TAG_LENGTH_MAX 40

static const SlOption opts[] = {
    {.name = "size",
     .short_name = 's',
     .type = SL_OPT_STRING,
     .arg = "SIZE",
     .help = "Size of the volume in GiB, 1 to 1024 (mandatory)"},
    {.name = "tag",
     .short_name = 't',
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Tag (name) of the volume, at most 40 characters"},
    {.name = "private",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Only you can see, use and delete the volume",
     .def = "private",
     .dest = "visibility",
     .value = "private"},
    {.name = "public",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Everyone can see and use the volume; only you can delete it",
     .dest = "visibility",
     .value = "public"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base,     sl_opts_json,  sl_opts_config, sl_opts_auth,
    sl_opts_endpoint, sl_opts_pdisk, opts,           NULL};

static int
run(SlCli *cli, char **args)
{
  (void)args;
  const char *size = sl_cli_get(cli, "size");
  if (size == NULL) {
    sl_out_error("Missing mandatory -s/--size option");
    return SL_EXIT_FAILED;
  }
  gint64 n;
  if (!g_ascii_string_to_signed(size, 10, 1, 1024, &n, NULL)) {
    sl_out_error("Volume size must be a valid integer between 1 and 1024");
    return SL_EXIT_FAILED;
  }
  const char *tag = sl_cli_get(cli, "tag");
  if (tag != NULL && g_utf8_strlen(tag, -1) > TAG_LENGTH_MAX) {
    sl_out_error("Tags must have less than %d characters", TAG_LENGTH_MAX);
    return SL_EXIT_FAILED;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_pdisk(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  g_autofree char *size_text = g_strdup_printf("%" G_GINT64_FORMAT, n);
  const char *form[] = {
      "size", size_text, "tag", tag ? tag : "", "visibility", sl_cli_get(cli, "visibility"), NULL};
  json_t *answer = sl_client_call(client, "POST", "/disks/", form, &error);
  if (answer == NULL)
    return sl_out_fail(error);
  const char *uuid = json_string_value(json_object_get(answer, "uuid"));
  int status = SL_EXIT_OK;
  if (uuid != NULL && sl_out_json(cli)) {
    g_autoptr(json_t) doc =
        json_pack("{s:s, s:I, s:s, s:s}", "uuid", uuid, "size", (json_int_t)n, "tag",
                  tag ? tag : "", "visibility", sl_cli_get(cli, "visibility"));
    sl_out_print_json(doc);
  } else if (uuid != NULL) {
    printf("DISK %s\n", uuid);
  } else {
    sl_out_error("Service error: the answer has no disk uuid");
    status = SL_EXIT_FAILED;
  }
  json_decref(answer);
  return status;
}

const SlCommand sl_cmd_create_volume = {
    .name = "create-volume",
    .summary = "Create a new persistent disk volume",
    .synopsis = "[options]",
    .description = "Create a new persistent disk (volume) of the given size. A new volume is "
                   "private unless --public is given, and of type DATA_IMAGE_RAW_READ_WRITE.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = 0,
    .output_doc = "One line `DISK <uuid>` with the identifier of the new volume:\n\n"
                  "    $ stratus-create-volume --size=5 --tag=myprivate-disk\n"
                  "    DISK 9c5a2c03-8243-4a1b-a248-0f0d22d948c2\n\n"
                  "`--json`: `{\"uuid\": ..., \"size\": <GiB>, \"tag\": ..., \"visibility\": "
                  "\"private\"|\"public\"}` (see [JSON output](../json.md)).",
    .errors_doc = "Checked before contacting the service (exit 1):\n\n"
                  "- `  [ERROR] Missing mandatory -s/--size option`\n"
                  "- `  [ERROR] Volume size must be a valid integer between 1 and 1024`\n"
                  "- `  [ERROR] Tags must have less than 40 characters` (more than 40)\n\n"
                  "The request is `POST /disks/` with the form fields `size`, `tag` and "
                  "`visibility` (see [the pdisk REST API](../rest-pdisk.md)).",
};
