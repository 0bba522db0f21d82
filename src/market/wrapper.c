/* wrapper.c - splitting a <metadata> answer into its entries (wrapper.h). */
#include "market/wrapper.h"

#include <string.h>

GPtrArray *
sl_market_split_entries(const char *xml, gsize len)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  static const char open[] = "<rdf:RDF", close[] = "</rdf:RDF>";
  const char *p = xml, *end = xml + len;
  for (;;) {
    const char *a = g_strstr_len(p, end - p, open);
    if (!a)
      break;
    char next = a + strlen(open) < end ? a[strlen(open)] : '\0';
    if (!g_ascii_isspace(next) && next != '>') {
      p = a + 1;
      continue;
    }
    const char *b = g_strstr_len(a, end - a, close);
    if (!b)
      break;
    b += strlen(close);
    g_ptr_array_add(out, g_bytes_new(a, (gsize)(b - a)));
    p = b;
  }
  return out;
}
