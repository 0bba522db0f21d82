/* main.c - stratus-admin: global options and command dispatch.
 *
 *   stratus-admin --data-dir DIR GROUP COMMAND [ARGS...]
 *
 * Works on the data directory directly (no daemon needed). Exit 0 on success,
 * 1 on a failed operation ("  [ERROR] <msg>" on stderr), 2 on a usage error
 * ("stratus-admin: error: <msg>").
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>

#include <glib/gstdio.h>

#include "admin/admin.h"
#include "sl-config.h"

#define PROG "stratus-admin"

static const AdminGroup *const groups[] = {
    &admin_user_group,
    &admin_image_group,
    &admin_quota_group,
};

static char *
commands_summary(void)
{
  GString *s = g_string_new("Commands:");
  for (gsize g = 0; g < G_N_ELEMENTS(groups); g++) {
    for (gsize i = 0; i < groups[g]->n_commands; i++) {
      const AdminCommand *c = &groups[g]->commands[i];
      g_autofree char *usage = g_strdup_printf("%s %s %s", groups[g]->name, c->name, c->args);
      g_string_append_printf(s, "\n  %-24s %s", usage, c->help);
    }
  }
  g_string_append(s, "\n\nPasswords are read as one line from standard input.");
  return g_string_free(s, FALSE);
}

static const AdminCommand *
find_command(int argc, char **argv, GError **error)
{
  if (argc < 2) {
    admin_usage_error(error, "a command is required (see --help)");
    return NULL;
  }
  for (gsize g = 0; g < G_N_ELEMENTS(groups); g++) {
    if (g_strcmp0(groups[g]->name, argv[0]) != 0)
      continue;
    for (gsize i = 0; i < groups[g]->n_commands; i++)
      if (g_strcmp0(groups[g]->commands[i].name, argv[1]) == 0)
        return &groups[g]->commands[i];
    admin_usage_error(error, "unknown command: %s %s", argv[0], argv[1]);
    return NULL;
  }
  admin_usage_error(error, "unknown command: %s", argv[0]);
  return NULL;
}

static int
fail(GError *error)
{
  if (error->domain == G_OPTION_ERROR) {
    g_printerr("%s: error: %s\n", PROG, error->message);
    return 2;
  }
  g_printerr("  [ERROR] %s\n", error->message);
  return 1;
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  g_autofree char *data_dir = NULL;
  g_autofree char *hash = NULL;
  gboolean version = FALSE;
  g_autofree char *q_cpu = NULL, *q_ram = NULL, *q_vms = NULL;
  GOptionEntry entries[] = {
      {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory of the cloud", "DIR"},
      {"hash", 0, 0, G_OPTION_ARG_STRING, &hash,
       "Stored password hash (crypt(3) form, e.g. from stratus-hash-password) instead of "
       "reading a password",
       "STORED"},
      {"cpu", 0, 0, G_OPTION_ARG_STRING, &q_cpu, "quota set: vCPUs (or 'default')", "N"},
      {"ram", 0, 0, G_OPTION_ARG_STRING, &q_ram, "quota set: RAM in MiB (or 'default')", "MIB"},
      {"vms", 0, 0, G_OPTION_ARG_STRING, &q_vms, "quota set: number of VMs (or 'default')", "N"},
      {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) octx = g_option_context_new("GROUP COMMAND [ARGS...]");
  g_autofree char *summary = commands_summary();
  g_option_context_set_summary(octx, "Operator tool of StratusLab: works on the data directory.");
  g_option_context_set_description(octx, summary);
  g_option_context_add_main_entries(octx, entries, NULL);

  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_strdupv(argv);
  int nargs = argc;
  if (!g_option_context_parse_strv(octx, &args, &error))
    return fail(error);
  nargs = (int)g_strv_length(args);
  if (version) {
    g_print("%s %s\n", PROG, SL_VERSION);
    return 0;
  }
  /* args[0] is the program name; "--" may be left in place by GOption */
  char **rest = args + 1;
  int nrest = nargs - 1;
  if (nrest > 0 && g_strcmp0(rest[0], "--") == 0) {
    rest++;
    nrest--;
  }
  const AdminCommand *cmd = find_command(nrest, rest, &error);
  if (!cmd)
    return fail(error);
  if (nrest - 2 != cmd->nargs) {
    admin_usage_error(&error, "usage: %s --data-dir DIR %s %s %s", PROG, rest[0], cmd->name,
                      cmd->args);
    return fail(error);
  }
  if (!data_dir || !data_dir[0]) {
    admin_usage_error(&error, "--data-dir is required");
    return fail(error);
  }
  if (g_mkdir_with_parents(data_dir, 0700) != 0) {
    int e = errno;
    g_printerr("  [ERROR] cannot create data directory %s: %s\n", data_dir, g_strerror(e));
    return 1;
  }
  AdminContext ctx = {.data_dir = data_dir,
                      .hash = hash,
                      .quota_cpu = q_cpu,
                      .quota_ram = q_ram,
                      .quota_vms = q_vms};
  if (!cmd->run(&ctx, rest + 2, &error))
    return fail(error);
  return 0;
}
