/* endorser.c - the cloud's own signing identity for saved images (save.h).
 *
 * 13.05 signed each saved image's entry with a throw-away self-signed P12
 * (CN=Jane Tester, 2-day certificate). We keep ONE key per cloud in
 * DATA/endorser/cloud.p12 so that the Marketplace sees a stable endorser: a
 * self-signed RSA-2048 certificate, CN "StratusLab cloud <host>", the
 * e-mail address in subjectAltName (rfc822Name) and as emailAddress, valid
 * 10 years; the PKCS#12 password is random (cloud.p12.pass). Both files 0600,
 * written with g_file_set_contents (temp + fsync + rename). An operator may
 * point [endorser] p12/password at a real certificate instead.
 */
#include "cloud/save.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "market/sign.h"
#include "util/error.h"

static G_LOCK_DEFINE(endorser);

static gboolean
ossl_fail(GError **error, const char *what)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot make the endorser key: %s", what);
  return FALSE;
}

static gboolean
add_ext(X509 *cert, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ext)
    return FALSE;
  gboolean ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/* DER of a new PKCS#12 (key + self-signed certificate). */
static GBytes *
make_p12(const char *email, const char *password, GError **error)
{
  EVP_PKEY *key = EVP_RSA_gen(2048);
  X509 *cert = X509_new();
  PKCS12 *p12 = NULL;
  GBytes *out = NULL;
  g_autofree char *cn = g_strdup_printf("StratusLab cloud %s", g_get_host_name());
  g_autofree char *san = g_strdup_printf("email:%s", email);
  guint8 serial[8];
  if (!key || !cert || RAND_bytes(serial, sizeof serial) != 1) {
    ossl_fail(error, "key generation");
    goto out;
  }
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const guchar *)"EU", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const guchar *)"StratusLab", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const guchar *)cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "emailAddress", MBSTRING_UTF8, (const guchar *)email, -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!add_ext(cert, NID_subject_alt_name, san) ||
      !add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert, NID_key_usage, "critical,digitalSignature") ||
      X509_sign(cert, key, EVP_sha256()) <= 0) {
    ossl_fail(error, "certificate");
    goto out;
  }
  /* AES-256 + SHA-256 MAC (OpenSSL 3 defaults) */
  p12 = PKCS12_create(password, "stratuslab-cloud", key, cert, NULL, 0, 0, 0, 0, 0);
  unsigned char *der = NULL;
  int len = p12 ? i2d_PKCS12(p12, &der) : -1;
  if (len <= 0) {
    ossl_fail(error, "PKCS#12");
    goto out;
  }
  out = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
out:
  PKCS12_free(p12);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

SlMarketCredentials *
sl_save_endorser_load(const char *p12, const char *password_file, const char *email, GError **error)
{
  G_LOCK(endorser);
  SlMarketCredentials *creds = NULL;
  g_autofree char *password = NULL;
  if (!g_file_test(p12, G_FILE_TEST_EXISTS)) {
    guint8 raw[18];
    if (RAND_bytes(raw, sizeof raw) != 1) {
      ossl_fail(error, "random password");
      goto out;
    }
    password = g_base64_encode(raw, sizeof raw);
    g_autoptr(GBytes) der = make_p12(email, password, error);
    g_autofree char *dir = g_path_get_dirname(p12);
    if (!der)
      goto out;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", dir,
                  g_strerror(errno));
      goto out;
    }
    gsize n = 0;
    const char *data = g_bytes_get_data(der, &n);
    /* password first: a p12 without its password file is useless */
    if (!g_file_set_contents_full(password_file, password, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0600, error) ||
        !g_file_set_contents_full(p12, data, (gssize)n,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0600, error))
      goto out;
    g_message("save: new endorser key %s (%s)", p12, email);
  } else if (password_file && !g_file_get_contents(password_file, &password, NULL, error)) {
    goto out;
  }
  if (password)
    g_strchomp(password);
  creds = sl_market_credentials_load_p12(p12, password ? password : "", error);
out:
  G_UNLOCK(endorser);
  if (password)
    memset(password, 0, strlen(password));
  return creds;
}
