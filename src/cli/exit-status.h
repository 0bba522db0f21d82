/* exit-status.h - the exit statuses of every `stratus` command and the CLI error domain.
 *
 * A GError in SL_CLI_ERROR carries, as its code, the exit status the command ends with
 * (sl_out_fail() in cli.h); an error of any other domain ends the command with
 * SL_EXIT_FAILED. This header depends on GLib only, so that the lower modules of the client
 * (config.c, the INI parser) report errors without including cli.h.
 */
#pragma once
#include <glib.h>

enum {
  SL_EXIT_OK = 0,
  SL_EXIT_FAILED = 1, /* refused or failed action: "  [ERROR] <msg>" */
  SL_EXIT_USAGE = 2,  /* usage line + "<prog>: error: <msg>" */
  SL_EXIT_NOT_IMPLEMENTED = 3,
};

/* Error domain for the CLI: codes are exit statuses. */
#define SL_CLI_ERROR (sl_cli_error_quark())
static inline GQuark
sl_cli_error_quark(void)
{
  return g_quark_from_static_string("sl-cli-error-quark");
}
