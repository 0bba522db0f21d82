/* client.c - the cloud's Marketplace client (client.h). */
#include "market/client.h"

#include <string.h>

#include "sl-config.h"
#include "image/identifier.h"
#include "market/policy.h"
#include "market/validate.h"
#include "market/wrapper.h"
#include "util/error.h"
#include "util/http-client.h"

#define MAX_ANSWER (64 * 1024 * 1024)

struct SlMarketClient {
  SlImageCache *cache;
  SlFetcher *fetcher;
  char *endpoint;
  char *ca_file;
  char *policy;
  gboolean policy_required;
  long timeout_s;
};

SlMarketClient *
sl_market_client_new(SlImageCache *cache, const SlMarketClientConfig *cfg)
{
  SlMarketClient *m = g_new0(SlMarketClient, 1);
  m->cache = cache;
  m->fetcher = sl_fetcher_new(cache);
  m->endpoint = g_strdup(cfg->endpoint);
  while (m->endpoint && g_str_has_suffix(m->endpoint, "/"))
    m->endpoint[strlen(m->endpoint) - 1] = '\0';
  m->ca_file = g_strdup(cfg->ca_file);
  m->policy = g_strdup(cfg->policy);
  m->policy_required = cfg->policy_required;
  m->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 30;
  return m;
}

void
sl_market_client_free(SlMarketClient *m)
{
  if (!m)
    return;
  sl_fetcher_free(m->fetcher);
  g_free(m->endpoint);
  g_free(m->ca_file);
  g_free(m->policy);
  g_free(m);
}

int
sl_market_client_progress(SlMarketClient *m, const char *identifier)
{
  return m && identifier ? sl_fetcher_progress(m->fetcher, identifier) : -1;
}

/* ---- the Marketplace answer ---------------------------------------------- */

/* GET <mp>/metadata/<id>; *status gets the HTTP status (0: no answer). */
static GString *
get_entries(SlMarketClient *m, const char *id, long *status, GError **error)
{
  g_autofree char *url = g_strdup_printf("%s/metadata/%s", m->endpoint, id);
  const char *const headers[] = {"Accept: application/xml", NULL};
  SlHttpClientRequest req = {
      .url = url,
      .headers = headers,
      .ca_file = m->ca_file,
      .ca_with_system = m->ca_file != NULL,
      .user_agent = "stratusd/" SL_VERSION,
      .timeout_s = m->timeout_s,
      .max_redirects = 10,
      .max_body = MAX_ANSWER,
  };
  SlHttpClientAnswer answer = {0};
  g_autoptr(GError) local = NULL;
  gboolean ok = sl_http_client_perform(&req, &answer, &local);
  *status = answer.status;
  if (!ok || answer.status == 0 || answer.status >= 500) {
    if (ok)
      g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE,
                  "Marketplace unreachable: HTTP %ld from %s", answer.status, url);
    else
      g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "Marketplace unreachable: %s: %s", url,
                  local->message);
    sl_http_client_answer_clear(&answer);
    return NULL;
  }
  GString *body = answer.body;
  answer.body = NULL;
  sl_http_client_answer_clear(&answer);
  return body;
}

/* ---- checks ------------------------------------------------------------------ */

static gboolean
usable_location(const char *url)
{
  return g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://") ||
         g_str_has_prefix(url, "file://");
}

typedef enum { CHECK_OK, CHECK_BAD, CHECK_POLICY } Check;

/* One entry: signature, constraints, identifier, validity, policy. *reason
 * is set on refusal, *out to the entry on success. */
static Check
check_entry(GBytes *doc, const char *id, const SlMarketPolicy *policy, gboolean need_location,
            SlMarketEntry **out, char **reason)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(doc, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) e =
      sl_market_validate(data, len, SL_MARKET_CHECK_UPLOAD, &signer, &error);
  if (!e) {
    *reason = g_strdup_printf("invalid entry: %s", error->message);
    return CHECK_BAD;
  }
  g_autofree char *who =
      g_strdup_printf("entry %s/%s", e->email ? e->email : "?", e->created ? e->created : "?");
  if (g_strcmp0(e->identifier, id) != 0) {
    *reason = g_strdup_printf("%s: identifier %s is not %s", who, e->identifier, id);
    return CHECK_BAD;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  SlMarketStatus st = sl_market_entry_status(e, now);
  if (st == SL_MARKET_STATUS_DEPRECATED) {
    *reason = g_strdup_printf("%s: image deprecated: %s", who,
                              e->deprecated_reason ? e->deprecated_reason : "");
    return CHECK_BAD;
  }
  if (st == SL_MARKET_STATUS_EXPIRED) {
    *reason = g_strdup_printf("%s: expired on %s", who, e->valid);
    return CHECK_BAD;
  }
  if (need_location) {
    gboolean any = FALSE;
    for (guint i = 0; i < e->locations->len; i++)
      any = any || usable_location(e->locations->pdata[i]);
    if (!any) {
      *reason = g_strdup_printf("%s: no http, https or file location", who);
      return CHECK_BAD;
    }
  }
  if (policy && !sl_market_policy_check(policy, e, &error)) {
    *reason = g_strdup_printf("%s: %s", who, error->message);
    return CHECK_POLICY;
  }
  *out = g_steal_pointer(&e);
  return CHECK_OK;
}

static gboolean
load_policy(SlMarketClient *m, SlMarketPolicy **out, GError **error)
{
  *out = NULL;
  if (!m->policy)
    return TRUE;
  g_autoptr(GError) local = NULL;
  *out = sl_market_policy_load(m->policy, &local);
  if (*out)
    return TRUE;
  if (!m->policy_required && g_error_matches(local, SL_ERROR, SL_ERROR_NOT_FOUND))
    return TRUE;
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "site policy: %s", local->message);
  return FALSE;
}

static SlVmDefImage *
cached_source(const SlImage *im)
{
  return sl_vm_def_image_new(im->identifier, im->path, im->kind ? im->kind : "raw");
}

static SlVmDefImage *
fetch_source(const char *id, const SlMarketEntry *e)
{
  SlVmDefFetch *f = g_new0(SlVmDefFetch, 1);
  GPtrArray *locs = g_ptr_array_new();
  for (guint i = 0; i < e->locations->len; i++)
    if (usable_location(e->locations->pdata[i]))
      g_ptr_array_add(locs, g_strdup(e->locations->pdata[i]));
  g_ptr_array_add(locs, NULL);
  f->locations = (GStrv)g_ptr_array_free(locs, FALSE);
  GPtrArray *sums = g_ptr_array_new();
  for (guint i = 0; i < e->checksums->len; i++) {
    SlMarketChecksum *c = e->checksums->pdata[i];
    g_ptr_array_add(sums, g_strdup(c->algorithm));
    g_ptr_array_add(sums, g_strdup(c->value));
  }
  g_ptr_array_add(sums, NULL);
  f->checksums = (GStrv)g_ptr_array_free(sums, FALSE);
  f->compression = g_strdup(e->compression ? e->compression : "");
  f->bytes = e->bytes;
  f->entry = g_bytes_ref(e->xml);
  SlVmDefImage *im = sl_vm_def_image_new(id, NULL, NULL);
  im->fetch = f;
  return im;
}

static gboolean
save_entry(SlMarketClient *m, const char *id, GBytes *xml, GError **error)
{
  g_autofree char *path = sl_image_cache_entry_path(m->cache, id);
  gsize len = 0;
  const char *data = g_bytes_get_data(xml, &len);
  return g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                  error);
}

SlVmDefImage *
sl_market_client_resolve(SlMarketClient *m, const char *id, char **kind, GError **error)
{
  if (!sl_identifier_is_valid(id)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid image identifier %s", id);
    return NULL;
  }
  g_autoptr(SlMarketPolicy) policy = NULL;
  if (!load_policy(m, &policy, error))
    return NULL;
  g_autoptr(SlImage) cached = sl_image_cache_get(m->cache, id, NULL);
  if (cached && g_strcmp0(cached->state, "ready") != 0)
    g_clear_pointer(&cached, sl_image_free);
  g_autofree char *cached_reason = NULL;
  if (cached) {
    g_autofree char *path = sl_image_cache_entry_path(m->cache, id);
    g_autofree char *xml = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &xml, &len, NULL))
      return cached_source(cached); /* registered by the operator */
    g_autoptr(GBytes) doc = g_bytes_new_take(g_steal_pointer(&xml), len);
    g_autoptr(SlMarketEntry) e = NULL;
    if (check_entry(doc, id, policy, FALSE, &e, &cached_reason) == CHECK_OK) {
      if (kind)
        *kind = g_strdup(e->kind);
      return cached_source(cached);
    }
  }
  long status = 0;
  g_autoptr(GError) net = NULL;
  g_autoptr(GString) answer = get_entries(m, id, &status, &net);
  if (!answer) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "%s (image %s %s%s)", net->message, id,
                cached ? "is cached but its entry is not usable: " : "is not cached",
                cached ? cached_reason : "");
    return NULL;
  }
  if (status == 404 || status < 200 || status > 299) {
    g_set_error(error, SL_ERROR, status == 404 ? SL_ERROR_NOT_FOUND : SL_ERROR_INVALID,
                "no valid Marketplace entry for image %s (HTTP %ld from the Marketplace)%s%s", id,
                status, cached_reason ? "; cached " : "", cached_reason ? cached_reason : "");
    return NULL;
  }
  g_autoptr(GPtrArray) docs = sl_market_split_entries(answer->str, answer->len);
  g_autoptr(GString) reasons = g_string_new(NULL);
  gboolean policy_refused = FALSE;
  g_autoptr(SlMarketEntry) best = NULL;
  for (guint i = 0; i < docs->len; i++) {
    SlMarketEntry *e = NULL;
    g_autofree char *reason = NULL;
    Check r = check_entry(docs->pdata[i], id, policy, !cached, &e, &reason);
    if (r != CHECK_OK) {
      policy_refused = policy_refused || r == CHECK_POLICY;
      g_string_append_printf(reasons, "%s%s", reasons->len ? "; " : "", reason);
      g_message("image %s: %s", id, reason);
      continue;
    }
    if (!best || sl_market_entry_is_newer(e, best)) {
      sl_market_entry_free(best);
      best = e;
    } else {
      sl_market_entry_free(e);
    }
  }
  if (!best) {
    if (docs->len == 0)
      g_string_append(reasons, "the Marketplace answer holds no entry");
    if (policy_refused)
      g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN, "%s; " SL_MARKET_POLICY_REFUSED,
                  reasons->str);
    else
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "no valid Marketplace entry for image %s: %s",
                  id, reasons->str);
    return NULL;
  }
  if (!save_entry(m, id, best->xml, error))
    return NULL;
  if (kind)
    *kind = g_strdup(best->kind);
  return cached ? cached_source(cached) : fetch_source(id, best);
}

/* ---- Prolog ------------------------------------------------------------------- */

void
sl_market_client_fetch(SlMarketClient *m, const char *id, const SlVmDefFetch *fetch,
                       SlFetchDoneFunc done, gpointer data)
{
  guint n_locs = fetch->locations ? g_strv_length(fetch->locations) : 0;
  SlFetchRequest req = {
      .url = n_locs > 0 ? fetch->locations[0] : NULL,
      .alternatives = n_locs > 0 ? (const char *const *)fetch->locations + 1 : NULL,
      .compression = fetch->compression,
      .check_bytes = TRUE,
      .bytes = fetch->bytes,
      .checksums =
          fetch->checksums ? (const char *const *)fetch->checksums : (const char *const[]){NULL},
      .ca_file = m->ca_file,
  };
  /* the entry goes next to the image before the image exists: a cached
   * image fetched from the Marketplace always has its entry */
  if (fetch->entry) {
    g_autoptr(GError) error = NULL;
    if (!save_entry(m, id, fetch->entry, &error))
      g_warning("image %s: cannot keep its entry: %s", id, error->message);
  }
  if (!req.url) {
    g_autoptr(GError) error =
        g_error_new(SL_ERROR, SL_ERROR_INVALID, "image %s has no usable location", id);
    done(NULL, error, data);
    return;
  }
  sl_fetcher_fetch(m->fetcher, id, &req, done, data);
}
