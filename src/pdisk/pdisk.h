/* pdisk.h - the persistent disk service: volumes, rights, mount bookkeeping.
 *
 * Every call names the calling user; rights are checked here, not in the
 * REST layer (docs/rest-pdisk.md has the table). Errors use SL_ERROR codes =
 * HTTP statuses, with the messages the REST API returns verbatim.
 *
 * Crash safety: a create writes the row (CREATING) before making the file and
 * flips it to READY after; a delete flips to DELETING before removing the file
 * and drops the row after. sl_pdisk_recover() (run at start-up) deletes
 * CREATING rows with their files, finishes DELETING rows, and removes files
 * that have no row.
 */
#pragma once
#include <glib.h>

#include "conf/disk.h"
#include "storage/driver.h"
#include "store/store.h"

#define SL_PDISK_MIN_SIZE 1
#define SL_PDISK_MAX_SIZE 1024
#define SL_PDISK_MAX_TAG 40
#define SL_PDISK_MAX_MOUNTS 10 /* per disk and per VM */

typedef struct SlPdisk SlPdisk;

SlPdisk *sl_pdisk_new(SlStore *store, SlStorage *storage);
void sl_pdisk_free(SlPdisk *pdisk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlPdisk, sl_pdisk_free)

gboolean sl_pdisk_recover(SlPdisk *pdisk, GError **error);

/* What a create or update may set; NULL / -1 fields are "not given". */
typedef struct {
  const char *size; /* text as received, validated here (1..1024) */
  const char *tag;
  const char *visibility; /* private/public, any case */
  const char *type;       /* SlDiskType name, any case */
  const char *identifier;
  const char *quarantine;
  const char *group;
} SlDiskFields;

/* Returns the new disk (READY). */
SlDisk *sl_pdisk_create(SlPdisk *pdisk, const char *user, const SlDiskFields *fields,
                        GError **error);
/* A READY volume of `user` whose bytes are the file src (moved into the
 * storage on the same file system, else copied; fsync'd): the row stays
 * CREATING until the bytes are complete, so a crash never shows a half
 * volume. uuid NULL = random; size = ceil(bytes / GiB), at least 1; fields'
 * size is ignored. The volume file holds exactly the bytes of src (a saved
 * machine image keeps its SHA-1). src is gone on success. */
SlDisk *sl_pdisk_import(SlPdisk *pdisk, const char *user, const char *uuid,
                        const SlDiskFields *fields, const char *src, GError **error);
GPtrArray *sl_pdisk_list(SlPdisk *pdisk, const char *user,
                         GError **error); /* SlDisk*, newest first */
SlDisk *sl_pdisk_get(SlPdisk *pdisk, const char *user, const char *uuid, GError **error);
SlDisk *sl_pdisk_update(SlPdisk *pdisk, const char *user, const char *uuid,
                        const SlDiskFields *fields, GError **error);
gboolean sl_pdisk_delete(SlPdisk *pdisk, const char *user, const char *uuid, GError **error);

GPtrArray *sl_pdisk_mounts(SlPdisk *pdisk, const char *user, const char *uuid, GError **error);
/* Picks the first free vda..vdz of that VM's mounts. */
SlMount *sl_pdisk_mount(SlPdisk *pdisk, const char *user, const char *uuid, const char *node,
                        const char *vm_id, GError **error);
SlMount *sl_pdisk_mount_get(SlPdisk *pdisk, const char *user, const char *uuid,
                            const char *mount_id, GError **error);
/* Returns the removed mount. */
SlMount *sl_pdisk_unmount(SlPdisk *pdisk, const char *user, const char *uuid, const char *mount_id,
                          GError **error);

/* Runs fn(data, error) under the lock that serialises every mount check and
 * write of this service (mount, unmount, delete), so a caller can check the
 * mount rules and write mount rows itself without a race (the cloud writes a
 * VM's boot-time mounts in the transaction that allocates the VM). */
typedef gboolean (*SlPdiskLockedFunc)(gpointer data, GError **error);
gboolean sl_pdisk_run_locked(SlPdisk *pdisk, SlPdiskLockedFunc fn, gpointer data, GError **error);

/* Local path of the volume's bytes (for the hypervisor). */
char *sl_pdisk_volume_path(SlPdisk *pdisk, const char *uuid);

/* Valid lower-case UUID (8-4-4-4-12 hex)? */
gboolean sl_pdisk_uuid_is_valid(const char *s);

guint64 sl_pdisk_generation(SlPdisk *pdisk);
