/* cli.h - the `stratus` command line: command and option tables, runtime.
 *
 * Every subcommand is described by ONE SlCommand whose option tables drive
 * argument parsing (GOptionContext), the configuration/environment lookup,
 * `--help`, the generated reference pages (`stratus --dump-docs DIR`) and the
 * bash completion (`stratus --dump-completion`).
 *
 * Adding a command: write cmd-<name>.c defining `const SlCommand sl_cmd_<identifier>`
 * (.name, summary, options, run); add its row to commands.def, which declares it, lists it
 * in `stratus --help` and the completion, builds it and installs the `stratus-<name>` link;
 * regenerate the pages with `meson compile -C build docs-commands` (the cli-docs test fails
 * until they match); add a system test in tests/system/.
 */
#pragma once
#include <glib.h>
#include <jansson.h>
#include <stdio.h>

#include "config.h"
#include "exit-status.h" /* SL_EXIT_*, SL_CLI_ERROR */

#ifndef SL_JSON_AUTOPTR
#define SL_JSON_AUTOPTR
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)
#endif

typedef enum {
  SL_OPT_FLAG,   /* no argument; stores "1" (or `value` when set) */
  SL_OPT_COUNT,  /* no argument, counted: -vvv */
  SL_OPT_STRING, /* one argument */
  SL_OPT_INT,    /* one integer argument (usage error if not an integer) */
  SL_OPT_NUMBER, /* one decimal argument */
  SL_OPT_LIST,   /* one argument, repeatable: all values kept in order */
} SlOptType;

typedef struct {
  const char *name; /* long name without "--"; NULL ends a table */
  char short_name;  /* 0 when none */
  SlOptType type;
  const char *arg;   /* argument name shown in help (URL, FILE, ...) */
  const char *help;  /* one sentence */
  const char *key;   /* configuration key (and STRATUSLAB_<KEY>), or NULL */
  const char *env;   /* environment variable when there is no key, or NULL */
  const char *def;   /* default value, as text (shown and applied), or NULL */
  const char *dest;  /* value slot; NULL = name. Options sharing a slot are alternatives */
  const char *value; /* for FLAG options: the text stored in `dest` */
} SlOption;

typedef struct SlCli SlCli;
typedef int (*SlCommandRun)(SlCli *cli, char **args);

enum {
  SL_CMD_LOAD_CONFIG = 1 << 0,   /* reads the user configuration file */
  SL_CMD_OPTIONS_FIRST = 1 << 1, /* options end at the first argument (the rest is a command) */
};

typedef struct {
  const char *name;               /* "create-volume" */
  const char *summary;            /* one line, for `stratus --help` */
  const char *synopsis;           /* after the program name: "[options] volume-uuid ..." */
  const char *description;        /* a paragraph for --help and the docs */
  const SlOption *const *options; /* NULL-terminated list of option tables */
  gboolean implemented;
  SlCommandRun run;
  unsigned flags;
  int min_args, max_args; /* positional arguments checked generically (-1: no limit) */
  const char *output_doc; /* Markdown: what is printed on success */
  const char *errors_doc; /* Markdown: messages and exit statuses beyond the common ones */
} SlCommand;

/* Shared option tables (options.c). */
extern const SlOption sl_opts_base[];     /* -v -q */
extern const SlOption sl_opts_json[];     /* --json --format (see sl_out_json) */
extern const SlOption sl_opts_config[];   /* -c -S */
extern const SlOption sl_opts_auth[];     /* -u -p --pem-cert --pem-key --ca-certificate */
extern const SlOption sl_opts_endpoint[]; /* --endpoint */
extern const SlOption sl_opts_pdisk[];    /* --pdisk-endpoint --pdisk-username --pdisk-password */
extern const SlOption sl_opts_market[];   /* --marketplace-endpoint */
extern const SlOption sl_opts_pat[];      /* --pat-enable --pat-service-host --pat-gateway-host */

/* The commands: one row each in commands.def, defined in cmd-<name>.c; the table of all of
 * them (dispatch, `stratus --help`, `--dump-docs`) is built from the same rows in stratus.c. */
#define SL_COMMAND(id, name) extern const SlCommand sl_cmd_##id;
#include "commands.def"
#undef SL_COMMAND
/* Option tables shared by several commands. */
extern const SlOption sl_opts_run_instance[]; /* cmd-run-instance.c */
extern const SlOption sl_opts_p12[];          /* cmd-sign-metadata.c: --p12-cert --p12-password */

typedef enum {
  SL_PARSE_RUN,  /* go on with the command */
  SL_PARSE_DONE, /* --help or --version was printed: exit 0 */
  SL_PARSE_ERROR,
} SlParseResult;

/* Parse argv (argv[0] ignored) with the command's option tables. Fills
 * *out (always, even on error, so that the program name is known). */
SlParseResult sl_cli_parse_args(const SlCommand *cmd, const char *prog, int argc, char **argv,
                                SlCli **out, GError **error);
/* Load the configuration file (if the command uses it) and resolve every
 * option: command line > STRATUSLAB_<KEY> > file > default. */
gboolean sl_cli_resolve(SlCli *cli, GError **error);
gboolean sl_cli_wants_help(SlCli *cli); /* after SL_PARSE_DONE: help (else version) */
void sl_cli_free(SlCli *cli);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlCli, sl_cli_free)

/* Resolved values, by slot name (dest or long name). */
const char *sl_cli_get(SlCli *cli, const char *dest);
gboolean sl_cli_flag(SlCli *cli, const char *dest);
gint64 sl_cli_int(SlCli *cli, const char *dest);
const char *const *sl_cli_list(SlCli *cli, const char *dest); /* NULL-terminated, never NULL */
gboolean sl_cli_given(SlCli *cli, const char *dest);          /* set on the command line */
/* A configuration key without an option: STRATUSLAB_<KEY> > file. */
const char *sl_cli_setting(SlCli *cli, const char *key);
const char *sl_cli_prog(SlCli *cli);
const SlCommand *sl_cli_command(SlCli *cli);
char **sl_cli_args(SlCli *cli); /* positional arguments, NULL-terminated */
SlConfig *sl_cli_config(SlCli *cli);
int sl_cli_verbose(SlCli *cli);
int sl_cli_quiet(SlCli *cli);
/* Path of the configuration file: -c, else $HOME/.stratuslab/stratuslab-user.cfg. */
char *sl_cli_config_path(SlCli *cli);

/* Output (output.c). -q (quiet level 1) drops informational output (banners,
 * headers, "No disk to show"): sl_out_info; -qq also drops warnings. Results
 * (ids, uuids, table rows) and errors are always printed. */
void sl_out_set_quiet(int level);
int sl_out_quiet(void);
void sl_out_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);    /* stdout unless -q */
void sl_out_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);   /* "  [ERROR] ..." stderr */
void sl_out_warning(const char *fmt, ...) G_GNUC_PRINTF(1, 2); /* "  [WARNING] ..." stderr */
void sl_out_debug(SlCli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3); /* with -v, stderr */
void sl_out_usage_error(const char *prog, const SlCommand *cmd, const char *msg);
void sl_out_help(FILE *out, const char *prog, const SlCommand *cmd);
char *sl_out_command_page(const SlCommand *cmd); /* Markdown reference page */
int sl_out_fail(GError *error);
/* --json or --format=json was given (commands with sl_opts_json; the value is checked, text or
 * json, before the command runs). In JSON mode a command prints exactly one JSON document on
 * stdout (docs/json.md) and no informational text; errors still go to stderr. */
gboolean sl_out_json(SlCli *cli);
/* `doc` indented by 2, keys in insertion order, then a newline, on stdout. */
void sl_out_print_json(json_t *doc);
/* Colours: only when stdout is a terminal, NO_COLOR is unset or empty and not in JSON mode. */
gboolean sl_out_color(SlCli *cli); /* prints "  [ERROR] <message>", returns the exit status */
/* "[STRATUSLAB_X, x]" for an option, or NULL when neither applies. */
char *sl_option_sources(const SlOption *opt);
char *sl_option_env(const SlOption *opt); /* env var that sets it, or NULL */

/* Lower-case 8-4-4-4-12 hexadecimal disk identifier (client.c). */
gboolean sl_is_disk_uuid(const char *text);
