/* vm-limits.h - quotas and host capacity (docs/cloud.md "Limits"), checked
 * inside the allocation transaction of sl_cloud_vm_create: init reads the
 * operator's defaults and this host's cores and RAM into the cloud; check is
 * an SlStoreVmCheckFunc (data = the cloud) failing with 403 "quota exceeded:
 * ..." or 409 "not enough capacity on this cloud: ...".
 */
#pragma once
#include "cloud/instance.h"

void sl_cloud_limits_init(SlCloud *c, const SlCloudConfig *cfg);
gboolean sl_cloud_limits_check(const SlVmUsage *mine, const SlVmUsage *all, const SlQuota *quota,
                               GPtrArray *vms, gpointer data, GError **error);
