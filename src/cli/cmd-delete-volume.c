/* cmd-delete-volume.c - stratus-delete-volume: DELETE /disks/<uuid>. */
#include "client.h"

static const SlOption *const options[] = {sl_opts_base, sl_opts_json,     sl_opts_config,
                                          sl_opts_auth, sl_opts_endpoint, sl_opts_pdisk,
                                          NULL};

static int
run(SlCli *cli, char **args)
{
  if (args[0] == NULL) {
    sl_out_error("At least one disk UUID is required");
    return SL_EXIT_FAILED;
  }
  for (int i = 0; args[i]; i++) {
    if (!sl_is_disk_uuid(args[i])) {
      sl_out_error("Invalid UUID %s", args[i]);
      return SL_EXIT_FAILED;
    }
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_pdisk(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  int status = SL_EXIT_OK;
  g_autoptr(json_t) results = sl_out_json(cli) ? json_array() : NULL;
  for (int i = 0; args[i]; i++) {
    g_autofree char *path = g_strdup_printf("/disks/%s", args[i]);
    g_autoptr(GError) err = NULL;
    json_t *answer = sl_client_call(client, "DELETE", path, NULL, &err);
    if (answer == NULL) {
      status = sl_out_fail(err);
      if (results != NULL)
        json_array_append_new(results, json_pack("{s:s, s:b, s:s}", "uuid", args[i], "deleted", 0,
                                                 "error", err->message));
      continue;
    }
    json_decref(answer);
    if (results != NULL) {
      json_array_append_new(results, json_pack("{s:s, s:b}", "uuid", args[i], "deleted", 1));
      continue;
    }
    printf("DELETED %s\n", args[i]);
    fflush(stdout);
  }
  if (results != NULL)
    sl_out_print_json(results);
  return status;
}

const SlCommand sl_cmd_delete_volume = {
    .name = "delete-volume",
    .summary = "Delete persistent disk volumes",
    .synopsis = "[options] volume-uuid ...",
    .description = "Delete the given persistent disks (volumes). Only the owner of a volume can "
                   "delete it, and only while no machine uses it.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "One line `DELETED <uuid>` per deleted volume:\n\n"
                  "    $ stratus-delete-volume 9c5a2c03-8243-4a1b-a248-0f0d22d948c2\n"
                  "    DELETED 9c5a2c03-8243-4a1b-a248-0f0d22d948c2\n\n"
                  "`--json`: an array with one object per argument, `{\"uuid\": ..., "
                  "\"deleted\": true}` or `{\"uuid\": ..., \"deleted\": false, \"error\": "
                  "\"<message>\"}` (the error is also printed on stderr); see "
                  "[JSON output](../json.md).",
    .errors_doc = "Checked before contacting the service (exit 1, nothing deleted):\n\n"
                  "- `  [ERROR] At least one disk UUID is required`\n"
                  "- `  [ERROR] Invalid UUID <u>` (not lower-case 8-4-4-4-12 hexadecimal)\n\n"
                  "Each volume is then deleted in turn (`DELETE /disks/<uuid>`); a refusal "
                  "prints `  [ERROR] Service error: <message>` (for example `Not enough rights "
                  "to delete disk`, `disk (<uuid>) does not exist`, `disk (<uuid>) is in use "
                  "and can't be deleted`) and the command goes on with the next volume, "
                  "exiting 1 at the end if any deletion failed.",
};
