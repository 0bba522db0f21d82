/* testpoint.c - see testpoint.h. */
#include "util/testpoint.h"

#include <glib.h>
#include <signal.h>

void
sl_testpoint(const char *name)
{
  const char *at = g_getenv("STRATUSD_TEST_CRASH_AT");
  if (!at || g_strcmp0(at, name) != 0)
    return;
  g_message("test point %s: SIGKILL (STRATUSD_TEST_CRASH_AT)", name);
  raise(SIGKILL);
}
