/* fuzz-http-body.c - REST request bodies: JSON objects and x-www-form-urlencoded
 * forms (sl_http_parse_body). Input: the Content-Type on the first line, then
 * the body. */
#include "fuzz.h"
#include "http/http.h"

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
  g_autofree char *type = fuzz_take_line(&data, &size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) fields =
      sl_http_parse_body(*type ? type : NULL, (const char *)data, size, &error);
  if (!fields) {
    g_assert(error != NULL);
    return 0;
  }
  g_assert(error == NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, fields);
  while (g_hash_table_iter_next(&it, &k, &v)) /* every field is a string (numbers as text) */
    g_assert(strlen(k) <= size && strlen(v) < G_MAXSIZE);
  return 0;
}
