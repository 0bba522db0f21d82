/* quota.c - stratus-admin quota set|show: per-user limits (docs/cloud.md
 * "Limits"). A limit that is not set is the operator's default, i.e. the
 * [quota] group of stratusd's configuration file. */
#include <stdio.h>

#include "admin/admin.h"
#include "store/store.h"
#include "util/error.h"

/* "N" (0..G_MAXINT) or "default" (-1); NULL leaves *out alone. */
static gboolean
parse_limit(const char *opt, const char *text, gint64 *out, GError **error)
{
  if (!text)
    return TRUE;
  if (g_strcmp0(text, "default") == 0) {
    *out = -1;
    return TRUE;
  }
  char *end = NULL;
  gint64 v = g_ascii_strtoll(text, &end, 10);
  if (!*text || !end || *end || v < 0 || v > G_MAXINT) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "invalid --%s value '%s' (want a number >= 0 or 'default')", opt, text);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static SlStore *
open_for_user(AdminContext *ctx, const char *user, GError **error)
{
  SlStore *store = sl_store_open(ctx->data_dir, error);
  if (!store)
    return NULL;
  g_autoptr(SlUser) u = sl_store_user_get(store, user, error);
  if (!u) {
    sl_store_close(store);
    return NULL;
  }
  return store;
}

static gboolean
quota_set(AdminContext *ctx, char **args, GError **error)
{
  if (!ctx->quota_cpu && !ctx->quota_ram && !ctx->quota_vms) {
    admin_usage_error(error, "quota set: give at least one of --cpu N, --ram MIB, --vms N");
    return FALSE;
  }
  g_autoptr(SlStore) store = open_for_user(ctx, args[0], error);
  if (!store)
    return FALSE;
  SlQuota q;
  return sl_store_quota_get(store, args[0], &q, error) &&
         parse_limit("cpu", ctx->quota_cpu, &q.cpu, error) &&
         parse_limit("ram", ctx->quota_ram, &q.ram, error) &&
         parse_limit("vms", ctx->quota_vms, &q.vms, error) &&
         sl_store_quota_set(store, args[0], &q, error);
}

static void
show_row(const char *what, gint64 used, gint64 limit)
{
  g_autofree char *lim =
      limit < 0 ? g_strdup("default") : g_strdup_printf("%" G_GINT64_FORMAT, limit);
  printf("%-10s %10" G_GINT64_FORMAT " %10s\n", what, used, lim);
}

static gboolean
quota_show(AdminContext *ctx, char **args, GError **error)
{
  g_autoptr(SlStore) store = open_for_user(ctx, args[0], error);
  if (!store)
    return FALSE;
  SlQuota q;
  SlVmUsage u;
  if (!sl_store_quota_get(store, args[0], &q, error) ||
      !sl_store_vm_usage(store, args[0], &u, error))
    return FALSE;
  printf("%-10s %10s %10s\n", args[0], "used", "limit");
  show_row("vms", u.vms, q.vms);
  show_row("cpu", u.cpu, q.cpu);
  show_row("ram (MiB)", u.ram, q.ram);
  return TRUE;
}

static const AdminCommand commands[] = {
    {"set", "USER", "Set limits: --cpu N, --ram MIB, --vms N ('default': stratusd [quota])", 1,
     quota_set},
    {"show", "USER", "Usage (VMs not Done/Failed) and limits of a user", 1, quota_show},
};

const AdminGroup admin_quota_group = {"quota", commands, G_N_ELEMENTS(commands)};
