/* volume-hotplug.c - stratus-attach-volume / stratus-detach-volume over
 * POST /vms/<id>/disks and DELETE /vms/<id>/disks/<uuid> (docs/rest-vm.md).
 *
 * As in 13.05 (protocols.md §1.4): the VM must be Running (checked once, up
 * front: `  [ERROR] VM <id> is not in running state`, exit 1), then each UUID
 * is processed; a refused one prints `DISK <uuid>: <reason>` on stdout and the
 * loop goes on. Departure: the exit status is 1 when any volume failed (13.05
 * exited 0), so scripts can tell.
 */
#include "volume-hotplug.h"

#include <string.h>

#include "client.h"
#include "vm.h"

/* The server's message without the client's "Service error: " prefix. */
static const char *
reason(const GError *error)
{
  const char *m = error->message;
  return g_str_has_prefix(m, "Service error: ") ? m + strlen("Service error: ") : m;
}

/* Text: a refusal is `DISK <uuid>: <reason>` on stdout. JSON: one object per volume in
 * `results`, {"uuid", "vm", "target"} or {"uuid", "vm", "error"}. */
static void
print_result(json_t *results, const char *uuid, gint64 vm, const char *target, const char *error)
{
  if (results == NULL) {
    printf("DISK %s: %s\n", uuid, error);
    return;
  }
  json_t *o = json_pack("{s:s, s:I}", "uuid", uuid, "vm", (json_int_t)vm);
  if (target != NULL)
    json_object_set_new(o, "target", json_string(target));
  else
    json_object_set_new(o, "error", json_string(error));
  json_array_append_new(results, o);
}

int
sl_volume_hotplug(SlCli *cli, char **args, gboolean attach)
{
  gint64 id = sl_cli_int(cli, "instance");
  if (!args || !args[0]) {
    sl_out_error("At least one disk UUID is required");
    return SL_EXIT_FAILED;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_cloud(cli, &error);
  if (!client)
    return sl_out_fail(error);
  g_autofree char *vm_path = g_strdup_printf("/vms/%" G_GINT64_FORMAT, id);
  g_autoptr(json_t) vm =
      id > 0 ? sl_client_call_json(client, "GET", vm_path, NULL, NULL, &error) : NULL;
  if (!vm || g_strcmp0(json_string_value(json_object_get(vm, "state")), "Running") != 0) {
    if (error)
      sl_out_debug(cli, "%s", error->message);
    sl_out_error("VM %" G_GINT64_FORMAT " is not in running state", id);
    return SL_EXIT_FAILED;
  }
  int status = SL_EXIT_OK;
  g_autoptr(json_t) results = sl_out_json(cli) ? json_array() : NULL;
  for (char **u = args; *u; u++) {
    g_autoptr(GError) err = NULL;
    g_autoptr(json_t) answer = NULL;
    if (!sl_is_disk_uuid(*u)) {
      g_autofree char *msg = g_strdup_printf("Invalid UUID %s", *u);
      print_result(results, *u, id, NULL, msg);
      status = SL_EXIT_FAILED;
      continue;
    }
    if (attach) {
      g_autofree char *path = g_strdup_printf("%s/disks", vm_path);
      json_t *body = json_pack("{s:s}", "uuid", *u);
      answer = sl_client_call_json(client, "POST", path, body, NULL, &err);
      json_decref(body);
    } else {
      g_autofree char *path = g_strdup_printf("%s/disks/%s", vm_path, *u);
      answer = sl_client_call_json(client, "DELETE", path, NULL, NULL, &err);
    }
    if (!answer) {
      print_result(results, *u, id, NULL, reason(err));
      status = SL_EXIT_FAILED;
      continue;
    }
    const char *target = json_string_value(json_object_get(answer, "target"));
    if (results == NULL)
      printf("%s %s %s VM %" G_GINT64_FORMAT " on /dev/%s\n", attach ? "ATTACHED" : "DETACHED", *u,
             attach ? "in" : "from", id, target ? target : "?");
    else
      print_result(results, *u, id, target ? target : "", NULL);
  }
  if (results != NULL)
    sl_out_print_json(results);
  fflush(stdout);
  return status;
}

static const SlOption hotplug_opts[] = {
    {.name = "instance",
     .short_name = 'i',
     .type = SL_OPT_INT,
     .arg = "VM_ID",
     .help = "Id of the running machine",
     .def = "0"},
    {.name = NULL},
};

const SlOption *const sl_volume_hotplug_options[] = {
    sl_opts_base,     sl_opts_json,  sl_opts_config, sl_opts_auth,
    sl_opts_endpoint, sl_opts_pdisk, hotplug_opts,   NULL};
