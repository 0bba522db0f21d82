/* admin.h - stratus-admin: offline operator commands on a data directory.
 *
 * main.c parses global options and dispatches "<group> <command> ARGS" through
 * a table; each group lives in its own file (user.c, ...) and exports its
 * table. A command returns FALSE with a GError: SL_ERROR errors are printed as
 * "  [ERROR] <msg>" (exit 1), G_OPTION_ERROR ones as usage errors (exit 2).
 */
#pragma once
#include <glib.h>

typedef struct {
  const char *data_dir;                          /* --data-dir, already created */
  const char *hash;                              /* --hash STORED, or NULL */
  const char *quota_cpu, *quota_ram, *quota_vms; /* --cpu/--ram/--vms, or NULL */
} AdminContext;

typedef struct {
  const char *name; /* e.g. "add" */
  const char *args; /* usage of the arguments, e.g. "NAME" */
  const char *help; /* one line */
  int nargs;        /* exact number of arguments */
  gboolean (*run)(AdminContext *ctx, char **args, GError **error);
} AdminCommand;

typedef struct {
  const char *name; /* e.g. "user" */
  const AdminCommand *commands;
  gsize n_commands;
} AdminGroup;

extern const AdminGroup admin_user_group;
extern const AdminGroup admin_image_group;
extern const AdminGroup admin_quota_group;

/* Sets a usage error (exit 2). */
#define admin_usage_error(error, ...)                                                              \
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, __VA_ARGS__)
