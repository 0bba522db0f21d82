/* cmd-build-metadata.c - stratus-build-metadata: an unsigned Marketplace
 * entry for an image file (protocols.md §1.1, §5.2, §7.1). */
#include <string.h>

#include "cli.h"
#include "image/identifier.h"
#include "market/build.h"

static const SlOption opts[] = {
    {.name = "author", .type = SL_OPT_STRING, .arg = "NAME", .help = "Author of the image"},
    {.name = "type", .type = SL_OPT_STRING, .arg = "NAME", .help = "Image type", .def = "base"},
    {.name = "kind",
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Image kind: machine or disk",
     .def = "machine"},
    {.name = "os", .type = SL_OPT_STRING, .arg = "NAME", .help = "Operating system"},
    {.name = "os-version",
     .type = SL_OPT_STRING,
     .arg = "VERSION",
     .help = "Operating system version"},
    {.name = "os-arch",
     .type = SL_OPT_STRING,
     .arg = "ARCH",
     .help = "Operating system architecture"},
    {.name = "image-version", .type = SL_OPT_STRING, .arg = "VERSION", .help = "Image version"},
    {.name = "format",
     .type = SL_OPT_STRING,
     .arg = "FORMAT",
     .help = "Image format: raw or qcow2",
     .def = "raw"},
    {.name = "hypervisor",
     .type = SL_OPT_STRING,
     .arg = "NAME",
     .help = "Hypervisor",
     .def = "kvm"},
    {.name = "location",
     .type = SL_OPT_LIST,
     .arg = "URI",
     .help = "Where the image can be downloaded (repeatable)"},
    {.name = "compression",
     .type = SL_OPT_STRING,
     .arg = "EXT",
     .help = "Compression of the file: gz, bz2, xz or none (default: from the file name); "
             "checksums are those of the uncompressed image"},
    {.name = "title", .type = SL_OPT_STRING, .arg = "TEXT", .help = "Title of the image"},
    {.name = "comment", .type = SL_OPT_STRING, .arg = "TEXT", .help = "Description of the image"},
    {.name = "tag",
     .type = SL_OPT_STRING,
     .arg = "TEXT",
     .help = "Tag (dcterms:alternative) to find the latest entry by"},
    {.name = "valid",
     .type = SL_OPT_STRING,
     .arg = "DATE",
     .help = "End of validity, yyyy-MM-ddTHH:mm:ssZ (default: now + --validity hours)"},
    {.name = "validity",
     .type = SL_OPT_INT,
     .arg = "HOURS",
     .help = "Validity in hours",
     .def = "4272"},
    {.name = "disks-bus",
     .type = SL_OPT_STRING,
     .arg = "BUS",
     .help = "Disk bus: ide, scsi or virtio",
     .def = "ide"},
    {.name = "md5",
     .type = SL_OPT_STRING,
     .arg = "HEX",
     .help = "MD5 checksum (computed when not given)"},
    {.name = "sha1",
     .type = SL_OPT_STRING,
     .arg = "HEX",
     .help = "SHA-1 checksum (computed when not given)"},
    {.name = "sha256",
     .type = SL_OPT_STRING,
     .arg = "HEX",
     .help = "SHA-256 checksum (computed when not given)"},
    {.name = "sha512",
     .type = SL_OPT_STRING,
     .arg = "HEX",
     .help = "SHA-512 checksum (computed when not given)"},
    {.name = "no-md5", .type = SL_OPT_FLAG, .help = "Leave the MD5 checksum out"},
    {.name = "no-sha256", .type = SL_OPT_FLAG, .help = "Leave the SHA-256 checksum out"},
    {.name = "no-sha512", .type = SL_OPT_FLAG, .help = "Leave the SHA-512 checksum out"},
    {.name = "output",
     .short_name = 'o',
     .type = SL_OPT_STRING,
     .arg = "FILE",
     .help = "Output file (default: <os>-<os-version>-<os-arch>-<type>-<version>.xml)"},
    {.name = NULL},
};

static const SlOption *const options[] = {sl_opts_base, opts, NULL};

static gboolean
is_hex(const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit(*s))
      return FALSE;
  return TRUE;
}

/* Given checksums replace the computed ones; --no-* drop them. */
static gboolean
apply_checksums(SlCli *cli, SlMarketEntry *e, const char **bad)
{
  static const struct {
    const char *algorithm, *option, *skip;
  } map[] = {{"MD5", "md5", "no-md5"},
             {"SHA-1", "sha1", NULL},
             {"SHA-256", "sha256", "no-sha256"},
             {"SHA-512", "sha512", "no-sha512"}};
  for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
    const char *given = sl_cli_get(cli, map[i].option);
    for (guint k = 0; k < e->checksums->len; k++) {
      SlMarketChecksum *c = g_ptr_array_index(e->checksums, k);
      if (strcmp(c->algorithm, map[i].algorithm) != 0)
        continue;
      if (map[i].skip && sl_cli_flag(cli, map[i].skip)) {
        g_ptr_array_remove_index(e->checksums, k);
      } else if (given != NULL) {
        if (!is_hex(given)) {
          *bad = map[i].option;
          return FALSE;
        }
        g_free(c->value);
        c->value = g_ascii_strdown(given, -1);
      }
      break;
    }
  }
  const char *sha1 = sl_cli_get(cli, "sha1");
  if (sha1 != NULL) {
    g_autofree char *id = sl_identifier_from_hex(sha1, NULL);
    if (id == NULL) {
      *bad = "sha1";
      return FALSE;
    }
    g_free(e->identifier);
    e->identifier = g_steal_pointer(&id);
  }
  return TRUE;
}

static int
run(SlCli *cli, char **args)
{
  const char *image = args[0];
  const char *prog = sl_cli_prog(cli);
  const SlCommand *cmd = sl_cli_command(cli);
  if (!g_file_test(image, G_FILE_TEST_IS_REGULAR)) {
    g_autofree char *msg = g_strdup_printf("Image does not exist: %s", image);
    sl_out_usage_error(prog, cmd, msg);
    return SL_EXIT_USAGE;
  }
  const char *bus = sl_cli_get(cli, "disks-bus");
  if (strcmp(bus, "ide") != 0 && strcmp(bus, "scsi") != 0 && strcmp(bus, "virtio") != 0) {
    g_autofree char *msg =
        g_strdup_printf("Unknown disks bus type %s. Available types: ide, scsi, virtio", bus);
    sl_out_usage_error(prog, cmd, msg);
    return SL_EXIT_USAGE;
  }
  const char *compression = sl_cli_get(cli, "compression");
  if (compression != NULL && strcmp(compression, "none") == 0)
    compression = "";
  const char *const *locations = sl_cli_list(cli, "location");
  if (locations[0] == NULL)
    sl_out_warning("Image physical location (URL) was not provided. You'll have to set it "
                   "manually in the resulting manifest.");
  SlMarketBuildInfo info = {
      .type = sl_cli_get(cli, "type"),
      .kind = sl_cli_get(cli, "kind"),
      .os = sl_cli_get(cli, "os"),
      .os_version = sl_cli_get(cli, "os-version"),
      .os_arch = sl_cli_get(cli, "os-arch"),
      .version = sl_cli_get(cli, "image-version"),
      .compression = compression,
      .locations = locations,
      .format = sl_cli_get(cli, "format"),
      .creator = sl_cli_get(cli, "author"),
      .title = sl_cli_get(cli, "title"),
      .alternative = sl_cli_get(cli, "tag"),
      .description = sl_cli_get(cli, "comment"),
      .hypervisor = sl_cli_get(cli, "hypervisor"),
      .disks_bus = bus,
      .valid = sl_cli_get(cli, "valid"),
      .validity_hours = sl_cli_int(cli, "validity"),
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketEntry) entry = sl_market_build(image, &info, &error);
  if (entry == NULL)
    return sl_out_fail(error);
  const char *bad = NULL;
  if (!apply_checksums(cli, entry, &bad)) {
    g_autofree char *msg = g_strdup_printf("invalid --%s checksum", bad);
    sl_out_usage_error(prog, cmd, msg);
    return SL_EXIT_USAGE;
  }
  g_autofree char *xml = sl_market_entry_to_xml(entry);
  g_autofree char *name = sl_market_build_filename(entry);
  const char *output = sl_cli_get(cli, "output") ? sl_cli_get(cli, "output") : name;
  if (!g_file_set_contents(output, xml, -1, &error))
    return sl_out_fail(error);
  sl_out_info("Metadata of %s (identifier %s) written to %s\n", image, entry->identifier, output);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_build_metadata = {
    .name = "build-metadata",
    .summary = "Create a Marketplace entry for a machine image",
    .synopsis = "[options] image-file",
    .description =
        "Write the unsigned metadata (RDF/XML) describing the image file to "
        "<os>-<os-version>-<os-arch>-<type>-<version>.xml in the current directory (or "
        "--output): size, MD5/SHA-1/SHA-256/SHA-512 checksums and Marketplace identifier of "
        "the uncompressed image (a gz, bz2 or xz file is decompressed while hashing), an "
        "empty endorsement (filled by stratus-sign-metadata) and the descriptive fields. "
        "The entry is valid for 178 days unless --valid or --validity says otherwise.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .min_args = 1,
    .max_args = 1,
    .output_doc = "The metadata file, and on stdout (unless -q) `Metadata of <image> "
                  "(identifier <id>) written to <file>`.",
    .errors_doc = "Usage errors (exit 2): `Image does not exist: <file>`, `Unknown disks bus "
                  "type ...`, `invalid --<algo> checksum`. Unreadable or corrupt compressed "
                  "images and invalid --valid dates exit 1.",
};
