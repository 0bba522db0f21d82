/* cmd-kill-instance.c - stratus-kill-instance: DELETE /vms/<id>. */
#include "vm.h"

static int
run(SlCli *cli, char **args)
{
  return sl_vm_action(cli, args, "DELETE", "");
}

const SlCommand sl_cmd_kill_instance = {
    .name = "kill-instance",
    .summary = "Destroy virtual machine instances and release their resources",
    .synopsis = "[options] vm-id ...",
    .description =
        "Stop the given machines at once and release their resources (the disks are not saved). "
        "The ids are the arguments followed by the lines of the -i/--input file (blank lines "
        "ignored). Killed machines show the state Done in `stratus-describe-instance <id>`.",
    .options = sl_vm_action_options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "Nothing on success.",
    .errors_doc = "- `  [ERROR] Missing vm-id or input file (-i/--input)` (no id at all)\n"
                  "- `  [ERROR] Invalid vm-id: <x>` (not a number)\n"
                  "- `  [ERROR] Service error: <message>` for an id the service refuses "
                  "(unknown, or another user's machine)\n\n"
                  "A failing id does not stop the others; the command exits 1 at the end if any "
                  "failed.",
};
