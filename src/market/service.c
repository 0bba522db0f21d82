/* service.c - the Marketplace service: upload policy, file store, index. */
#include "market/service.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "market/xml.h"
#include "market/validate.h"
#include "util/error.h"

struct SlMarketService {
  SlStore *store;
  char *dir;
  gsize max_bytes;
  SlMarketWhitelist *whitelist;
  char *now;          /* fixed clock (tests) or NULL */
  GMutex upload_lock; /* one upload at a time between "latest?" and insert */
};

SlMarketService *
sl_market_service_new(SlStore *store, const SlMarketServiceConfig *config, GError **error)
{
  sl_market_init();
  g_autoptr(SlMarketWhitelist) wl = NULL;
  if (config->whitelist && *config->whitelist) {
    wl = sl_market_whitelist_load(config->whitelist, config->truststore, config->crl, error);
    if (!wl)
      return NULL;
  }
  if (g_mkdir_with_parents(config->dir, 0755) != 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", config->dir,
                g_strerror(e));
    return NULL;
  }
  SlMarketService *svc = g_new0(SlMarketService, 1);
  svc->store = store;
  svc->dir = g_strdup(config->dir);
  svc->max_bytes = config->max_bytes ? config->max_bytes : SL_MARKET_MAX_BYTES;
  svc->whitelist = g_steal_pointer(&wl);
  svc->now = config->now && *config->now ? g_strdup(config->now) : NULL;
  g_mutex_init(&svc->upload_lock);
  return svc;
}

void
sl_market_service_free(SlMarketService *svc)
{
  if (!svc)
    return;
  sl_market_whitelist_free(svc->whitelist);
  g_mutex_clear(&svc->upload_lock);
  g_free(svc->dir);
  g_free(svc->now);
  g_free(svc);
}

gsize
sl_market_service_max_bytes(SlMarketService *svc)
{
  return svc->max_bytes;
}

static gboolean
identifier_ok(const char *id)
{
  if (!id || strlen(id) != 27)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
invalid(GError **error, int code, const char *reason)
{
  g_set_error(error, SL_ERROR, code, "invalid metadata: %s", reason);
  return FALSE;
}

/* The fields of the index row of a validated entry. */
static SlMarketRow *
row_from_entry(const SlMarketEntry *e, const char *path)
{
  SlMarketRow *r = g_new0(SlMarketRow, 1);
  r->identifier = g_strdup(e->identifier);
  r->email = g_strdup(e->email);
  r->created = g_strdup(e->created);
  r->valid = e->valid && *e->valid ? g_strdup(e->valid) : NULL;
  r->deprecated = e->deprecated;
  r->os = g_strdup(e->os);
  r->os_version = g_strdup(e->os_version);
  r->os_arch = g_strdup(e->os_arch);
  r->kind = g_strdup(e->kind);
  r->location = e->locations && e->locations->len ? g_strdup(e->locations->pdata[0]) : NULL;
  r->title = g_strdup(e->title);
  r->description = g_strdup(e->description);
  r->alternative = e->alternative && *e->alternative ? g_strdup(e->alternative) : NULL;
  r->sha1 = g_strdup(e->sha1);
  r->bytes = e->bytes;
  r->path = g_strdup(path);
  return r;
}

static gboolean
same_file(SlMarketService *svc, const SlMarketRow *row, const char *data, gsize len)
{
  g_autoptr(GBytes) old = sl_market_service_read(svc, row, NULL);
  if (!old)
    return FALSE;
  gsize n;
  const void *p = g_bytes_get_data(old, &n);
  return n == len && memcmp(p, data, len) == 0;
}

static SlMarketRow *
store_entry(SlMarketService *svc, const SlMarketEntry *entry, const char *data, gsize len,
            gboolean *is_new, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(SlMarketRow) old =
      sl_store_market_get(svc->store, entry->identifier, entry->email, entry->created, &local);
  if (old) {
    if (same_file(svc, old, data, len)) {
      *is_new = FALSE;
      return g_steal_pointer(&old);
    }
    g_set_error_literal(error, SL_ERROR, SL_ERROR_CONFLICT, "metadata entry already exists");
    return NULL;
  }
  if (!g_error_matches(local, SL_ERROR, SL_ERROR_NOT_FOUND)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  g_clear_error(&local);
  SlMarketQuery q = {
      .identifier = entry->identifier, .email = entry->email, .latest_only = TRUE, .limit = 1};
  g_autoptr(GPtrArray) latest = sl_store_market_search(svc->store, &q, NULL, NULL, error);
  if (!latest)
    return NULL;
  if (latest->len) {
    const SlMarketRow *l = latest->pdata[0];
    if (strcmp(entry->created, l->created) < 0) {
      invalid(error, SL_ERROR_INVALID, "older than latest entry");
      return NULL;
    }
  }

  g_autofree char *rel =
      g_strdup_printf("%s/%s/%s.xml", entry->identifier, entry->email, entry->created);
  g_autofree char *path = g_build_filename(svc->dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  if (g_mkdir_with_parents(parent, 0755) != 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", parent, g_strerror(e));
    return NULL;
  }
  gboolean existed = g_file_test(path, G_FILE_TEST_EXISTS);
  if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                &local)) {
    /* a full file system is the operator's to fix, not our bug */
    gboolean full = g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_set_error(error, SL_ERROR, full ? SL_ERROR_NO_SPACE : SL_ERROR_INTERNAL,
                "cannot store the entry: %s", local->message);
    return NULL;
  }
  g_autoptr(SlMarketRow) row = row_from_entry(entry, rel);
  if (!sl_store_market_insert(svc->store, row, &local)) {
    if (!existed) /* no file without its row */
      g_unlink(path);
    if (g_error_matches(local, SL_ERROR, SL_ERROR_INVALID))
      invalid(error, SL_ERROR_INVALID, local->message);
    else
      g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  *is_new = TRUE;
  return sl_store_market_get(svc->store, entry->identifier, entry->email, entry->created, error);
}

SlMarketRow *
sl_market_service_upload(SlMarketService *svc, const char *data, gsize len, gboolean *is_new,
                         GError **error)
{
  gboolean dummy;
  if (!is_new)
    is_new = &dummy;
  *is_new = FALSE;
  if (len > svc->max_bytes) {
    g_set_error(error, SL_ERROR, SL_ERROR_TOO_LARGE,
                "metadata entry larger than %" G_GSIZE_FORMAT " bytes", svc->max_bytes);
    return NULL;
  }
  if (len == 0) {
    invalid(error, SL_ERROR_INVALID, "empty document");
    return NULL;
  }
  g_autoptr(GError) local = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) entry =
      sl_market_validate(data, len, SL_MARKET_CHECK_UPLOAD, &signer, &local);
  if (!entry) {
    invalid(error, SL_ERROR_INVALID, local->message);
    return NULL;
  }
  if (!signer || !entry->created || !entry->email) {
    invalid(error, SL_ERROR_INVALID, signer ? "no endorsement" : "no signature");
    return NULL;
  }
  /* these end up in a file path: re-check the patterns the schema has */
  if (!identifier_ok(entry->identifier)) {
    invalid(error, SL_ERROR_INVALID, "invalid identifier");
    return NULL;
  }
  if (!sl_market_email_valid(entry->email)) {
    invalid(error, SL_ERROR_INVALID, "invalid endorser email");
    return NULL;
  }
  if (!sl_market_date_valid(entry->created)) {
    invalid(error, SL_ERROR_INVALID, "invalid endorsement date");
    return NULL;
  }
  if (svc->whitelist &&
      !sl_market_whitelist_check(svc->whitelist, signer->subject, signer->pem, &local)) {
    invalid(error, SL_ERROR_FORBIDDEN, local->message);
    return NULL;
  }
  g_mutex_lock(&svc->upload_lock);
  SlMarketRow *row = store_entry(svc, entry, data, len, is_new, error);
  g_mutex_unlock(&svc->upload_lock);
  return row;
}

GPtrArray *
sl_market_service_search(SlMarketService *svc, const SlMarketQuery *query, gint64 *total,
                         gint64 *displayed, GError **error)
{
  SlMarketQuery q = *query;
  g_autofree char *now = NULL;
  if (!q.now)
    q.now = svc->now;
  if (!q.now) {
    g_autoptr(GDateTime) t = g_date_time_new_now_utc();
    q.now = now = sl_market_format_date(t);
  }
  return sl_store_market_search(svc->store, &q, total, displayed, error);
}

SlMarketRow *
sl_market_service_get(SlMarketService *svc, const char *identifier, const char *email,
                      const char *created, GError **error)
{
  return sl_store_market_get(svc->store, identifier, email, created, error);
}

GBytes *
sl_market_service_read(SlMarketService *svc, const SlMarketRow *row, GError **error)
{
  g_autofree char *path = g_build_filename(svc->dir, row->path, NULL);
  char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &data, &len, &local)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot read the entry: %s", local->message);
    return NULL;
  }
  return g_bytes_new_take(data, len);
}
