/* cmd-detach-volume.c - stratus-detach-volume: DELETE /vms/<id>/disks/<uuid>
 * (volume-hotplug.c). */
#include "volume-hotplug.h"

static int
run(SlCli *cli, char **args)
{
  return sl_volume_hotplug(cli, args, FALSE);
}

const SlCommand sl_cmd_detach_volume = {
    .name = "detach-volume",
    .summary = "Detach persistent disk volumes from a running instance",
    .synopsis = "[options] volume-uuid ...",
    .description =
        "Unplug the volumes from the running machine. Each line is printed only after the "
        "guest released the device (unmount its file systems first). Volumes attached at "
        "boot (--persistent-disk) can be detached too.",
    .options = sl_volume_hotplug_options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "One line per volume: `DETACHED <uuid> from VM <id> on /dev/<target>`. `--json`: "
                  "an array with one object per "
                  "volume, `{\"uuid\": ..., \"vm\": <id>, \"target\": \"vdb\"}` or `{\"uuid\": "
                  "..., \"vm\": <id>, \"error\": \"<reason>\"}` (see [JSON output](../json.md)).",
    .errors_doc = "- `  [ERROR] VM <id> is not in running state` (exit 1, nothing done)\n"
                  "- per volume `DISK <uuid>: <reason>` on stdout, and the command goes on with "
                  "the next, e.g. `DISK <uuid>: Disk have not been hot-plugged: disk (<uuid>) "
                  "is not attached to VM <id>`\n\n"
                  "Exit status 1 if any volume failed (13.05 exited 0).",
};
