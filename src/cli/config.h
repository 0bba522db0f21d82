/* config.h - the user configuration file (INI, Python 2 ConfigParser rules).
 *
 * `key = value` or `key: value`; keys lower-cased; values stripped; indented
 * lines continue the previous value; `#`/`;` comment lines; ` ;` starts an
 * inline comment; quotes are kept; `%%` is `%` and `%(key)s` substitutes.
 * [default] is mandatory; the selected section overrides it.
 */
#pragma once
#include <glib.h>

#define SL_CONFIG_DEFAULT_PORT 2634

typedef struct SlConfig SlConfig;

typedef struct {
  char *name; /* lower-case */
  int cpu;
  int ram;  /* MiB */
  int swap; /* MiB */
} SlInstanceType;

/* Parse `data` (the contents of `path`, used in messages). `section` is the
 * section asked for with -S / STRATUSLAB_USER_CONFIG_SECTION, or NULL to use
 * `selected_section` of [default]. Errors name the file and line. */
SlConfig *sl_config_parse(const char *path, const char *data, const char *section, GError **error);
/* Read and parse `path`. A missing file is an error when `must_exist`,
 * otherwise an empty configuration is returned (no section needed). */
SlConfig *sl_config_load(const char *path, gboolean must_exist, const char *section,
                         GError **error);
void sl_config_free(SlConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlConfig, sl_config_free)

/* Effective value of a key ([default] overridden by the selected section). */
const char *sl_config_get(const SlConfig *config, const char *key);
/* The selected section ("default" when none), or NULL for an empty config. */
const char *sl_config_section(const SlConfig *config);
gboolean sl_config_loaded(const SlConfig *config);

/* Built-in instance types merged with [instance_types], sorted by name. */
GPtrArray *sl_config_instance_types(const SlConfig *config); /* of SlInstanceType* */
const SlInstanceType *sl_config_instance_type(const SlConfig *config, const char *name);
/* Parse `cpu, ram, swap`: every run of digits is a number; exactly three
 * with cpu > 0, ram > 0, swap >= 0. */
gboolean sl_instance_type_parse(const char *value, int *cpu, int *ram, int *swap);

/* Name derivation (guide table 4.2 plus its exceptions). */
char *sl_config_key_to_option(const char *key); /* "pdisk_endpoint" -> "pdisk-endpoint" */
char *sl_config_key_to_env(const char *key); /* "pdisk_endpoint" -> "STRATUSLAB_PDISK_ENDPOINT" */

/* `host`, `host:port`, `[v6]:port` -> https://host:port (default_port when
 * absent); a value with a scheme is used verbatim. Trailing '/' removed. */
char *sl_endpoint_url(const char *value, int default_port);

/* `~/` and `$HOME/` expanded (a copy otherwise; NULL for NULL or ""). */
char *sl_expand_home(const char *path);
