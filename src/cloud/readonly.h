/* readonly.h - read-only data-set disks of a VM (`readonly_disks`,
 * docs/cloud.md "Read-only disks").
 *
 * Request time: resolves each read-only disk of the request (only its id is
 * set) in place into its source, exactly like the root image (cached with a
 * valid entry, registered by the operator, or from the Marketplace, then
 * downloaded in Prolog); at most 8, no duplicates; errors as
 * market/client.h's, prefixed "read-only disk <id>: ", and INVALID for an
 * entry of a kind other than disk or machine. market NULL: cached only.
 * Boot: adds them to the driver's spec (read-only virtio, serial = id).
 */
#pragma once
#include "conf/vm-def.h"
#include "hypervisor/driver.h"
#include "image/cache.h"
#include "market/client.h"

gboolean sl_cloud_readonly_resolve(SlMarketClient *market, SlImageCache *images,
                                   GPtrArray *readonly, GError **error);
gboolean sl_cloud_readonly_add_to_spec(SlImageCache *images, const SlVmDef *def, SlVmSpec *s,
                                       GError **error);
