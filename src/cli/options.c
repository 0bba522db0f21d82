/* options.c - shared option tables, argument parsing (GOptionContext built
 * from the tables) and resolution: command line > STRATUSLAB_<KEY> > file >
 * default.
 */
#include <string.h>

#include "cli.h"

const SlOption sl_opts_base[] = {
    {.name = "verbose",
     .short_name = 'v',
     .type = SL_OPT_COUNT,
     .arg = NULL,
     .help = "Verbose output (repeat for more detail)"},
    {.name = "quiet",
     .short_name = 'q',
     .type = SL_OPT_COUNT,
     .arg = NULL,
     .help = "Quiet output (repeat for less)"},
    {.name = NULL},
};

const SlOption sl_opts_json[] = {
    {.name = "json",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Print the result as one JSON document (schema: docs/json.md); same as "
             "--format=json",
     .dest = "output_format",
     .value = "json"},
    {.name = "format",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FORMAT",
     .help = "Output format: text (the 13.05 layout) or json",
     .dest = "output_format"},
    {.name = NULL},
};

const SlOption sl_opts_config[] = {
    {.name = "config",
     .short_name = 'c',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "User configuration file",
     .def = "$HOME/.stratuslab/stratuslab-user.cfg"},
    {.name = "user-config-section",
     .short_name = 'S',
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Configuration file section overriding [default]",
     .key = "selected_section",
     .env = "STRATUSLAB_USER_CONFIG_SECTION"},
    {.name = NULL},
};

const SlOption sl_opts_auth[] = {
    {.name = "username",
     .short_name = 'u',
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Cloud user name",
     .key = "username"},
    {.name = "password",
     .short_name = 'p',
     .type = SL_OPT_STRING,
     .arg = "PASSWORD",
     .help = "Cloud password (prompted for when only the user name is known)",
     .key = "password"},
    {.name = "pem-cert",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "PEM client certificate, used when no user name is given",
     .key = "pem_certificate",
     .def = "~/.globus/usercert.pem"},
    {.name = "pem-key",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "PEM key of the client certificate",
     .key = "pem_key",
     .def = "~/.globus/userkey.pem"},
    {.name = "ca-certificate",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "CA certificate that signs the server certificate (default: system store)",
     .key = "ca_certificate"},
    {.name = NULL},
};

const SlOption sl_opts_endpoint[] = {
    {.name = "endpoint",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "HOST",
     .help = "Cloud endpoint: host, host:port (default port 2634) or URL",
     .key = "endpoint"},
    {.name = NULL},
};

const SlOption sl_opts_pdisk[] = {
    {.name = "pdisk-endpoint",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "URL",
     .help = "Persistent disk endpoint: host, host:port or URL (default: the cloud endpoint)",
     .key = "pdisk_endpoint"},
    {.name = "pdisk-username",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Persistent disk user name (default: the cloud user name)",
     .key = "pdisk_username"},
    {.name = "pdisk-password",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "PASSWORD",
     .help = "Persistent disk password (default: the cloud password)",
     .key = "pdisk_password"},
    {.name = NULL},
};

const SlOption sl_opts_pat[] = {
    {.name = "pat-enable",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Use port address translation (not supported yet: ignored with a warning)"},
    {.name = "pat-service-host",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "HOST",
     .help = "Port address translation service host (not supported yet)"},
    {.name = "pat-gateway-host",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "HOST",
     .help = "Port address translation gateway host (not supported yet)"},
    {.name = NULL},
};

const SlOption sl_opts_market[] = {
    {.name = "marketplace-endpoint",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "URL",
     .help = "Marketplace endpoint (default: the cloud endpoint)",
     .key = "marketplace_endpoint"},
    {.name = NULL},
};

struct SlCli {
  const SlCommand *cmd;
  char *prog;
  GHashTable *given;  /* dest -> value from the command line */
  GHashTable *lists;  /* dest -> GPtrArray (NULL-terminated) */
  GHashTable *values; /* dest -> resolved value */
  GPtrArray *empty;   /* an empty NULL-terminated list */
  char **args;
  SlConfig *config;
  gboolean help, version;
};

static const char *
opt_dest(const SlOption *o)
{
  return o->dest ? o->dest : o->name;
}

void
sl_cli_free(SlCli *cli)
{
  if (cli == NULL)
    return;
  g_free(cli->prog);
  g_hash_table_unref(cli->given);
  g_hash_table_unref(cli->lists);
  g_hash_table_unref(cli->values);
  g_ptr_array_unref(cli->empty);
  g_strfreev(cli->args);
  sl_config_free(cli->config);
  g_free(cli);
}

static SlCli *
cli_new(const SlCommand *cmd, const char *prog)
{
  SlCli *cli = g_new0(SlCli, 1);
  cli->cmd = cmd;
  cli->prog = g_strdup(prog);
  cli->given = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  cli->lists =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
  cli->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  cli->empty = g_ptr_array_new();
  g_ptr_array_add(cli->empty, NULL);
  cli->args = g_new0(char *, 1);
  return cli;
}

static const SlOption *
find_option(const SlCommand *cmd, const char *option_name)
{
  gboolean is_long = g_str_has_prefix(option_name, "--");
  const char *name = option_name + (is_long ? 2 : 1);
  for (const SlOption *const *t = cmd->options; *t; t++)
    for (const SlOption *o = *t; o->name; o++)
      if (is_long ? strcmp(o->name, name) == 0 : (o->short_name && o->short_name == name[0]))
        return o;
  return NULL;
}

typedef struct {
  SlCli *cli;
} ParseState;

static gboolean
on_option(const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
  SlCli *cli = ((ParseState *)data)->cli;
  if (strcmp(option_name, "-h") == 0 || strcmp(option_name, "--help") == 0) {
    cli->help = TRUE;
    return TRUE;
  }
  if (strcmp(option_name, "--version") == 0) {
    cli->version = TRUE;
    return TRUE;
  }
  const SlOption *o = find_option(cli->cmd, option_name);
  g_return_val_if_fail(o != NULL, FALSE);
  const char *dest = opt_dest(o);
  switch (o->type) {
  case SL_OPT_FLAG:
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup(o->value ? o->value : "1"));
    break;
  case SL_OPT_COUNT: {
    const char *old = g_hash_table_lookup(cli->given, dest);
    int n = old ? (int)g_ascii_strtoll(old, NULL, 10) : 0; /* our own "%d" */
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup_printf("%d", n + 1));
    break;
  }
  case SL_OPT_INT: {
    gint64 n;
    if (!g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &n, NULL)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "option %s: invalid integer value: '%s'", option_name, value);
      return FALSE;
    }
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup_printf("%" G_GINT64_FORMAT, n));
    break;
  }
  case SL_OPT_NUMBER: {
    char *end = NULL;
    g_ascii_strtod(value, &end);
    if (value[0] == '\0' || *end != '\0') {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "option %s: invalid number value: '%s'", option_name, value);
      return FALSE;
    }
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup(value));
    break;
  }
  case SL_OPT_LIST: {
    GPtrArray *list = g_hash_table_lookup(cli->lists, dest);
    if (list == NULL) {
      list = g_ptr_array_new_with_free_func(g_free);
      g_ptr_array_add(list, NULL);
      g_hash_table_insert(cli->lists, (gpointer)dest, list);
    }
    list->pdata[list->len - 1] = g_strdup(value);
    g_ptr_array_add(list, NULL);
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup(value));
    break;
  }
  case SL_OPT_STRING:
    g_hash_table_replace(cli->given, (gpointer)dest, g_strdup(value));
    break;
  }
  return TRUE;
}

static void
add_entry(GArray *entries, const char *name, char short_name, gboolean has_arg, const char *help,
          const char *arg)
{
  GOptionEntry e = {name,
                    short_name,
                    has_arg ? 0 : G_OPTION_FLAG_NO_ARG,
                    G_OPTION_ARG_CALLBACK,
                    (gpointer)on_option,
                    help,
                    arg};
  g_array_append_val(entries, e);
}

SlParseResult
sl_cli_parse_args(const SlCommand *cmd, const char *prog, int argc, char **argv, SlCli **out,
                  GError **error)
{
  SlCli *cli = cli_new(cmd, prog);
  *out = cli;
  ParseState state = {cli};
  g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  add_entry(entries, "help", 'h', FALSE, "Show this help and exit", NULL);
  add_entry(entries, "version", 0, FALSE, "Show the version and exit", NULL);
  for (const SlOption *const *t = cmd->options; *t; t++)
    for (const SlOption *o = *t; o->name; o++)
      add_entry(entries, o->name, o->short_name, o->type != SL_OPT_FLAG && o->type != SL_OPT_COUNT,
                o->help, o->arg);

  GOptionContext *ctx = g_option_context_new(NULL);
  g_option_context_set_help_enabled(ctx, FALSE);
  if (cmd->flags & SL_CMD_OPTIONS_FIRST)
    g_option_context_set_strict_posix(ctx, TRUE);
  GOptionGroup *group = g_option_group_new(cmd->name, cmd->summary, cmd->summary, &state, NULL);
  g_option_group_add_entries(group, (GOptionEntry *)(void *)entries->data);
  g_option_context_set_main_group(ctx, group);

  char **copy = g_new0(char *, argc + 2);
  copy[0] = g_strdup(prog);
  for (int i = 1; i < argc; i++)
    copy[i] = g_strdup(argv[i]);
  g_autoptr(GError) local = NULL;
  gboolean ok = g_option_context_parse_strv(ctx, &copy, &local);
  g_option_context_free(ctx);
  if (ok) {
    /* positional arguments, without the first "--" separator GOption leaves */
    GPtrArray *args = g_ptr_array_new();
    gboolean dashdash = FALSE;
    for (int i = 1; copy[i] != NULL; i++) {
      if (!dashdash && strcmp(copy[i], "--") == 0) {
        dashdash = TRUE;
        continue;
      }
      g_ptr_array_add(args, g_strdup(copy[i]));
    }
    g_ptr_array_add(args, NULL);
    g_strfreev(cli->args);
    cli->args = (char **)g_ptr_array_free(args, FALSE);
  }
  g_strfreev(copy);
  if (!ok) {
    g_set_error_literal(error, SL_CLI_ERROR, SL_EXIT_USAGE, local->message);
    return SL_PARSE_ERROR;
  }
  if (cli->help)
    return SL_PARSE_DONE;
  if (cli->version)
    return SL_PARSE_DONE;
  return SL_PARSE_RUN;
}

gboolean
sl_cli_wants_help(SlCli *cli)
{
  return cli->help;
}

static gboolean
truthy(const char *v)
{
  return v && (g_ascii_strcasecmp(v, "1") == 0 || g_ascii_strcasecmp(v, "true") == 0 ||
               g_ascii_strcasecmp(v, "yes") == 0 || g_ascii_strcasecmp(v, "on") == 0);
}

char *
sl_option_env(const SlOption *opt)
{
  if (opt->env)
    return g_strdup(opt->env);
  if (opt->key)
    return sl_config_key_to_env(opt->key);
  return NULL;
}

static const char *
env_value(const char *name)
{
  const char *v = name ? g_getenv(name) : NULL;
  return (v && v[0]) ? v : NULL;
}

char *
sl_cli_config_path(SlCli *cli)
{
  const char *c = g_hash_table_lookup(cli->given, "config");
  if (c != NULL)
    return g_strdup(c);
  const char *home = g_getenv("HOME");
  if (home == NULL || home[0] == '\0')
    home = g_get_home_dir();
  return g_build_filename(home, ".stratuslab", "stratuslab-user.cfg", NULL);
}

gboolean
sl_cli_resolve(SlCli *cli, GError **error)
{
  if (cli->cmd->flags & SL_CMD_LOAD_CONFIG) {
    g_autofree char *path = sl_cli_config_path(cli);
    const char *section = g_hash_table_lookup(cli->given, "user-config-section");
    if (section == NULL)
      section = env_value("STRATUSLAB_USER_CONFIG_SECTION");
    gboolean explicit_path = g_hash_table_contains(cli->given, "config");
    cli->config = sl_config_load(path, explicit_path, section, error);
    if (cli->config == NULL)
      return FALSE;
  }
  for (const SlOption *const *t = cli->cmd->options; *t; t++) {
    for (const SlOption *o = *t; o->name; o++) {
      const char *dest = opt_dest(o);
      const char *given = g_hash_table_lookup(cli->given, dest);
      if (given != NULL) {
        g_hash_table_replace(cli->values, (gpointer)dest, g_strdup(given));
        continue;
      }
      g_autofree char *env = sl_option_env(o);
      const char *v = env_value(env);
      if (v == NULL && o->key)
        v = sl_config_get(cli->config, o->key);
      if (v != NULL && o->type == SL_OPT_FLAG) {
        if (truthy(v))
          g_hash_table_replace(cli->values, (gpointer)dest, g_strdup(o->value ? o->value : "1"));
        continue;
      }
      if (v != NULL) {
        g_hash_table_replace(cli->values, (gpointer)dest, g_strdup(v));
        continue;
      }
      if (o->def != NULL && !g_hash_table_contains(cli->values, dest))
        g_hash_table_insert(cli->values, (gpointer)dest, g_strdup(o->def));
    }
  }
  return TRUE;
}

const char *
sl_cli_get(SlCli *cli, const char *dest)
{
  const char *v = g_hash_table_lookup(cli->values, dest);
  if (v == NULL)
    v = g_hash_table_lookup(cli->given, dest);
  return v;
}

gboolean
sl_cli_flag(SlCli *cli, const char *dest)
{
  const char *v = sl_cli_get(cli, dest);
  return v != NULL && strcmp(v, "0") != 0;
}

gint64
sl_cli_int(SlCli *cli, const char *dest)
{
  const char *v = sl_cli_get(cli, dest);
  return v ? g_ascii_strtoll(v, NULL, 10) : 0;
}

const char *const *
sl_cli_list(SlCli *cli, const char *dest)
{
  GPtrArray *list = g_hash_table_lookup(cli->lists, dest);
  return (const char *const *)(list ? list->pdata : cli->empty->pdata);
}

gboolean
sl_cli_given(SlCli *cli, const char *dest)
{
  return g_hash_table_contains(cli->given, dest);
}

const char *
sl_cli_setting(SlCli *cli, const char *key)
{
  g_autofree char *env = sl_config_key_to_env(key);
  const char *v = env_value(env);
  return v ? v : sl_config_get(cli->config, key);
}

const char *
sl_cli_prog(SlCli *cli)
{
  return cli->prog;
}

const SlCommand *
sl_cli_command(SlCli *cli)
{
  return cli->cmd;
}

char **
sl_cli_args(SlCli *cli)
{
  return cli->args;
}

SlConfig *
sl_cli_config(SlCli *cli)
{
  return cli->config;
}

int
sl_cli_verbose(SlCli *cli)
{
  return (int)sl_cli_int(cli, "verbose");
}

int
sl_cli_quiet(SlCli *cli)
{
  return (int)sl_cli_int(cli, "quiet");
}
