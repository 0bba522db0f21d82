/* prolog.h - the steps of a VM's Prolog (docs/cloud.md "States", "Run
 * directory"), run one after the other by lifecycle.c's step driver.
 *
 * A step does one thing to the run dir and reports to the driver by calling
 * run->done exactly once, synchronously or later from the main context; it
 * never calls the next step. An error fails the VM with its message. The
 * row and its definition are loaded once, by the driver, for the whole
 * Prolog. What a step leaves is undone by the clean-up, which removes the
 * run dir.
 *
 *   fetch     Marketplace downloads of uncached root and read-only images
 *             (all at once, market/client.h); a kill does not wait for it
 *   overlay   qemu-img create -f qcow2 -b <cached image> disk.qcow2
 *   pause     test hook: $SL_TEST_PROLOG_DELAY_MS
 *   swap      sparse swap.img + mkswap, when swap > 0
 *   volatile  sparse volatile.img, when volatile_disk > 0
 *   context   context.iso (and cloud-init.img with CONTEXT_METHOD=cloud-init)
 * sl_cloud_prolog_spec() then derives the hypervisor's SlVmSpec for Boot.
 */
#pragma once
#include <glib.h>

#include "conf/vm.h"
#include "hypervisor/driver.h"
#include "image/cache.h"
#include "market/client.h"
#include "network/driver.h"
#include "pdisk/pdisk.h"
#include "store/store.h"

/* What the steps use of the cloud (read-only). */
typedef struct SlPrologConfig {
  SlStore *store;
  SlImageCache *images;
  SlMarketClient *market; /* NULL: cached images only */
  SlPdisk *pdisk;         /* NULL: no persistent disks */
  const char *qemu_img, *mkswap;
  guint pause_ms;  /* test hook after the overlay; 0 = none */
  SlNetwork *net;  /* the public network */
  GPtrArray *nets; /* SlNetwork*: every network; a VM's eth0 is on the one its def names */
} SlPrologConfig;

typedef struct SlStepRun {
  const SlPrologConfig *config;
  const SlVm *row;     /* the VM's row and definition, loaded once for the Prolog */
  const char *run_dir; /* DATA/vms/<id> (made before the first step) */
  /* the driver's: the step ends (error NULL: go on) */
  void (*done)(struct SlStepRun *run, const GError *error);
  gpointer data; /* the driver's */
} SlStepRun;

typedef struct {
  const char *name;
  gboolean no_wait; /* a kill does not wait for it to end (shared downloads) */
  void (*run)(SlStepRun *run);
} SlCloudStep;

void sl_cloud_prolog_fetch(SlStepRun *run);
void sl_cloud_prolog_overlay(SlStepRun *run);
void sl_cloud_prolog_pause(SlStepRun *run);
void sl_cloud_prolog_swap(SlStepRun *run);
void sl_cloud_prolog_volatile(SlStepRun *run);
void sl_cloud_prolog_context(SlStepRun *run);

/* The driver-level definition of the VM the steps made: root overlay,
 * volatile, cloud-init, persistent (mount rows), read-only and swap disks,
 * context CD, address, ports. */
SlVmSpec *sl_cloud_prolog_spec(const SlStepRun *run, GError **error);

/* Download progress (percent) of the root image of a VM in Prolog, or -1. */
int sl_cloud_prolog_progress(SlMarketClient *market, const SlVm *vm);
