/* context-args.h - the context of stratus-run-instance (--context-file,
 * --context, --cloud-init) and the cloud-init.txt of stratus-prepare-context
 * (docs/context.md). Errors are in SL_CLI_ERROR with code SL_EXIT_FAILED, for
 * "  [ERROR] <message>". */
#pragma once
#include <glib.h>
#include <jansson.h>

/* The "context" object sent in POST /vms/: the KEY=value lines of
 * context_file, then the pairs of context_arg ('A=1#B=2'), then the
 * CloudInit keys of cloud_init ('mimetype,file#...'); a later key replaces
 * an earlier one. Keys are upper-cased and must match [A-Z_][A-Z0-9_]*.
 * NULL or "" arguments are skipped. Never returns an empty-but-failed
 * object: NULL on error. */
json_t *sl_cli_context_object(const char *context_file, const char *context_arg,
                              const char *cloud_init, GError **error);

/* The text of cloud-init.txt for the given 'mimetype,file' arguments. */
gchar *sl_cli_cloud_init_file(const char *const *pairs, GError **error);
