/* cmd-attach-volume.c - stratus-attach-volume: POST /vms/<id>/disks
 * (volume-hotplug.c). */
#include "volume-hotplug.h"

static int
run(SlCli *cli, char **args)
{
  return sl_volume_hotplug(cli, args, TRUE);
}

const SlCommand sl_cmd_attach_volume = {
    .name = "attach-volume",
    .summary = "Attach persistent disk volumes to a running instance",
    .synopsis = "[options] volume-uuid ...",
    .description =
        "Hot-plug the volumes into the running machine as virtio disks whose serial is the "
        "volume UUID: the guest finds each one as /dev/disk/by-id/virtio-<first 20 characters "
        "of the UUID> (the appliance makes these links). The /dev/<target> printed is the "
        "device recorded for the mount (first free of vda..vdz among the machine's persistent "
        "disks, as 13.05 did); the name the guest kernel gives the disk may differ. Only your "
        "own DATA_IMAGE_RAW_READ_WRITE (exclusive) and DATA_IMAGE_RAW_READONLY volumes can be "
        "attached, at most 10 per machine.",
    .options = sl_volume_hotplug_options,
    .implemented = TRUE,
    .run = run,
    .flags = SL_CMD_LOAD_CONFIG,
    .min_args = 0,
    .max_args = -1,
    .output_doc = "One line per volume: `ATTACHED <uuid> in VM <id> on /dev/<target>`. `--json`: "
                  "an array with one object per "
                  "volume, `{\"uuid\": ..., \"vm\": <id>, \"target\": \"vdb\"}` or `{\"uuid\": "
                  "..., \"vm\": <id>, \"error\": \"<reason>\"}` (see [JSON output](../json.md)).",
    .errors_doc = "- `  [ERROR] VM <id> is not in running state` (exit 1, nothing done)\n"
                  "- per volume `DISK <uuid>: <reason>` on stdout, and the command goes on with "
                  "the next, e.g. `DISK <uuid>: Not enough rights to attach disk`, `DISK <uuid>: "
                  "disk (<uuid>) is already attached to VM <n>`, `DISK <uuid>: no free devices "
                  "available`, `DISK <uuid>: disk (<uuid>) does not exist`\n\n"
                  "Exit status 1 if any volume failed (13.05 exited 0).",
};
