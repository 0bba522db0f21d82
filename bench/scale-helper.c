/* scale-helper.c - in-process helper of bench/scale (not installed).
 *
 *   bench-scale-helper DATADIR USER N
 *       stores N VM rows of USER in the store of DATADIR (SQLite, or the
 *       PostgreSQL of DATADIR/store.conf), state Failed and no address, so a
 *       daemon started on DATADIR leaves them alone and lists them all in
 *       GET /vms/; 500 rows per transaction, plus the image row they name.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

int
main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: bench-scale-helper DATADIR USER N\n");
    return 2;
  }
  gint64 n = g_ascii_strtoll(argv[3], NULL, 10);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlStore) store = sl_store_open(argv[1], &error);
  if (!store) {
    fprintf(stderr, "bench-scale-helper: %s\n", error->message);
    return 1;
  }
  if (g_getenv("SL_BENCH_LIST")) { /* the store's part of GET /vms/: seconds of one listing */
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GPtrArray) vms = sl_store_vm_list(store, argv[2], TRUE, &error);
    if (!vms || (gint64)vms->len != n) {
      fprintf(stderr, "bench-scale-helper: listing: %s\n", vms ? "wrong count" : error->message);
      return 1;
    }
    printf("%.3f\n", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
    return 0;
  }
  g_autoptr(SlImage) im = sl_image_new();
  im->identifier = g_strdup("BENCHSCALEIMAGE0000000000000");
  im->sha1 = g_strdup("0000000000000000000000000000000000000000");
  im->path = g_strdup("/dev/null");
  im->created = 1;
  if (!sl_store_image_insert(store, im, &error)) {
    fprintf(stderr, "bench-scale-helper: %s\n", error->message);
    return 1;
  }
  for (gint64 done = 0; done < n;) {
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_free);
    for (; vms->len < 500 && done < n; done++) {
      SlVm *v = sl_vm_new();
      v->owner = g_strdup(argv[2]);
      v->image = g_strdup(im->identifier);
      v->state = SL_VM_FAILED;
      v->vcpu = 1;
      v->ram = 128;
      v->def = sl_vm_def_new();
      v->error = g_strdup("bench/scale row");
      g_ptr_array_add(vms, v);
    }
    if (!sl_store_vm_insert(store, vms, NULL, NULL, &error)) {
      fprintf(stderr, "bench-scale-helper: %s\n", error->message);
      return 1;
    }
  }
  return 0;
}
