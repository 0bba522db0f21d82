/* cmd-describe-images.c - stratus-describe-images: the Marketplace's valid
 * entries as a table, filtered (not in the 13.05 guide). Reads the DataTables
 * JSON of GET <marketplace>/metadata (protocols.md §5.1). */
#include <jansson.h>
#include <string.h>

#include "cli.h"
#include "market-client.h"

static const SlOption opts[] = {
    {.name = "status",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "STATUS",
     .help = "valid, expired, deprecated or all",
     .def = "valid"},
    {.name = "location",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "KIND",
     .help = "all, web or pdisk",
     .def = "all"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base, sl_opts_json, sl_opts_config, sl_opts_auth, sl_opts_market, opts, NULL};

/* aaData columns: "", os, osversion, arch, email, kind, created, identifier,
 * location, description, title. Filter keys and their column. */
static const struct {
  const char *key;
  int col;
} keys[] = {
    {"os", 1},      {"version", 2},    {"os-version", 2}, {"osversion", 2},   {"arch", 3},
    {"os-arch", 3}, {"endorser", 4},   {"email", 4},      {"kind", 5},        {"created", 6},
    {"id", 7},      {"identifier", 7}, {"location", 8},   {"description", 9}, {"title", 10},
};

static const char *
cell(json_t *row, int col)
{
  const char *s = json_string_value(json_array_get(row, (size_t)col));
  return s ? s : "";
}

static gboolean
contains_ci(const char *hay, const char *needle)
{
  g_autofree char *h = g_utf8_casefold(hay, -1);
  g_autofree char *n = g_utf8_casefold(needle, -1);
  return strstr(h, n) != NULL;
}

/* KEY=VALUE: the column equals VALUE (case-insensitive); TEXT: any column
 * contains TEXT. FALSE + error for an unknown key. */
static gboolean
matches(json_t *row, char **filters, GError **error)
{
  for (char **f = filters; *f; f++) {
    const char *eq = strchr(*f, '=');
    if (!eq) {
      gboolean any = FALSE;
      for (int c = 1; c <= 10 && !any; c++)
        any = contains_ci(cell(row, c), *f);
      if (!any)
        return FALSE;
      continue;
    }
    g_autofree char *key = g_strndup(*f, eq - *f);
    int col = -1;
    for (gsize k = 0; k < G_N_ELEMENTS(keys); k++)
      if (!g_ascii_strcasecmp(key, keys[k].key))
        col = keys[k].col;
    if (col < 0) {
      g_set_error(error, SL_CLI_ERROR, SL_EXIT_USAGE,
                  "unknown filter key '%s' (os, version, arch, endorser, kind, id, location, "
                  "title, description, created)",
                  key);
      return FALSE;
    }
    if (g_utf8_collate(cell(row, col), eq + 1) != 0 && g_ascii_strcasecmp(cell(row, col), eq + 1))
      return FALSE;
  }
  return TRUE;
}

/* --json: one object per entry, keys named after the filter keys (docs/json.md). */
static void
print_json(GPtrArray *rows)
{
  static const struct {
    const char *name;
    int col;
  } fields[] = {{"identifier", 7}, {"os", 1},         {"version", 2}, {"arch", 3},
                {"endorser", 4},   {"title", 10},     {"kind", 5},    {"created", 6},
                {"location", 8},   {"description", 9}};
  g_autoptr(json_t) list = json_array();
  for (guint i = 0; i < rows->len; i++) {
    json_t *o = json_object();
    for (gsize f = 0; f < G_N_ELEMENTS(fields); f++)
      json_object_set_new(o, fields[f].name, json_string(cell(rows->pdata[i], fields[f].col)));
    json_array_append_new(list, o);
  }
  sl_out_print_json(list);
}

static void
print_table(GPtrArray *rows, gboolean verbose)
{
  static const char *const heads[] = {"IDENTIFIER", "OS", "VERSION", "ARCH", "ENDORSER", "TITLE"};
  static const int cols[] = {7, 1, 2, 3, 4, 10};
  int width[G_N_ELEMENTS(cols)];
  for (gsize c = 0; c < G_N_ELEMENTS(cols); c++) {
    width[c] = (int)strlen(heads[c]);
    for (guint i = 0; i < rows->len; i++)
      width[c] = MAX(width[c], (int)g_utf8_strlen(cell(rows->pdata[i], cols[c]), -1));
  }
  if (!sl_out_quiet()) {
    for (gsize c = 0; c < G_N_ELEMENTS(cols); c++)
      printf("%-*s%s", c + 1 < G_N_ELEMENTS(cols) ? width[c] : 0, heads[c],
             c + 1 < G_N_ELEMENTS(cols) ? "  " : "\n");
  }
  for (guint i = 0; i < rows->len; i++) {
    json_t *r = rows->pdata[i];
    for (gsize c = 0; c < G_N_ELEMENTS(cols); c++) {
      const char *v = cell(r, cols[c]);
      int pad = width[c] - (int)g_utf8_strlen(v, -1);
      printf("%s%*s%s", v, c + 1 < G_N_ELEMENTS(cols) ? pad : 0, "",
             c + 1 < G_N_ELEMENTS(cols) ? "  " : "\n");
    }
    if (verbose) {
      printf("    kind: %s, created: %s\n", cell(r, 5), cell(r, 6));
      if (*cell(r, 8))
        printf("    location: %s\n", cell(r, 8));
      if (*cell(r, 9)) {
        g_autofree char *d = g_strdup(cell(r, 9));
        g_strdelimit(d, "\r\n\t", ' ');
        printf("    description: %s\n", g_strstrip(d));
      }
    }
  }
}

static int
run(SlCli *cli, char **args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = sl_market_base_url(cli, &error);
  if (!base)
    return sl_out_fail(error);
  const char *status = sl_cli_get(cli, "status");
  const char *location = sl_cli_get(cli, "location");
  if (g_strcmp0(status, "valid") && g_strcmp0(status, "expired") &&
      g_strcmp0(status, "deprecated") && g_strcmp0(status, "all")) {
    sl_out_usage_error(sl_cli_prog(cli), sl_cli_command(cli),
                       "--status must be valid, expired, deprecated or all");
    return SL_EXIT_USAGE;
  }
  g_autofree char *url =
      g_strdup_printf("%s/metadata?status=%s&location=%s", base, status, location);
  GString *answer = NULL;
  long code =
      sl_market_request(cli, "GET", url, "application/json", NULL, NULL, 0, &answer, &error);
  if (code == 0) {
    g_string_free(answer, TRUE);
    return sl_out_fail(error);
  }
  if (code != 200) {
    g_autofree char *msg = sl_market_error_text(code, answer);
    g_string_free(answer, TRUE);
    sl_out_error("Service error: %s", msg);
    return SL_EXIT_FAILED;
  }
  json_error_t jerr;
  json_t *root = json_loadb(answer->str, answer->len, 0, &jerr);
  g_string_free(answer, TRUE);
  json_t *data = json_object_get(root, "aaData");
  if (!json_is_array(data)) {
    json_decref(root);
    sl_out_error("Service error: invalid answer from %s", url);
    return SL_EXIT_FAILED;
  }
  g_autoptr(GPtrArray) rows = g_ptr_array_new();
  for (size_t i = 0; i < json_array_size(data); i++) {
    json_t *r = json_array_get(data, i);
    if (!matches(r, args, &error)) {
      if (error) {
        json_decref(root);
        sl_out_usage_error(sl_cli_prog(cli), sl_cli_command(cli), error->message);
        return SL_EXIT_USAGE;
      }
      continue;
    }
    g_ptr_array_add(rows, r);
  }
  if (sl_out_json(cli))
    print_json(rows);
  else if (rows->len == 0)
    sl_out_info("No image to show\n");
  else
    print_table(rows, sl_cli_verbose(cli) > 0);
  fflush(stdout);
  json_decref(root);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_describe_images = {
    .name = "describe-images",
    .summary = "List the images of the Marketplace",
    .synopsis = "[options] [KEY=VALUE | TEXT] ...",
    .description =
        "List the Marketplace entries (by default the latest valid, non-deprecated entry of "
        "each image and endorser) as a table: identifier, os, version, arch, endorser, title; "
        "-v adds kind, creation date, location and description. Filters: KEY=VALUE keeps "
        "the entries whose field equals VALUE (case-insensitive; keys os, version, arch, "
        "endorser, kind, id, location, title, description, created), TEXT keeps the entries "
        "where any field contains TEXT. All filters must match.\n\n"
        "    $ stratus-describe-images os=ttylinux\n"
        "    $ stratus-describe-images endorser=jane.tester@example.org x86_64",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "A header line (left out with -q) and one line per entry; `No image to show` "
                  "when nothing matches. `--json`: an array of objects with the string fields "
                  "`identifier`, `os`, `version`, `arch`, `endorser`, `title`, `kind`, "
                  "`created`, `location`, `description` (`\"\"` when the entry has none; see "
                  "[JSON output](../json.md)).",
};
