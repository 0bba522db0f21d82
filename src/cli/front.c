/* front.c - the `stratus` program as exec'd: answers the commands that need no library from
 * text generated at build time, and hands every other invocation to the module (front.h).
 *
 * Why a front at all: `stratus-describe-instance --help` used to load 58 shared libraries
 * (GLib, libcurl and its TLS/Kerberos/LDAP stack, libxml2 with ICU, xmlsec, libisofs) before
 * printing a page of text: 20 ms where `true` takes 1 ms, nearly all of it in the dynamic
 * loader. This file links the C library only. What it answers itself is exactly what the
 * module would print for the same arguments (the `cli-front` test compares every case):
 *
 *   stratus | stratus --help | stratus -h | stratus help     the command list
 *   stratus --version | stratus-<cmd> --version               "stratus <version>"
 *   stratus <cmd> --help|-h|--version | stratus-<cmd> --help|-h
 *
 * and only in these exact shapes (one argument after the command); anything else, including
 * an unknown command, goes to sl_cli_main() in the module, found next to this program (the
 * build tree) or in SL_CLI_MODULE_DIR (installed).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-front.h"
#include "front.h"

#define ALL_MODULE "libstratus-cli.so"

static const char *
base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int
is_help(const char *arg)
{
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int
print(const char *text)
{
  if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
    return 1;
  return 0;
}

static int
known(const char *cmd)
{
  for (int i = 0; sl_front_help[i].name; i++)
    if (strcmp(sl_front_help[i].name, cmd) == 0)
      return i;
  return -1;
}

/* The text for `cmd arg` (arg: --help, -h or --version), or NULL when a module must answer. */
static const char *
answer(const char *cmd, const char *arg)
{
  int i = known(cmd);
  if (i < 0 || (strcmp(arg, "--version") != 0 && !is_help(arg)))
    return NULL; /* an unknown command: the module says so */
  return is_help(arg) ? sl_front_help[i].help : sl_front_version;
}

/* A module's path: beside this program (the build tree), else the installed one. */
static void
module_path(char *out, size_t size, const char *name)
{
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
      slash[1] = '\0';
      if ((size_t)snprintf(out, size, "%s%s", self, name) < size && access(out, R_OK) == 0)
        return;
    }
  }
  snprintf(out, size, "%s/%s", SL_CLI_MODULE_DIR, name);
}

/* The symbol `entry` of module `name`, or NULL after a one-line error. */
static void *
load(const char *name, const char *entry)
{
  char path[PATH_MAX];
  module_path(path, sizeof path, name);
  void *module = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (module == NULL) {
    fprintf(stderr, "  [ERROR] cannot load a module of stratus: %s\n", dlerror());
    return NULL;
  }
  void *sym = dlsym(module, entry);
  if (sym == NULL)
    fprintf(stderr, "  [ERROR] %s has no %s: %s\n", path, entry, dlerror());
  return sym;
}

int
main(int argc, char **argv)
{
  const char *base = base_name(argc > 0 && argv[0] ? argv[0] : "stratus");
  const char *text = NULL;
  if (strncmp(base, "stratus-", 8) == 0) {
    if (argc == 2)
      text = answer(base + 8, argv[1]);
  } else if (argc < 2 || is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
    text = sl_front_list;
  } else if (strcmp(argv[1], "--version") == 0) {
    text = sl_front_version;
  } else if (argc == 3) {
    text = answer(argv[1], argv[2]);
  }
  if (text != NULL)
    return print(text);

  /* A known command: its own module, as `stratus-<cmd>` with the arguments after it. */
  const char *cmd = NULL;
  char prog[256];
  int shift = 0;
  if (strncmp(base, "stratus-", 8) == 0)
    cmd = base + 8;
  else if (argc >= 2)
    cmd = argv[1], shift = 1;
  if (cmd != NULL && known(cmd) >= 0 &&
      (size_t)snprintf(prog, sizeof prog, "stratus-%s", cmd) < sizeof prog) {
    char name[PATH_MAX];
    snprintf(name, sizeof name, "libstratus-cmd-%s.so", cmd);
    int (*run)(const char *, int, char **) =
        (int (*)(const char *, int, char **))load(name, "sl_cli_command_main");
    return run ? run(shift ? prog : base, argc - shift, argv + shift) : 1;
  }
  int (*entry)(int, char **) = (int (*)(int, char **))load(ALL_MODULE, "sl_cli_main");
  return entry ? entry(argc, argv) : 1;
}
