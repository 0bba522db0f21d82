/* run.c - one command's life after dispatch: parse, check, resolve, run (run.h). */
#include "run.h"

#include <stdio.h>
#include <string.h>

#include "sl-config.h"

int
sl_cli_run_command(const SlCommand *cmd, const char *prog, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  SlCli *raw = NULL;
  SlParseResult r = sl_cli_parse_args(cmd, prog, argc, argv, &raw, &error);
  g_autoptr(SlCli) cli = raw;
  if (r == SL_PARSE_ERROR) {
    sl_out_usage_error(prog, cmd, error->message);
    return SL_EXIT_USAGE;
  }
  if (r == SL_PARSE_DONE) {
    if (sl_cli_wants_help(cli))
      sl_out_help(stdout, prog, cmd);
    else
      printf("stratus %s\n", SL_VERSION);
    return SL_EXIT_OK;
  }
  if (!cmd->implemented || cmd->run == NULL) {
    sl_out_error("%s: not implemented yet", prog);
    return SL_EXIT_NOT_IMPLEMENTED;
  }
  int nargs = (int)g_strv_length(sl_cli_args(cli));
  if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
    g_autofree char *msg =
        nargs < cmd->min_args
            ? g_strdup_printf("expected %d argument%s", cmd->min_args,
                              cmd->min_args == 1 ? "" : "s")
            : g_strdup_printf("unexpected argument: %s", sl_cli_args(cli)[cmd->max_args]);
    sl_out_usage_error(prog, cmd, msg);
    return SL_EXIT_USAGE;
  }
  if (!sl_cli_resolve(cli, &error))
    return sl_out_fail(error);
  const char *format = sl_cli_get(cli, "output_format");
  if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
    sl_out_usage_error(prog, cmd, "--format must be text or json");
    return SL_EXIT_USAGE;
  }
  sl_out_set_quiet(sl_cli_quiet(cli));
  return cmd->run(cli, sl_cli_args(cli));
}
