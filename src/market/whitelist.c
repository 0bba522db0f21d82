/* whitelist.c - endorser whitelist of the Marketplace (protocols.md §5.5):
 * listed subject DN AND certificate chain valid against a CA bundle, with
 * CRLs (OpenSSL X509_STORE, X509_V_FLAG_CRL_CHECK). */
#include "market/service.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "util/error.h"

struct SlMarketWhitelist {
  GHashTable *dns; /* normalised DN set */
  X509_STORE *store;
};

void
sl_market_whitelist_free(SlMarketWhitelist *wl)
{
  if (!wl)
    return;
  g_hash_table_unref(wl->dns);
  X509_STORE_free(wl->store);
  g_free(wl);
}

char *
sl_market_dn_normalize(const char *dn)
{
  GString *out = g_string_new(NULL);
  gboolean in_value = FALSE;
  const char *p = dn;
  while (g_ascii_isspace(*p))
    p++;
  for (; *p; p++) {
    if (*p == '\\' && p[1]) {
      g_string_append_c(out, *p++);
      g_string_append_c(out, *p);
      continue;
    }
    if (*p == ',' || *p == '+' || *p == '=') {
      while (out->len && out->str[out->len - 1] == ' ')
        g_string_truncate(out, out->len - 1);
      g_string_append_c(out, *p);
      in_value = *p == '=';
      while (g_ascii_isspace(p[1]))
        p++;
      continue;
    }
    g_string_append_c(out, in_value ? *p : g_ascii_toupper(*p));
  }
  while (out->len && g_ascii_isspace(out->str[out->len - 1]))
    g_string_truncate(out, out->len - 1);
  return g_string_free(out, FALSE);
}

static gboolean
load_crls(X509_STORE *store, const char *crl, guint *count, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  if (g_file_test(crl, G_FILE_TEST_IS_DIR)) {
    g_autoptr(GDir) dir = g_dir_open(crl, 0, error);
    if (!dir)
      return FALSE;
    const char *name;
    while ((name = g_dir_read_name(dir)))
      if (g_str_has_suffix(name, ".pem") || g_str_has_suffix(name, ".crl") ||
          g_str_has_suffix(name, ".r0"))
        g_ptr_array_add(files, g_build_filename(crl, name, NULL));
  } else {
    g_ptr_array_add(files, g_strdup(crl));
  }
  for (guint i = 0; i < files->len; i++) {
    BIO *bio = BIO_new_file(files->pdata[i], "r");
    if (!bio) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "cannot read CRL file %s",
                  (char *)files->pdata[i]);
      return FALSE;
    }
    X509_CRL *c;
    while ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
      X509_STORE_add_crl(store, c);
      X509_CRL_free(c);
      (*count)++;
    }
    BIO_free(bio);
  }
  return TRUE;
}

SlMarketWhitelist *
sl_market_whitelist_load(const char *dn_file, const char *truststore, const char *crl,
                         GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(dn_file, &text, NULL, error)) {
    g_prefix_error(error, "whitelist: ");
    return NULL;
  }
  if (!truststore || !*truststore) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID,
                        "whitelist: a truststore (CA bundle, PEM) is required");
    return NULL;
  }
  SlMarketWhitelist *wl = g_new0(SlMarketWhitelist, 1);
  wl->dns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_strstrip(*l);
    if (**l && **l != '#')
      g_hash_table_add(wl->dns, sl_market_dn_normalize(*l));
  }
  wl->store = X509_STORE_new();
  if (X509_STORE_load_file(wl->store, truststore) != 1) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "whitelist: cannot read the truststore %s (PEM CA certificates expected)",
                truststore);
    sl_market_whitelist_free(wl);
    return NULL;
  }
  guint n_crl = 0;
  if (crl && *crl) {
    if (!load_crls(wl->store, crl, &n_crl, error)) {
      sl_market_whitelist_free(wl);
      return NULL;
    }
    if (n_crl == 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "whitelist: no CRL in %s", crl);
      sl_market_whitelist_free(wl);
      return NULL;
    }
    X509_STORE_set_flags(wl->store, X509_V_FLAG_CRL_CHECK);
  }
  return wl;
}

gboolean
sl_market_whitelist_check(SlMarketWhitelist *wl, const char *subject, const char *pem,
                          GError **error)
{
  g_autofree char *norm = sl_market_dn_normalize(subject ? subject : "");
  if (!g_hash_table_contains(wl->dns, norm)) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_FORBIDDEN, "endorser not whitelisted");
    return FALSE;
  }
  BIO *bio = BIO_new_mem_buf(pem ? pem : "", -1);
  X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!cert) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_FORBIDDEN,
                        "certificate not trusted: unreadable certificate");
    return FALSE;
  }
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  gboolean ok = FALSE;
  if (ctx && X509_STORE_CTX_init(ctx, wl->store, cert, NULL) == 1) {
    ok = X509_verify_cert(ctx) == 1;
    if (!ok) {
      int err = X509_STORE_CTX_get_error(ctx);
      if (err == X509_V_ERR_CERT_REVOKED)
        g_set_error_literal(error, SL_ERROR, SL_ERROR_FORBIDDEN, "certificate revoked");
      else
        g_set_error(error, SL_ERROR, SL_ERROR_FORBIDDEN, "certificate not trusted: %s",
                    X509_verify_cert_error_string(err));
    }
  } else {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot verify the certificate");
  }
  X509_STORE_CTX_free(ctx);
  X509_free(cert);
  return ok;
}
