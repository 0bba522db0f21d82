/* events.h - QMP events as domain events (driver.h's SlDomainEvent), a pure mapping.
 *
 * SHUTDOWN (guest true/false), POWERDOWN, STOP, RESUME and the DEVICE_DELETED that names
 * a device; everything else, including the DEVICE_DELETED that carries only a
 * virtio-backend "path", is ignored.
 */
#pragma once
#include "hypervisor/driver.h"
#include <jansson.h>

/* FALSE for events the driver ignores. The strings in out point into data. */
gboolean sl_qemu_translate_event(const char *name, json_t *data, SlDomainEvent *out);
