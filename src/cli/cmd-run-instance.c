/* cmd-run-instance.c - stratus-run-instance: POST /vms/ (docs/rest-vm.md). */
#include <string.h>

#include "context-args.h"
#include "manifest.h"
#include "vm.h"

#define NOT_YET " (not supported yet: ignored with a warning)"

const SlOption sl_opts_run_instance[] = {
    {.name = "key",
     .short_name = 'k',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "SSH public key file put into the machines (lines starting with 'Comment:' are "
             "dropped)",
     .key = "user_public_key_file",
     .def = "~/.ssh/id_rsa.pub"},
    {.name = "type",
     .short_name = 't',
     .type = SL_OPT_STRING,
     .arg = "TYPE",
     .help = "Instance type (see --list-types)",
     .key = "default_instance_type",
     .def = "m1.small"},
    {.name = "list-types",
     .short_name = 'l',
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "List the instance types and exit"},
    {.name = "list-type",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Same as --list-types (deprecated 13.05 spelling)",
     .dest = "list-types"},
    {.name = "cpu",
     .short_name = 0,
     .type = SL_OPT_INT,
     .arg = "INT",
     .help = "Number of CPUs (overrides the type)"},
    {.name = "ram",
     .short_name = 0,
     .type = SL_OPT_INT,
     .arg = "MB",
     .help = "RAM in MiB (overrides the type)"},
    {.name = "swap",
     .short_name = 0,
     .type = SL_OPT_INT,
     .arg = "MB",
     .help = "Swap in MiB (overrides the type)"},
    {.name = "context-file",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "Extra KEY=value context lines"},
    {.name = "context",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "PAIRS",
     .help = "Extra KEY=value context pairs separated by '#'"},
    {.name = "cloud-init",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "PAIRS",
     .help = "CloudInit contextualization: mimetype,file pairs separated by '#' (pseudo types "
             "ssh and none; docs/context.md)"},
    {.name = "vnc-port",
     .short_name = 0,
     .type = SL_OPT_INT,
     .arg = "PORT",
     .help = "VNC port",
     .def = "-1"},
    {.name = "vnc-listen",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "IP",
     .help = "Address the VNC server listens on" NOT_YET},
    {.name = "vm-requirements",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "EXPR",
     .help = "Placement requirements" NOT_YET},
    {.name = "vm-template-file",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "Machine template to use" NOT_YET},
    {.name = "vm-cpu-amount",
     .short_name = 0,
     .type = SL_OPT_NUMBER,
     .arg = "FLOAT",
     .help = "Share of physical CPU (at most the CPU count)" NOT_YET},
    {.name = "vm-disks-bus",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "BUS",
     .help = "Disk bus: ide, scsi or virtio" NOT_YET},
    {.name = "number",
     .short_name = 'n',
     .type = SL_OPT_INT,
     .arg = "INT",
     .help = "Number of machines to start",
     .def = "1"},
    {.name = "local-ip",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Use the local network instead of the public one"},
    {.name = "private-ip",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Use the private network instead of the public one (only your machines "
             "reach each other there)"},
    {.name = "save",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Save the root disk as a new image at shutdown (needs --author, --author-email, "
             "--image-version, --title, --comment)"},
    {.name = "author",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Author of the saved image"},
    {.name = "author-email",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "EMAIL",
     .help = "E-mail address of the author"},
    {.name = "image-version",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "VERSION",
     .help = "Version of the saved image"},
    {.name = "title",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "TEXT",
     .help = "Title of the saved image"},
    {.name = "comment",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "TEXT",
     .help = "Description of the saved image"},
    {.name = "marketplace-endpoint-newimage",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "URL",
     .help = "Marketplace receiving the saved image's metadata (with --save)"},
    {.name = "output",
     .short_name = 'o',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "Write the machine ids to FILE, one per line (no final newline)"},
    {.name = "volatile-disk",
     .short_name = 0,
     .type = SL_OPT_INT,
     .arg = "GB",
     .help = "Size in GiB of an extra volatile disk (0: none)",
     .def = "0"},
    {.name = "persistent-disk",
     .short_name = 0,
     .type = SL_OPT_LIST,
     .arg = "UUID",
     .help = "Attach this persistent disk"},
    {.name = "readonly-disk",
     .short_name = 0,
     .type = SL_OPT_LIST,
     .arg = "MARKETPLACEID",
     .help = "Attach this read-only image disk"},
    {.name = "qcow-disk-format",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "The image (given by URL) is in qcow2 format" NOT_YET},
    {.name = "address",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "IP",
     .help = "Ask for this IP address (one machine; an address of the network's pool)"},
    {.name = "inbound-port",
     .short_name = 0,
     .type = SL_OPT_LIST,
     .arg = "PORT",
     .help = "Open this TCP port to the machines too (repeatable, or a list like 8080,9000), "
             "besides the cloud's and those the image declares (slterms:inbound-port)"},
    {.name = "no-check-image-url",
     .short_name = 0,
     .type = SL_OPT_FLAG,
     .arg = NULL,
     .help = "Do not check the image's Marketplace entry before asking the cloud"},
    {.name = "vm-name",
     .short_name = 0,
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Name of the machine"},
    {.name = "notify",
     .short_name = 0,
     .type = SL_OPT_LIST,
     .arg = "HOST,VHOST,USER,PASS,QUEUE",
     .help = "Send state change notifications to this message queue" NOT_YET},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base,   sl_opts_json,         sl_opts_config,
                                          sl_opts_auth,   sl_opts_endpoint,     sl_opts_pdisk,
                                          sl_opts_market, sl_opts_run_instance, NULL};

static int
usage(SlCli *cli, const char *msg)
{
  sl_out_usage_error(sl_cli_prog(cli), sl_cli_command(cli), msg);
  return SL_EXIT_USAGE;
}

static int
fail(const char *fmt, const char *arg)
{
  sl_out_error(fmt, arg);
  return SL_EXIT_FAILED;
}

/* The public key file without its "Comment:" lines; NULL if unreadable. */
static char *
read_public_key(const char *path)
{
  g_autofree char *data = NULL;
  if (!g_file_get_contents(path, &data, NULL, NULL))
    return NULL;
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  GString *key = g_string_new(NULL);
  for (int i = 0; lines[i]; i++) {
    g_strchomp(lines[i]);
    if (lines[i][0] == '\0' || g_str_has_prefix(lines[i], "Comment:"))
      continue;
    g_string_append_printf(key, "%s%s", key->len ? "\n" : "", lines[i]);
  }
  return g_string_free(key, FALSE);
}

static json_t *
string_array(const char *const *list)
{
  json_t *a = json_array();
  for (; *list; list++)
    json_array_append_new(a, json_string(*list));
  return a;
}

static const char *const save_options[][2] = {
    {"author", "author"}, {"author-email", "author_email"}, {"image-version", "image_version"},
    {"title", "title"},   {"comment", "comment"},
};

static int
write_ids(const char *path, json_t *vms)
{
  GString *text = g_string_new(NULL);
  size_t i;
  json_t *vm;
  json_array_foreach(vms, i, vm)
  {
    g_autofree char *id = sl_json_text(json_object_get(vm, "id"));
    g_string_append_printf(text, "%s%s", i ? "\n" : "", id);
  }
  g_autoptr(GError) error = NULL;
  gboolean ok = g_file_set_contents(path, text->str, (gssize)text->len, &error);
  g_string_free(text, TRUE);
  return ok ? SL_EXIT_OK : sl_out_fail(error);
}

static int
run(SlCli *cli, char **args)
{
  g_autoptr(GError) error = NULL;
  const char *type_name = sl_cli_get(cli, "type");
  if (sl_cli_flag(cli, "list-types")) {
    g_autoptr(GPtrArray) types = sl_config_instance_types(sl_cli_config(cli));
    if (sl_out_json(cli)) {
      g_autoptr(json_t) list = json_array();
      for (guint i = 0; i < types->len; i++) {
        const SlInstanceType *t = types->pdata[i];
        json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:i, s:b}", "name", t->name, "cpu",
                                              t->cpu, "ram", t->ram, "swap", t->swap, "selected",
                                              g_strcmp0(t->name, type_name) == 0));
      }
      sl_out_print_json(list);
      return SL_EXIT_OK;
    }
    g_autofree char *table = sl_vm_types_table(types, type_name);
    fputs(table, stdout);
    return SL_EXIT_OK;
  }
  if (args[0] == NULL)
    return usage(cli, "expected 1 argument");
  if (sl_cli_flag(cli, "save")) {
    for (size_t i = 0; i < G_N_ELEMENTS(save_options); i++) {
      const char *v = sl_cli_get(cli, save_options[i][0]);
      if (v == NULL || v[0] == '\0') {
        g_autofree char *msg =
            g_strdup_printf("With the --save option, please provide --%s", save_options[i][0]);
        return usage(cli, msg);
      }
    }
  }
  static const char *const unsupported[] = {"vnc-port",         "vnc-listen",    "vm-requirements",
                                            "vm-template-file", "vm-cpu-amount", "vm-disks-bus",
                                            "qcow-disk-format", "notify",        NULL};
  sl_warn_unsupported(cli, unsupported);

  const char *image = args[0];
  if (g_str_has_prefix(image, "http://") || g_str_has_prefix(image, "https://"))
    return fail("Image URLs are not supported yet (give a Marketplace identifier or a volume "
                "UUID): %s",
                image);
  if (!sl_is_marketplace_id(image) && !sl_is_disk_uuid(image))
    return fail("Invalid image identifier: %s", image);
  const SlInstanceType *type = sl_config_instance_type(sl_cli_config(cli), type_name);
  if (type == NULL)
    return fail("Unknown instance type: %s", type_name);
  gint64 cpu = sl_cli_given(cli, "cpu") ? sl_cli_int(cli, "cpu") : type->cpu;
  gint64 ram = sl_cli_given(cli, "ram") ? sl_cli_int(cli, "ram") : type->ram;
  gint64 swap = sl_cli_given(cli, "swap") ? sl_cli_int(cli, "swap") : type->swap;
  gint64 number = sl_cli_int(cli, "number");
  gint64 volatile_disk = sl_cli_int(cli, "volatile-disk");
  /* bad values: "  [ERROR] ..." and exit 1, like the other refused requests */
  const char *bad = cpu < 1             ? "--cpu must be at least 1"
                    : ram < 1           ? "--ram must be at least 1 (MiB)"
                    : swap < 0          ? "--swap must be at least 0 (MiB)"
                    : number < 1        ? "--number must be at least 1"
                    : volatile_disk < 0 ? "--volatile-disk must be at least 0 (GiB)"
                                        : NULL;
  if (bad)
    return fail("%s", bad);

  g_autofree char *key_file = sl_expand_home(sl_cli_get(cli, "key"));
  if (key_file == NULL || !g_file_test(key_file, G_FILE_TEST_IS_REGULAR))
    return fail("Public key file `%s` does not exist (see -k/--key)", key_file ? key_file : "");
  g_autofree char *public_key = read_public_key(key_file);
  if (public_key == NULL)
    return fail("Cannot read the public key file `%s`", key_file);

  g_autoptr(json_t) context =
      sl_cli_context_object(sl_cli_get(cli, "context-file"), sl_cli_get(cli, "context"),
                            sl_cli_get(cli, "cloud-init"), &error);
  if (context == NULL)
    return sl_out_fail(error);

  g_autoptr(json_t) body =
      json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "image", image, "cpu", (json_int_t)cpu, "ram",
                (json_int_t)ram, "swap", (json_int_t)swap, "number", (json_int_t)number,
                "public_key", public_key);
  if (sl_config_instance_type(NULL, type_name) != NULL) /* a built-in name the cloud knows */
    json_object_set_new(body, "type", json_string(type->name));
  const char *name = sl_cli_get(cli, "vm-name");
  if (name != NULL && name[0] != '\0')
    json_object_set_new(body, "name", json_string(name));
  if (volatile_disk > 0)
    json_object_set_new(body, "volatile_disk", json_integer(volatile_disk));
  if (sl_cli_list(cli, "persistent-disk")[0] != NULL)
    json_object_set_new(body, "persistent_disks",
                        string_array(sl_cli_list(cli, "persistent-disk")));
  if (sl_cli_list(cli, "readonly-disk")[0] != NULL)
    json_object_set_new(body, "readonly_disks", string_array(sl_cli_list(cli, "readonly-disk")));
  if (json_object_size(context) > 0)
    json_object_set(body, "context", context);
  if (sl_cli_flag(cli, "private-ip") || sl_cli_flag(cli, "local-ip")) /* protocols.md §2 */
    json_object_set_new(body, "network",
                        json_string(sl_cli_flag(cli, "private-ip") ? "private" : "local"));
  const char *address = sl_cli_get(cli, "address");
  if (address != NULL && address[0] != '\0')
    json_object_set_new(body, "address", json_string(address));
  if (sl_cli_list(cli, "inbound-port")[0] != NULL) {
    json_t *ports = json_array();
    json_object_set_new(body, "inbound_ports", ports);
    for (const char *const *p = sl_cli_list(cli, "inbound-port"); *p; p++) {
      g_auto(GStrv) items = g_strsplit(*p, ",", -1);
      for (char **q = items; *q; q++) {
        guint64 port = 0;
        if (!g_ascii_string_to_unsigned(g_strstrip(*q), 10, 1, 65535, &port, NULL))
          return fail("--inbound-port must be a TCP port (1-65535): %s", *q);
        json_array_append_new(ports, json_integer((json_int_t)port));
      }
    }
  }
  if (sl_cli_flag(cli, "save")) {
    json_t *save = json_object();
    for (size_t i = 0; i < G_N_ELEMENTS(save_options); i++)
      json_object_set_new(save, save_options[i][1],
                          json_string(sl_cli_get(cli, save_options[i][0])));
    const char *mp = sl_cli_get(cli, "marketplace-endpoint-newimage");
    if (mp != NULL && mp[0] != '\0')
      json_object_set_new(save, "marketplace", json_string(mp));
    json_object_set_new(body, "save", save);
  }

  /* last, after the local checks */
  if (sl_cli_flag(cli, "no-check-image-url")) {
    sl_out_warning("Image availability check is disabled.");
  } else if (sl_is_marketplace_id(image)) { /* protocols.md §1.2 (manifest.h) */
    g_autoptr(SlMarketEntry) manifest = sl_cli_manifest(cli, image, TRUE, &error);
    if (manifest == NULL)
      return sl_out_fail(error);
  }
  g_autoptr(SlClient) client = sl_client_new_cloud(cli, &error);
  if (client == NULL)
    return sl_out_fail(error);
  g_autoptr(json_t) answer = sl_client_call_json(client, "POST", "/vms/", body, NULL, &error);
  if (answer == NULL)
    return sl_out_fail(error);
  json_t *vms = json_object_get(answer, "vms");
  if (!json_is_array(vms)) {
    sl_out_error("Service error: the answer has no list of machines");
    return SL_EXIT_FAILED;
  }
  if (sl_out_json(cli)) {
    g_autoptr(json_t) doc = json_pack("{s:O, s:s}", "vms", vms, "network",
                                      json_string_value(json_object_get(answer, "network"))
                                          ? json_string_value(json_object_get(answer, "network"))
                                          : "public");
    sl_out_print_json(doc);
  } else if (sl_out_quiet() >= 1) {
    g_autofree char *lines = sl_vm_run_quiet(vms);
    fputs(lines, stdout);
  } else {
    const char *network = json_string_value(json_object_get(answer, "network"));
    g_autofree char *report = sl_vm_run_report(vms, network);
    fputs(report, stdout);
  }
  fflush(stdout);
  const char *output = sl_cli_get(cli, "output");
  if (output != NULL && output[0] != '\0') {
    g_autofree char *path = sl_expand_home(output);
    return write_ids(path, vms);
  }
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_run_instance = {
    .name = "run-instance",
    .summary = "Start new virtual machine instances",
    .synopsis = "[options] image",
    .description =
        "Start one or more virtual machines from an image given by its Marketplace identifier "
        "(27 characters of [A-Za-z0-9_-]) or a persistent disk (volume) UUID; image URLs are not "
        "supported yet. CPU, RAM and swap come from the instance type (-t, see -l) and may be "
        "overridden with --cpu, --ram, --swap; the client resolves them and sends the numbers "
        "(POST /vms/, docs/rest-vm.md; a built-in type name is sent too). The public key file (-k) "
        "goes into the context as "
        "PUBLIC_KEY; --context/--context-file add KEY=value entries and --cloud-init the CloudInit "
        "keys (docs/context.md). All the machines of one "
        "command are allocated together or not at all.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0, /* the image; checked in run() since --list-types needs none */
    .max_args = 1,
    .output_doc =
        "An empty line, the banner, then per machine its id and address (the second line "
        "starts with a TAB):\n\n"
        "    \n"
        "     :::::::::::::::::::::::::\n"
        "     :: Starting machine(s) ::\n"
        "     :::::::::::::::::::::::::\n"
        "     :: Starting 1 machine\n"
        "     :: Machine 1 (vm ID: 165)\n"
        "    \tPublic ip: 127.100.0.2\n"
        "     :: Done!\n\n"
        "(`Starting 2 machines` and one `Machine <n>` step each with `-n 2`.) With `-q`: only "
        "one line `<vmid>, <ip>` per machine (`165, 127.100.0.2`). With `-o FILE`: the ids are "
        "also written to FILE, one per line, without a final newline. `-l`/`--list-types` "
        "prints the types (built-in ones and the `[instance_types]` of the configuration file, "
        "sorted by name, `*` on the selected `--type`) followed by an empty line, and exits:\n\n"
        "     Type             CPU       RAM      SWAP\n"
        "      c1.medium       2 CPU    1536 MB    1536 MB\n"
        "    * m1.small        1 CPU    1536 MB    1536 MB\n"
        "      t1.micro        1 CPU     512 MB     512 MB\n\n"
        "`--json`: `{\"vms\": [{\"id\": 165, \"ip\": \"127.100.0.2\"}], \"network\": "
        "\"public\"}`; with `--list-types`, an array of `{\"name\", \"cpu\", \"ram\" (MiB), "
        "\"swap\" (MiB), \"selected\"}` (see [JSON output](../json.md)).",
    .errors_doc =
        "Checked before contacting the service:\n\n"
        "- usage errors (exit 2): no image; `With the --save option, please provide --<option>` "
        "for the first missing of --author, --author-email, --image-version, --title, "
        "--comment; --cpu/--ram below 1, --swap/--volatile-disk below 0, --number below 1\n"
        "- `  [ERROR] Invalid image identifier: <x>`, `  [ERROR] Image URLs are not supported "
        "yet ...: <url>`\n"
        "- `  [ERROR] Unknown instance type: <t>`\n"
        "- `  [ERROR] Public key file `<f>` does not exist (see -k/--key)` (default "
        "`STRATUSLAB_KEY`, `user_public_key_file`, else `~/.ssh/id_rsa.pub`)\n"
        "- `  [ERROR] Extra context file does not exist: <f>`, `  [ERROR] Syntax error in line "
        "`<x>``, `  [ERROR] invalid context key `<k>`: ...`, and the --cloud-init errors of "
        "`stratus-prepare-context`\n"
        "- `  [WARNING] --<option> is not supported yet; ignored` for the options marked so\n\n"
        "Then the service's refusals: `  [ERROR] Service error: <message>` (unknown image, no "
        "room, ...), exit 1.",
};
