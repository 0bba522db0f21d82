/* images.c - GET /images/<name>: published image files, public (docs/images.md).
 *
 * Serves DATA/published/<name> (a plain file name: [A-Za-z0-9._-], not
 * starting with a dot) as application/octet-stream, memory-mapped (no copy).
 * This is where slterms:location of locally endorsed images points
 * (scripts/quickstart), so that the cloud downloads them through the normal
 * Marketplace path. No Range support. */
#include "api/api.h"

#include <string.h>

#include "util/error.h"

static gboolean
plain_name(const char *name)
{
  if (!name || !*name || name[0] == '.' || strlen(name) > 255)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static SlHttpResponse *
get_image(const SlHttpRequest *req, gpointer data)
{
  const char *dir = data;
  const char *name = sl_http_request_param(req, "name");
  if (!plain_name(name))
    return sl_http_response_new_message(404, "image file not found");
  g_autofree char *path = g_build_filename(dir, name, NULL);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
    return sl_http_response_new_message(404, "image file not found");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, &error);
  if (!map) {
    g_warning("GET /images/%s: %s", name, error->message);
    return sl_http_response_new_message(500, "cannot read the image file");
  }
  g_autoptr(GBytes) body = g_mapped_file_get_bytes(map);
  SlHttpResponse *resp = sl_http_response_new(200, "application/octet-stream", body);
  g_autofree char *disp = g_strdup_printf("attachment; filename=%s", name);
  sl_http_response_add_header(resp, "Content-Disposition", disp);
  return resp;
}

static const SlHttpRoute routes[] = {
    {"GET", "/images/{name}", get_image, SL_HTTP_ROUTE_PUBLIC},
};

void
sl_api_images_register(SlHttpRouter *router, const char *data_dir)
{
  char *dir = g_build_filename(data_dir, "published", NULL);
  sl_http_router_add(router, routes, G_N_ELEMENTS(routes), dir, g_free);
}
