/* readonly.c - read-only data-set disks of POST /vms/ (`readonly_disks`,
 * docs/cloud.md "Read-only disks").
 *
 * Each identifier is resolved at request time exactly like the root image
 * (market.c): cached with a still valid entry, registered by the operator,
 * or checked against the Marketplace and downloaded in Prolog next to the
 * root image. The cached file itself is attached, read-only (QEMU opens it
 * with read-only=on, so any number of VMs share it under shared read locks);
 * nothing is copied per VM and nothing is deleted at kill.
 */
#include "cloud/cloud-private.h"

#include <string.h>

#include "util/error.h"

#define MAX_READONLY 8

static gboolean
kind_accepted(const char *kind)
{
  /* no entry (registered by the operator): accepted as it is */
  return !kind || g_str_equal(kind, "disk") || g_str_equal(kind, "machine");
}

json_t *
sl_cloud_readonly_resolve(SlCloud *c, json_t *ids, GError **error)
{
  json_t *out = json_array();
  if (ids && !json_is_array(ids)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "readonly_disks must be an array of image identifiers");
    goto fail;
  }
  if (json_array_size(ids) > MAX_READONLY) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "at most %d readonly_disks", MAX_READONLY);
    goto fail;
  }
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v)
  {
    const char *id = json_string_value(v);
    if (!id || !*id) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "readonly_disks must be an array of image identifiers");
      goto fail;
    }
    for (size_t j = 0; j < i; j++)
      if (g_str_equal(id, json_string_value(json_array_get(ids, j)))) {
        g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "read-only disk %s given twice", id);
        goto fail;
      }
    g_autofree char *kind = NULL;
    json_t *source = NULL;
    GError *local = NULL;
    if (c->market) {
      source = sl_cloud_market_resolve_kind(c->market, id, &kind, &local);
    } else {
      g_autoptr(SlImage) im = sl_image_cache_get(c->images, id, &local);
      if (im)
        source = json_pack("{s:s, s:s}", "image_path", im->path, "image_kind",
                           im->kind ? im->kind : "raw");
    }
    if (!source) {
      g_propagate_prefixed_error(error, local, "read-only disk %s: ", id);
      goto fail;
    }
    if (!kind_accepted(kind)) {
      json_decref(source);
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "read-only disk %s: its Marketplace entry is of kind %s; a read-only disk "
                  "takes an image of kind disk or machine",
                  id, kind);
      goto fail;
    }
    json_object_set_new(source, "id", json_string(id));
    json_array_append_new(out, source);
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}

gboolean
sl_cloud_readonly_add_to_spec(SlCloud *c, json_t *spec, SlVmSpec *s, GError **error)
{
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(spec, "readonly_disks"), i, d)
  {
    const char *id = json_string_value(json_object_get(d, "id"));
    g_autofree char *path = g_strdup(json_string_value(json_object_get(d, "image_path")));
    g_autofree char *kind = g_strdup(json_string_value(json_object_get(d, "image_kind")));
    g_autoptr(SlImage) cached = path ? NULL : sl_image_cache_get(c->images, id, NULL);
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
    g_autofree char *dev = g_strdup_printf("ro%zu", i);
    sl_vm_spec_add_disk(s, dev, path, kind && *kind ? kind : "raw", id, TRUE, SL_DISK_DISK);
  }
  return TRUE;
}
