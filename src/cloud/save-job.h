/* save-job.h - one save in progress (SaveJob) and its record,
 * DATA/saves/<vm>/state.json: the step reached (written atomically and
 * durably before the next step starts), the notes kept for the VM's error
 * field, the files of the save dir. Shared by save.c (the Epilog's driver,
 * main context) and save-steps.c (the steps, worker threads); a worker step
 * has the job alone while it runs. See save.h for the flow. */
#pragma once
#include <jansson.h>

#include "cloud/epilog.h"
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
  SlSaveDoneFunc done; /* the Epilog's end (epilog.h) */
} SaveJob;

/* state.json (atomic + durable). */
gboolean sl_save_persist(SaveJob *job, SaveStep step, GError **error);
/* A note kept for the VM's error field (e.g. the mail could not be sent). */
void sl_save_note(SaveJob *job, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
char *sl_save_notes(SaveJob *job); /* "; "-joined or NULL */
char *sl_save_path(SaveJob *job, const char *name);
