/* cmd-connect-instance.c - stratus-connect-instance: GET /vms/<id>, then ssh
 * (protocols.md §7.4), retried when ssh itself fails (exit 255). */
#include <errno.h>
#include <string.h>

#include "util/spawn.h"
#include "vm.h"

static const SlOption opts[] = {
    {.name = "key",
     .short_name = 'k',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "SSH private key (a trailing .pub is removed, so the run-instance key setting "
             "works)",
     .key = "user_public_key_file",
     .def = "~/.ssh/id_rsa.pub"},
    {.name = "ssh-retry-delay",
     .short_name = 0,
     .type = SL_OPT_NUMBER,
     .arg = "SECONDS",
     .help = "Longest random pause before retrying when ssh exits 255 (13.05: 60)",
     .key = "ssh_retry_delay",
     .def = "2"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base, sl_opts_config, sl_opts_auth, sl_opts_endpoint, opts, sl_opts_pat, NULL};

/* Runs argv with the terminal (stdin, stdout, stderr inherited) through
 * util/spawn, not exec: a failed ssh is tried again. Returns its exit status
 * (128 + signal when killed, 255 if it could not run). */
static int
run_ssh(char **argv)
{
  fflush(stdout);
  fflush(stderr);
  g_autofree char *found = g_find_program_in_path(argv[0]);
  if (!found) {
    fprintf(stderr, "  [ERROR] Cannot run %s: %s\n", argv[0], g_strerror(ENOENT));
    return 255;
  }
  SlSpawnOptions o = {.argv = (const char *const *)argv,
                      .stdin_inherit = TRUE,
                      .out = SL_SPAWN_INHERIT,
                      .err = SL_SPAWN_INHERIT};
  SlSpawnResult r;
  g_autoptr(GError) error = NULL;
  if (!sl_spawn_sync(&o, &r, &error)) {
    fprintf(stderr, "  [ERROR] %s\n", error->message);
    return 255;
  }
  int status = r.exited ? r.exit_status : 128 + r.term_signal;
  sl_spawn_result_clear(&r);
  return status;
}

static int
run(SlCli *cli, char **args)
{
  static const char *const unsupported[] = {"pat-enable", "pat-service-host", "pat-gateway-host",
                                            NULL};
  sl_warn_unsupported(cli, unsupported);
  const char *id = args[0];
  g_autofree char *key = sl_expand_home(sl_cli_get(cli, "key"));
  if (key != NULL && g_str_has_suffix(key, ".pub"))
    key[strlen(key) - 4] = '\0';
  if (key == NULL || !g_file_test(key, G_FILE_TEST_IS_REGULAR)) {
    sl_out_error("Private key `%s` does not exist", key ? key : "");
    return SL_EXIT_FAILED;
  }
  guint64 n;
  if (!g_ascii_string_to_unsigned(id, 10, 0, G_MAXINT, &n, NULL)) {
    sl_out_error("Invalid vm-id: %s", id);
    return SL_EXIT_FAILED;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlClient) client = sl_client_new_cloud(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  g_autofree char *path = g_strdup_printf("/vms/%s", id);
  g_autoptr(json_t) vm = sl_client_call_json(client, "GET", path, NULL, NULL, &error);
  if (vm == NULL)
    return sl_out_fail(error);
  const char *ip = json_string_value(json_object_get(vm, "ip"));
  if (ip == NULL || ip[0] == '\0') {
    fflush(stdout);
    fprintf(stderr, "Couldn't find enough information to connect to VM '%s'\n", id);
    return SL_EXIT_FAILED;
  }
  g_autofree char *target = g_strdup_printf("root@%s", ip);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *fixed[] = {"ssh",
                         "-p",
                         "22",
                         "-o",
                         "ConnectTimeout=5",
                         "-o",
                         "StrictHostKeyChecking=no",
                         "-o",
                         "UserKnownHostsFile=/dev/null",
                         "-o",
                         "LogLevel=ERROR",
                         "-o NumberOfPasswordPrompts=3",
                         "-i",
                         key,
                         target};
  for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
    g_ptr_array_add(argv, (gpointer)fixed[i]);
  if (args[1] == NULL)
    g_ptr_array_add(argv, ""); /* 13.05: an empty remote command, i.e. a login shell */
  for (int i = 1; args[i]; i++)
    g_ptr_array_add(argv, args[i]);
  g_ptr_array_add(argv, NULL);
  if (sl_cli_verbose(cli) >= 1) {
    g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata);
    sl_out_debug(cli, "%s", line);
  }
  double delay = g_ascii_strtod(sl_cli_get(cli, "ssh-retry-delay"), NULL);
  int status = run_ssh((char **)argv->pdata);
  for (int retry = 0; status == 255 && retry < 2; retry++) {
    if (delay > 0)
      g_usleep((gulong)(g_random_double_range(0, delay) * G_USEC_PER_SEC));
    sl_out_debug(cli, "ssh exited 255; retrying");
    status = run_ssh((char **)argv->pdata);
  }
  return status;
}

const SlCommand sl_cmd_connect_instance = {
    .name = "connect-instance",
    .summary = "Connect with ssh to a virtual machine instance",
    .synopsis = "[options] vm-id [command ...]",
    .description =
        "Log into the machine as root with ssh and the private key; with a command after the "
        "id, run it there instead of a login shell (its exit status is the command's; options "
        "must come before the id, everything after it belongs to the command). The "
        "machine's address comes from GET /vms/<id>; ssh runs as\n\n"
        "    ssh -p 22 -o ConnectTimeout=5 -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \"-o NumberOfPasswordPrompts=3\" "
        "-i <key> "
        "root@<ip> \"\"\n\n"
        "(the 13.05 command line plus `-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`: every "
        "machine gets new host keys and addresses are reused, so remembering them would only "
        "produce host-key-changed refusals, and ssh's \"Permanently added\" warning would "
        "print on every connection; the empty last argument is replaced by the command when one "
        "is given). When ssh itself fails (exit 255: connection refused, machine still "
        "booting) it is tried up to 2 more times after a random pause of at most "
        "--ssh-retry-delay seconds (2; 13.05 waited up to 60).",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG | SL_CMD_OPTIONS_FIRST,
    .min_args = 1,
    .max_args = -1,
    .output_doc = "What ssh prints. The exit status is ssh's (the remote command's status, or "
                  "255 when ssh failed three times).",
    .errors_doc = "- `  [ERROR] Private key `<file>` does not exist` (exit 1): -k/--key, else "
                  "`STRATUSLAB_KEY`, `user_public_key_file`, `~/.ssh/id_rsa.pub`, each "
                  "without `.pub`\n"
                  "- `  [ERROR] Service error: <message>` for an unknown id (exit 1)\n"
                  "- `Couldn't find enough information to connect to VM '<id>'` on stderr when "
                  "the machine has no address (exit 1)",
};
