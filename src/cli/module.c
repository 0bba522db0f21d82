/* module.c - one command as a module of its own, libstratus-cmd-<name>.so (front.h): the
 * command's object and only what it uses are linked in, so that loading it maps the libraries
 * that command needs and no other. SL_MODULE_COMMAND (set by meson.build) names the
 * command's table, sl_cmd_<identifier>. */
#include <locale.h>

#include "front.h"
#include "run.h"

int
sl_cli_command_main(const char *prog, int argc, char **argv)
{
  setlocale(LC_ALL, "");
  g_set_prgname(prog);
  return sl_cli_run_command(&SL_MODULE_COMMAND, prog, argc, argv);
}
