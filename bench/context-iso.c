/* context-iso.c - helper of bench/context: median time to build a typical
 * context CD in-process (sl_context_write_iso, libisofs) against spawning
 * genisoimage -V _STRATUSLAB -J -R on the same tree (what 13.05 did).
 *
 *   bench-context-iso [RUNS]   prints "libisofs <ms>", "genisoimage <ms>", sizes
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context/context.h"

static int
cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
  int runs = argc > 1 ? atoi(argv[1]) : 100;
  if (runs < 1)
    runs = 100;
  g_autofree char *dir = g_dir_make_tmp("bench-ctx-XXXXXX", NULL);
  g_autoptr(SlContext) ctx = sl_context_new();
  GString *ud = g_string_new(NULL); /* ~16 KiB of base64, as a big CLOUD_INIT_USER_DATA */
  for (int i = 0; i < 16384; i++)
    g_string_append_c(
        ud, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[g_random_int_range(
                0, 64)]);
  sl_context_set(ctx, "HOSTNAME", "vm-42", NULL);
  sl_context_set(ctx, "PUBLIC_KEY", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench bench@host", NULL);
  sl_context_set(ctx, "CONTEXT_METHOD", "cloud-init", NULL);
  sl_context_set(ctx, "CLOUD_INIT_USER_DATA", ud->str, NULL);
  sl_context_set(ctx, "USER_DATA", ud->str, NULL);
  sl_context_set(ctx, "USERDATA_ENCODING", "base64", NULL);
  sl_context_set(ctx, "ETH0_IP", "10.0.2.15", NULL);
  g_string_free(ud, TRUE);

  g_autofree char *iso = g_build_filename(dir, "context.iso", NULL);
  g_autofree char *tree = g_build_filename(dir, "tree", NULL);
  g_autofree char *sh = g_build_filename(tree, "context.sh", NULL);
  g_autofree char *iso2 = g_build_filename(dir, "genisoimage.iso", NULL);
  g_mkdir(tree, 0755);
  g_autofree char *text = sl_context_render(ctx);
  g_file_set_contents(sh, text, -1, NULL);

  double *a = g_new(double, runs), *b = g_new(double, runs);
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time();
    if (!sl_context_write_iso(ctx, iso, NULL))
      return 1;
    a[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
  }
  const char *gen[] = {"genisoimage", "-quiet", "-V", "_STRATUSLAB", "-J",
                       "-R",          "-o",     iso2, tree,          NULL};
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time();
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)gen, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
      fprintf(stderr, "genisoimage failed\n");
      return 1;
    }
    b[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
  }
  GStatBuf s1, s2;
  g_stat(iso, &s1);
  g_stat(iso2, &s2);
  double ma = median(a, runs), mb = median(b, runs);
  printf("context.sh bytes     %zu\n", strlen(text));
  printf("libisofs in-process  median %.3f ms over %d (ISO %lld bytes)\n", ma, runs,
         (long long)s1.st_size);
  printf("genisoimage spawned  median %.3f ms over %d (ISO %lld bytes)\n", mb, runs,
         (long long)s2.st_size);
  printf("ratio genisoimage/libisofs  %.1fx\n", mb / ma);
  g_unlink(iso);
  g_unlink(iso2);
  g_unlink(sh);
  g_rmdir(tree);
  g_rmdir(dir);
  g_free(a);
  g_free(b);
  return 0;
}
