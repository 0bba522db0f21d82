/* prolog.c - the Prolog steps of a VM (main context). */
#include "cloud/cloud-private.h"

#include "util/error.h"

/* ---- glue with the VM state machine (main context) ------------------------ */

/* Every download of one Prolog (root image and read-only data sets) runs at
 * once; the VM goes on when the last one ends, or fails with the first
 * error. */
typedef struct {
  Vm *vm;
  guint pending;
  char *failure; /* first "image download failed: ..." */
} Waiting;

typedef struct {
  Waiting *w;
  char *id;
  gboolean readonly; /* a data set, not the root image */
} WaitOne;

static void
waiting_done(Waiting *w)
{
  Vm *vm = w->vm;
  if (vm->cloud && !vm->cleanup) { /* else: killed meanwhile, already cleaned up */
    if (w->failure)
      sl_cloud_vm_finish(vm, SL_VM_FAILED, w->failure);
    else
      sl_cloud_vm_overlay(vm);
  }
  sl_cloud_vm_unref(vm);
  g_free(w->failure);
  g_free(w);
}

static void
prolog_fetched(const SlImage *image, const GError *error, gpointer data)
{
  WaitOne *one = data;
  Waiting *w = one->w;
  if (!image && !w->failure)
    w->failure = one->readonly ? g_strdup_printf("read-only disk %s: image download failed: %s",
                                                 one->id, error ? error->message : "unknown error")
                               : g_strdup_printf("image download failed: %s",
                                                 error ? error->message : "unknown error");
  g_free(one->id);
  g_free(one);
  if (--w->pending == 0)
    waiting_done(w);
}

static void
prolog_fetch_one(Waiting *w, const char *identifier, const SlVmDefFetch *fetch, gboolean readonly)
{
  SlCloud *c = w->vm->cloud;
  WaitOne *one = g_new0(WaitOne, 1);
  one->w = w;
  one->id = g_strdup(identifier);
  one->readonly = readonly;
  w->pending++;
  if (!c->market) {
    g_autoptr(GError) error =
        g_error_new(SL_ERROR, SL_ERROR_UNAVAILABLE,
                    "image %s is not cached and no Marketplace is set", identifier);
    prolog_fetched(NULL, error, one);
    return;
  }
  g_message("vm %" G_GINT64_FORMAT ": image %s: fetching from the Marketplace", w->vm->id,
            identifier);
  sl_market_client_fetch(c->market, identifier, fetch, prolog_fetched, one);
}

void
sl_cloud_market_prolog(Vm *vm, const char *identifier, const SlVmDef *def)
{
  Waiting *w = g_new0(Waiting, 1);
  w->vm = vm;
  vm->refs++;
  w->pending = 1; /* ours, until every download is started */
  if (def->root && def->root->fetch)
    prolog_fetch_one(w, identifier, def->root->fetch, FALSE);
  for (guint i = 0; def->readonly && i < def->readonly->len; i++) {
    SlVmDefImage *ro = def->readonly->pdata[i];
    if (ro->fetch)
      prolog_fetch_one(w, ro->id, ro->fetch, TRUE);
  }
  if (--w->pending == 0)
    waiting_done(w);
}

int
sl_cloud_vm_progress(SlCloud *c, const SlVm *v)
{
  if (v->state != SL_VM_PROLOG)
    return -1;
  return sl_market_client_progress(c->market, v->image);
}
