/* save.c - the Epilog of a VM created with `save` (main context): stop the
 * process, then the table of save steps (below), one after the other, each
 * recorded in DATA/saves/<vm>/state.json and resumed from there after a
 * restart. See save.h. */
#include "cloud/epilog.h"

#include "cloud/save-steps.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "util/error.h"
#include "util/spawn.h"

typedef gboolean (*StepFunc)(SaveJob *job, GError **error);
static void convert(SaveJob *job);

/* The Epilog's steps, by the step recorded (save-job.h names them): how the
 * next one is reached (a worker-thread step, or `main` in the main
 * context). Every step is idempotent: a restart redoes the one that was
 * running. */
static const struct {
  StepFunc worker;
  void (*main)(SaveJob *job);
} steps[SAVE_N_STEPS] = {
    [SAVE_STARTED] = {NULL, convert}, /* qemu-img convert, then sync */
    [SAVE_CONVERTED] = {sl_save_step_hash, NULL},
    [SAVE_HASHED] = {sl_save_step_sign, NULL},
    [SAVE_SIGNED] = {sl_save_step_volume, NULL},
    [SAVE_VOLUME] = {sl_save_step_cache, NULL},
    [SAVE_CACHED] = {sl_save_step_upload, NULL},
    [SAVE_UPLOADED] = {sl_save_step_mail, NULL},
    [SAVE_MAILED] = {NULL, NULL}, /* the end: the VM goes Done */
};

/* ---- cloud-wide ---------------------------------------------------------------- */

void
sl_cloud_save_init(SlCloud *c, const SlCloudConfig *cfg)
{
  SaveCtx *sc = g_new0(SaveCtx, 1);
  const SlSaveSettings *s = cfg->save;
  SlSaveSettings defaults = {0};
  if (!s) {
    sl_save_settings_load(&defaults, NULL, NULL);
    s = &defaults;
  }
  sc->settings.mail_server = g_strdup(s->mail_server);
  sc->settings.mail_from = g_strdup(s->mail_from);
  sc->settings.marketplace = g_strdup(s->marketplace);
  sc->settings.marketplace_ca = g_strdup(s->marketplace_ca);
  sc->settings.endorser_p12 = g_strdup(s->endorser_p12);
  sc->settings.endorser_password = g_strdup(s->endorser_password);
  sc->settings.endpoint = g_strdup(s->endpoint ? s->endpoint : "127.0.0.1:2634");
  sc->settings.ca_file = g_strdup(s->ca_file);
  sl_save_settings_clear(&defaults);
  sc->data_dir = g_path_get_dirname(c->vms_dir);
  sc->saves_dir = g_build_filename(sc->data_dir, "saves", NULL);
  g_mutex_init(&sc->lock);
  g_cond_init(&sc->idle);
  const char *pause = g_getenv("SL_TEST_SAVE_PAUSE"); /* test hook: <step>:<ms> */
  const char *colon = pause ? strchr(pause, ':') : NULL;
  if (colon) {
    sc->pause_step = g_strndup(pause, (gsize)(colon - pause));
    sc->pause_ms = (guint)g_ascii_strtoull(colon + 1, NULL, 10);
  }
  c->save = sc;
}

void
sl_cloud_save_clear(SlCloud *c)
{
  SaveCtx *sc = c->save;
  if (!sc)
    return;
  g_mutex_lock(&sc->lock); /* worker steps use the store and pdisk: wait for them */
  while (sc->threads > 0)
    g_cond_wait(&sc->idle, &sc->lock);
  g_mutex_unlock(&sc->lock);
  sl_save_settings_clear(&sc->settings);
  g_clear_pointer(&sc->creds, sl_market_credentials_free);
  g_free(sc->hooks_stop_after);
  g_free(sc->pause_step);
  g_free(sc->data_dir);
  g_free(sc->saves_dir);
  g_mutex_clear(&sc->lock);
  g_cond_clear(&sc->idle);
  g_free(sc);
  c->save = NULL;
}

void
sl_cloud_set_save_hooks(SlCloud *c, const SlSaveHooks *hooks)
{
  SaveCtx *sc = c->save;
  g_free(sc->hooks_stop_after);
  sc->hooks = hooks ? *hooks : (SlSaveHooks){0};
  sc->hooks_stop_after = g_strdup(sc->hooks.stop_after);
  sc->hooks.stop_after = sc->hooks_stop_after;
}

static void
job_free(SaveJob *job)
{
  if (job->vm) {
    if (job->vm->save == job)
      job->vm->save = NULL;
    sl_cloud_vm_unref(job->vm);
  }
  json_decref(job->state);
  g_free(job->dir);
  g_free(job->run_dir);
  g_free(job);
}

/* ---- the chain ------------------------------------------------------------------- */

static void save_next(SaveJob *job);

/* The save ends: the VM goes Done (or Failed) and its clean-up runs. */
static void
finish(SaveJob *job, SlVmState state, const char *reason)
{
  Vm *vm = job->vm;
  vm->busy = FALSE;
  vm->save = NULL;
  /* the final state is written first: a crash before the save dir is gone
   * leaves a finished VM whose dir recovery removes, never a second save */
  job->done(vm, state, reason);
  sl_cloud_rm_tree(job->dir);
  job_free(job);
}

static void fail(SaveJob *job, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
fail(SaveJob *job, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *why =
      g_strdup_printf("save failed (%s): %s", sl_save_step_name(job->step + 1), msg);
  g_warning("vm %" G_GINT64_FORMAT ": %s", job->id, why);
  finish(job, SL_VM_FAILED, why);
}

/* Still worth going on? A daemon stop (cloud freed) leaves everything for
 * the next start; a kill ends the save. */
static gboolean
still_wanted(SaveJob *job)
{
  if (!job->vm->cloud) {
    job->vm->busy = FALSE;
    job_free(job);
    return FALSE;
  }
  if (job->vm->cleanup) {
    g_message("vm %" G_GINT64_FORMAT ": save abandoned after %s (VM killed)", job->id,
              sl_save_step_name(job->step));
    finish(job, SL_VM_DONE, NULL);
    return FALSE;
  }
  return TRUE;
}

static void
worker(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
  (void)src;
  (void)cancel;
  SaveJob *job = data;
  GError *error = NULL;
  StepFunc fn = g_object_get_data(G_OBJECT(task), "fn");
  if (fn(job, &error))
    g_task_return_boolean(task, TRUE);
  else
    g_task_return_error(task, error);
  SaveCtx *sc = job->cloud->save;
  g_mutex_lock(&sc->lock);
  if (--sc->threads == 0)
    g_cond_broadcast(&sc->idle);
  g_mutex_unlock(&sc->lock);
}

static void
worker_done(GObject *src, GAsyncResult *res, gpointer data)
{
  (void)src;
  SaveJob *job = data;
  g_autoptr(GError) error = NULL;
  if (!g_task_propagate_boolean(G_TASK(res), &error)) {
    if (still_wanted(job))
      fail(job, "%s", error->message);
    return;
  }
  save_next(job);
}

static void
run_worker(SaveJob *job, StepFunc fn)
{
  SaveCtx *sc = job->cloud->save;
  g_mutex_lock(&sc->lock);
  sc->threads++;
  g_mutex_unlock(&sc->lock);
  g_autoptr(GTask) task = g_task_new(NULL, NULL, worker_done, job);
  g_object_set_data(G_OBJECT(task), "fn", fn);
  g_task_set_task_data(task, job, NULL);
  g_task_run_in_thread(task, worker);
}

static void
converted(SlProcess *proc, const SlSpawnResult *result, const GError *error, gpointer data)
{
  (void)proc;
  SaveJob *job = data;
  if (!still_wanted(job))
    return;
  if (error) {
    fail(job, "qemu-img convert: %s", error->message);
  } else if (!sl_spawn_result_ok(result)) {
    g_autofree char *err = g_strstrip(g_strdup(result->err ? result->err : ""));
    fail(job, "qemu-img convert: %s", *err ? err : "failed");
  } else {
    run_worker(job, sl_save_step_sync);
  }
}

static void
convert(SaveJob *job)
{
  g_autofree char *overlay = g_build_filename(job->run_dir, "disk.qcow2", NULL);
  g_autofree char *part = sl_save_path(job, "image.raw.part");
  g_unlink(part);
  if (!g_file_test(overlay, G_FILE_TEST_IS_REGULAR)) {
    fail(job, "the VM's disk %s is gone", overlay);
    return;
  }
  const char *argv[] = {job->cloud->qemu_img, "convert", "-O", "raw", overlay, part, NULL};
  SlSpawnOptions opts = {.argv = argv, .out = SL_SPAWN_SILENCE, .err = SL_SPAWN_CAPTURE};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlProcess) proc = sl_process_spawn(&opts, converted, job, &error);
  if (!proc)
    fail(job, "qemu-img convert: %s", error->message);
}

static gboolean
resume_after_pause(gpointer data)
{
  SaveJob *job = data;
  job->pausing = TRUE;
  save_next(job);
  return G_SOURCE_REMOVE;
}

static void
save_next(SaveJob *job)
{
  if (!still_wanted(job))
    return;
  SaveCtx *sc = job->cloud->save;
  const char *name = sl_save_step_name(job->step);
  if (sc->hooks.stop_after && strcmp(sc->hooks.stop_after, name) == 0) {
    g_message("vm %" G_GINT64_FORMAT ": save stopped after %s (test hook)", job->id, name);
    job->vm->busy = FALSE;
    job_free(job);
    return;
  }
  if (sc->pause_step && !job->pausing && strcmp(sc->pause_step, name) == 0) {
    g_message("vm %" G_GINT64_FORMAT ": save paused %u ms after %s (test hook)", job->id,
              sc->pause_ms, name);
    g_timeout_add(sc->pause_ms, resume_after_pause, job);
    return;
  }
  job->pausing = FALSE;
  /* one line per step: the log's timestamps profile the save (bench/storage) */
  g_message("vm %" G_GINT64_FORMAT ": save step %s recorded", job->id, name);
  if (steps[job->step].main) {
    steps[job->step].main(job);
  } else if (!steps[job->step].worker) {
    g_autofree char *notes = sl_save_notes(job);
    g_message("vm %" G_GINT64_FORMAT ": save of %s complete", job->id,
              json_string_value(json_object_get(job->state, "identifier")));
    finish(job, SL_VM_DONE, notes);
  } else {
    run_worker(job, steps[job->step].worker);
  }
}

static void
next_idle(gpointer data)
{
  save_next(data);
}

static void
destroyed(SlDomain *dom, const GError *error, gpointer data)
{
  (void)dom;
  SaveJob *job = data;
  if (error)
    g_warning("vm %" G_GINT64_FORMAT ": stop before save: %s", job->id, error->message);
  job->vm->dom_gone = TRUE;
  save_next(job);
}

/* ---- entry points -------------------------------------------------------------- */

/* The state of an interrupted save, or a new one from the row. */
static json_t *
load_state(SaveJob *job, const SlVm *row, json_t *request, GError **error)
{
  g_autofree char *path = sl_save_path(job, "state.json");
  json_error_t jerr;
  json_t *state = json_load_file(path, 0, &jerr);
  if (state && json_is_object(state))
    return state;
  json_decref(state);
  if (g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "unreadable %s: %s", path, jerr.text);
    return NULL;
  }
  if (g_mkdir_with_parents(job->dir, 0700) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", job->dir,
                g_strerror(errno));
    return NULL;
  }
  SaveCtx *sc = job->cloud->save;
  const char *mp = json_string_value(json_object_get(request, "marketplace"));
  g_autofree char *self = g_strdup_printf("https://%s", sc->settings.endpoint);
  g_autofree char *url =
      sl_save_marketplace_url(mp && *mp                  ? mp
                              : sc->settings.marketplace ? sc->settings.marketplace
                                                         : self);
  g_autofree char *uuid = g_uuid_string_random();
  return json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "step", "started", "owner", row->owner,
                   "origin", row->image, "request", request, "uuid", uuid, "marketplace", url);
}

gboolean
sl_cloud_save_begin(Vm *vm, SlSaveDoneFunc done)
{
  SlCloud *c = vm->cloud;
  if (vm->orphan || vm->save)
    return vm->save != NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVm) row = sl_store_vm_get(c->store, vm->id, &error);
  if (!row || !row->def->save)
    return FALSE;
  json_t *request = sl_vm_def_save_to_json(row->def->save);
  SaveJob *job = g_new0(SaveJob, 1);
  job->cloud = c;
  job->vm = sl_cloud_vm_ref(vm);
  job->done = done;
  job->id = vm->id;
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, vm->id);
  job->dir = g_build_filename(c->save->saves_dir, name, NULL);
  job->run_dir = sl_cloud_run_dir(c, vm->id);
  job->state = load_state(job, row, request, &error);
  json_decref(request);
  vm->save = job;
  vm->busy = TRUE;
  if (!job->state) {
    fail(job, "%s", error->message);
    return TRUE;
  }
  if (!sl_save_step_from_name(json_string_value(json_object_get(job->state, "step")), &job->step)) {
    fail(job, "unreadable %s/state.json", job->dir);
    return TRUE;
  }
  if (job->step == SAVE_STARTED && !sl_save_persist(job, SAVE_STARTED, &error)) {
    fail(job, "%s", error->message);
    return TRUE;
  }
  g_message("vm %" G_GINT64_FORMAT ": saving the disk (%s)", vm->id,
            job->step == SAVE_STARTED ? "new" : sl_save_step_name(job->step));
  if (vm->dom && !vm->dom_gone) { /* QEMU must have quit: its images are locked */
    vm->destroying = TRUE;
    vm->dom->ops->destroy(vm->dom, SL_CLOUD_KILL_TIMEOUT_MS, destroyed, job);
  } else {
    g_idle_add_once(next_idle, job);
  }
  return TRUE;
}

void
sl_cloud_save_recover(SlCloud *c, GPtrArray *rows)
{
  g_autoptr(GHashTable) live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rows->len; i++) {
    SlVm *row = rows->pdata[i];
    if (!sl_vm_state_is_final(row->state))
      g_hash_table_add(live, g_strdup_printf("%" G_GINT64_FORMAT, row->id));
  }
  g_autoptr(GDir) dir = g_dir_open(c->save->saves_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    if (g_hash_table_contains(live, name))
      continue;
    g_autofree char *path = g_build_filename(c->save->saves_dir, name, NULL);
    g_message("recovery: removing save dir %s (its VM is finished)", path);
    sl_cloud_rm_tree(path);
  }
}
