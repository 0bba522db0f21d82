/* save-job.c - the record of one save, state.json (save-job.h). */
#include "cloud/save-job.h"

#include <stdarg.h>

static const char *const step_names[SAVE_N_STEPS] = {"started", "converted", "hashed",   "signed",
                                                     "volume",  "cached",    "uploaded", "mailed"};

const char *
sl_save_step_name(SaveStep step)
{
  return step < SAVE_N_STEPS ? step_names[step] : "?";
}

gboolean
sl_save_step_from_name(const char *name, SaveStep *out)
{
  for (int i = 0; i < SAVE_N_STEPS; i++)
    if (g_strcmp0(name, step_names[i]) == 0) {
      *out = (SaveStep)i;
      return TRUE;
    }
  return FALSE;
}

char *
sl_save_path(SaveJob *job, const char *name)
{
  return g_build_filename(job->dir, name, NULL);
}

gboolean
sl_save_persist(SaveJob *job, SaveStep step, GError **error)
{
  json_object_set_new(job->state, "step", json_string(sl_save_step_name(step)));
  g_autofree char *text = json_dumps(job->state, JSON_INDENT(1) | JSON_SORT_KEYS);
  g_autofree char *path = sl_save_path(job, "state.json");
  if (!text || !g_file_set_contents_full(
                   path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                   0600, error))
    return FALSE;
  job->step = step;
  return TRUE;
}

void
sl_save_note(SaveJob *job, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  json_t *notes = json_object_get(job->state, "notes");
  if (!json_is_array(notes)) {
    notes = json_array();
    json_object_set_new(job->state, "notes", notes);
  }
  json_array_append_new(notes, json_string(msg));
}

char *
sl_save_notes(SaveJob *job)
{
  json_t *notes = json_object_get(job->state, "notes");
  if (json_array_size(notes) == 0)
    return NULL;
  GString *s = g_string_new("save: ");
  for (size_t i = 0; i < json_array_size(notes); i++)
    g_string_append_printf(s, "%s%s", i ? "; " : "", json_string_value(json_array_get(notes, i)));
  return g_string_free(s, FALSE);
}
