/* fuzz-negotiate.c - Accept headers (sl_http_negotiate, src/http/negotiate.c).
 * Input: the Accept header (up to a NUL). Checks the contract of
 * http/negotiate.h: the choice is within the offered list, its q in (0, 1],
 * and each type's q does not depend on the others offered, so offering only a
 * prefix of the list that holds the winner picks the same winner. */
#include "fuzz.h"
#include "http/negotiate.h"

static const char *const offered[] = {"application/xml",  "application/rdf+xml", "text/xml",
                                      "application/json", "text/html",           "image/png"};

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
  g_autofree char *accept = fuzz_strdup(data, size);
  gsize n = G_N_ELEMENTS(offered);
  SlHttpNegotiation all;
  gboolean ok = sl_http_negotiate(accept, offered, n, &all);
  g_assert(ok == (all.index >= 0));
  if (!ok) {
    g_assert(all.q == 0 && !all.named);
    return 0;
  }
  g_assert((gsize)all.index < n);
  g_assert(all.q > 0 && all.q <= 1);
  for (gsize k = (gsize)all.index + 1; k <= n; k++) {
    SlHttpNegotiation prefix;
    g_assert(sl_http_negotiate(accept, offered, k, &prefix));
    g_assert(prefix.index == all.index && prefix.q == all.q && prefix.named == all.named);
  }
  return 0;
}
