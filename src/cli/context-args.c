/* context-args.c - client-side context building (see context-args.h). */
#include "context-args.h"

#include "cli.h"
#include "client.h"
#include "vm.h"
#include "context/cloudinit.h"
#include "context/context.h"

static gboolean
cli_error(GError **error, GError *local)
{
  g_set_error_literal(error, SL_CLI_ERROR, SL_EXIT_FAILED, local->message);
  g_error_free(local);
  return FALSE;
}

static gboolean
set_pairs(json_t *obj, GPtrArray *pairs, GError **error)
{
  for (guint i = 0; i < pairs->len; i++) {
    const SlContextPair *p = g_ptr_array_index(pairs, i);
    GError *local = NULL;
    g_autofree gchar *key = sl_context_normalize_key(p->key, &local);
    if (key == NULL)
      return cli_error(error, local);
    json_object_set_new(obj, key, json_string(p->value));
  }
  return TRUE;
}

static gboolean
add_cloud_init(json_t *obj, GPtrArray *pairs, GError **error)
{
  GError *local = NULL;
  for (guint i = 0; i < pairs->len; i++) {
    SlCloudInitPair *p = g_ptr_array_index(pairs, i);
    gchar *path = sl_expand_home(p->path);
    g_free(p->path);
    p->path = path;
  }
  g_autoptr(SlCloudInit) ci = sl_cloudinit_encode(pairs, &local);
  if (ci == NULL)
    return cli_error(error, local);
  json_object_set_new(obj, "CONTEXT_METHOD", json_string(SL_CLOUDINIT_METHOD));
  if (ci->authorized_keys != NULL)
    json_object_set_new(obj, "CLOUD_INIT_AUTHORIZED_KEYS", json_string(ci->authorized_keys));
  if (ci->user_data != NULL)
    json_object_set_new(obj, "CLOUD_INIT_USER_DATA", json_string(ci->user_data));
  return TRUE;
}

json_t *
sl_cli_context_object(const char *context_file, const char *context_arg, const char *cloud_init,
                      GError **error)
{
  g_autoptr(json_t) obj = json_object();
  GError *local = NULL;
  if (context_file != NULL && context_file[0] != '\0') {
    g_autofree gchar *path = sl_expand_home(context_file);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      g_set_error(error, SL_CLI_ERROR, SL_EXIT_FAILED, "Extra context file does not exist: %s",
                  path);
      return NULL;
    }
    g_autoptr(GPtrArray) pairs = sl_context_parse_file(path, &local);
    if (pairs == NULL) {
      g_prefix_error(&local, "%s: ", path);
      cli_error(error, local);
      return NULL;
    }
    if (!set_pairs(obj, pairs, error))
      return NULL;
  }
  if (context_arg != NULL && context_arg[0] != '\0') {
    g_autoptr(GPtrArray) pairs = sl_context_parse_arg(context_arg, &local);
    if (pairs == NULL || !set_pairs(obj, pairs, error)) {
      if (local != NULL)
        cli_error(error, local);
      return NULL;
    }
  }
  if (cloud_init != NULL && cloud_init[0] != '\0') {
    g_autoptr(GPtrArray) pairs = sl_cloudinit_parse_arg(cloud_init, &local);
    if (pairs == NULL) {
      cli_error(error, local);
      return NULL;
    }
    if (!add_cloud_init(obj, pairs, error))
      return NULL;
  }
  return g_steal_pointer(&obj);
}

gchar *
sl_cli_cloud_init_file(const char *const *args, GError **error)
{
  g_autoptr(GPtrArray) pairs =
      g_ptr_array_new_with_free_func((GDestroyNotify)sl_cloudinit_pair_free);
  GError *local = NULL;
  for (guint i = 0; args[i] != NULL; i++) {
    SlCloudInitPair *p = sl_cloudinit_parse_pair(args[i], &local);
    if (p == NULL) {
      cli_error(error, local);
      return NULL;
    }
    gchar *path = sl_expand_home(p->path);
    g_free(p->path);
    p->path = path;
    g_ptr_array_add(pairs, p);
  }
  g_autoptr(SlCloudInit) ci = sl_cloudinit_encode(pairs, &local);
  if (ci == NULL) {
    cli_error(error, local);
    return NULL;
  }
  return sl_cloudinit_render(ci);
}
