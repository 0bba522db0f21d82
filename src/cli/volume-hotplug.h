/* volume-hotplug.h - the shared body of stratus-attach-volume / -detach-volume. */
#pragma once
#include "cli.h"

/* args: volume UUIDs; the VM is the -i/--instance option. Returns the exit status. */
int sl_volume_hotplug(SlCli *cli, char **args, gboolean attach);

/* The options of attach/detach: the common ones, the pdisk ones and -i/--instance. */
extern const SlOption *const sl_volume_hotplug_options[];
