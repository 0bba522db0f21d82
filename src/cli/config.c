/* config.c - user configuration file: a small INI parser with the rules of
 * Python 2 ConfigParser (what the 13.05 client used), so that existing
 * files keep their meaning, and with errors that name the file and line.
 */
#include "config.h"

#include <string.h>

#include "exit-status.h"

typedef struct {
  char *value;
  int line;
} IniValue;

typedef GHashTable IniSection; /* lower-case key -> IniValue* */

struct SlConfig {
  gboolean loaded;
  char *section;      /* selected section, NULL when not loaded */
  GHashTable *values; /* key -> effective value */
  GHashTable *types;  /* user instance types: name -> SlInstanceType* */
};

static const SlInstanceType builtin_types[] = {
    {"t1.micro", 1, 512, 512},    {"m1.small", 1, 1536, 1536},  {"m1.medium", 1, 3072, 3072},
    {"m1.large", 2, 6144, 6144},  {"m1.xlarge", 4, 8192, 8192}, {"c1.medium", 2, 1536, 1536},
    {"c1.xlarge", 4, 6144, 6144},
};

static void
ini_value_free(gpointer p)
{
  IniValue *v = p;
  g_free(v->value);
  g_free(v);
}

static IniSection *
ini_section_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ini_value_free);
}

static void
instance_type_free(gpointer p)
{
  SlInstanceType *t = p;
  g_free(t->name);
  g_free(t);
}

void
sl_config_free(SlConfig *config)
{
  if (config == NULL)
    return;
  g_free(config->section);
  g_hash_table_unref(config->values);
  g_hash_table_unref(config->types);
  g_free(config);
}

static SlConfig *
config_new(void)
{
  SlConfig *c = g_new0(SlConfig, 1);
  c->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  c->types = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, instance_type_free);
  return c;
}

static gboolean fail(GError **error, const char *path, int line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
fail(GError **error, const char *path, int line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (line > 0)
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "%s:%d: %s", path, line, msg);
  else
    g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "%s: %s", path, msg);
  return FALSE;
}

/* Option line: key = [^:=\s][^:=]*, then ':' or '='. */
static gboolean
split_option(const char *line, char **key, char **value)
{
  if (line[0] == '\0' || line[0] == ':' || line[0] == '=' || g_ascii_isspace(line[0]))
    return FALSE;
  const char *sep = strpbrk(line, ":=");
  if (sep == NULL)
    return FALSE;
  g_autofree char *k = g_strndup(line, sep - line);
  g_strchomp(k);
  char *v = g_strdup(sep + 1);
  /* " ;" starts an inline comment */
  for (char *p = v; *p; p++) {
    if (*p == ';' && p > v && g_ascii_isspace(p[-1])) {
      *p = '\0';
      break;
    }
  }
  g_strstrip(v);
  if (strcmp(v, "\"\"") == 0)
    v[0] = '\0';
  *key = g_ascii_strdown(k, -1);
  *value = v;
  return TRUE;
}

/* Parse into sections: name -> IniSection. [DEFAULT] is kept as "DEFAULT". */
static GHashTable *
ini_parse(const char *path, const char *data, GError **error)
{
  g_autoptr(GHashTable) sections =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  IniSection *cur = NULL;
  IniValue *last = NULL;
  for (int i = 0; lines[i] != NULL; i++) {
    char *line = lines[i];
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[len - 1] = '\0';
    g_autofree char *stripped = g_strstrip(g_strdup(line));
    if (stripped[0] == '\0' || line[0] == '#' || line[0] == ';')
      continue;
    if ((line[0] == 'r' || line[0] == 'R') && g_ascii_strncasecmp(line, "rem", 3) == 0 &&
        (line[3] == '\0' || g_ascii_isspace(line[3])))
      continue;
    if (g_ascii_isspace(line[0]) && last != NULL) {
      char *joined = g_strconcat(last->value, "\n", stripped, NULL);
      g_free(last->value);
      last->value = joined;
      continue;
    }
    if (line[0] == '[') {
      const char *end = strchr(line + 1, ']');
      if (end != NULL && end > line + 1) {
        g_autofree char *name = g_strndup(line + 1, end - line - 1);
        cur = g_hash_table_lookup(sections, name);
        if (cur == NULL) {
          cur = ini_section_new();
          g_hash_table_insert(sections, g_steal_pointer(&name), cur);
        }
        last = NULL;
        continue;
      }
    }
    char *key = NULL, *value = NULL;
    if (!split_option(line, &key, &value)) {
      fail(error, path, i + 1, "expected 'key = value' or '[section]'");
      return NULL;
    }
    if (cur == NULL) {
      g_free(key);
      g_free(value);
      fail(error, path, i + 1, "expected '[section]' before the first 'key = value'");
      return NULL;
    }
    last = g_new0(IniValue, 1);
    last->value = value;
    last->line = i + 1;
    g_hash_table_replace(cur, key, last);
  }
  return g_steal_pointer(&sections);
}

static const IniValue *
ini_lookup(IniSection *sect, IniSection *defaults, const char *key)
{
  const IniValue *v = sect ? g_hash_table_lookup(sect, key) : NULL;
  if (v == NULL && defaults != NULL)
    v = g_hash_table_lookup(defaults, key);
  return v;
}

/* SafeConfigParser interpolation: %% -> %, %(name)s -> value of name. */
static char *
interpolate(const char *path, IniSection *sect, IniSection *defaults, const IniValue *v, int depth,
            GError **error)
{
  if (depth > 10) {
    fail(error, path, v->line, "value references nest too deeply");
    return NULL;
  }
  GString *out = g_string_new(NULL);
  const char *p = v->value;
  while (*p) {
    const char *pct = strchr(p, '%');
    if (pct == NULL) {
      g_string_append(out, p);
      break;
    }
    g_string_append_len(out, p, pct - p);
    if (pct[1] == '%') {
      g_string_append_c(out, '%');
      p = pct + 2;
    } else if (pct[1] == '(') {
      const char *close = strstr(pct, ")s");
      if (close == NULL) {
        fail(error, path, v->line, "bad interpolation variable reference '%s'", pct);
        g_string_free(out, TRUE);
        return NULL;
      }
      g_autofree char *raw = g_strndup(pct + 2, close - pct - 2);
      g_autofree char *name = g_ascii_strdown(raw, -1);
      const IniValue *ref = ini_lookup(sect, defaults, name);
      if (ref == NULL) {
        fail(error, path, v->line, "no key '%s' to substitute in '%s'", name, v->value);
        g_string_free(out, TRUE);
        return NULL;
      }
      char *sub = interpolate(path, sect, defaults, ref, depth + 1, error);
      if (sub == NULL) {
        g_string_free(out, TRUE);
        return NULL;
      }
      g_string_append(out, sub);
      g_free(sub);
      p = close + 2;
    } else {
      fail(error, path, v->line, "'%%' must be followed by '%%' or '(', found: '%s'", pct);
      g_string_free(out, TRUE);
      return NULL;
    }
  }
  return g_string_free(out, FALSE);
}

/* Copy every key of `sect` (and of [DEFAULT] when with_defaults), interpolated. */
static gboolean
merge_section(SlConfig *c, const char *path, IniSection *sect, IniSection *defaults,
              gboolean with_defaults, GError **error)
{
  IniSection *tables[2] = {with_defaults ? defaults : NULL, sect};
  for (int t = 0; t < 2; t++) {
    if (tables[t] == NULL)
      continue;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, tables[t]);
    while (g_hash_table_iter_next(&it, &k, &v)) {
      char *value = interpolate(path, sect, defaults, v, 0, error);
      if (value == NULL)
        return FALSE;
      g_hash_table_replace(c->values, g_strdup(k), value);
    }
  }
  return TRUE;
}

gboolean
sl_instance_type_parse(const char *value, int *cpu, int *ram, int *swap)
{
  gint64 n[3];
  int count = 0;
  for (const char *p = value; *p;) {
    if (!g_ascii_isdigit(*p)) {
      p++;
      continue;
    }
    const char *start = p;
    while (g_ascii_isdigit(*p))
      p++;
    if (count == 3)
      return FALSE;
    g_autofree char *digits = g_strndup(start, p - start);
    n[count++] = g_ascii_strtoll(digits, NULL, 10);
  }
  if (count != 3 || n[0] <= 0 || n[1] <= 0 || n[2] < 0 || n[0] > G_MAXINT || n[1] > G_MAXINT ||
      n[2] > G_MAXINT)
    return FALSE;
  *cpu = (int)n[0];
  *ram = (int)n[1];
  *swap = (int)n[2];
  return TRUE;
}

static void
read_instance_types(SlConfig *c, IniSection *sect)
{
  if (sect == NULL)
    return;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, sect);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    int cpu, ram, swap;
    if (!sl_instance_type_parse(((IniValue *)v)->value, &cpu, &ram, &swap))
      continue;
    SlInstanceType *t = g_new0(SlInstanceType, 1);
    t->name = g_strdup(k);
    t->cpu = cpu;
    t->ram = ram;
    t->swap = swap;
    g_hash_table_replace(c->types, t->name, t);
  }
}

SlConfig *
sl_config_parse(const char *path, const char *data, const char *section, GError **error)
{
  g_autoptr(GHashTable) sections = ini_parse(path, data, error);
  if (sections == NULL)
    return NULL;
  IniSection *defaults = g_hash_table_lookup(sections, "DEFAULT");
  IniSection *dflt = g_hash_table_lookup(sections, "default");
  if (dflt == NULL) {
    fail(error, path, 0, "no section [default] (it is mandatory)");
    return NULL;
  }
  g_autoptr(SlConfig) c = config_new();
  c->loaded = TRUE;
  g_autofree char *selected = NULL;
  if (section != NULL && section[0] != '\0') {
    selected = g_strdup(section);
  } else {
    const IniValue *sv = g_hash_table_lookup(dflt, "selected_section");
    if (sv != NULL) {
      selected = interpolate(path, dflt, defaults, sv, 0, error);
      if (selected == NULL)
        return NULL;
    }
  }
  if (selected != NULL && selected[0] == '\0')
    g_clear_pointer(&selected, g_free);
  IniSection *sel = NULL;
  if (selected != NULL && strcmp(selected, "default") != 0) {
    sel = g_hash_table_lookup(sections, selected);
    if (sel == NULL) {
      fail(error, path, 0, "no section [%s]", selected);
      return NULL;
    }
  }
  if (!merge_section(c, path, dflt, defaults, TRUE, error))
    return NULL;
  if (sel != NULL && !merge_section(c, path, sel, defaults, FALSE, error))
    return NULL;
  c->section = selected ? g_steal_pointer(&selected) : g_strdup("default");
  read_instance_types(c, g_hash_table_lookup(sections, "instance_types"));
  return g_steal_pointer(&c);
}

SlConfig *
sl_config_load(const char *path, gboolean must_exist, const char *section, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &data, NULL, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) && !must_exist)
      return config_new();
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      fail(error, path, 0, "configuration file does not exist");
    else
      fail(error, path, 0, "cannot read configuration file: %s", local->message);
    return NULL;
  }
  return sl_config_parse(path, data, section, error);
}

const char *
sl_config_get(const SlConfig *config, const char *key)
{
  return config ? g_hash_table_lookup(config->values, key) : NULL;
}

const char *
sl_config_section(const SlConfig *config)
{
  return config ? config->section : NULL;
}

gboolean
sl_config_loaded(const SlConfig *config)
{
  return config != NULL && config->loaded;
}

static gint
compare_types(gconstpointer a, gconstpointer b)
{
  const SlInstanceType *ta = *(SlInstanceType *const *)a;
  const SlInstanceType *tb = *(SlInstanceType *const *)b;
  return strcmp(ta->name, tb->name);
}

GPtrArray *
sl_config_instance_types(const SlConfig *config)
{
  GPtrArray *all = g_ptr_array_new();
  for (size_t i = 0; i < G_N_ELEMENTS(builtin_types); i++) {
    const SlInstanceType *user =
        config ? g_hash_table_lookup(config->types, builtin_types[i].name) : NULL;
    if (user == NULL)
      g_ptr_array_add(all, (gpointer)&builtin_types[i]);
  }
  if (config != NULL) {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, config->types);
    while (g_hash_table_iter_next(&it, &k, &v))
      g_ptr_array_add(all, v);
  }
  g_ptr_array_sort(all, compare_types);
  return all;
}

const SlInstanceType *
sl_config_instance_type(const SlConfig *config, const char *name)
{
  g_autofree char *lower = g_ascii_strdown(name, -1);
  const SlInstanceType *t = config ? g_hash_table_lookup(config->types, lower) : NULL;
  for (size_t i = 0; t == NULL && i < G_N_ELEMENTS(builtin_types); i++)
    if (strcmp(builtin_types[i].name, lower) == 0)
      t = &builtin_types[i];
  return t;
}

char *
sl_config_key_to_option(const char *key)
{
  if (strcmp(key, "pem_certificate") == 0)
    return g_strdup("pem-cert");
  if (strcmp(key, "p12_certificate") == 0)
    return g_strdup("p12-cert");
  if (strcmp(key, "user_public_key_file") == 0)
    return g_strdup("key");
  char *opt = g_strdup(key);
  g_strdelimit(opt, "_", '-');
  return opt;
}

char *
sl_config_key_to_env(const char *key)
{
  if (strcmp(key, "user_public_key_file") == 0)
    return g_strdup("STRATUSLAB_KEY");
  g_autofree char *up = g_ascii_strup(key, -1);
  return g_strconcat("STRATUSLAB_", up, NULL);
}

char *
sl_endpoint_url(const char *value, int default_port)
{
  if (value == NULL)
    return NULL;
  g_autofree char *v = g_strstrip(g_strdup(value));
  if (v[0] == '\0')
    return NULL;
  size_t len = strlen(v);
  while (len > 0 && v[len - 1] == '/')
    v[--len] = '\0';
  if (strstr(v, "://") != NULL)
    return g_strdup(v);
  const char *slash = strchr(v, '/');
  g_autofree char *hostport = slash ? g_strndup(v, slash - v) : g_strdup(v);
  const char *path = slash ? slash : "";
  g_autofree char *host = NULL;
  const char *port = NULL;
  if (hostport[0] == '[') {
    char *close = strchr(hostport, ']');
    if (close != NULL && close[1] == ':' && close[2] != '\0')
      port = close + 2;
    host = close ? g_strndup(hostport, close - hostport + 1) : g_strdup(hostport);
  } else {
    const char *colon = strchr(hostport, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) {
      host = g_strdup_printf("[%s]", hostport); /* bare IPv6 address */
    } else if (colon != NULL) {
      host = g_strndup(hostport, colon - hostport);
      port = colon[1] ? colon + 1 : NULL;
    } else {
      host = g_strdup(hostport);
    }
  }
  if (port != NULL)
    return g_strdup_printf("https://%s:%s%s", host, port, path);
  return g_strdup_printf("https://%s:%d%s", host, default_port, path);
}

char *
sl_expand_home(const char *path)
{
  if (path == NULL || path[0] == '\0')
    return NULL;
  if (g_str_has_prefix(path, "~/") || g_str_has_prefix(path, "$HOME/")) {
    const char *home = g_getenv("HOME");
    if (home == NULL || home[0] == '\0')
      home = g_get_home_dir();
    return g_build_filename(home, strchr(path, '/') + 1, NULL);
  }
  return g_strdup(path);
}
