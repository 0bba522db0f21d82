/* vm.h - code shared by the virtual machine commands (run, describe, kill,
 * shutdown, connect): the exact 13.05 output formats (protocols.md §1.2,
 * §1.3, §2.3), built as strings so that the unit tests can compare them
 * with golden text, and small helpers (ids, keys, image identifiers).
 */
#pragma once
#include <jansson.h>

#include "cli.h"
#include "client.h"

/* `--list-types`: header, one line per type (sorted by name, `*` marks
 * `selected`), then an empty line. `types` holds SlInstanceType*. */
char *sl_vm_types_table(GPtrArray *types, const char *selected);

/* Util.printAction: "\n :::...:::\n :: <msg> ::\n :::...:::\n". */
char *sl_vm_action_banner(const char *msg);

/* The whole normal output of run-instance once the machines exist: banner,
 * " :: Starting N machine(s)", per machine " :: Machine i (vm ID: id)" and
 * "\t<Network> ip: <ip>", " :: Done!". `vms` is the array of {"id","ip"}. */
char *sl_vm_run_report(json_t *vms, const char *network);
/* With -q: "<id>, <ip>\n" per machine. */
char *sl_vm_run_quiet(json_t *vms);

/* The describe-instance table of the VM objects in `vms` (a JSON array):
 * header line (unless `header` is FALSE; in bold red ANSI codes when `color`), one line per
 * VM, and with `verbose` >= 1 an extra indented line for a VM that has an `error`.
 * `numeric`: never look host names up. */
char *sl_vm_describe_table(json_t *vms, gboolean header, gboolean color, gboolean numeric,
                           int verbose);
/* `-vvv` with one id: "-"x25, "<id> (all attributes)", sorted "  key = value". */
char *sl_vm_attributes(json_t *vm);

/* The host/ip column: the reverse DNS name of `ip` when it has one, else
 * `ip`; never looked up for loopback addresses or when `numeric`. */
char *sl_vm_host(const char *ip, gboolean numeric);

/* Marketplace identifier: ^[A-Za-z0-9_-]{27}$. */
gboolean sl_is_marketplace_id(const char *text);

/* Text of a JSON value as printed in tables ("" for null/absent). */
char *sl_json_text(json_t *value);

/* The VM ids of kill/shutdown: the arguments, then the lines of -i/--input.
 * NULL (and *error set) when the file cannot be read. */
GPtrArray *sl_vm_ids(SlCli *cli, char **args, GError **error);

/* "  [WARNING] --<name> is not supported yet; ignored" for every option of
 * `names` (NULL-terminated) that was given on the command line. */
void sl_warn_unsupported(SlCli *cli, const char *const *names);

/* kill/shutdown: `method` on /vms/<id><suffix> for every id; no output on
 * success; each failure printed; 1 at the end if any failed. */
int sl_vm_action(SlCli *cli, char **args, const char *method, const char *suffix);

/* The options of kill/shutdown: the common ones and -i/--input FILE. */
extern const SlOption *const sl_vm_action_options[];
