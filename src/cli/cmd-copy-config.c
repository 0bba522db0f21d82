/* cmd-copy-config.c - stratus-copy-config: install the reference user
 * configuration file at the -c path. */
#include <errno.h>
#include <gio/gio.h>

#include "cli.h"
#include "sl-config.h"

#define REFERENCE_NAME "stratuslab-user.cfg.ref"

static const SlOption opts[] = {
    {.name = "force",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Overwrite an existing configuration file"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base, sl_opts_config, opts, NULL};

/* The installed reference file, else the copy built into the program. */
static GBytes *
reference_contents(SlCli *cli)
{
  g_autofree char *installed = g_build_filename(SL_DATADIR, REFERENCE_NAME, NULL);
  char *data = NULL;
  gsize len = 0;
  if (g_file_get_contents(installed, &data, &len, NULL)) {
    sl_out_debug(cli, "reference file: %s", installed);
    return g_bytes_new_take(data, len);
  }
  sl_out_debug(cli, "reference file: built-in copy (%s not found)", installed);
  return g_resources_lookup_data("/eu/stratuslab/cli/" REFERENCE_NAME, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                 NULL);
}

static int
run(SlCli *cli, char **args)
{
  (void)args;
  g_autofree char *path = sl_cli_config_path(cli);
  if (g_file_test(path, G_FILE_TEST_EXISTS) && !sl_cli_flag(cli, "force")) {
    sl_out_error("Configuration file %s already exists; use --force to overwrite it", path);
    return SL_EXIT_FAILED;
  }
  g_autoptr(GBytes) ref = reference_contents(cli);
  if (ref == NULL) {
    sl_out_error("Cannot find the reference configuration file " REFERENCE_NAME);
    return SL_EXIT_FAILED;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    sl_out_error("Cannot create directory %s: %s", dir, g_strerror(errno));
    return SL_EXIT_FAILED;
  }
  gsize len = 0;
  const char *data = g_bytes_get_data(ref, &len);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                &error)) {
    sl_out_error("Cannot write %s: %s", path, error->message);
    return SL_EXIT_FAILED;
  }
  sl_out_debug(cli, "wrote configuration file: %s", path);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_copy_config = {
    .name = "copy-config",
    .summary = "Copy the reference configuration file into place",
    .synopsis = "[options]",
    .description = "Write the commented reference user configuration file to the path of "
                   "-c/--config (default $HOME/.stratuslab/stratuslab-user.cfg), creating the "
                   "directory. An existing file is kept unless --force is given. The reference "
                   "is <prefix>/share/stratuslab/" REFERENCE_NAME " (a copy is built into the "
                   "program for uninstalled use).",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = 0,
    .min_args = 0,
    .max_args = 0,
    .output_doc = "Nothing (with `-v`: `wrote configuration file: <path>` on stderr). The file "
                  "is created with mode 0600 since it holds a password:\n\n"
                  "    $ stratus-copy-config\n"
                  "    $ ls $HOME/.stratuslab/\n"
                  "    stratuslab-user.cfg",
    .errors_doc = "- `  [ERROR] Configuration file <path> already exists; use --force to "
                  "overwrite it` (exit 1)\n"
                  "- `  [ERROR] Cannot create directory <dir>: <why>`, `  [ERROR] Cannot "
                  "write <path>: <why>` (exit 1)",
};
