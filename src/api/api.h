/* api.h - REST resources. Each family registers its routes on a router.
 *
 * Resources translate requests into calls of a service (src/pdisk/, …) and
 * service results into JSON; they never touch the store or drivers.
 */
#pragma once
#include "cloud/cloud.h"
#include "http/http.h"
#include "market/service.h"
#include "pdisk/pdisk.h"

/* /disks/… : the persistent disk service (docs/rest-pdisk.md). */
void sl_api_disks_register(SlHttpRouter *router, SlPdisk *pdisk);

/* /vms/…, /types/ : virtual machines (docs/rest-vm.md). */
void sl_api_vms_register(SlHttpRouter *router, SlCloud *cloud);

/* GET /images/<name> : files of DATA/published, no authentication (docs/images.md). */
void sl_api_images_register(SlHttpRouter *router, const char *data_dir);

/* /metadata… : the Marketplace (docs/marketplace.md), no authentication. */
void sl_api_metadata_register(SlHttpRouter *router, SlMarketService *svc);
