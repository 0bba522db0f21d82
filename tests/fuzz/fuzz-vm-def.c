/* fuzz-vm-def.c - the body of POST /vms/ as a VM definition: the body's
 * fields (JSON or form, sl_http_parse_body) and its JSON-valued members
 * (context, persistent_disks, readonly_disks, save) through
 * sl_vm_def_set_json, as src/api/vms.c does; then the stored form: what
 * sl_vm_def_format writes, sl_vm_def_parse reads back to the same text.
 * Input: the Content-Type on the first line, then the body. */
#include "fuzz.h"
#include "conf/vm-def.h"
#include "http/http.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  return 0;
}

static void
round_trip(const SlVmDef *def)
{
  g_autofree char *text = sl_vm_def_format(def);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVmDef) back = sl_vm_def_parse(text, &error);
  if (!back)
    g_error("sl_vm_def_parse refuses what sl_vm_def_format wrote: %s\n%s", error->message, text);
  g_autofree char *again = sl_vm_def_format(back);
  if (!g_str_equal(text, again))
    g_error("stored form changes on a round trip:\n%s\n%s", text, again);
  g_autoptr(SlVmDef) copy = sl_vm_def_copy(def);
  g_autofree char *copied = sl_vm_def_format(copy);
  g_assert(g_str_equal(text, copied));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *type = fuzz_take_line(&data, &size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) fields =
      sl_http_parse_body(*type ? type : NULL, (const char *)data, size, &error);
  if (fields) {
    static const char *const members[] = {"context", "persistent_disks", "readonly_disks", "save"};
    g_autoptr(SlVmDef) def = sl_vm_def_new();
    def->image = g_strdup(g_hash_table_lookup(fields, "image"));
    def->public_key = g_strdup(g_hash_table_lookup(fields, "public_key"));
    gboolean ok = TRUE;
    for (size_t i = 0; ok && i < G_N_ELEMENTS(members); i++) {
      const char *s = g_hash_table_lookup(fields, members[i]);
      json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
      if (v) {
        ok = sl_vm_def_set_json(def, members[i], v, &error);
        g_assert(ok == (error == NULL));
        json_decref(v);
      }
    }
    if (ok)
      round_trip(def);
  }
  /* a stored spec column */
  g_clear_error(&error);
  g_autofree char *text = fuzz_strdup(data, size);
  g_autoptr(SlVmDef) stored = sl_vm_def_parse(text, &error);
  if (stored)
    round_trip(stored);
  return 0;
}
