/* cloud-helpers.c - see cloud-helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cloud-helpers.h"
#include "helpers.h"

char *
th_base_image(SlImageCache *images, const char *dir, gsize size)
{
  assert_non_null(images);
  g_autoptr(GError) error = NULL;
  g_autofree char *src = g_build_filename(dir, "base.img", NULL);
  g_autofree char *bytes = g_strnfill(size, 'x');
  assert_true(g_file_set_contents(src, bytes, (gssize)size, NULL));
  g_autoptr(SlImage) im = sl_image_cache_add_file(images, src, &error);
  assert_non_null(im);
  return g_strdup(im->identifier);
}

void
th_cloud_free(SlCloud *cloud)
{
  th_drain();
  sl_cloud_free(cloud);
  th_drain();
}
