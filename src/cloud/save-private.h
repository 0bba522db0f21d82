/* save-private.h - shared by save.c (orchestration, main context) and
 * save-steps.c (the work of each step, worker threads). See save.h. */
#pragma once
#include <jansson.h>

#include "cloud/cloud-private.h"
#include "market/sign.h"

typedef enum {
  SAVE_STARTED,
  SAVE_CONVERTED,
  SAVE_HASHED,
  SAVE_SIGNED,
  SAVE_VOLUME,
  SAVE_CACHED,
  SAVE_UPLOADED,
  SAVE_MAILED,
  SAVE_N_STEPS
} SaveStep;

const char *sl_save_step_name(SaveStep step);
gboolean sl_save_step_from_name(const char *name, SaveStep *out);

/* The cloud-wide part (SlCloud.save). */
typedef struct SaveCtx {
  SlSaveSettings settings; /* copies */
  SlSaveHooks hooks;
  char *hooks_stop_after;
  char *data_dir;  /* DATA */
  char *saves_dir; /* DATA/saves */
  GMutex lock;     /* creds, threads */
  GCond idle;
  guint threads; /* worker steps in flight (sl_cloud_free waits for them) */
  SlMarketCredentials *creds;
  char *pause_step; /* $SL_TEST_SAVE_PAUSE=<step>:<ms> test hook */
  guint pause_ms;
} SaveCtx;

/* One save in progress (Vm.save). Main context owns it; a worker step has
 * it alone while it runs. */
typedef struct {
  SlCloud *cloud;
  Vm *vm; /* reference */
  gint64 id;
  char *dir;     /* DATA/saves/<id> */
  char *run_dir; /* DATA/vms/<id> (the overlay) */
  json_t *state; /* state.json */
  SaveStep step; /* mirrors state["step"] */
  gboolean pausing;
} SaveJob;

/* state.json (atomic + durable). */
gboolean sl_save_persist(SaveJob *job, SaveStep step, GError **error);
/* A note kept for the VM's error field (e.g. the mail could not be sent). */
void sl_save_note(SaveJob *job, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
char *sl_save_notes(SaveJob *job); /* "; "-joined or NULL */
char *sl_save_path(SaveJob *job, const char *name);

/* Worker steps (save-steps.c): each does its work and persists the next step.
 * FALSE = the save failed (upload and mail failures are notes, not errors). */
gboolean sl_save_step_sync(SaveJob *job, GError **error);   /* -> converted */
gboolean sl_save_step_hash(SaveJob *job, GError **error);   /* -> hashed */
gboolean sl_save_step_sign(SaveJob *job, GError **error);   /* -> signed */
gboolean sl_save_step_volume(SaveJob *job, GError **error); /* -> volume */
gboolean sl_save_step_cache(SaveJob *job, GError **error);  /* -> cached */
gboolean sl_save_step_upload(SaveJob *job, GError **error); /* -> uploaded */
gboolean sl_save_step_mail(SaveJob *job, GError **error);   /* -> mailed */
