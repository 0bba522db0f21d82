/* fuzz-context.c - contextualization pairs: --context-file text (KEY=value
 * lines) and --context arguments ('A=1#B=2') on the client, then what the
 * cloud does with a VM's context: key checks, the cloud-init keys'
 * check (base64, gzip, UTF-8), the added guest keys, context.sh. */
#include "fuzz.h"
#include "cli/context-args.h"
#include "context/cloudinit.h"
#include "context/context.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  return 0;
}

static void
server_side(GPtrArray *pairs)
{
  g_autoptr(SlContext) ctx = sl_context_new();
  g_autoptr(GError) error = NULL;
  if (!sl_context_set_pairs(ctx, pairs, &error))
    return;
  if (!sl_cloudinit_check(ctx, &error))
    return;
  if (!sl_cloudinit_add_keys(ctx, "127.100.0.2", &error))
    return;
  g_autofree char *sh = sl_context_render(ctx);
  g_assert(g_str_has_prefix(sh, SL_CONTEXT_HEADER));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = sl_context_parse_text((const char *)data, size, &error);
  if (lines)
    server_side(lines);
  g_clear_error(&error);

  g_autofree char *arg = fuzz_strdup(data, size);
  g_autoptr(GPtrArray) pairs = sl_context_parse_arg(arg, &error);
  if (pairs)
    server_side(pairs);
  g_clear_error(&error);

  /* the client's "context" object of POST /vms/ */
  json_t *obj = sl_cli_context_object(NULL, arg, NULL, &error);
  g_assert((obj != NULL) == (error == NULL));
  json_decref(obj);
  return 0;
}
