/* fuzz-cloudinit.c - CloudInit text: --cloud-init 'mimetype,file#...'
 * arguments, the user-data parts (MIME multipart, gzip, base64) and, on the
 * cloud's side, the CLOUD_INIT_USER_DATA a client sends: base64 of gzip,
 * decoded with a size limit, checked and turned into meta.js.
 * Input: the first line is the --cloud-init argument, the rest one part's
 * content and, as received user data, gzip bytes. */
#include "fuzz.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *arg = fuzz_take_line(&data, &size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pairs = sl_cloudinit_parse_arg(arg, &error);
  g_assert((pairs != NULL) == (error == NULL));
  g_clear_error(&error);

  /* encoding a part with that content (the file's bytes) */
  const char *type = "x-shellscript", *name = "script.sh";
  if (pairs && pairs->len > 0) {
    SlCloudInitPair *p = g_ptr_array_index(pairs, 0);
    if (!g_str_equal(p->type, "ssh") && !g_str_equal(p->type, "none"))
      type = p->type;
    name = p->path;
  }
  g_autoptr(GBytes) content = g_bytes_new(data, size);
  GBytes *contents[] = {content};
  g_autoptr(SlCloudInit) ci = sl_cloudinit_encode_data(&type, &name, contents, 1, &error);
  g_clear_error(&error);
  if (ci) {
    g_autofree char *txt = sl_cloudinit_render(ci);
  }

  /* the cloud side: received gzip, as the context a VM is started with */
  g_autoptr(GBytes) plain = sl_gunzip(data, size, 64 * 1024, &error);
  g_clear_error(&error);
  g_autofree char *b64 = g_base64_encode(data, size);
  g_autoptr(SlContext) ctx = sl_context_new();
  g_assert(sl_context_set(ctx, "CONTEXT_METHOD", "cloud-init", NULL));
  g_assert(sl_context_set(ctx, "CLOUD_INIT_USER_DATA", b64, NULL));
  g_autofree char *keys = g_base64_encode((const guchar *)arg, strlen(arg));
  g_assert(sl_context_set(ctx, "CLOUD_INIT_AUTHORIZED_KEYS", keys, NULL));
  if (sl_cloudinit_check(ctx, &error))
    g_assert(sl_cloudinit_add_keys(ctx, "127.100.0.2", NULL));
  g_clear_error(&error);
  /* an empty result has no data (g_bytes_get_data gives NULL for size 0):
   * memchr and g_strndup must not see that NULL; "" is still valid text */
  gsize plain_len = 0;
  const char *plain_data = plain ? g_bytes_get_data(plain, &plain_len) : NULL;
  if (plain && (plain_len == 0 || !memchr(plain_data, '\0', plain_len))) {
    g_autofree char *text = plain_len ? g_strndup(plain_data, plain_len) : g_strdup("");
    g_autofree char *js = sl_cloudinit_meta_js(text);
    g_assert(js[0] == '{');
  }
  return 0;
}
