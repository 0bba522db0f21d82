/* run.h - running one command once it is chosen (by stratus.c's dispatch, or by a command
 * module, module.c).
 *
 * sl_cli_run_command() parses argv (argv[0] ignored) with the command's option tables, answers
 * --help and --version, checks the number of positional arguments (usage error, exit 2),
 * resolves the configuration and runs the command; prog is the name the messages use
 * ("stratus-<command>"). Returns the exit status (exit-status.h).
 */
#pragma once
#include "cli.h"

int sl_cli_run_command(const SlCommand *cmd, const char *prog, int argc, char **argv);
