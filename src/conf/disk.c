/* disk.c - SlDisk / SlMount records, their names and their JSON form. */
#include "conf/disk.h"

#include <time.h>

static const char *const type_names[SL_DISK_TYPE_COUNT] = {
    [SL_DISK_MACHINE_IMAGE_ORIGIN] = "MACHINE_IMAGE_ORIGIN",
    [SL_DISK_MACHINE_IMAGE_LIVE] = "MACHINE_IMAGE_LIVE",
    [SL_DISK_DATA_IMAGE_ORIGIN] = "DATA_IMAGE_ORIGIN",
    [SL_DISK_DATA_IMAGE_LIVE] = "DATA_IMAGE_LIVE",
    [SL_DISK_DATA_IMAGE_RAW_READONLY] = "DATA_IMAGE_RAW_READONLY",
    [SL_DISK_DATA_IMAGE_RAW_READ_WRITE] = "DATA_IMAGE_RAW_READ_WRITE",
};

static const char *const state_names[] = {
    [SL_DISK_STATE_CREATING] = "CREATING",
    [SL_DISK_STATE_READY] = "READY",
    [SL_DISK_STATE_DELETING] = "DELETING",
};

SlDisk *
sl_disk_new(void)
{
  SlDisk *disk = g_new0(SlDisk, 1);
  disk->tag = g_strdup("");
  disk->visibility = SL_VISIBILITY_PRIVATE;
  disk->type = SL_DISK_DATA_IMAGE_RAW_READ_WRITE;
  disk->state = SL_DISK_STATE_CREATING;
  return disk;
}

void
sl_disk_free(SlDisk *disk)
{
  if (!disk)
    return;
  g_free(disk->uuid);
  g_free(disk->owner);
  g_free(disk->tag);
  g_free(disk->identifier);
  g_free(disk->quarantine);
  g_free(disk->group);
  g_free(disk);
}

SlDisk *
sl_disk_copy(const SlDisk *disk)
{
  if (!disk)
    return NULL;
  SlDisk *copy = g_new0(SlDisk, 1);
  *copy = *disk;
  copy->uuid = g_strdup(disk->uuid);
  copy->owner = g_strdup(disk->owner);
  copy->tag = g_strdup(disk->tag);
  copy->identifier = g_strdup(disk->identifier);
  copy->quarantine = g_strdup(disk->quarantine);
  copy->group = g_strdup(disk->group);
  return copy;
}

const char *
sl_disk_type_to_string(SlDiskType type)
{
  if ((int)type < 0 || type >= SL_DISK_TYPE_COUNT)
    return "UNKNOWN";
  return type_names[type];
}

gboolean
sl_disk_type_from_string(const char *s, SlDiskType *out)
{
  if (!s)
    return FALSE;
  for (int i = 0; i < SL_DISK_TYPE_COUNT; i++) {
    if (g_ascii_strcasecmp(s, type_names[i]) == 0) {
      if (out)
        *out = (SlDiskType)i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
sl_visibility_to_string(SlVisibility v)
{
  return v == SL_VISIBILITY_PUBLIC ? "public" : "private";
}

gboolean
sl_visibility_from_string(const char *s, SlVisibility *out)
{
  if (!s)
    return FALSE;
  SlVisibility v;
  if (g_ascii_strcasecmp(s, "private") == 0)
    v = SL_VISIBILITY_PRIVATE;
  else if (g_ascii_strcasecmp(s, "public") == 0)
    v = SL_VISIBILITY_PUBLIC;
  else
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

const char *
sl_disk_state_to_string(SlDiskState state)
{
  if ((int)state < 0 || (gsize)state >= G_N_ELEMENTS(state_names))
    return "UNKNOWN";
  return state_names[state];
}

gboolean
sl_disk_state_from_string(const char *s, SlDiskState *out)
{
  if (!s)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(state_names); i++) {
    if (g_ascii_strcasecmp(s, state_names[i]) == 0) {
      if (out)
        *out = (SlDiskState)i;
      return TRUE;
    }
  }
  return FALSE;
}

char *
sl_disk_format_created(gint64 created)
{
  time_t t = (time_t)created;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return g_strdup("1970/01/01 00:00:00");
  return g_strdup_printf("%04d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* json_string() refuses invalid UTF-8; never let that drop a key silently. */
static json_t *
json_text(const char *s)
{
  if (!s)
    s = "";
  json_t *j = json_string(s);
  if (!j) {
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    j = json_string(valid);
  }
  return j;
}

json_t *
sl_disk_to_json(const SlDisk *disk)
{
  g_return_val_if_fail(disk != NULL, NULL);
  g_autofree char *created = sl_disk_format_created(disk->created);
  json_t *o = json_object();
  json_object_set_new(o, "uuid", json_text(disk->uuid));
  json_object_set_new(o, "created", json_text(created));
  json_object_set_new(o, "visibility", json_text(sl_visibility_to_string(disk->visibility)));
  json_object_set_new(o, "tag", json_text(disk->tag));
  json_object_set_new(o, "owner", json_text(disk->owner));
  json_object_set_new(o, "size", json_integer(disk->size));
  json_object_set_new(o, "users", json_integer(disk->users));
  json_object_set_new(o, "count", json_integer(disk->users));
  json_object_set_new(o, "type", json_text(sl_disk_type_to_string(disk->type)));
  if (disk->identifier)
    json_object_set_new(o, "identifier", json_text(disk->identifier));
  if (disk->quarantine)
    json_object_set_new(o, "quarantine", json_text(disk->quarantine));
  return o;
}

SlMount *
sl_mount_new(void)
{
  return g_new0(SlMount, 1);
}

void
sl_mount_free(SlMount *mount)
{
  if (!mount)
    return;
  g_free(mount->id);
  g_free(mount->disk_uuid);
  g_free(mount->node);
  g_free(mount->target);
  g_free(mount);
}

SlMount *
sl_mount_copy(const SlMount *mount)
{
  if (!mount)
    return NULL;
  SlMount *copy = g_new0(SlMount, 1);
  *copy = *mount;
  copy->id = g_strdup(mount->id);
  copy->disk_uuid = g_strdup(mount->disk_uuid);
  copy->node = g_strdup(mount->node);
  copy->target = g_strdup(mount->target);
  return copy;
}

json_t *
sl_mount_to_json(const SlMount *mount)
{
  g_return_val_if_fail(mount != NULL, NULL);
  json_t *o = json_object();
  json_object_set_new(o, "mountId", json_text(mount->id));
  json_object_set_new(o, "diskId", json_text(mount->disk_uuid));
  json_object_set_new(o, "vmId", json_integer(mount->vm_id));
  json_object_set_new(o, "node", json_text(mount->node));
  json_object_set_new(o, "target", json_text(mount->target));
  return o;
}
