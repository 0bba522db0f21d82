/* cmd-describe-volumes.c - stratus-describe-volumes: GET /disks/, filtered. */
#include <string.h>

#include "client.h"

static const SlOption opts[] = {
    {.name = "filter",
     .short_name = 'f',
     .type = SL_OPT_LIST,
     .arg = "KEY:REGEX",
     .help = "Show only volumes whose property KEY is set and matches the regular expression REGEX "
             "(searched anywhere in the value); repeat to combine"},
    {.name = NULL},
};

static const SlOption *const options[] = {
    sl_opts_base,     sl_opts_json,  sl_opts_config, sl_opts_auth,
    sl_opts_endpoint, sl_opts_pdisk, opts,           NULL};

typedef struct {
  char *key;
  GRegex *regex;
} Filter;

static void
filter_free(gpointer p)
{
  Filter *f = p;
  g_free(f->key);
  g_regex_unref(f->regex);
  g_free(f);
}

static char *
value_text(json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_STRING:
    return g_strdup(json_string_value(v));
  case JSON_INTEGER:
    return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
  case JSON_REAL:
    return g_strdup_printf("%g", json_real_value(v));
  case JSON_TRUE:
    return g_strdup("true");
  case JSON_FALSE:
    return g_strdup("false");
  case JSON_NULL:
    return g_strdup("");
  default: {
    char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *text = g_strdup(dump);
    free(dump);
    return text;
  }
  }
}

static gboolean
matches(json_t *disk, GPtrArray *uuid_res, GPtrArray *filters)
{
  if (uuid_res->len > 0) {
    g_autofree char *uuid = value_text(json_object_get(disk, "uuid"));
    gboolean any = FALSE;
    for (guint i = 0; i < uuid_res->len && !any; i++)
      any = g_regex_match(uuid_res->pdata[i], uuid, 0, NULL);
    if (!any)
      return FALSE;
  }
  for (guint i = 0; i < filters->len; i++) {
    Filter *f = filters->pdata[i];
    json_t *v = json_object_get(disk, f->key);
    if (v == NULL)
      return FALSE;
    g_autofree char *text = value_text(v);
    if (text[0] == '\0' || !g_regex_match(f->regex, text, 0, NULL))
      return FALSE;
  }
  return TRUE;
}

static GRegex *
compile(const char *pattern, GError **error)
{
  g_autoptr(GError) local = NULL;
  GRegex *re = g_regex_new(pattern, 0, 0, &local);
  if (re == NULL)
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Invalid regular expression '%s': %s", pattern,
                local->message);
  return re;
}

/* Text mode: printed now; JSON mode (`list` not NULL): kept for the one array at the end. */
static void
print_disk(json_t *disk, json_t *list)
{
  if (list != NULL) {
    json_array_append(list, disk);
    return;
  }
  g_autofree char *uuid = value_text(json_object_get(disk, "uuid"));
  printf(":: DISK %s\n", uuid);
  const char *key;
  json_t *value;
  json_object_foreach(disk, key, value)
  {
    if (strcmp(key, "uuid") == 0)
      continue;
    g_autofree char *text = value_text(value);
    printf("\t%s: %s\n", key, text);
  }
  fflush(stdout);
}

/* GET /disks/<uuid> for every full UUID argument; the others are regular
 * expressions matched against the uuids of GET /disks/. */
static int
run(SlCli *cli, char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) filters = g_ptr_array_new_with_free_func(filter_free);
  g_autoptr(GPtrArray) uuid_res = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
  g_autoptr(GPtrArray) uuids = g_ptr_array_new();
  for (const char *const *f = sl_cli_list(cli, "filter"); *f; f++) {
    const char *colon = strchr(*f, ':');
    if (colon == NULL || colon == *f) {
      g_autofree char *msg = g_strdup_printf("filter '%s' is not of the form KEY:REGEX", *f);
      sl_out_usage_error(sl_cli_prog(cli), sl_cli_command(cli), msg);
      return SL_EXIT_USAGE;
    }
    GRegex *re = compile(colon + 1, &error);
    if (re == NULL)
      return sl_out_fail(error);
    Filter *filter = g_new0(Filter, 1);
    filter->key = g_strndup(*f, colon - *f);
    filter->regex = re;
    g_ptr_array_add(filters, filter);
  }
  for (int i = 0; args[i]; i++) {
    if (sl_is_disk_uuid(args[i])) {
      g_ptr_array_add(uuids, args[i]);
      continue;
    }
    GRegex *re = compile(args[i], &error);
    if (re == NULL)
      return sl_out_fail(error);
    g_ptr_array_add(uuid_res, re);
  }
  g_autoptr(SlClient) client = sl_client_new_pdisk(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  int status = SL_EXIT_OK;
  size_t shown = 0;
  g_autoptr(json_t) list = sl_out_json(cli) ? json_array() : NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new();
  for (guint u = 0; u < uuids->len; u++) {
    g_autofree char *path = g_strdup_printf("/disks/%s", (char *)uuids->pdata[u]);
    g_autoptr(GError) err = NULL;
    json_t *disk = sl_client_call(client, "GET", path, NULL, &err);
    if (disk == NULL) {
      status = sl_out_fail(err);
      continue;
    }
    if (json_is_object(disk) && matches(disk, none, filters)) {
      print_disk(disk, list);
      shown++;
    }
    json_decref(disk);
  }
  if (uuids->len == 0 || uuid_res->len > 0) {
    json_t *disks = sl_client_call(client, "GET", "/disks/", NULL, &error);
    if (disks == NULL)
      return sl_out_fail(error);
    if (!json_is_array(disks)) {
      json_decref(disks);
      sl_out_error("Service error: the disk list is not a JSON array");
      return SL_EXIT_FAILED;
    }
    size_t i;
    json_t *disk;
    json_array_foreach(disks, i, disk)
    {
      if (!json_is_object(disk) || !matches(disk, uuid_res, filters))
        continue;
      print_disk(disk, list);
      shown++;
    }
    json_decref(disks);
  }
  if (list != NULL) {
    sl_out_print_json(list);
    return status;
  }
  if (shown == 0 && status == SL_EXIT_OK)
    sl_out_info("No disk to show\n");
  return status;
}

const SlCommand sl_cmd_describe_volumes = {
    .name = "describe-volumes",
    .summary = "List persistent disk volumes",
    .synopsis = "[options] [volume-uuid ...]",
    .description = "List your persistent disks (volumes) and the public volumes of other users, "
                   "newest first. A full volume UUID argument shows that volume (asked for with "
                   "GET /disks/<uuid>); any other argument is a regular expression matched "
                   "against the identifiers of the listed volumes (so a prefix is enough).",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc =
        "For each volume a line `:: DISK <uuid>` then one line `<TAB><key>: <value>` for every "
        "other property, in the order the service sends them; `No disk to show` when nothing "
        "is left (not printed with `-q`):\n\n"
        "    $ stratus-describe-volumes --filter tag:^my\n"
        "    :: DISK 9c5a2c03-8243-4a1b-a248-0f0d22d948c2\n"
        "    \tcreated: 2011/07/20 16:10:37\n"
        "    \tvisibility: private\n"
        "    \ttag: myprivate-disk\n"
        "    \towner: testor1\n"
        "    \tsize: 5\n"
        "    \tusers: 0\n"
        "    \tcount: 0\n"
        "    \ttype: DATA_IMAGE_RAW_READ_WRITE\n\n"
        "Filters: a volume is kept only if, for every `--filter KEY:REGEX`, the property KEY "
        "exists, is not empty and REGEX (GLib/PCRE syntax) matches somewhere in its value. "
        "Filters also apply to the volumes given by full UUID. "
        "Regular-expression arguments are alternatives: a volume is kept if its uuid matches any "
        "of them (13.05 required all of them to match, so two uuids showed nothing).\n\n"
        "`--json`: one JSON array of the volume objects as the service sends them (`uuid` "
        "included), `[]` when nothing is left (see [JSON output](../json.md)).",
    .errors_doc = "- a filter without `:` is a usage error (exit 2)\n"
                  "- `  [ERROR] Invalid regular expression '<re>': <why>` (exit 1)\n"
                  "- a full UUID that is unknown or another user's private volume: "
                  "`  [ERROR] Service error: disk (<uuid>) does not exist` on stderr; the other "
                  "volumes are still shown and the command exits 1",
};
