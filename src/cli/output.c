/* output.c - messages, --help, the command list and the generated reference
 * pages, all from the command and option tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sl-config.h"

static int quiet_level;

void
sl_out_set_quiet(int level)
{
  quiet_level = level;
}

int
sl_out_quiet(void)
{
  return quiet_level;
}

void
sl_out_info(const char *fmt, ...)
{
  if (quiet_level >= 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

void
sl_out_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
  fprintf(stderr, "  [ERROR] %s\n", msg);
}

void
sl_out_warning(const char *fmt, ...)
{
  if (quiet_level >= 2)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
  fprintf(stderr, "  [WARNING] %s\n", msg);
}

void
sl_out_debug(SlCli *cli, const char *fmt, ...)
{
  if (cli == NULL || sl_cli_verbose(cli) < 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "  [DEBUG] %s\n", msg);
}

void
sl_out_usage_error(const char *prog, const SlCommand *cmd, const char *msg)
{
  fflush(stdout);
  if (cmd != NULL)
    fprintf(stderr, "Usage: %s %s\n\n", prog, cmd->synopsis);
  else
    fprintf(stderr, "Usage: stratus <command> [options] [arguments]\n\n");
  fprintf(stderr, "%s: error: %s\n", prog, msg);
}

char *
sl_option_sources(const SlOption *opt)
{
  g_autofree char *env = sl_option_env(opt);
  if (env && opt->key)
    return g_strdup_printf("[%s, %s]", env, opt->key);
  if (env)
    return g_strdup_printf("[%s]", env);
  return NULL;
}

static char *
option_spec(const SlOption *o, const char *sep)
{
  GString *s = g_string_new(NULL);
  if (o->short_name)
    g_string_append_printf(s, "-%c, ", o->short_name);
  g_string_append_printf(s, "--%s", o->name);
  if (o->arg && o->type != SL_OPT_FLAG && o->type != SL_OPT_COUNT)
    g_string_append_printf(s, "%s%s", sep, o->arg);
  return g_string_free(s, FALSE);
}

static void
help_line(FILE *out, const char *spec, const char *text)
{
  if (strlen(spec) <= 28)
    fprintf(out, "  %-30s%s\n", spec, text);
  else
    fprintf(out, "  %s\n  %-30s%s\n", spec, "", text);
}

void
sl_out_help(FILE *out, const char *prog, const SlCommand *cmd)
{
  fprintf(out, "Usage: %s %s\n\n", prog, cmd->synopsis);
  fprintf(out, "%s\n", cmd->description);
  if (!cmd->implemented)
    fprintf(out, "\n(This command is not implemented yet.)\n");
  fprintf(out, "\nOptions:\n");
  help_line(out, "-h, --help", "Show this help and exit");
  help_line(out, "--version", "Show the version and exit");
  for (const SlOption *const *t = cmd->options; *t; t++) {
    for (const SlOption *o = *t; o->name; o++) {
      g_autofree char *spec = option_spec(o, "=");
      g_autofree char *src = sl_option_sources(o);
      g_autofree char *text =
          o->def ? g_strdup_printf("%s (default: %s)", o->help, o->def) : g_strdup(o->help);
      g_autofree char *full = src ? g_strdup_printf("%s %s", text, src) : g_strdup(text);
      help_line(out, spec, full);
    }
  }
}

/* ---- reference pages ---------------------------------------------------- */

static char *
md_cell(const char *text)
{
  if (text == NULL)
    return g_strdup("");
  g_auto(GStrv) parts = g_strsplit(text, "|", -1);
  return g_strjoinv("\\|", parts);
}

static void
doc_options(GString *md, const SlCommand *cmd)
{
  g_string_append(md, "## Options\n\n"
                      "| Option | Environment | Configuration key | Default | Description |\n"
                      "|---|---|---|---|---|\n"
                      "| `-h, --help` | | | | Show the help (every option with the environment "
                      "variable and configuration key that set it) and exit 0 |\n"
                      "| `--version` | | | | Print `stratus " SL_VERSION "` and exit 0 |\n");
  for (const SlOption *const *t = cmd->options; *t; t++) {
    for (const SlOption *o = *t; o->name; o++) {
      g_autofree char *spec = option_spec(o, " ");
      g_autofree char *env = sl_option_env(o);
      g_autofree char *help = md_cell(o->help);
      g_autofree char *def = md_cell(o->def);
      g_string_append_printf(md, "| `%s` | %s%s%s | %s%s%s | %s%s%s | %s%s |\n", spec,
                             env ? "`" : "", env ? env : "", env ? "`" : "", o->key ? "`" : "",
                             o->key ? o->key : "", o->key ? "`" : "", o->def ? "`" : "", def,
                             o->def ? "`" : "", help,
                             o->type == SL_OPT_LIST    ? " (repeatable)"
                             : o->type == SL_OPT_COUNT ? " (counted)"
                                                       : "");
    }
  }
  g_string_append(md, "\nPrecedence: command line > environment > configuration file > default "
                      "(see [configuration](../configuration.md)).\n\n");
}

char *
sl_out_command_page(const SlCommand *cmd)
{
  GString *md = g_string_new(NULL);
  g_string_append_printf(md,
                         "<!-- Generated by `stratus --dump-docs`; do not edit. -->\n"
                         "# stratus-%s\n\n%s.\n\n",
                         cmd->name, cmd->summary);
  if (!cmd->implemented)
    g_string_append(md, "**Status: not implemented yet.** The options below are accepted and "
                        "`--help` works; running the command prints `  [ERROR] stratus-");
  if (!cmd->implemented)
    g_string_append_printf(md, "%s: not implemented yet` on stderr and exits 3.\n\n", cmd->name);
  g_string_append_printf(md, "## Synopsis\n\n    stratus-%s %s\n    stratus %s %s\n\n%s\n\n",
                         cmd->name, cmd->synopsis, cmd->name, cmd->synopsis, cmd->description);
  doc_options(md, cmd);
  g_string_append_printf(md, "## Output\n\n%s\n\n",
                         cmd->output_doc ? cmd->output_doc : "Nothing on success.");
  g_string_append(md, "## Exit status\n\n| Status | Meaning |\n|---|---|\n"
                      "| 0 | success (also `--help`, `--version`) |\n"
                      "| 1 | the action was refused or failed: `  [ERROR] <message>` on stderr; "
                      "HTTP failures print `  [ERROR] Service error: <server message>`, "
                      "connection failures `  [ERROR] Network error: <detail>` |\n"
                      "| 2 | usage error (unknown option, bad integer, wrong number of "
                      "arguments): the usage line and `stratus-<command>: error: <message>` "
                      "on stderr |\n");
  if (!cmd->implemented)
    g_string_append(md, "| 3 | the command is not implemented yet |\n");
  g_string_append(md, "\n");
  if (cmd->errors_doc)
    g_string_append_printf(md, "## Errors\n\n%s\n\n", cmd->errors_doc);
  g_string_append(md, "See also: [all commands](README.md), "
                      "[configuration](../configuration.md).\n");
  return g_string_free(md, FALSE);
}

int
sl_out_fail(GError *error)
{
  int status = SL_EXIT_FAILED;
  if (error != NULL) {
    sl_out_error("%s", error->message);
    if (error->domain == SL_CLI_ERROR && error->code > 0)
      status = error->code;
  }
  return status;
}

gboolean
sl_out_json(SlCli *cli)
{
  return cli != NULL && g_strcmp0(sl_cli_get(cli, "output_format"), "json") == 0;
}

void
sl_out_print_json(json_t *doc)
{
  char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  if (text != NULL)
    printf("%s\n", text);
  free(text);
  fflush(stdout);
}

gboolean
sl_out_color(SlCli *cli)
{
  const char *no_color = g_getenv("NO_COLOR");
  if (no_color != NULL && no_color[0] != '\0')
    return FALSE;
  return !sl_out_json(cli) && isatty(STDOUT_FILENO);
}
