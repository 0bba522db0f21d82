/* market-helper.c - in-process helper of bench/market (not installed).
 *
 *   bench-market-helper verify P12 PASSWORD N
 *       signs one entry, then verifies it N times: verifications per second
 *   bench-market-helper sign P12 PASSWORD N FIRST OUTDIR
 *       writes N signed entries (distinct images FIRST..) to OUTDIR/<i>.xml
 *   bench-market-helper load P12 PASSWORD N DATADIR
 *       signs N entries and stores them through the Marketplace service in
 *       DATADIR (stratus.db + metadata/), as stratusd would
 *
 * Entries are the unsigned entry in the file SL_BENCH_ENTRY (bench/market
 * makes it with stratus-build-metadata: one SHA-1, os ttylinux, valid until
 * 2099) with a per-entry SHA-1/identifier and os "benchos<i % 50>". */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/identifier.h"
#include "market/service.h"
#include "market/sign.h"

static char *template_doc;
static char *template_hex; /* the SHA-1 of the template, and its identifier */
static char *template_id;

static char *
entry_doc(guint i)
{
  g_autofree char *seed = g_strdup_printf("bench-%u", i);
  const char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA1, seed, -1);
  g_autofree char *id = sl_identifier_from_hex(hex, NULL);
  g_autofree char *os = g_strdup_printf("<slterms:os>benchos%u</slterms:os>", i % 50);
  GString *s = g_string_new(template_doc);
  g_string_replace(s, template_id, id, 0);
  g_string_replace(s, template_hex, hex, 0);
  g_string_replace(s, "<slterms:os>ttylinux</slterms:os>", os, 0);
  g_free((char *)hex);
  return g_string_free(s, FALSE);
}

static double
now_s(void)
{
  return (double)g_get_monotonic_time() / 1e6;
}

int
main(int argc, char **argv)
{
  if (argc < 5) {
    fprintf(stderr, "usage: %s verify|sign|load P12 PASSWORD N ...\n", argv[0]);
    return 2;
  }
  const char *tpl = g_getenv("SL_BENCH_ENTRY");
  if (!tpl || !g_file_get_contents(tpl, &template_doc, NULL, NULL)) {
    fprintf(stderr, "cannot read the entry SL_BENCH_ENTRY (%s)\n", tpl ? tpl : "unset");
    return 1;
  }
  /* its SHA-1: the first checksum value (the entry has only SHA-1) */
  const char *v = strstr(template_doc, "<slreq:value>");
  if (v)
    template_hex = g_strndup(v + strlen("<slreq:value>"), 40);
  template_id = template_hex ? sl_identifier_from_hex(template_hex, NULL) : NULL;
  if (!template_id || !strstr(template_doc, template_id) ||
      !strstr(template_doc, "<slterms:os>ttylinux</slterms:os>")) {
    fprintf(stderr, "%s: no SHA-1, identifier or os ttylinux to vary\n", tpl);
    return 1;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketCredentials) creds = sl_market_credentials_load_p12(argv[2], argv[3], &error);
  if (!creds) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  guint n = (guint)strtoul(argv[4], NULL, 10);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();

  if (!strcmp(argv[1], "verify")) {
    g_autofree char *doc = entry_doc(0);
    gsize len;
    g_autofree char *sig = sl_market_sign(doc, strlen(doc), creds, NULL, now, &len, &error);
    double t0 = now_s();
    for (guint i = 0; i < n; i++) {
      g_autoptr(SlMarketSigner) s = sl_market_verify(sig, len, &error);
      if (!s) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
      }
    }
    double dt = now_s() - t0;
    printf("verify %u %.3f %.0f\n", n, dt, n / dt);
    return 0;
  }
  if (!strcmp(argv[1], "sign") && argc == 7) {
    guint first = (guint)strtoul(argv[5], NULL, 10);
    double t0 = now_s();
    for (guint i = 0; i < n; i++) {
      g_autofree char *doc = entry_doc(first + i);
      gsize len;
      g_autofree char *sig = sl_market_sign(doc, strlen(doc), creds, NULL, now, &len, &error);
      g_autofree char *path = g_strdup_printf("%s/%u.xml", argv[6], i);
      if (!sig || !g_file_set_contents(path, sig, (gssize)len, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
      }
    }
    printf("sign %u %.3f\n", n, now_s() - t0);
    return 0;
  }
  if (!strcmp(argv[1], "load") && argc == 6) {
    g_mkdir_with_parents(argv[5], 0700);
    g_autoptr(SlStore) store = sl_store_open(argv[5], &error);
    g_autofree char *dir = g_build_filename(argv[5], "metadata", NULL);
    SlMarketServiceConfig c = {.dir = dir};
    g_autoptr(SlMarketService) svc = store ? sl_market_service_new(store, &c, &error) : NULL;
    if (!svc) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
    GPtrArray *docs = g_ptr_array_new_with_free_func(g_free);
    GArray *lens = g_array_new(FALSE, FALSE, sizeof(gsize));
    double t0 = now_s();
    for (guint i = 0; i < n; i++) {
      g_autofree char *doc = entry_doc(i);
      gsize len;
      char *sig = sl_market_sign(doc, strlen(doc), creds, NULL, now, &len, &error);
      if (!sig) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
      }
      g_ptr_array_add(docs, sig);
      g_array_append_val(lens, len);
    }
    double t1 = now_s();
    for (guint i = 0; i < n; i++) {
      g_autoptr(SlMarketRow) row = sl_market_service_upload(
          svc, docs->pdata[i], g_array_index(lens, gsize, i), NULL, &error);
      if (!row) {
        fprintf(stderr, "entry %u: %s\n", i, error->message);
        return 1;
      }
    }
    double t2 = now_s();
    printf("load %u sign %.3f store %.3f\n", n, t1 - t0, t2 - t1);
    g_ptr_array_unref(docs);
    g_array_unref(lens);
    return 0;
  }
  fprintf(stderr, "bad arguments\n");
  return 2;
}
