/* cmd-shutdown-instance.c - stratus-shutdown-instance: POST /vms/<id>/shutdown. */
#include "vm.h"

static int
run(SlCli *cli, char **args)
{
  return sl_vm_action(cli, args, "POST", "/shutdown");
}

const SlCommand sl_cmd_shutdown_instance = {
    .name = "shutdown-instance",
    .summary = "Shut down virtual machine instances, saving them when started with --save",
    .synopsis = "[options] vm-id ...",
    .description = "Shut down the given machines cleanly (ACPI power button: Shutdown, Epilog, "
                   "then Done); a machine started with --save then has its root disk saved as a "
                   "new image. The ids are the arguments followed by the lines of the "
                   "-i/--input file (blank lines ignored).",
    .options = sl_vm_action_options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "Nothing on success.",
    .errors_doc = "- `  [ERROR] Missing vm-id or input file (-i/--input)` (no id at all)\n"
                  "- `  [ERROR] Invalid vm-id: <x>` (not a number)\n"
                  "- `  [ERROR] Service error: <message>` for an id the service refuses\n\n"
                  "A failing id does not stop the others; the command exits 1 at the end if any "
                  "failed.",
};
