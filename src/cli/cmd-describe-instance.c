/* cmd-describe-instance.c - stratus-describe-instance: GET /vms/ or /vms/<id>. */
#include "vm.h"

static const SlOption opts[] = {
    {.name = "numeric",
     .short_name = 'n',
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Print IP addresses (no reverse DNS lookup)"},
    {.name = "multi-site",
     .short_name = 'm',
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Show the machines of every site listed in the 'endpoints' configuration key (not "
             "supported yet: ignored with a warning)"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base,     sl_opts_json, sl_opts_config, sl_opts_auth,
    sl_opts_endpoint, opts,         sl_opts_pat,    NULL};

static int
run(SlCli *cli, char **args)
{
  static const char *const unsupported[] = {"multi-site", "pat-enable", "pat-service-host",
                                            "pat-gateway-host", NULL};
  sl_warn_unsupported(cli, unsupported);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_cloud(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  int status = SL_EXIT_OK;
  json_t *vms;
  if (args[0] == NULL) {
    vms = sl_client_call_json(client, "GET", "/vms/", NULL, NULL, &error);
    if (vms == NULL)
      return sl_out_fail(error);
    if (!json_is_array(vms)) {
      json_decref(vms);
      sl_out_error("Service error: the machine list is not a JSON array");
      return SL_EXIT_FAILED;
    }
  } else {
    vms = json_array();
    for (int i = 0; args[i]; i++) {
      guint64 n;
      if (!g_ascii_string_to_unsigned(args[i], 10, 0, G_MAXINT, &n, NULL)) {
        sl_out_error("Invalid vm-id: %s", args[i]);
        status = SL_EXIT_FAILED;
        continue;
      }
      g_autofree char *path = g_strdup_printf("/vms/%s", args[i]);
      g_autoptr(GError) err = NULL;
      json_t *vm = sl_client_call_json(client, "GET", path, NULL, NULL, &err);
      if (vm == NULL) {
        status = sl_out_fail(err);
        continue;
      }
      json_array_append_new(vms, vm);
    }
  }
  if (sl_out_json(cli)) {
    sl_out_print_json(vms);
    json_decref(vms);
    return status;
  }
  int verbose = sl_cli_verbose(cli);
  g_autofree char *table = sl_vm_describe_table(vms, sl_out_quiet() < 1, sl_out_color(cli),
                                                sl_cli_flag(cli, "numeric"), verbose);
  fputs(table, stdout);
  if (verbose >= 3 && args[0] != NULL && args[1] == NULL && json_array_size(vms) == 1) {
    g_autofree char *attrs = sl_vm_attributes(json_array_get(vms, 0));
    fputs(attrs, stdout);
  }
  fflush(stdout);
  json_decref(vms);
  return status;
}

const SlCommand sl_cmd_describe_instance = {
    .name = "describe-instance",
    .summary = "List virtual machine instances",
    .synopsis = "[options] [vm-id ...]",
    .description = "Show a table of your virtual machines: without arguments every machine that "
                   "is not Done (GET /vms/), else the given ids (GET /vms/<id>, so killed "
                   "machines show as Done). Columns: id, state, CPUs, memory (KiB), CPU use (%), "
                   "host name or address, name.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc =
        "A header line (in bold red, `ESC[1;31m` ... `ESC[0m`, only when standard output is a "
        "terminal and `NO_COLOR` is unset or empty; 13.05 also coloured a pipe) and one line "
        "per machine. Columns and their initial widths: `id` 4, "
        "`state` 10, `vcpu` 5, `memory` 10, `cpu%` 5, `host/ip` 24, then `name`; values are "
        "left-justified, and a column is widened to (longest value + 1) when a value is as "
        "long as the column:\n\n"
        "    id  state     vcpu memory    cpu% host/ip                 name\n"
        "    165 Running   1    131072    1    127.100.0.2             one-165\n\n"
        "`host/ip` is the reverse DNS name of the machine's address when it has one, else the "
        "address; loopback addresses (our `127.100.x.y` guests) and `-n` never use DNS.\n\n"
        "A machine on the local or private network (`--local-ip` / `--private-ip` of "
        "run-instance) gets a second line as in the run banner, `<TAB>Local ip: <address>` "
        "or `<TAB>Private ip: <address>`; machines on the public network get none.\n\n"
        "- `-q`: no header line.\n"
        "- `-v`: a machine with an error gets an extra line, indented by the width of the id "
        "column, with the error message.\n"
        "- `-vvv` with a single id: after the table, a line of 25 `-`, `<id> (all attributes)`, "
        "then `  <key> = <value>` for every attribute of the machine, sorted by key (nested "
        "keys joined with `_`, array elements numbered: `disks_0_target`).\n"
        "- `--json`: a JSON array of the machine objects as `GET /vms/<id>` returns them, in "
        "the order shown (see [JSON output](../json.md)); unknown ids are left out (error on "
        "stderr, exit 1).",
    .errors_doc = "- `  [ERROR] Invalid vm-id: <x>` (not a number)\n"
                  "- `  [ERROR] Service error: <message>` for an unknown id (or another user's "
                  "machine); the machines found are still shown and the command exits 1",
};
