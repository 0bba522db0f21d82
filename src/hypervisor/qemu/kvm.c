/* kvm.c - decide between KVM and TCG.
 *
 * /dev/kvm being present proves little: on nested or paravirtual hosts (see
 * machine-facts: PVM) QEMU either aborts on an MSR or runs the guest at a
 * crawl. So the probe boots a real (tiny) guest under KVM: a 512-byte boot
 * sector that writes 0x21 to an isa-debug-exit port, making QEMU exit with
 * status (0x21 << 1) | 1 = 67. TCG does this in ~0.15 s; a usable KVM faster.
 * Anything else within the timeout means TCG. The answer is cached per kernel.
 */
#include "hypervisor/qemu/kvm.h"
#include "util/spawn.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 2000
#define PROBE_EXIT 67

const char *
sl_accel_name(SlAccel accel)
{
  return accel == SL_ACCEL_KVM ? "kvm" : "tcg";
}

gboolean
sl_kvm_probe_run(const char *qemu_binary, guint timeout_ms)
{
  static const guint8 code[] = {0xB0, 0x21, 0xE6, 0xF4,
                                0xF4, 0xEB, 0xFD}; /* mov al,0x21; out 0xf4,al; hlt; jmp $-1 */
  guint8 sector[512] = {0};
  memcpy(sector, code, sizeof code);
  sector[510] = 0x55;
  sector[511] = 0xAA;
  g_autoptr(GError) error = NULL;
  g_autofree char *img = NULL;
  int fd = g_file_open_tmp("sl-kvm-probe-XXXXXX.img", &img, &error);
  if (fd < 0) {
    g_warning("kvm probe: %s", error->message);
    return FALSE;
  }
  gboolean wrote = write(fd, sector, sizeof sector) == sizeof sector;
  close(fd);
  if (!wrote) {
    unlink(img);
    return FALSE;
  }
  g_autofree char *drive = g_strdup_printf("file=%s,format=raw,if=ide", img);
  const char *argv[] = {qemu_binary,
                        "-machine",
                        "pc",
                        "-accel",
                        "kvm",
                        "-cpu",
                        "host",
                        "-nodefaults",
                        "-no-user-config",
                        "-display",
                        "none",
                        "-m",
                        "16",
                        "-drive",
                        drive,
                        "-device",
                        "isa-debug-exit,iobase=0xf4,iosize=0x04",
                        NULL};
  /* Run to completion in a private main context: the probe runs once, before the daemon's
   * loop matters. A probe still running at the timeout is killed: that is TCG. */
  SlSpawnOptions o = {.argv = argv, .timeout_ms = timeout_ms, .kill_after_ms = 200};
  SlSpawnResult r = {0};
  gboolean ok = FALSE;
  if (sl_spawn_sync(&o, &r, &error))
    ok = !r.timed_out && r.exited && r.exit_status == PROBE_EXIT;
  else
    g_warning("kvm probe: %s", error->message);
  sl_spawn_result_clear(&r);
  unlink(img);
  return ok;
}

static char *
cache_key(void)
{
  struct utsname u;
  if (uname(&u) != 0)
    return g_strdup("unknown");
  return g_strdup(u.release);
}

SlAccel
sl_accel_select(const char *qemu_binary, const char *cache_file, const char *kvm_dev)
{
  const char *force = g_getenv("SL_ACCEL");
  if (force && *force) {
    if (g_str_equal(force, "kvm"))
      return SL_ACCEL_KVM;
    if (g_str_equal(force, "tcg"))
      return SL_ACCEL_TCG;
    g_warning("SL_ACCEL=%s ignored (expected tcg or kvm)", force);
  }
  if (access(kvm_dev ? kvm_dev : "/dev/kvm", R_OK | W_OK) != 0)
    return SL_ACCEL_TCG;
  g_autofree char *key = cache_key();
  g_autofree char *cached = NULL;
  if (cache_file && g_file_get_contents(cache_file, &cached, NULL, NULL)) {
    g_auto(GStrv) f = g_strsplit(g_strstrip(cached), " ", 2);
    if (g_strv_length(f) == 2 && g_str_equal(f[1], key)) {
      if (g_str_equal(f[0], "kvm"))
        return SL_ACCEL_KVM;
      if (g_str_equal(f[0], "tcg"))
        return SL_ACCEL_TCG;
    }
  }
  gint64 t0 = g_get_monotonic_time();
  SlAccel a = sl_kvm_probe_run(qemu_binary, PROBE_TIMEOUT_MS) ? SL_ACCEL_KVM : SL_ACCEL_TCG;
  g_message("kvm probe (%s): using %s (%.2f s)", kvm_dev ? kvm_dev : "/dev/kvm", sl_accel_name(a),
            (g_get_monotonic_time() - t0) / 1e6);
  if (cache_file) {
    g_autofree char *line = g_strdup_printf("%s %s\n", sl_accel_name(a), key);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(cache_file, line, -1, &error))
      g_warning("kvm probe: cannot cache result: %s", error->message);
  }
  return a;
}
