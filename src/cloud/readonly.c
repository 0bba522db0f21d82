/* readonly.c - read-only data-set disks of POST /vms/ (`readonly_disks`,
 * docs/cloud.md "Read-only disks").
 *
 * Each identifier is resolved at request time exactly like the root image
 * (market/client.c): cached with a still valid entry, registered by the operator,
 * or checked against the Marketplace and downloaded in Prolog next to the
 * root image. The cached file itself is attached, read-only (QEMU opens it
 * with read-only=on, so any number of VMs share it under shared read locks);
 * nothing is copied per VM and nothing is deleted at kill.
 */
#include "cloud/readonly.h"

#include <string.h>

#include "util/error.h"

#define MAX_READONLY 8

static gboolean
kind_accepted(const char *kind)
{
  /* no entry (registered by the operator): accepted as it is */
  return !kind || g_str_equal(kind, "disk") || g_str_equal(kind, "machine");
}

gboolean
sl_cloud_readonly_resolve(SlMarketClient *market, SlImageCache *images, GPtrArray *readonly,
                          GError **error)
{
  if (!readonly)
    return TRUE;
  if (readonly->len > MAX_READONLY) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "at most %d readonly_disks", MAX_READONLY);
    return FALSE;
  }
  for (guint i = 0; i < readonly->len; i++) {
    SlVmDefImage *ro = readonly->pdata[i];
    const char *id = ro->id;
    if (!id || !*id) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "readonly_disks must be an array of image identifiers");
      return FALSE;
    }
    for (guint j = 0; j < i; j++)
      if (g_str_equal(id, ((SlVmDefImage *)readonly->pdata[j])->id)) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "read-only disk %s given twice", id);
        return FALSE;
      }
    g_autofree char *kind = NULL;
    g_autoptr(SlVmDefImage) source = NULL;
    GError *local = NULL;
    if (market) {
      source = sl_market_client_resolve(market, id, &kind, &local);
    } else {
      g_autoptr(SlImage) im = sl_image_cache_get(images, id, &local);
      if (im)
        source = sl_vm_def_image_new(id, im->path, im->kind ? im->kind : "raw");
    }
    if (!source) {
      g_propagate_prefixed_error(error, local, "read-only disk %s: ", id);
      return FALSE;
    }
    if (!kind_accepted(kind)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "read-only disk %s: its Marketplace entry is of kind %s; a read-only disk "
                  "takes an image of kind disk or machine",
                  id, kind);
      return FALSE;
    }
    g_free(source->id);
    source->id = g_strdup(id);
    readonly->pdata[i] = g_steal_pointer(&source);
    sl_vm_def_image_free(ro);
  }
  return TRUE;
}

gboolean
sl_cloud_readonly_add_to_spec(SlImageCache *images, const SlVmDef *def, SlVmSpec *s, GError **error)
{
  for (guint i = 0; def->readonly && i < def->readonly->len; i++) {
    const SlVmDefImage *ro = def->readonly->pdata[i];
    const char *id = ro->id;
    g_autofree char *path = g_strdup(ro->path);
    g_autofree char *kind = g_strdup(ro->format);
    g_autoptr(SlImage) cached = path ? NULL : sl_image_cache_get(images, id, NULL);
    if (cached) { /* downloaded in this Prolog */
      path = g_strdup(cached->path);
      g_free(kind);
      kind = g_strdup(cached->kind);
    }
    if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "read-only disk %s is not in the image cache",
                  id ? id : "?");
      return FALSE;
    }
    g_autofree char *dev = g_strdup_printf("ro%u", i);
    sl_vm_spec_add_disk(s, dev, path, kind && *kind ? kind : "raw", id, TRUE, SL_DISK_DISK);
  }
  return TRUE;
}
