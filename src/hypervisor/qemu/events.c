/* events.c - QMP event names and data -> SlDomainEvent (used by driver.c; unit-tested). */
#include "hypervisor/qemu/events.h"

#include <string.h>

gboolean
sl_qemu_translate_event(const char *name, json_t *data, SlDomainEvent *out)
{
  memset(out, 0, sizeof *out);
  if (g_strcmp0(name, "SHUTDOWN") == 0) {
    gboolean guest = json_is_true(json_object_get(data, "guest"));
    out->kind = guest ? SL_DOMAIN_EVENT_SHUTDOWN_GUEST : SL_DOMAIN_EVENT_SHUTDOWN_HOST;
    out->reason = json_string_value(json_object_get(data, "reason"));
  } else if (g_strcmp0(name, "POWERDOWN") == 0) {
    out->kind = SL_DOMAIN_EVENT_POWERDOWN;
  } else if (g_strcmp0(name, "STOP") == 0) {
    out->kind = SL_DOMAIN_EVENT_STOP;
  } else if (g_strcmp0(name, "RESUME") == 0) {
    out->kind = SL_DOMAIN_EVENT_RESUME;
  } else if (g_strcmp0(name, "DEVICE_DELETED") == 0) {
    /* virtio devices send two: first {"path": ".../virtio-backend"}, then one with "device" */
    out->device = json_string_value(json_object_get(data, "device"));
    if (!out->device)
      return FALSE;
    out->kind = SL_DOMAIN_EVENT_DEVICE_DELETED;
  } else {
    return FALSE;
  }
  return TRUE;
}
