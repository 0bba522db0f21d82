/* image.c - stratus-admin image add|list|del: the image cache of a data dir. */
#include <stdio.h>

#include "admin/admin.h"
#include "image/cache.h"
#include "store/store.h"
#include "util/error.h"

static SlImageCache *
open_cache(AdminContext *ctx, SlStore **store, GError **error)
{
  *store = sl_store_open(ctx->data_dir, error);
  if (!*store)
    return NULL;
  SlImageCache *cache = sl_image_cache_new(*store, ctx->data_dir, error);
  if (!cache)
    g_clear_pointer(store, sl_store_close);
  return cache;
}

static gboolean
image_add(AdminContext *ctx, char **args, GError **error)
{
  g_autoptr(SlStore) store = NULL;
  g_autoptr(SlImageCache) cache = open_cache(ctx, &store, error);
  if (!cache)
    return FALSE;
  g_autoptr(SlImage) im = sl_image_cache_add_file(cache, args[0], error);
  if (!im)
    return FALSE;
  printf("%s\n", im->identifier);
  return TRUE;
}

static gboolean
image_list(AdminContext *ctx, char **args, GError **error)
{
  (void)args;
  g_autoptr(SlStore) store = NULL;
  g_autoptr(SlImageCache) cache = open_cache(ctx, &store, error);
  if (!cache)
    return FALSE;
  g_autoptr(GPtrArray) images = sl_image_cache_list(cache, error);
  if (!images)
    return FALSE;
  for (guint i = 0; i < images->len; i++) {
    SlImage *im = images->pdata[i];
    printf("%s %" G_GINT64_FORMAT " %s\n", im->identifier, im->bytes, im->path);
  }
  return TRUE;
}

static gboolean
image_del(AdminContext *ctx, char **args, GError **error)
{
  g_autoptr(SlStore) store = NULL;
  g_autoptr(SlImageCache) cache = open_cache(ctx, &store, error);
  if (!cache)
    return FALSE;
  return sl_image_cache_remove(cache, args[0], error);
}

static const AdminCommand commands[] = {
    {"add", "FILE", "Register a local image file; prints its identifier", 1, image_add},
    {"list", "", "List cached images: identifier, bytes, path", 0, image_list},
    {"del", "ID", "Remove a cached image (refused while a VM uses it)", 1, image_del},
};

const AdminGroup admin_image_group = {"image", commands, G_N_ELEMENTS(commands)};
