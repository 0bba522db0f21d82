/* vm.c - output formats and helpers of the virtual machine commands. */
#include "vm.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

char *
sl_vm_types_table(GPtrArray *types, const char *selected)
{
  GString *out = g_string_new(" Type             CPU       RAM      SWAP\n");
  for (guint i = 0; i < types->len; i++) {
    const SlInstanceType *t = types->pdata[i];
    g_autofree char *cpu = g_strdup_printf("%d CPU", t->cpu);
    g_autofree char *ram = g_strdup_printf("%d MB", t->ram);
    g_autofree char *swap = g_strdup_printf("%d MB", t->swap);
    gboolean star = selected != NULL && g_ascii_strcasecmp(selected, t->name) == 0;
    g_string_append_printf(out, "%c %-10s %10s %10s %10s\n", star ? '*' : ' ', t->name, cpu, ram,
                           swap);
  }
  g_string_append_c(out, '\n');
  return g_string_free(out, FALSE);
}

char *
sl_vm_action_banner(const char *msg)
{
  size_t n = strlen(msg) + 6;
  g_autofree char *colons = g_strnfill(n, ':');
  return g_strdup_printf("\n %s\n :: %s ::\n %s\n", colons, msg, colons);
}

char *
sl_json_text(json_t *v)
{
  if (v == NULL)
    return g_strdup("");
  switch (json_typeof(v)) {
  case JSON_STRING:
    return g_strdup(json_string_value(v));
  case JSON_INTEGER:
    return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
  case JSON_REAL: {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%g", json_real_value(v)));
  }
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

static char *
title_case(const char *word)
{
  char *t = g_ascii_strdown(word, -1);
  if (t[0])
    t[0] = g_ascii_toupper(t[0]);
  return t;
}

char *
sl_vm_run_report(json_t *vms, const char *network)
{
  size_t n = json_array_size(vms);
  g_autofree char *banner = sl_vm_action_banner("Starting machine(s)");
  g_autofree char *net = title_case(network && network[0] ? network : "public");
  GString *out = g_string_new(banner);
  g_string_append_printf(out, " :: Starting %zu machine%s\n", n, n == 1 ? "" : "s");
  size_t i;
  json_t *vm;
  json_array_foreach(vms, i, vm)
  {
    g_autofree char *id = sl_json_text(json_object_get(vm, "id"));
    g_autofree char *ip = sl_json_text(json_object_get(vm, "ip"));
    g_string_append_printf(out, " :: Machine %zu (vm ID: %s)\n\t%s ip: %s\n", i + 1, id, net, ip);
  }
  g_string_append(out, " :: Done!\n");
  return g_string_free(out, FALSE);
}

char *
sl_vm_run_quiet(json_t *vms)
{
  GString *out = g_string_new(NULL);
  size_t i;
  json_t *vm;
  json_array_foreach(vms, i, vm)
  {
    g_autofree char *id = sl_json_text(json_object_get(vm, "id"));
    g_autofree char *ip = sl_json_text(json_object_get(vm, "ip"));
    g_string_append_printf(out, "%s, %s\n", id, ip);
  }
  return g_string_free(out, FALSE);
}

gboolean
sl_is_marketplace_id(const char *text)
{
  size_t n = 0;
  for (const char *p = text; *p; p++, n++)
    if (!(g_ascii_isalnum(*p) || *p == '_' || *p == '-'))
      return FALSE;
  return n == 27;
}

char *
sl_vm_host(const char *ip, gboolean numeric)
{
  if (ip == NULL || ip[0] == '\0')
    return g_strdup("");
  if (numeric)
    return g_strdup(ip);
  struct sockaddr_storage ss = {0};
  socklen_t len;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
    if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
      return g_strdup(ip);
    sin->sin_family = AF_INET;
    len = sizeof *sin;
  } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
      return g_strdup(ip);
    sin6->sin6_family = AF_INET6;
    len = sizeof *sin6;
  } else {
    return g_strdup(ip);
  }
  char host[NI_MAXHOST];
  if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NAMEREQD) == 0)
    return g_strdup(host);
  return g_strdup(ip);
}

enum { COL_ID, COL_STATE, COL_VCPU, COL_MEMORY, COL_CPU, COL_HOST, COL_NAME, N_COLS };

static const struct {
  const char *label, *key;
  size_t width;
} columns[N_COLS] = {
    {"id", "id", 4},    {"state", "state", 10}, {"vcpu", "vcpu", 5}, {"memory", "memory", 10},
    {"cpu%", "cpu", 5}, {"host/ip", "ip", 24},  {"name", "name", 0},
};

static void
append_row(GString *out, char *const *cells, const size_t *width)
{
  for (int c = 0; c < N_COLS; c++) {
    g_string_append(out, cells[c]);
    for (size_t k = g_utf8_strlen(cells[c], -1); c < COL_NAME && k < width[c]; k++)
      g_string_append_c(out, ' ');
  }
  g_string_append_c(out, '\n');
}

char *
sl_vm_describe_table(json_t *vms, gboolean header, gboolean color, gboolean numeric, int verbose)
{
  size_t nvms = json_array_size(vms);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  size_t width[N_COLS];
  for (int c = 0; c < N_COLS; c++)
    width[c] = columns[c].width;
  for (size_t i = 0; i < nvms; i++) {
    json_t *vm = json_array_get(vms, i);
    char **cells = g_new0(char *, N_COLS + 1);
    for (int c = 0; c < N_COLS; c++) {
      json_t *v = json_object_get(vm, columns[c].key);
      const char *progress = json_string_value(json_object_get(vm, "progress"));
      if (c == COL_HOST)
        cells[c] = sl_vm_host(json_string_value(v), numeric);
      else if (c == COL_STATE && progress) /* image download in Prolog: "Prolog 37%" */
        cells[c] = g_strdup_printf("%s %s", json_string_value(v), progress);
      else
        cells[c] = sl_json_text(v);
      size_t len = g_utf8_strlen(cells[c], -1);
      if (c < COL_NAME && len >= width[c])
        width[c] = MAX(width[c], len + 1);
    }
    g_ptr_array_add(rows, cells);
  }
  GString *out = g_string_new(NULL);
  if (header) {
    char *labels[N_COLS];
    for (int c = 0; c < N_COLS; c++)
      labels[c] = (char *)columns[c].label;
    if (color)
      g_string_append(out, "\033[1;31m");
    append_row(out, labels, width);
    if (color) {
      g_string_truncate(out, out->len - 1);
      g_string_append(out, "\033[0m\n");
    }
  }
  for (size_t i = 0; i < nvms; i++) {
    append_row(out, rows->pdata[i], width);
    const char *error = json_string_value(json_object_get(json_array_get(vms, i), "error"));
    if (verbose >= 1 && error != NULL && error[0] != '\0')
      g_string_append_printf(out, "%*s%s\n", (int)width[COL_ID], "", error);
    /* a machine on the local or private network: its address line as in the run banner
       (the table's host/ip column alone does not say which network the address is on) */
    json_t *vm = json_array_get(vms, i);
    const char *network = json_string_value(json_object_get(vm, "network"));
    if (network != NULL && network[0] != '\0' && g_ascii_strcasecmp(network, "public") != 0) {
      g_autofree char *net = title_case(network);
      g_autofree char *ip = sl_json_text(json_object_get(vm, "ip"));
      g_string_append_printf(out, "\t%s ip: %s\n", net, ip);
    }
  }
  return g_string_free(out, FALSE);
}

static void
flatten(json_t *v, const char *prefix, GPtrArray *lines)
{
  if (json_is_object(v)) {
    const char *key;
    json_t *child;
    json_object_foreach(v, key, child)
    {
      g_autofree char *lower = g_ascii_strdown(key, -1);
      g_autofree char *name =
          prefix ? g_strconcat(prefix, "_", lower, NULL) : g_steal_pointer(&lower);
      flatten(child, name, lines);
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *child;
    json_array_foreach(v, i, child)
    {
      g_autofree char *name = g_strdup_printf("%s_%zu", prefix ? prefix : "", i);
      flatten(child, name, lines);
    }
  } else {
    g_autofree char *text = sl_json_text(v);
    g_ptr_array_add(lines, g_strdup_printf("  %s = %s\n", prefix ? prefix : "", text));
  }
}

static gint
compare_lines(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
sl_vm_attributes(json_t *vm)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  flatten(vm, NULL, lines);
  g_ptr_array_sort(lines, compare_lines);
  g_autofree char *id = sl_json_text(json_object_get(vm, "id"));
  g_autofree char *dashes = g_strnfill(25, '-');
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "%s\n%s (all attributes)\n", dashes, id);
  for (guint i = 0; i < lines->len; i++)
    g_string_append(out, lines->pdata[i]);
  return g_string_free(out, FALSE);
}

GPtrArray *
sl_vm_ids(SlCli *cli, char **args, GError **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add(ids, g_strdup(args[i]));
  const char *input = sl_cli_get(cli, "input");
  if (input != NULL) {
    g_autofree char *path = sl_expand_home(input);
    g_autofree char *data = NULL;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &data, NULL, &local)) {
      g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Cannot read the input file: %s",
                  local->message);
      return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
    for (int i = 0; lines[i]; i++) {
      g_strstrip(lines[i]);
      if (lines[i][0] != '\0')
        g_ptr_array_add(ids, g_strdup(lines[i]));
    }
  }
  return g_steal_pointer(&ids);
}

void
sl_warn_unsupported(SlCli *cli, const char *const *names)
{
  for (; *names; names++)
    if (sl_cli_given(cli, *names))
      sl_out_warning("--%s is not supported yet; ignored", *names);
}

static gboolean
is_vm_id(const char *text)
{
  guint64 n;
  return g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT, &n, NULL);
}

int
sl_vm_action(SlCli *cli, char **args, const char *method, const char *suffix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = sl_vm_ids(cli, args, &error);
  if (ids == NULL)
    return sl_out_fail(error);
  if (ids->len == 0) {
    sl_out_error("Missing vm-id or input file (-i/--input)");
    return SL_EXIT_FAILED;
  }
  g_autoptr(SlClient) client = sl_client_new_cloud(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  int status = SL_EXIT_OK;
  for (guint i = 0; i < ids->len; i++) {
    const char *id = ids->pdata[i];
    if (!is_vm_id(id)) {
      sl_out_error("Invalid vm-id: %s", id);
      status = SL_EXIT_FAILED;
      continue;
    }
    g_autofree char *path = g_strdup_printf("/vms/%s%s", id, suffix);
    g_autoptr(GError) err = NULL;
    json_t *answer = sl_client_call_json(client, method, path, NULL, NULL, &err);
    if (answer == NULL) {
      status = sl_out_fail(err);
      continue;
    }
    json_decref(answer);
  }
  return status;
}

static const SlOption vm_ids_opts[] = {
    {.name = "input",
     .short_name = 'i',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "File with the machine ids, one per line"},
    {.name = NULL},
};

const SlOption *const sl_vm_action_options[] = {sl_opts_base,     sl_opts_config, sl_opts_auth,
                                                sl_opts_endpoint, vm_ids_opts,    NULL};
