/* fuzz-marketplace.c - the Marketplace's REST resource /metadata as stratusd
 * serves it (src/api/metadata.c on a real store in a scratch directory):
 * uploads as an XML body or a multipart/form-data form, DataTables searches
 * (form bodies), queries, Accept negotiation (XML, JSON, HTML).
 *
 * Input: one line each for method, path (with an optional ?query),
 * Content-Type and Accept; the rest is the body. */
#include "fuzz.h"
#include "api/api.h"
#include "http/http.h"
#include "market/service.h"

#include <glib/gstdio.h>

static char *dir;
static SlStore *store;
static SlMarketService *svc;
static SlHttpRouter *router;

static void
remove_tree(const char *path)
{
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      remove_tree(child);
    else
      g_unlink(child);
  }
  g_rmdir(path);
}

static void
cleanup(void)
{
  g_clear_pointer(&router, sl_http_router_free);
  g_clear_pointer(&svc, sl_market_service_free);
  g_clear_pointer(&store, sl_store_close);
  if (dir)
    remove_tree(dir);
  g_clear_pointer(&dir, g_free);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  g_autoptr(GError) error = NULL;
  dir = g_dir_make_tmp("fuzz-marketplace-XXXXXX", &error);
  g_assert_no_error(error);
  atexit(cleanup);
  store = sl_store_open(dir, &error);
  g_assert_no_error(error);
  g_autofree char *mp = g_build_filename(dir, "metadata", NULL);
  SlMarketServiceConfig config = {.dir = mp, .max_bytes = 64 * 1024, .now = "2026-01-01T00:00:00Z"};
  svc = sl_market_service_new(store, &config, &error);
  g_assert_no_error(error);
  router = sl_http_router_new();
  sl_api_metadata_register(router, svc);
  return 0;
}

#define OR_NULL(s) (*(s) ? (s) : NULL)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *method = fuzz_take_line(&data, &size);
  g_autofree char *target = fuzz_take_line(&data, &size);
  g_autofree char *content_type = fuzz_take_line(&data, &size);
  g_autofree char *accept = fuzz_take_line(&data, &size);
  char *q = strchr(target, '?');
  g_autoptr(GHashTable) query = NULL;
  if (q) {
    *q++ = '\0';
    query = g_uri_parse_params(q, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  }
  g_autofree char *path = g_uri_unescape_string(target, NULL);
  if (!path || size > sl_http_router_body_limit(router, method, path))
    return 0;
  SlHttpInput in = {
      .method = method,
      .path = path,
      .query = query,
      .content_type = OR_NULL(content_type),
      .accept = OR_NULL(accept),
      .host = "127.0.0.1:2634",
      .body = size ? (const char *)data : NULL,
      .body_len = size,
  };
  g_autofree char *user = NULL;
  g_autoptr(SlHttpResponse) resp = sl_http_router_process(router, &in, &user);
  guint status = sl_http_response_get_status(resp);
  if (status < 200 || status >= 600 || status == 500) {
    GBytes *body = sl_http_response_get_body(resp);
    g_error("status %u: %.*s", status, body ? (int)g_bytes_get_size(body) : 0,
            body ? (const char *)g_bytes_get_data(body, NULL) : "");
  }
  return 0;
}
