/* fuzz-config.c - the user configuration file (stratuslab-user.cfg, Python 2
 * ConfigParser rules: sections, continuations, comments, %(key)s
 * interpolation) and the values read from it (instance types, endpoints).
 * Input: an optional first line "-S NAME" selects a section; the rest is the
 * file. */
#include "fuzz.h"
#include "cli/config.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  return 0;
}

static const char *const keys[] = {"endpoint", "pdisk_endpoint", "marketplace_endpoint",
                                   "username", "password",       "selected_section",
                                   "key",      "instance_type",  NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *section = NULL;
  if (size > 3 && memcmp(data, "-S ", 3) == 0) {
    data += 3;
    size -= 3;
    section = fuzz_take_line(&data, &size);
  }
  g_autofree char *text = fuzz_strdup(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) config = sl_config_parse("fuzz.cfg", text, section, &error);
  if (!config) {
    g_assert(error != NULL && g_str_has_prefix(error->message, "fuzz.cfg"));
    return 0;
  }
  for (guint i = 0; keys[i]; i++) {
    const char *value = sl_config_get(config, keys[i]);
    if (value) {
      g_autofree char *url = sl_endpoint_url(value, SL_CONFIG_DEFAULT_PORT);
      int cpu, ram, swap;
      sl_instance_type_parse(value, &cpu, &ram, &swap);
    }
  }
  g_autoptr(GPtrArray) types = sl_config_instance_types(config);
  for (guint i = 0; i < types->len; i++) {
    const SlInstanceType *t = g_ptr_array_index(types, i);
    g_assert(t->cpu > 0 && t->ram > 0 && t->swap >= 0);
    g_assert(sl_config_instance_type(config, t->name) != NULL);
  }
  return 0;
}
