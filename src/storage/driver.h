/* driver.h - storage drivers: where volume bytes live.
 *
 * A driver is a table of functions; the pdisk service holds one SlStorage
 * and never knows which driver it is. storage/file.c keeps each volume as a
 * sparse raw file DIR/volumes/<uuid>.img.
 */
#pragma once
#include <glib.h>

typedef struct SlStorage SlStorage;

typedef struct {
  const char *name;
  /* Create an empty volume of `bytes` bytes. Fails with SL_ERROR_CONFLICT if it exists.
   * Must be O(1) in the size and leave no partial volume behind on failure. */
  gboolean (*create)(SlStorage *self, const char *uuid, guint64 bytes, GError **error);
  /* Remove the volume; removing an absent volume succeeds. */
  gboolean (*remove)(SlStorage *self, const char *uuid, GError **error);
  gboolean (*exists)(SlStorage *self, const char *uuid);
  /* Local path QEMU opens for this volume (newly allocated). */
  char *(*path)(SlStorage *self, const char *uuid);
  /* UUIDs of every volume present (for start-up reconciliation). */
  GPtrArray *(*list)(SlStorage *self, GError **error);
  void (*free)(SlStorage *self);
} SlStorageOps;

struct SlStorage {
  const SlStorageOps *ops;
};

/* The file driver, rooted at dir (created 0700 if needed): volumes are dir/<uuid>.img. */
SlStorage *sl_storage_file_new(const char *dir, GError **error);

static inline void
sl_storage_free(SlStorage *s)
{
  if (s)
    s->ops->free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlStorage, sl_storage_free)
