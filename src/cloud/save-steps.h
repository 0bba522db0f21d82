/* save-steps.h - the work of each step of a save (save.h), run in worker
 * threads by save.c: each is idempotent, does its work and records the next
 * step in state.json (save-job.h). FALSE = the save failed; upload and mail
 * failures are notes, not errors. */
#pragma once
#include "cloud/save-job.h"

/* Worker steps (save-steps.c): each does its work and persists the next step.
 * FALSE = the save failed (upload and mail failures are notes, not errors). */
gboolean sl_save_step_sync(SaveJob *job, GError **error);   /* -> converted */
gboolean sl_save_step_hash(SaveJob *job, GError **error);   /* -> hashed */
gboolean sl_save_step_sign(SaveJob *job, GError **error);   /* -> signed */
gboolean sl_save_step_volume(SaveJob *job, GError **error); /* -> volume */
gboolean sl_save_step_cache(SaveJob *job, GError **error);  /* -> cached */
gboolean sl_save_step_upload(SaveJob *job, GError **error); /* -> uploaded */
gboolean sl_save_step_mail(SaveJob *job, GError **error);   /* -> mailed */
