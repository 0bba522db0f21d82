/* front.h - the entries of the `stratus` modules, called by the front program (front.c).
 *
 * `stratus` and its `stratus-<command>` links are a small program (front.c) that links the C
 * library alone: it answers --help and --version from text generated at build time from the
 * command tables; a known command it hands to that command's module (only the libraries the
 * command uses: describe-volumes maps GLib, jansson and libcurl, not libxml2, xmlsec or
 * libisofs); anything else (an unknown command, --dump-docs) to the module of every command,
 * libstratus-cli.so. The dynamic loading of those libraries is most of a command's start-up
 * time; a command that needs none of them should not pay for it (issue 18).
 */
#pragma once

/* The module of one command, libstratus-cmd-<name>.so (module.c): runs that command as prog
 * ("stratus-<name>") with argv (argv[0] ignored); returns the exit status. */
int sl_cli_command_main(const char *prog, int argc, char **argv);

/* The module of every command, libstratus-cli.so (stratus.c): argv[0]'s base name selects the
 * command when it is `stratus-<command>`; returns the exit status (exit-status.h). */
int sl_cli_main(int argc, char **argv);
