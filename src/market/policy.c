/* policy.c - the site image policy file and its rules (policy.h). */
#include "market/policy.h"

#include <string.h>

#include "util/error.h"

SlMarketPolicy *
sl_market_policy_new(void)
{
  SlMarketPolicy *p = g_new0(SlMarketPolicy, 1);
  GPtrArray **lists[] = {&p->whitelist_endorsers, &p->blacklist_endorsers, &p->whitelist_images,
                         &p->blacklist_images,    &p->whitelist_checksums, &p->blacklist_checksums};
  for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
    *lists[i] = g_ptr_array_new_with_free_func(g_free);
  return p;
}

void
sl_market_policy_free(SlMarketPolicy *p)
{
  if (!p)
    return;
  g_ptr_array_unref(p->whitelist_endorsers);
  g_ptr_array_unref(p->blacklist_endorsers);
  g_ptr_array_unref(p->whitelist_images);
  g_ptr_array_unref(p->blacklist_images);
  g_ptr_array_unref(p->whitelist_checksums);
  g_ptr_array_unref(p->blacklist_checksums);
  g_free(p);
}

gboolean
sl_market_policy_is_empty(const SlMarketPolicy *p)
{
  return p->whitelist_endorsers->len == 0 && p->blacklist_endorsers->len == 0 &&
         p->whitelist_images->len == 0 && p->blacklist_images->len == 0 &&
         p->whitelist_checksums->len == 0 && p->blacklist_checksums->len == 0;
}

/* Hex without leading zeros, lower case ("" stays ""). */
static char *
hex_key(const char *hex)
{
  g_autofree char *low = g_ascii_strdown(hex, -1);
  const char *p = low;
  while (p[0] == '0' && p[1])
    p++;
  return g_strdup(p);
}

static GPtrArray *
list_for(SlMarketPolicy *p, const char *section, const char *key)
{
  static const struct {
    const char *section, *key;
    gsize offset;
  } map[] = {
      {"endorsers", "whitelistendorsers", G_STRUCT_OFFSET(SlMarketPolicy, whitelist_endorsers)},
      {"endorsers", "blacklistendorsers", G_STRUCT_OFFSET(SlMarketPolicy, blacklist_endorsers)},
      {"images", "whitelistimages", G_STRUCT_OFFSET(SlMarketPolicy, whitelist_images)},
      {"images", "blacklistimages", G_STRUCT_OFFSET(SlMarketPolicy, blacklist_images)},
      {"checksums", "whitelistchecksums", G_STRUCT_OFFSET(SlMarketPolicy, whitelist_checksums)},
      {"checksums", "blacklistchecksums", G_STRUCT_OFFSET(SlMarketPolicy, blacklist_checksums)},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
    if (!g_ascii_strcasecmp(section, map[i].section) && !g_ascii_strcasecmp(key, map[i].key))
      return G_STRUCT_MEMBER(GPtrArray *, p, map[i].offset);
  return NULL;
}

static void
add_items(GPtrArray *list, const char *text, gboolean checksums)
{
  if (!list)
    return;
  g_auto(GStrv) items = g_strsplit_set(text, " \t,", -1);
  for (char **it = items; *it; it++)
    if (**it)
      g_ptr_array_add(list, checksums ? hex_key(*it) : g_strdup(*it));
}

SlMarketPolicy *
sl_market_policy_parse(const char *text, gsize len, GError **error)
{
  g_autoptr(SlMarketPolicy) p = sl_market_policy_new();
  g_autofree char *copy = g_strndup(text, len);
  g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
  g_autofree char *section = NULL;
  GPtrArray *current = NULL; /* list receiving continuation lines */
  gboolean current_sums = FALSE;
  for (int n = 0; lines[n]; n++) {
    char *line = lines[n];
    g_strchomp(line); /* trailing blanks and \r */
    const char *s = line + strspn(line, " \t");
    if (!*s || *s == '#' || *s == ';')
      continue;
    if (s != line) { /* continuation of the previous value */
      if (!section) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "line %d: continuation before any key",
                    n + 1);
        return NULL;
      }
      add_items(current, s, current_sums);
      continue;
    }
    if (*s == '[') {
      const char *end = strchr(s, ']');
      if (!end) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "line %d: bad section header: %s", n + 1, s);
        return NULL;
      }
      g_free(section);
      section = g_strstrip(g_strndup(s + 1, (gsize)(end - s - 1)));
      current = NULL;
      continue;
    }
    const char *eq = strpbrk(s, "=:");
    if (!eq || !section) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "line %d: %s: %s", n + 1,
                  section ? "not a key = value line" : "key outside a section", s);
      return NULL;
    }
    g_autofree char *key = g_strstrip(g_strndup(s, (gsize)(eq - s)));
    current = list_for(p, section, key);
    current_sums = g_ascii_strcasecmp(section, "checksums") == 0;
    add_items(current, eq + 1, current_sums);
  }
  return g_steal_pointer(&p);
}

SlMarketPolicy *
sl_market_policy_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, SL_ERROR,
                g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? SL_ERROR_NOT_FOUND
                                                                         : SL_ERROR_INTERNAL,
                "%s", local->message);
    return NULL;
  }
  SlMarketPolicy *p = sl_market_policy_parse(text, len, error);
  if (!p)
    g_prefix_error(error, "%s: ", path);
  return p;
}

static gboolean
contains(GPtrArray *list, const char *value, gboolean nocase)
{
  for (guint i = 0; value && i < list->len; i++)
    if (nocase ? !g_ascii_strcasecmp(list->pdata[i], value) : !strcmp(list->pdata[i], value))
      return TRUE;
  return FALSE;
}

static gboolean
refuse(GError **error, const char *what, const char *value, const char *why)
{
  g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN, "%s %s is %s, rejecting entry", what,
              value ? value : "(none)", why);
  return FALSE;
}

gboolean
sl_market_policy_check(const SlMarketPolicy *p, const SlMarketEntry *e, GError **error)
{
  const char *email = e->email;
  if (p->whitelist_endorsers->len && !contains(p->whitelist_endorsers, email, TRUE))
    return refuse(error, "email endorser", email, "not whitelisted");
  if (contains(p->blacklist_endorsers, email, TRUE))
    return refuse(error, "email endorser", email, "blacklisted");
  const char *id = e->identifier;
  if (p->whitelist_images->len && !contains(p->whitelist_images, id, FALSE))
    return refuse(error, "image", id, "not whitelisted");
  if (contains(p->blacklist_images, id, FALSE))
    return refuse(error, "image", id, "blacklisted");
  g_autofree char *sum = e->sha1 ? hex_key(e->sha1) : NULL;
  if (p->whitelist_checksums->len && !contains(p->whitelist_checksums, sum, FALSE))
    return refuse(error, "checksum", e->sha1, "not whitelisted");
  if (contains(p->blacklist_checksums, sum, FALSE))
    return refuse(error, "checksum", e->sha1, "blacklisted");
  return TRUE;
}
