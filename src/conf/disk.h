/* disk.h - the persistent disk (volume) record and its JSON form.
 *
 * One SlDisk is one row of the disks table. Strings are owned by the struct
 * (g_free'd by sl_disk_free); NULL means "not set". JSON keys and values follow
 * protocols.md §4.1/§4.2 plus the guide's created/visibility/users (docs/rest-pdisk.md).
 */
#pragma once
#include <glib.h>
#include <jansson.h>

typedef enum {
  SL_VISIBILITY_PRIVATE = 0,
  SL_VISIBILITY_PUBLIC = 1,
} SlVisibility;

typedef enum {
  SL_DISK_MACHINE_IMAGE_ORIGIN = 0,
  SL_DISK_MACHINE_IMAGE_LIVE,
  SL_DISK_DATA_IMAGE_ORIGIN,
  SL_DISK_DATA_IMAGE_LIVE,
  SL_DISK_DATA_IMAGE_RAW_READONLY,
  SL_DISK_DATA_IMAGE_RAW_READ_WRITE, /* default for user volumes */
  SL_DISK_TYPE_COUNT
} SlDiskType;

/* Life of a row: CREATING (row written, file being made) -> READY -> DELETING
 * (row kept until the file is gone). Only READY disks are ever shown; start-up
 * recovery finishes or undoes the other two. */
typedef enum {
  SL_DISK_STATE_CREATING = 0,
  SL_DISK_STATE_READY = 1,
  SL_DISK_STATE_DELETING = 2,
} SlDiskState;

typedef struct {
  char *uuid;       /* lower-case RFC 4122 v4 */
  char *owner;      /* user name */
  char *tag;        /* never NULL once loaded; "" when unset */
  char *identifier; /* Marketplace id or "snapshot:<uuid>", may be NULL */
  char *quarantine; /* may be NULL */
  char *group;      /* comma list, stored only, may be NULL */
  gint64 size;      /* GiB */
  gint64 created;   /* Unix seconds, UTC */
  SlVisibility visibility;
  SlDiskType type;
  SlDiskState state;
  gboolean seed;
  int users; /* number of mounts; computed by the store on read */
} SlDisk;

SlDisk *sl_disk_new(void);
void sl_disk_free(SlDisk *disk);
SlDisk *sl_disk_copy(const SlDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlDisk, sl_disk_free)

const char *sl_disk_type_to_string(SlDiskType type);
/* Case-insensitive; returns FALSE for unknown names. */
gboolean sl_disk_type_from_string(const char *s, SlDiskType *out);
const char *sl_visibility_to_string(SlVisibility v); /* "private" / "public" */
gboolean sl_visibility_from_string(const char *s, SlVisibility *out);

/* "CREATING" / "READY" / "DELETING" (how the store writes the state column). */
const char *sl_disk_state_to_string(SlDiskState state);
gboolean sl_disk_state_from_string(const char *s, SlDiskState *out);

/* "yyyy/MM/dd HH:mm:ss" in UTC, as the guide shows. Newly allocated. */
char *sl_disk_format_created(gint64 created);

/* The JSON object the REST API returns for one disk (all keys, see docs/rest-pdisk.md). */
json_t *sl_disk_to_json(const SlDisk *disk);

/* A mount = one disk attached to one VM. id is "<disk-uuid>_<vm_id>". */
typedef struct {
  char *id;
  char *disk_uuid;
  char *node;   /* hypervisor host */
  char *target; /* device name without /dev/, e.g. "vdb", or "static" */
  gint64 vm_id;
  gint64 created;
} SlMount;

SlMount *sl_mount_new(void);
void sl_mount_free(SlMount *mount);
SlMount *sl_mount_copy(const SlMount *mount);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMount, sl_mount_free)

/* {"mountId", "diskId", "vmId" (number), "node", "target"} in that order; the REST
 * layer may drop "diskId" for listings (docs/rest-pdisk.md). */
json_t *sl_mount_to_json(const SlMount *mount);
