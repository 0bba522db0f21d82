/* tables-main.c - `stratus-tables`: the module's sl_cli_main() as a program of its own, for the
 * files generated from the command tables at build time (docs, completion, cli-front.h) and
 * for the cli-front test. Under its own name it runs as `stratus`; as a `stratus-<command>`
 * link, as that command. */
#include <string.h>

#include "front.h"

int
main(int argc, char **argv)
{
  if (argc > 0) {
    const char *slash = strrchr(argv[0], '/');
    if (strcmp(slash ? slash + 1 : argv[0], "stratus-tables") == 0)
      argv[0] = "stratus";
  }
  return sl_cli_main(argc, argv);
}
