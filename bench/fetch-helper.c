/* fetch-helper.c - bench/market's image download section: one
 * sl_fetch_to_fd() (download + decompression + size + every checksum) of URL
 * into OUT; prints the elapsed seconds.
 *
 *   bench-fetch-helper URL COMPRESSION BYTES OUT [CA] ALG HEX [ALG HEX...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image/fetch.h"

int
main(int argc, char **argv)
{
  if (argc < 6) {
    fprintf(stderr, "usage: %s URL COMPRESSION BYTES OUT CA [ALG HEX]...\n", argv[0]);
    return 2;
  }
  SlFetchRequest req = {
      .url = argv[1],
      .compression = argv[2],
      .check_bytes = TRUE,
      .bytes = g_ascii_strtoull(argv[3], NULL, 10),
      .ca_file = *argv[5] ? argv[5] : NULL,
      .checksums = (const char *const *)argv + 6,
  };
  int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror(argv[4]);
    return 1;
  }
  SlFetchResult res = {0};
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time();
  gboolean ok = sl_fetch_to_fd(&req, fd, argv[4], &res, &error);
  gint64 t1 = g_get_monotonic_time();
  close(fd);
  if (!ok) {
    fprintf(stderr, "fetch failed: %s\n", error->message);
    return 1;
  }
  printf("%.3f\n", (double)(t1 - t0) / G_USEC_PER_SEC);
  return 0;
}
